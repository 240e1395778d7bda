from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JsonDocument, utcnow


class DigestFrequency(StrEnum):
    daily = "daily"  # yesterday, every morning
    weekly = "weekly"  # the previous Monday to Sunday, on a chosen weekday


class NotificationSettings(Base):
    """A user's own switches for mail that is not a digest (one row per user, made when first
    saved; without one, the defaults)."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    # Exception alerts by e-mail (app/alerts reads it); on unless the user switched it off.
    alerts_email: Mapped[bool] = mapped_column(default=True, server_default=true())
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DigestSubscription(Base):
    """One user's daily or weekly digest: when it goes out (a local hour in the organization's
    timezone, and for a weekly one the weekday) and what it holds."""

    __tablename__ = "digest_subscription"
    __table_args__ = (UniqueConstraint("user_id", "frequency"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    frequency: Mapped[DigestFrequency] = mapped_column(
        Enum(DigestFrequency, native_enum=False, length=16, validate_strings=True)
    )
    enabled: Mapped[bool] = mapped_column(default=True)
    local_hour: Mapped[int] = mapped_column(default=7)  # 0-23, the organization's timezone
    weekday: Mapped[int] = mapped_column(default=0)  # 0 Monday .. 6 Sunday (weekly digests)
    metrics: Mapped[list[str]] = mapped_column(JsonDocument)  # catalog metric names, in order
    include_league: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class DigestSend(Base):
    """A digest sent for one period: written in the transaction that queues its mail, and
    unique per subscription and period, so a period's digest goes out once however often the
    schedule runs or however many workers run it at once."""

    __tablename__ = "digest_send"
    __table_args__ = (UniqueConstraint("subscription_id", "period_start"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("digest_subscription.id", ondelete="CASCADE")
    )
    period_start: Mapped[date]
    period_end: Mapped[date]
    mail_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("mail_message.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DigestUnsubscribeToken(Base):
    """The unsubscribe link of one digest mail (scheduled or a preview): a random token, of
    which only the digest is kept, so the table tells nobody a working link. Every link a
    subscription's mails carried keeps working."""

    __tablename__ = "digest_unsubscribe_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("digest_subscription.id", ondelete="CASCADE"), index=True
    )
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
