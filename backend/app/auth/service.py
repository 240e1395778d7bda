"""Sign-up, sign-in, refresh-token rotation, sign-out and login throttling."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from app.auth import throttle
from app.auth.models import (
    AttemptKind,
    KnownDevice,
    LoginAttempt,
    PasswordResetToken,
    RefreshToken,
)
from app.auth.schemas import AcceptInviteIn, RegisterIn, ResetPasswordIn
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Forbidden, InvalidField, Unauthorized
from app.core.security import (
    create_access_token,
    new_opaque_token,
    refresh_expiry,
    token_digest,
    verify_password,
)
from app.mail import account as account_mail
from app.organizations import service as org_service
from app.users import service as user_service
from app.users.models import Role, User
from app.users.schemas import UserCreate

KNOWN_DEVICES_PER_USER = 20
RESET_LIFETIME = timedelta(hours=1)
RESET_INVALID = "This reset link is invalid, already used or expired; ask for a new one"


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
    known_device_token: str | None = None  # set by a sign-in, for the known-device cookie


def register(*, db: Session, reg_in: RegisterIn, address: str) -> User:
    """Create an organization and its owner; sign-ups are limited per address."""
    settings = get_settings()
    if not settings.ALLOW_REGISTRATION:
        raise Forbidden("Self sign-up is switched off; ask an administrator for an invitation")
    now = utcnow()
    # Each sign-up costs an Argon2 hash. Only those that went through are recorded (a refused one
    # is rolled back with everything else), and only they hash the password.
    throttle.check(
        db,
        kind=AttemptKind.register,
        where=LoginAttempt.address == address[: throttle.ADDRESS_LENGTH],
        limit=settings.REGISTER_MAX_PER_ADDRESS,
        now=now,
        message="Too many sign-ups from this address",
        failures_only=False,
    )
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
    throttle.record(
        db,
        kind=AttemptKind.register,
        email=user.email,
        address=address,
        succeeded=True,
        now=now,
    )
    return user


def _known_device(
    db: Session, *, token: str | None, user: User | None, now: datetime
) -> KnownDevice | None:
    """The unexpired known device this cookie names, if it was issued to this user."""
    if not token or user is None:
        return None
    device = db.scalar(select(KnownDevice).where(KnownDevice.token_digest == token_digest(token)))
    if device is None or device.user_id != user.id or device.expires_at <= now:
        return None
    return device


def _remember_device(
    db: Session, *, user: User, device: KnownDevice | None, token: str | None, now: datetime
) -> str:
    """The known-device token to set in the browser: the one it has, its lifetime renewed, or a
    new one."""
    expires_at = now + timedelta(days=get_settings().KNOWN_DEVICE_EXPIRE_DAYS)
    if device is not None and token:
        device.expires_at = expires_at
        return token
    # A client without a cookie jar (a script) makes a new device at each sign-in: keep the
    # newest few, which a person's browsers are.
    stale = db.scalars(
        select(KnownDevice.id)
        .where(KnownDevice.user_id == user.id)
        .order_by(KnownDevice.expires_at.desc(), KnownDevice.id.desc())
        .offset(KNOWN_DEVICES_PER_USER - 1)
    )
    db.execute(
        delete(KnownDevice).where(
            KnownDevice.user_id == user.id,
            or_(KnownDevice.expires_at <= now, KnownDevice.id.in_(list(stale))),
        )
    )
    token = new_opaque_token()
    db.add(KnownDevice(user_id=user.id, token_digest=token_digest(token), expires_at=expires_at))
    return token


def _check_login_throttle(
    db: Session, *, email: str, address: str, device: KnownDevice | None, now: datetime
) -> None:
    settings = get_settings()
    login = AttemptKind.login
    if device is not None:
        # A browser that signed in to this account before: strangers' failures on the account do
        # not hold it back (OWASP: throttling must not lock the owner out), its own do.
        throttle.check(
            db,
            kind=login,
            where=LoginAttempt.known_device_id == device.id,
            limit=settings.LOGIN_MAX_FAILURES_PER_DEVICE,
            now=now,
            message="Too many failed sign-in attempts from this device",
            reset_by_success=True,
        )
    else:
        # The owner signing in proves they know the password, so it clears the account's count.
        throttle.check(
            db,
            kind=login,
            where=and_(LoginAttempt.email == email, LoginAttempt.known_device_id.is_(None)),
            limit=settings.LOGIN_MAX_FAILURES_PER_ACCOUNT,
            now=now,
            message="Too many failed sign-in attempts for this account",
            reset_by_success=True,
        )
    # An address's count is never cleared: a sprayer signing in to their own account between
    # guesses at others' must not start again.
    throttle.check(
        db,
        kind=login,
        where=LoginAttempt.address == address[: throttle.ADDRESS_LENGTH],
        limit=settings.LOGIN_MAX_FAILURES_PER_ADDRESS,
        now=now,
        message="Too many failed sign-in attempts for this address",
    )


def authenticate(
    *, db: Session, email: str, password: str, address: str, device_token: str | None = None
) -> tuple[User, str]:
    """The active user with these credentials and the known-device token for the browser;
    failures are recorded and throttled."""
    email = user_service.normalise_email(email)
    now = utcnow()
    user = user_service.get_by_email(db=db, email=email)
    device = _known_device(db, token=device_token, user=user, now=now)
    _check_login_throttle(db, email=email, address=address, device=device, now=now)
    ok = verify_password(password, user.password_hash if user else None)
    ok = ok and user is not None and user.is_active
    throttle.record(
        db,
        kind=AttemptKind.login,
        email=email,
        address=address,
        succeeded=ok,
        now=now,
        known_device_id=device.id if device else None,
    )
    if not ok or user is None:
        raise InvalidCredentials()
    return user, _remember_device(db, user=user, device=device, token=device_token, now=now)


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


def login(
    *, db: Session, email: str, password: str, address: str, device_token: str | None = None
) -> IssuedTokens:
    """Check credentials and start a new refresh-token family."""
    user, device_token = authenticate(
        db=db, email=email, password=password, address=address, device_token=device_token
    )
    return replace(_issue(db, user), known_device_token=device_token)


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


def forgot_password(*, db: Session, email: str, address: str) -> None:
    """Mail a single-use reset link to the account with this address, if there is one.

    The caller learns nothing either way (the route answers 202 whatever happens): an unknown
    address, an inactive account and a throttled one all take this same path, and the mail is
    sent by the worker, not while the request waits."""
    settings = get_settings()
    email = user_service.normalise_email(email)
    now = utcnow()
    # Per address, a refusal (429) reveals nothing about any account.
    throttle.check(
        db,
        kind=AttemptKind.password_reset,
        where=LoginAttempt.address == address[: throttle.ADDRESS_LENGTH],
        limit=settings.PASSWORD_RESET_MAX_PER_ADDRESS,
        now=now,
        message="Too many password reset requests from this address",
        failures_only=False,
    )
    # Per e-mail, quietly: more requests are answered as usual but mail nothing (a stranger
    # cannot flood someone's inbox).
    recent = db.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(
            LoginAttempt.kind == AttemptKind.password_reset,
            LoginAttempt.email == email,
            LoginAttempt.created_at >= now - throttle.window(),
        )
    )
    throttle.record(
        db, kind=AttemptKind.password_reset, email=email, address=address, succeeded=True, now=now
    )
    user = user_service.get_by_email(db=db, email=email)
    if user is None or not user.is_active or (recent or 0) >= settings.PASSWORD_RESET_MAX_PER_EMAIL:
        return
    token = new_opaque_token()
    db.add(
        PasswordResetToken(
            user_id=user.id,
            token_digest=token_digest(token),
            created_at=now,
            expires_at=now + RESET_LIFETIME,
        )
    )
    db.flush()
    account_mail.send_password_reset(db=db, user=user, token=token)


class ResetRejected(InvalidField):
    def __init__(self) -> None:
        super().__init__("token", RESET_INVALID)


def reset_password(*, db: Session, reset_in: ResetPasswordIn) -> User:
    """Set a new password from a reset link: the link is used up, every session of the account is
    signed out (access tokens included), and the user is told by mail."""
    now = utcnow()
    row = db.scalar(
        select(PasswordResetToken)
        .where(PasswordResetToken.token_digest == token_digest(reset_in.token))
        .with_for_update()
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise ResetRejected()
    user = db.get(User, row.user_id)
    if user is None or not user.is_active:
        raise ResetRejected()
    user_service.check_password(reset_in.password, email=user.email)
    user_service.set_password(db=db, user=user, password=reset_in.password)
    # This link and any other still open for the account are spent; a pending invitation too
    # (the password it would have set is now chosen).
    db.execute(
        sql_update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    user.invite_token_digest = None
    user.invite_expires_at = None
    db.flush()
    account_mail.send_password_changed(db=db, user=user, changed_at=now)
    return user
