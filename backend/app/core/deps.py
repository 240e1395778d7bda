"""Request dependencies that need no domain: DbSession, ClientAddress, location ids.

The caller's dependencies (CurrentUser, CurrentOrg, AdminUser...) are in app/auth/deps.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from app.core.db import get_sessionmaker
from app.core.errors import DomainError, InvalidField
from app.core.inputs import MAX_DB_ID

T = TypeVar("T")


def get_db() -> Iterator[Session]:
    """One transaction per request: commit on success, roll back on error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except DomainError as exc:
        if exc.keep_changes:
            session.commit()
        else:
            session.rollback()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": the commit happens before the response is sent. With the default (after it
# is sent) a client could read its own write too early from another uvicorn worker: behind nginx
# with 2 workers, ~8% of sign-ins straight after sign-up failed (tests/deploy). It also means a
# failed commit is answered with an error, never with a 2xx.
DbSession = Annotated[Session, Depends(get_db, scope="function")]

# The dependencies that may refuse with 403 (the role checks of app/auth/deps.py): the OpenAPI
# document lists 403 for routes that use one. The set is kept here so core imports no domain.
_role_checks: set[Callable[..., object]] = set()


def register_role_check(check: Callable[..., T]) -> Callable[..., T]:
    """Mark a dependency as a role check (it may answer 403)."""
    _role_checks.add(check)
    return check


def is_role_check(call: object) -> bool:
    """Whether a dependency is one of require_role's checks (it may answer 403)."""
    return call in _role_checks


# Taken by the throttled operations only (the OpenAPI document lists 429 for those that take it).
def client_address(request: Request) -> str:
    # Behind nginx, uvicorn's --proxy-headers (trusted addresses only) has already set this.
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]


def parse_location_ids(
    values: list[str] | None, *, field: str = "location_ids", what: str = "location"
) -> list[int] | None:
    """`location_ids` repeated (?location_ids=1&location_ids=2) or comma-separated (?…=1,2);
    None when absent (every location the caller may see)."""
    if not values:
        return None
    ids: list[int] = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if not part:
                continue
            # ASCII digits only ("²" is a digit to str.isdigit), and no longer than an id can be:
            # int() refuses more than 4,300 digits and the column holds 32 bits.
            if not (part.isascii() and part.isdigit()) or len(part) > 10 or int(part) > MAX_DB_ID:
                raise InvalidField(field, f"{part[:20]!r} is not a {what} id", location="query")
            ids.append(int(part))
    return ids or None
