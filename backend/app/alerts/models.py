"""Tables of the alerts domain.

`AlertSettings`: an organization's quiet hours. `AlertRule`: a rule's switch and parameters for
the organization (`location_id` null) or one store (overriding the organization's rule of the
same kind there); a kind with no row has the defaults of app/alerts/rules.py.
`AlertOccurrence`: one occurrence of an alert, recorded once (`occurrence_key` is unique per
organization and kind) and mailed once.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class AlertKind(StrEnum):
    sales_low = "sales_low"
    sales_high = "sales_high"
    transactions_low = "transactions_low"
    transactions_high = "transactions_high"
    conversion_low = "conversion_low"
    footfall_missing = "footfall_missing"
    square_connection = "square_connection"
    rates_stale = "rates_stale"


def _kind_column() -> Enum:
    return Enum(AlertKind, native_enum=False, length=32, validate_strings=True)


class AlertSettings(Base):
    """An organization's quiet hours (local clock hours in each store's timezone)."""

    __tablename__ = "alert_settings"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    quiet_hours_enabled: Mapped[bool] = mapped_column(default=True)
    quiet_from_hour: Mapped[int] = mapped_column(default=21)  # quiet from 21:00 ...
    quiet_to_hour: Mapped[int] = mapped_column(default=7)  # ... until 07:00
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertRule(Base):
    """A rule of the organization (`location_id` null) or a store's override of it."""

    __tablename__ = "alert_rule"
    # Unique per organization, kind and scope: `scope` is "org" or the store's id as text (a
    # NULL location would not be unique in SQL).
    __table_args__ = (UniqueConstraint("org_id", "kind", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[str] = mapped_column(String(16))
    kind: Mapped[AlertKind] = mapped_column(_kind_column())
    enabled: Mapped[bool] = mapped_column(default=True)
    threshold_percent: Mapped[int | None]  # sales/transactions: the distance from the usual
    weeks: Mapped[int | None]  # sales/transactions: the weeks the usual is the mean of
    by_hour: Mapped[int | None]  # sales/transactions: judge the day so far at this local hour
    floor_percent: Mapped[int | None]  # conversion_low: the floor, in percent
    at_hour: Mapped[int | None]  # footfall_missing: the local hour yesterday's count is due
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class AlertOccurrence(Base):
    """One occurrence of an alert: found, mailed (after quiet hours), closed once resolved."""

    __tablename__ = "alert_occurrence"
    __table_args__ = (
        UniqueConstraint("org_id", "kind", "occurrence_key"),
        Index("ix_alert_occurrence_org_id_found_at", "org_id", "found_at"),
        Index("ix_alert_occurrence_mail_due", "mailed_at", "mail_due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    kind: Mapped[AlertKind] = mapped_column(_kind_column())
    # What makes it one occurrence: "<location id>:<business date>" for a store's day,
    # "<connection id>:<n>" for a connection's n-th incident, "<n>" for the rates' n-th.
    occurrence_key: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[int | None] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("square_connection.id", ondelete="CASCADE"), index=True
    )
    business_date: Mapped[date | None]
    summary: Mapped[str] = mapped_column(String(255))  # the mail's subject
    detail: Mapped[str] = mapped_column(Text)
    link_path: Mapped[str] = mapped_column(String(255))  # where in the app to look
    found_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    # Held in quiet hours until then; mailed_at is set when its mails are queued (once).
    mail_due_at: Mapped[datetime]
    mailed_at: Mapped[datetime | None]
    recipients: Mapped[int] = mapped_column(default=0)
