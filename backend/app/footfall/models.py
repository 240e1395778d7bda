"""Visitor counts per store and day (optionally per hour), and the trail of every change to them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class FootfallEntry(Base):
    """One count: a whole local day (`hour` null) or one hour of it; a day with no row is unknown.

    A day holds either one daily row (a count, or `closed` with no count) or hourly rows, whose sum
    is the day's figure; the service keeps the two from mixing.
    """

    __tablename__ = "footfall_entry"
    __table_args__ = (
        # Also the index every read goes through (location, then dates). Hourly rows are unique
        # by it; daily rows (hour NULL, and NULLs are distinct) by the partial index below.
        UniqueConstraint("location_id", "entry_date", "hour"),
        Index(
            "uq_footfall_entry_day",
            "location_id",
            "entry_date",
            unique=True,
            sqlite_where=text("hour IS NULL"),
            postgresql_where=text("hour IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A copy of the location's organization (the location carries the foreign key), so tenant
    # filters need no join. No foreign key or index of its own: each would cost a check per row of
    # a 876,000-row import, and every query also names the locations, whose index serves it.
    org_id: Mapped[int]
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    entry_date: Mapped[date]  # the store's local business date
    hour: Mapped[int | None]  # 0-23 local clock hour; None for a whole-day figure
    count: Mapped[int | None]  # None only when closed
    closed: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(16))  # manual, import, api
    # A user id without a foreign key, like footfall_audit.changed_by_id: users are deactivated,
    # never deleted, and the check would cost time on every row of a large import.
    updated_by_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FootfallAudit(Base):
    """Who changed a count, when, and from what to what (a row per create, update, delete)."""

    __tablename__ = "footfall_audit"
    __table_args__ = (
        Index("ix_footfall_audit_location_day", "location_id", "entry_date"),
        Index("ix_footfall_audit_org_changed", "org_id", "changed_at"),  # the newest-first list
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int]  # the location's, as in footfall_entry
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    entry_date: Mapped[date]
    hour: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(8))  # create, update, delete
    old_count: Mapped[int | None]
    old_closed: Mapped[bool | None]
    new_count: Mapped[int | None]
    new_closed: Mapped[bool | None]
    source: Mapped[str] = mapped_column(String(16))  # manual, import, api
    # No foreign key: the trail keeps who did it as written (users are deactivated, not deleted),
    # and an import writes one audit row per entry, where each check would cost time.
    changed_by_id: Mapped[int | None]
    # The API key (api_key.id) that wrote it, for counts from the counter intake (source api);
    # no foreign key, like changed_by_id: the trail outlives what it names.
    api_key_id: Mapped[int | None]
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)


class FootfallCount(Base):
    """A people counter's raw figure for one interval, as received by POST /footfall/counts.

    Kept as sent (one row per location, start, interval and direction; the same interval sent
    again replaces its row), and rolled up into `footfall_entry` by app/footfall/counters.py.
    """

    __tablename__ = "footfall_count"
    __table_args__ = (
        # Named: the convention's name would pass PostgreSQL's 63 characters.
        UniqueConstraint(
            "location_id",
            "start_at",
            "interval_minutes",
            "direction",
            name="uq_footfall_count_interval",
        ),
        # The roll-up reads a store's business days.
        Index("ix_footfall_count_location_day", "location_id", "business_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int]  # the location's, as in footfall_entry
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    start_at: Mapped[datetime]  # UTC
    interval_minutes: Mapped[int]  # 15, 60 or 1440 (a business day)
    direction: Mapped[str] = mapped_column(String(3))  # in, out
    business_date: Mapped[date]  # the store's business date the interval belongs to
    hour: Mapped[int | None]  # its local clock hour; None for a whole day
    count: Mapped[int]
    api_key_id: Mapped[int | None]  # the key that last sent it (no foreign key: see above)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class FootfallCounter(Base):
    """A counter's own id (as its vendor names it) mapped to a store: it can send counts by it."""

    __tablename__ = "footfall_counter"
    __table_args__ = (UniqueConstraint("org_id", "counter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), index=True
    )
    counter_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
