from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base, utcnow


class Location(Base):
    """A store: Square locations become these through the sync; its timezone sets business days."""

    __tablename__ = "location"
    __table_args__ = (UniqueConstraint("org_id", "square_location_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    square_location_id: Mapped[str | None] = mapped_column(String(64))
    connection_id: Mapped[int | None] = mapped_column(
        ForeignKey("square_connection.id", ondelete="SET NULL"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    timezone: Mapped[str] = mapped_column(String(64))  # IANA, from Square's Location.timezone
    currency: Mapped[str] = mapped_column(String(3))  # ISO 4217, from Square's Location.currency
    country: Mapped[str | None] = mapped_column(String(2))
    status: Mapped[str] = mapped_column(String(16), default="ACTIVE")  # Square: ACTIVE / INACTIVE
    # Our setting, not Square's: a bar open until 03:00 sets 4 so that 01:30 is still "yesterday".
    business_day_start_hour: Mapped[int] = mapped_column(default=0)
    opened_on: Mapped[date | None]  # the first trading day (footfall before it is refused)
    closed_on: Mapped[date | None]  # the last trading day, for a store that has closed
    # Its area or region (LocationGroup): at most one, so a by-group breakdown's rows add up to
    # the total. No foreign key: SQLite can neither add nor drop one on `location` in place, and
    # rebuilding `location` would cascade to its orders; the service checks the group is the
    # organization's and ungroups a deleted group's stores.
    group_id: Mapped[int | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # The latest re-dating of its stored sales (app/locations/recalculation.py), if any.
    recalculation: Mapped[LocationRecalculation | None] = relationship(
        back_populates="location", uselist=False, passive_deletes=True
    )


class LocationGroup(Base):
    """A group of stores (an area, a region) that a chain reports by, e.g. per area manager."""

    __tablename__ = "location_group"
    # Unique per organization whatever the case and spaces: "North" and " north " are one area.
    __table_args__ = (UniqueConstraint("org_id", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    name_key: Mapped[str] = mapped_column(String(120))  # name trimmed and case-folded
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class RecalculationState(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class LocationRecalculation(Base):
    """The latest re-dating of a location's stored sales after a setting that dates them changed
    (app/locations/recalculation.py): one row per location, reused by every later change."""

    __tablename__ = "location_recalculation"

    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), primary_key=True
    )
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    # Raised by every change: a job works only while it holds the latest, so the last change
    # made is the one applied, however the jobs of earlier ones interleave with it.
    generation: Mapped[int] = mapped_column(default=1)
    reason: Mapped[str] = mapped_column(String(255))  # what changed, as the web app shows it
    state: Mapped[RecalculationState] = mapped_column(
        Enum(RecalculationState, native_enum=False, length=16, validate_strings=True),
        default=RecalculationState.queued,
    )
    done: Mapped[int] = mapped_column(default=0)  # orders re-dated so far
    total: Mapped[int] = mapped_column(default=0)  # orders of the location when the job started
    after_order_id: Mapped[int] = mapped_column(default=0)  # the cursor: orders above it are left
    error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    location: Mapped[Location] = relationship(back_populates="recalculation")


class UserLocation(Base):
    """A manager's grant: the locations a `manager` may see and write."""

    __tablename__ = "user_location"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True
    )
    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), primary_key=True, index=True
    )
