from __future__ import annotations

from datetime import timedelta

import jwt
from sqlalchemy import func, select
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import throttle
from app.auth.models import AttemptKind, LoginAttempt, RefreshToken
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Conflict, Forbidden, InvalidField, NotFound
from app.core.security import (
    EMAIL_CHANGE_HOURS,
    create_email_change_token,
    decode_email_change_token,
    hash_password,
    new_opaque_token,
    password_problem,
    token_digest,
    verify_password,
)
from app.mail import account as account_mail
from app.users.models import Role, User
from app.users.schemas import EmailChangeIn, EmailChangeSent, MeUpdate, UserCreate, UserUpdate

INVITE_LIFETIME = timedelta(days=7)
DUPLICATE_EMAIL = "A user with this email already exists"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def get(*, db: Session, org_id: int, user_id: int) -> User:
    """A user of the organization; another organization's user is simply not found."""
    user = db.get(User, user_id)
    if user is None or user.org_id != org_id:
        raise NotFound("user", user_id)
    return user


def get_by_email(*, db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == normalise_email(email)))


def list_users(*, db: Session, org_id: int) -> list[User]:
    """The organization's users, by name."""
    return list(db.scalars(select(User).where(User.org_id == org_id).order_by(User.full_name)))


def check_password(password: str, *, email: str, field: str = "password") -> None:
    problem = password_problem(password, email=email)
    if problem:
        raise InvalidField(field, problem)


def create(
    *, db: Session, org_id: int, user_in: UserCreate, created_by: User | None = None
) -> tuple[User, str | None]:
    """Create a user; without a password, return the one-time invite token too."""
    email = normalise_email(str(user_in.email))
    if created_by is not None and user_in.role == Role.owner and created_by.role != Role.owner:
        raise Forbidden("Only an owner can create another owner")
    if get_by_email(db=db, email=email) is not None:
        raise Conflict(DUPLICATE_EMAIL, field="email")
    invite_token = None
    user = User(org_id=org_id, email=email, full_name=user_in.full_name, role=user_in.role)
    if user_in.password is not None:
        check_password(user_in.password, email=email)
        user.password_hash = hash_password(user_in.password)
    db.add(user)
    try:
        db.flush()
    except IntegrityError as exc:
        # Two sign-ups with one e-mail at once both pass the check above; the unique index
        # stops the second. The request's transaction is rolled back, so nothing is half-written.
        raise Conflict(DUPLICATE_EMAIL, field="email") from exc
    if user_in.password is None:
        invite_token = _invite(db=db, user=user, inviter=created_by)
    return user, invite_token


def _invite(*, db: Session, user: User, inviter: User | None) -> str:
    """A new invitation token (any earlier one stops working), mailed to the user."""
    token = new_opaque_token()
    user.invite_token_digest = token_digest(token)
    user.invite_expires_at = utcnow() + INVITE_LIFETIME
    db.flush()
    db.refresh(user, attribute_names=["organization"])
    account_mail.send_invitation(
        db=db, user=user, token=token, expires_at=user.invite_expires_at, inviter=inviter
    )
    return token


def _pending(*, db: Session, org_id: int, user_id: int) -> User:
    user = get(db=db, org_id=org_id, user_id=user_id)
    if not user.invite_pending:
        raise Conflict("This user has already accepted the invitation", field="user_id")
    return user


def resend_invite(*, db: Session, org_id: int, user_id: int, actor: User) -> tuple[User, str]:
    """Issue a new invitation link to a user who has not accepted yet, and mail it."""
    user = _pending(db=db, org_id=org_id, user_id=user_id)
    if user.role == Role.owner and actor.role != Role.owner:
        raise Forbidden("Only an owner can invite an owner")
    return user, _invite(db=db, user=user, inviter=actor)


def revoke_invite(*, db: Session, org_id: int, user_id: int) -> User:
    """Make a pending invitation's link stop working (it can be sent again later)."""
    user = _pending(db=db, org_id=org_id, user_id=user_id)
    user.invite_token_digest = None
    user.invite_expires_at = None
    db.flush()
    return user


def _active_owner_count(db: Session, org_id: int) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(User)
            .where(User.org_id == org_id, User.role == Role.owner, User.is_active.is_(True))
        )
        or 0
    )


def revoke_refresh_tokens(*, db: Session, user_id: int, keep_session: str | None = None) -> None:
    """Sign a user out everywhere, except the session (refresh-token family) `keep_session`."""
    query = sql_update(RefreshToken).where(
        RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None)
    )
    if keep_session is not None:
        query = query.where(RefreshToken.family_id != keep_session)
    db.execute(query.values(revoked_at=utcnow()))


def set_password(
    *, db: Session, user: User, password: str, keep_session: str | None = None
) -> None:
    """Set a (checked) password and sign out every other session, access tokens included."""
    user.password_hash = hash_password(password)
    # The session making the change stays signed in (its refresh token renews its access token);
    # any other, perhaps the one whose password leaked, is out at once.
    user.token_version += 1
    revoke_refresh_tokens(db=db, user_id=user.id, keep_session=keep_session)
    db.flush()


def update(*, db: Session, org_id: int, user_id: int, user_in: UserUpdate, actor: User) -> User:
    """Change a user's name, role or active flag, keeping at least one active owner."""
    user = get(db=db, org_id=org_id, user_id=user_id)
    changes = user_in.model_dump(exclude_unset=True, exclude_none=True)
    touches_owner = user.role == Role.owner or changes.get("role") == Role.owner
    if touches_owner and actor.role != Role.owner and ("role" in changes or "is_active" in changes):
        raise Forbidden("Only an owner can change an owner's role or access")
    losing_owner = user.role == Role.owner and (
        changes.get("role", Role.owner) != Role.owner or changes.get("is_active") is False
    )
    if losing_owner and user.is_active and _active_owner_count(db, org_id) <= 1:
        field = "role" if "role" in changes else "is_active"
        raise InvalidField(field, "The organization must keep at least one active owner")
    for field, value in changes.items():
        setattr(user, field, value)
    if changes.get("is_active") is False:
        revoke_refresh_tokens(db=db, user_id=user.id)
    db.flush()
    return user


def request_email_change(
    *, db: Session, user: User, change_in: EmailChangeIn, address: str
) -> EmailChangeSent:
    """Mail the new address a link that makes it the sign-in address (valid EMAIL_CHANGE_HOURS,
    once), and the current address a notice; the address changes only when the link is opened,
    so a mistyped address cannot lock anyone out."""
    _check_current_password(db=db, user=user, password=change_in.current_password, address=address)
    new_email = change_in.new_email.lower()
    if new_email == user.email:
        raise InvalidField("new_email", "This is already your sign-in address")
    if db.scalar(select(User.id).where(User.email == new_email)) is not None:
        raise InvalidField("new_email", "Another account signs in with this address")
    token = create_email_change_token(user_id=user.id, old_email=user.email, new_email=new_email)
    account_mail.send_email_change(
        db=db, user=user, new_email=new_email, token=token, hours=EMAIL_CHANGE_HOURS
    )
    account_mail.send_email_change_notice(db=db, user=user, new_email=new_email)
    return EmailChangeSent(pending_email=new_email, expires_in_hours=EMAIL_CHANGE_HOURS)


def confirm_email_change(*, db: Session, token: str) -> User:
    """Make the link's new address the account's sign-in address. A used link (the address is
    no longer the one it moves from), an expired or a forged one is refused, naming `token`."""
    try:
        claims = decode_email_change_token(token)
    except jwt.PyJWTError as exc:
        raise InvalidField(
            "token", "This link is not valid or has expired: ask for a new one on your account page"
        ) from exc
    user = db.get(User, int(claims["sub"]))
    if user is None or not user.is_active or user.email != claims["old"]:
        raise InvalidField(
            "token", "This link was used already, or the account's address has changed since"
        )
    new_email = str(claims["new"])
    if db.scalar(select(User.id).where(User.email == new_email)) is not None:
        raise InvalidField("token", f"Another account signs in with {new_email} now")
    user.email = new_email
    try:
        db.flush()
    except IntegrityError as exc:  # taken between the check and the write
        raise InvalidField("token", f"Another account signs in with {new_email} now") from exc
    return user


class WrongCurrentPassword(InvalidField):
    # The failed attempt must be recorded for the throttle; nothing else is changed by then.
    keep_changes = True

    def __init__(self) -> None:
        super().__init__("current_password", "Current password is incorrect")


def _check_current_password(*, db: Session, user: User, password: str | None, address: str) -> None:
    # Each guess costs an Argon2 hash and, from a stolen session, is a guess at the password:
    # limited per user like sign-ins to an account.
    settings = get_settings()
    now = utcnow()
    throttle.check(
        db,
        kind=AttemptKind.password_change,
        where=LoginAttempt.email == user.email,
        limit=settings.LOGIN_MAX_FAILURES_PER_ACCOUNT,
        now=now,
        message="Too many wrong current passwords",
        reset_by_success=True,
    )
    ok = password is not None and verify_password(password, user.password_hash)
    throttle.record(
        db,
        kind=AttemptKind.password_change,
        email=user.email,
        address=address,
        succeeded=ok,
        now=now,
    )
    if not ok:
        raise WrongCurrentPassword()


def update_me(
    *, db: Session, user: User, me_in: MeUpdate, address: str, session_id: str | None = None
) -> User:
    """Change one's own name or password (the current password is required for the latter);
    a new password signs out every session but `session_id`, the one making the change."""
    if me_in.new_password is not None:
        # Checked before anything changes: a wrong one is committed with its record.
        _check_current_password(db=db, user=user, password=me_in.current_password, address=address)
        check_password(me_in.new_password, email=user.email, field="new_password")
        set_password(db=db, user=user, password=me_in.new_password, keep_session=session_id)
    if me_in.full_name is not None:
        user.full_name = me_in.full_name
    db.flush()
    return user
