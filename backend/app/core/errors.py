"""Domain errors: services raise these; one handler in main.py maps them to HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 400
    # Writes made before the error are kept (e.g. a failed login attempt is recorded).
    keep_changes = False

    def __init__(
        self, detail: str, *, field: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.headers = headers

    def body(self) -> dict[str, Any]:
        if self.field:
            return {"detail": self.detail, "field": self.field}
        return {"detail": self.detail}


class NotFound(DomainError):
    status_code = 404

    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"{what} {ident} not found")


class Conflict(DomainError):
    status_code = 409


class Forbidden(DomainError):
    status_code = 403


class Unauthorized(DomainError):
    status_code = 401

    def __init__(self, detail: str = "Not authenticated") -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class TooManyRequests(DomainError):
    status_code = 429
    keep_changes = True

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class InvalidField(DomainError):
    """A value that passed the schema but breaks a business rule: 422 naming the field."""

    status_code = 422

    def __init__(self, field: str, message: str, *, location: str = "body") -> None:
        super().__init__(message, field=field)
        self.location = location

    def body(self) -> dict[str, Any]:
        return {
            "detail": [
                {
                    "loc": [self.location, *(self.field or "").split(".")],
                    "field": self.field,
                    "msg": self.detail,
                    "type": "value_error",
                }
            ]
        }
