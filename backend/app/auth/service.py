"""Sign-up, sign-in, refresh-token rotation, sign-out and login throttling."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.auth.models import LoginAttempt, RefreshToken
from app.auth.schemas import AcceptInviteIn, RegisterIn
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Forbidden, InvalidField, TooManyRequests, Unauthorized
from app.core.security import (
    create_access_token,
    new_opaque_token,
    refresh_expiry,
    token_digest,
    verify_password,
)
from app.organizations import service as org_service
from app.users import service as user_service
from app.users.models import Role, User
from app.users.schemas import UserCreate


class InvalidCredentials(Unauthorized):
    # The failed attempt must be recorded even though the request fails.
    keep_changes = True

    def __init__(self) -> None:
        super().__init__("Incorrect email or password")


class RefreshRejected(Unauthorized):
    # Revoking a replayed token's family must survive the failed request.
    keep_changes = True


@dataclass(frozen=True)
class IssuedTokens:
    user: User
    access_token: str
    expires_in: int
    refresh_token: str


def register(*, db: Session, reg_in: RegisterIn) -> User:
    """Create an organization and its owner."""
    if not get_settings().ALLOW_REGISTRATION:
        raise Forbidden("Self sign-up is switched off; ask an administrator for an invitation")
    user_service.check_password(reg_in.password, email=str(reg_in.email))
    org = org_service.create(db=db, name=reg_in.organization_name)
    user, _ = user_service.create(
        db=db,
        org_id=org.id,
        user_in=UserCreate(
            email=reg_in.email,
            full_name=reg_in.full_name,
            role=Role.owner,
            password=reg_in.password,
        ),
    )
    return user


def _failures_since(
    db: Session,
    column: InstrumentedAttribute[str],
    value: str,
    since: datetime,
    *,
    reset_by_success: bool,
) -> list[datetime]:
    start = since
    if reset_by_success:
        last_success = db.scalar(
            select(func.max(LoginAttempt.created_at)).where(
                column == value, LoginAttempt.succeeded.is_(True), LoginAttempt.created_at >= since
            )
        )
        start = max(since, last_success) if last_success else since
    return list(
        db.scalars(
            select(LoginAttempt.created_at)
            .where(
                column == value, LoginAttempt.succeeded.is_(False), LoginAttempt.created_at >= start
            )
            .order_by(LoginAttempt.created_at)
        )
    )


def _check_throttle(db: Session, *, email: str, address: str, now: datetime) -> None:
    settings = get_settings()
    window = timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)
    since = now - window
    # The owner signing in proves they know the password, so it clears the account's count. An
    # address's count is never cleared: a sprayer signing in to their own account between
    # guesses at others' must not start again.
    for column, value, limit, what, reset_by_success in (
        (LoginAttempt.email, email, settings.LOGIN_MAX_FAILURES_PER_ACCOUNT, "this account", True),
        (
            LoginAttempt.address,
            address,
            settings.LOGIN_MAX_FAILURES_PER_ADDRESS,
            "this address",
            False,
        ),
    ):
        failures = _failures_since(db, column, value, since, reset_by_success=reset_by_success)
        if len(failures) >= limit:
            # Allowed again once enough of the failures have aged out of the window.
            unblock_at = failures[len(failures) - limit] + window
            retry_after = int((unblock_at - now).total_seconds()) + 1
            raise TooManyRequests(
                f"Too many failed sign-in attempts for {what}; try again in {retry_after} seconds",
                retry_after=retry_after,
            )


def authenticate(*, db: Session, email: str, password: str, address: str) -> User:
    """The active user with these credentials; failures are recorded and throttled."""
    email = user_service.normalise_email(email)
    now = utcnow()
    _check_throttle(db, email=email, address=address, now=now)
    user = user_service.get_by_email(db=db, email=email)
    ok = verify_password(password, user.password_hash if user else None)
    ok = ok and user is not None and user.is_active
    db.add(LoginAttempt(email=email, address=address[:64], succeeded=ok, created_at=now))
    # Old attempts are of no use to the throttle.
    db.execute(delete(LoginAttempt).where(LoginAttempt.created_at < now - timedelta(days=1)))
    if not ok or user is None:
        db.flush()
        raise InvalidCredentials()
    return user


def _issue(db: Session, user: User, family_id: str | None = None) -> IssuedTokens:
    refresh = new_opaque_token()
    family_id = family_id or uuid.uuid4().hex
    db.add(
        RefreshToken(
            user_id=user.id,
            family_id=family_id,
            token_digest=token_digest(refresh),
            expires_at=refresh_expiry(),
        )
    )
    db.flush()
    access, expires_in = create_access_token(
        user_id=user.id, org_id=user.org_id, token_version=user.token_version, session_id=family_id
    )
    return IssuedTokens(
        user=user, access_token=access, expires_in=expires_in, refresh_token=refresh
    )


def login(*, db: Session, email: str, password: str, address: str) -> IssuedTokens:
    """Check credentials and start a new refresh-token family."""
    user = authenticate(db=db, email=email, password=password, address=address)
    return _issue(db, user)


def _revoke_family(db: Session, family_id: str) -> None:
    db.execute(
        sql_update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def refresh(*, db: Session, token: str | None) -> IssuedTokens:
    """Rotate a refresh token; replaying an already-rotated one revokes its whole family."""
    if not token:
        raise RefreshRejected("No refresh token")
    row = db.scalar(select(RefreshToken).where(RefreshToken.token_digest == token_digest(token)))
    if row is None:
        raise RefreshRejected("Invalid refresh token")
    now = utcnow()
    if row.rotated_at is not None:
        _revoke_family(db, row.family_id)
        db.flush()
        raise RefreshRejected("Refresh token was already used; please sign in again")
    if row.revoked_at is not None:
        raise RefreshRejected("Refresh token was revoked; please sign in again")
    if row.expires_at <= now:
        raise RefreshRejected("Refresh token has expired; please sign in again")
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        raise RefreshRejected("Account is not active")
    row.rotated_at = now
    row.revoked_at = now
    return _issue(db, user, family_id=row.family_id)


def logout(*, db: Session, token: str | None) -> None:
    """Revoke the refresh token's family (idempotent: an unknown token is fine)."""
    if not token:
        return
    row = db.scalar(select(RefreshToken).where(RefreshToken.token_digest == token_digest(token)))
    if row is not None:
        _revoke_family(db, row.family_id)


def accept_invite(*, db: Session, invite_in: AcceptInviteIn) -> User:
    """Set the password of an invited user, consuming the invite."""
    user = db.scalar(select(User).where(User.invite_token_digest == token_digest(invite_in.token)))
    if user is None or user.invite_expires_at is None or user.invite_expires_at <= utcnow():
        raise InvalidField("token", "This invitation is invalid or has expired")
    user_service.check_password(invite_in.password, email=user.email)
    user_service.set_password(db=db, user=user, password=invite_in.password)
    user.invite_token_digest = None
    user.invite_expires_at = None
    db.flush()
    return user
