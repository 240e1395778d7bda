"""How fresh each (location, calendar month) of rollups and footfall is: `MonthVersion`.

Every transaction that changes a month's rollups (the sync's page writer, a refresh, a rebuild)
or its footfall raises the month's version in that same transaction (`touch`). Whatever is
computed from a month and kept for later (the reports' converted caches) records the version it
was made at and counts only while that is still the month's current version, so nothing made
before a change is served after it, and this module needs to know nothing about those readers.

Only on PostgreSQL: the embedded SQLite mode keeps no computed months, so it keeps no versions.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from app.locations.models import Location
from app.rollups.models import MonthVersion, RollupDay, RollupOrgLine
from app.sales.models import SaleOrder, SaleRefund


def month_of(day: date) -> date:
    return day.replace(day=1)


def tracked(db: Session) -> bool:
    """Whether months are versioned on this database (PostgreSQL)."""
    return db.get_bind().dialect.name == "postgresql"


def touch(db: Session, pairs: Iterable[tuple[int, date | None]]) -> None:
    """Retire what was computed from the months of these (location, business date) pairs, in
    the caller's transaction (keys in order, so concurrent writers queue rather than deadlock)."""
    if not tracked(db):
        return
    keys = sorted({(location_id, month_of(day)) for location_id, day in pairs if day is not None})
    for start in range(0, len(keys), 1000):
        chunk = keys[start : start + 1000]
        statement = postgresql_insert(MonthVersion).values(
            [{"location_id": loc, "month": month, "version": 1} for loc, month in chunk]
        )
        db.execute(
            statement.on_conflict_do_update(
                index_elements=["location_id", "month"],
                set_={"version": MonthVersion.version + 1},
            )
        )


def touch_organization(db: Session, org_id: int) -> None:
    """Retire everything computed from the organization's rollups, as a recompute of all of them
    requires: raise the version of every month, at each of its locations, that holds rollup rows
    now or can hold them after the recompute (a date of its orders or refunds)."""
    if not tracked(db):
        return
    dates: set[date] = set()
    for day, org in (
        (RollupDay.business_date, RollupDay.org_id),
        (RollupOrgLine.business_date, RollupOrgLine.org_id),
        (SaleOrder.business_date, SaleOrder.org_id),
        (SaleRefund.business_date, SaleRefund.org_id),
    ):
        dates.update(db.scalars(select(day).where(org == org_id, day.is_not(None)).distinct()))
    months = sorted({month_of(day) for day in dates})
    # Every location, with rows in the month or not: the organization-wide lines have no
    # location, and what is computed for the whole organization counts while the sum of its
    # locations' versions stays the same (any one of them moves it).
    locations = db.scalars(select(Location.id).where(Location.org_id == org_id))
    touch(db, [(location_id, month) for location_id in locations for month in months])


__all__ = ["month_of", "touch", "touch_organization", "tracked"]
