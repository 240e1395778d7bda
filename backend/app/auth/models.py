from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class RefreshToken(Base):
    """One refresh token of a rotation family; a login starts a family, each refresh extends it.

    Presenting a token that was already rotated means it was stolen or replayed: the whole family
    is revoked (OAuth 2.0 Security BCP, refresh token rotation).
    """

    __tablename__ = "refresh_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    family_id: Mapped[str] = mapped_column(String(32), index=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    rotated_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AttemptKind(StrEnum):
    login = "login"
    password_change = "password_change"  # noqa: S105  (PATCH /users/me, current password)
    register = "register"
    password_reset = "password_reset"  # noqa: S105  (POST /auth/forgot-password)


class KnownDevice(Base):
    """A browser that has signed in to the account before (OWASP's device cookie).

    Its cookie lets the owner past the account's failure limit, so that strangers' wrong
    passwords throttle the account for everyone else but do not lock its owner out.
    """

    __tablename__ = "known_device"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


class LoginAttempt(Base):
    """Attempts at something that costs a password hash (sign-in, password change, sign-up),
    kept for throttling by account, by address and by known device."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_email_created_at", "email", "created_at"),
        Index("ix_login_attempt_address_created_at", "address", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AttemptKind] = mapped_column(
        Enum(AttemptKind, native_enum=False, length=16, validate_strings=True),
        default=AttemptKind.login,
        server_default=AttemptKind.login.value,
    )
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))
    # Set when a sign-in carried a valid known-device cookie: those failures count per device.
    known_device_id: Mapped[int | None] = mapped_column(
        ForeignKey("known_device.id", ondelete="SET NULL")
    )
    succeeded: Mapped[bool]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PasswordResetToken(Base):
    """A single-use password reset link, valid for an hour; only its digest is kept."""

    __tablename__ = "password_reset_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
