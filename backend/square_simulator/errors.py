"""The Square error response the simulator raises: ``ApiError`` and its common cases."""

from __future__ import annotations


class ApiError(Exception):
    """A Square error response: status and the first error's fields."""

    def __init__(
        self,
        status: int,
        category: str,
        code: str,
        detail: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.category = category
        self.code = code
        self.detail = detail
        self.field = field
        self.headers = headers or {}


def bad_request(detail: str, field: str | None = None, code: str = "INVALID_VALUE") -> ApiError:
    return ApiError(400, "INVALID_REQUEST_ERROR", code, detail, field)


def not_found(detail: str) -> ApiError:
    return ApiError(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", detail)
