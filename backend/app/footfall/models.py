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
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
