"""Request dependencies: the only place that defines DbSession, CurrentUser, CurrentOrg."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from app.core.db import get_sessionmaker
from app.core.errors import DomainError, Forbidden, InvalidField, Unauthorized
from app.core.inputs import MAX_DB_ID
from app.core.security import decode_access_token
from app.organizations.models import Organization
from app.users.models import Role, User


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

_bearer = HTTPBearer(auto_error=False, description="Access token from /api/v1/auth/login")


@dataclass(frozen=True)
class SignIn:
    """The caller and the session (refresh-token family) its access token belongs to."""

    user: User
    session_id: str | None


def get_current_sign_in(
    db: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> SignIn:
    if credentials is None:
        raise Unauthorized()
    try:
        claims = decode_access_token(credentials.credentials)
        user_id = int(claims["sub"])
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("Access token has expired") from exc
    except (jwt.PyJWTError, ValueError, KeyError) as exc:
        raise Unauthorized("Invalid access token") from exc
    user = db.get(User, user_id)
    # The role and the active flag come from the database, so a change applies at once.
    if user is None or not user.is_active or user.org_id != claims.get("org"):
        raise Unauthorized("Invalid access token")
    # Issued before the latest password change: that change signed this session out.
    if claims.get("ver", 0) != user.token_version:
        raise Unauthorized("Access token was revoked; please sign in again")
    session_id = claims.get("sid")
    return SignIn(user=user, session_id=session_id if isinstance(session_id, str) else None)


CurrentSignIn = Annotated[SignIn, Depends(get_current_sign_in)]


def get_current_user(sign_in: CurrentSignIn) -> User:
    return sign_in.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_current_org(user: CurrentUser) -> Organization:
    return user.organization


CurrentOrg = Annotated[Organization, Depends(get_current_org)]


# The role checks made by require_role: the OpenAPI document lists 403 for routes that use one.
_role_checks: set[Callable[..., User]] = set()


def require_role(minimum: Role) -> Callable[[User], User]:
    def check(user: CurrentUser) -> User:
        if not user.role.at_least(minimum):
            raise Forbidden(f"This needs the {minimum.value} role or higher")
        return user

    _role_checks.add(check)
    return check


def is_role_check(call: object) -> bool:
    """Whether a dependency is one of require_role's checks (it may answer 403)."""
    return call in _role_checks


AdminUser = Annotated[User, Depends(require_role(Role.admin))]
ManagerUser = Annotated[User, Depends(require_role(Role.manager))]


# Taken by the throttled operations only (the OpenAPI document lists 429 for those that take it).
def client_address(request: Request) -> str:
    # Behind nginx, uvicorn's --proxy-headers (trusted addresses only) has already set this.
    return request.client.host if request.client else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]


def parse_location_ids(values: list[str] | None) -> list[int] | None:
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
                raise InvalidField(
                    "location_ids", f"{part[:20]!r} is not a location id", location="query"
                )
            ids.append(int(part))
    return ids or None
