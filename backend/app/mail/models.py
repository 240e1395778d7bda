from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class MailKind(StrEnum):
    invitation = "invitation"
    password_reset = "password_reset"  # noqa: S105
    password_changed = "password_changed"  # noqa: S105
    alert = "alert"  # an exception alert (app/alerts)
    email_change = "email_change"  # the confirmation link, to the new address
    email_change_notice = "email_change_notice"  # the heads-up, to the old address
    digest = "digest"  # a scheduled daily or weekly digest (app/notifications)


class MailState(StrEnum):
    queued = "queued"  # waiting for its first or next attempt
    sent = "sent"  # accepted by the SMTP server
    failed = "failed"  # MAIL_MAX_ATTEMPTS attempts failed, or the address was refused


class MailMessage(Base):
    """One e-mail, from the moment it is queued until the SMTP server accepts it (or gives up).

    The bodies may carry a one-time link (an invitation, a password reset), and the extra
    headers a digest's unsubscribe link, so they are kept encrypted (ENCRYPTION_KEY) and erased
    once the message is sent or has failed for good.
    """

    __tablename__ = "mail_message"
    __table_args__ = (Index("ix_mail_message_state_next_attempt_at", "state", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for mail not tied to an organization (none yet; digests and alerts will be).
    org_id: Mapped[int | None] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(255))
    kind: Mapped[MailKind] = mapped_column(
        Enum(MailKind, native_enum=False, length=32, validate_strings=True)
    )
    state: Mapped[MailState] = mapped_column(
        Enum(MailState, native_enum=False, length=16, validate_strings=True),
        default=MailState.queued,
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The RFC 5322 Message-ID, the same on every attempt: a receiver can tell a repeat.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    text_body: Mapped[str | None] = mapped_column(Text)  # encrypted; None once sent or failed
    html_body: Mapped[str | None] = mapped_column(Text)  # encrypted; None once sent or failed
    # Extra headers (List-Unsubscribe...) as encrypted JSON; None without, or once sent or failed.
    extra_headers: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    next_attempt_at: Mapped[datetime | None]
    # A worker sending the message holds it until then, so two deliveries cannot overlap.
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
