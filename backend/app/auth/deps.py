"""The caller's request dependencies: CurrentSignIn, CurrentUser, CurrentOrg and the role checks
(AdminUser, ManagerUser). DbSession and the other domain-free ones are in app/core/deps.py."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from app.core.deps import DbSession, register_role_check
from app.core.errors import Forbidden, Unauthorized
from app.core.security import decode_access_token
from app.organizations.models import Organization
from app.users.models import Role, User

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


def require_role(minimum: Role) -> Callable[[User], User]:
    def check(user: CurrentUser) -> User:
        if not user.role.at_least(minimum):
            raise Forbidden(f"This needs the {minimum.value} role or higher")
        return user

    return register_role_check(check)


AdminUser = Annotated[User, Depends(require_role(Role.admin))]
ManagerUser = Annotated[User, Depends(require_role(Role.manager))]
OwnerUser = Annotated[User, Depends(require_role(Role.owner))]
