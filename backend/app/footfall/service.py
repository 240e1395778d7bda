"""Footfall: entering, importing and checking visitor counts per store and local day.

A store-day is *counted* (a whole-day figure, or hourly figures whose sum is the day's figure),
*closed* (no count expected) or *unknown* (no entry at all: never read as 0). Every change is
written to `footfall_audit`.

Reading lives here (for the routers and the reports); the rules are in `app.footfall.rules`, the
writes in `app.footfall.grid`, the CSV import in `app.footfall.importing` and the change trail in
`app.footfall.audit`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial
from typing import Literal, cast

from sqlalchemy import Table, func, select
from sqlalchemy.orm import Session

from app.footfall import estimates as footfall_estimates
from app.footfall.models import FootfallEntry
from app.footfall.rules import (
    UNUSUAL_WEEKS,
    DayKey,
    Key,
    check_range,
    closed_reason,
    unusual_reason,
)
from app.footfall.schemas import FootfallEstimate, FootfallPage, FootfallRead
from app.locations import service as location_service
from app.locations.models import Location
from app.rollups import service as rollup_service
from app.users.models import User

_ENTRY = cast(Table, FootfallEntry.__table__)


@dataclass(frozen=True, slots=True)
class DayFootfall:
    """A store-day's footfall as the reports read it."""

    location_id: int
    date: date
    status: Literal["counted", "closed", "unknown"]
    count: int | None  # the whole-day figure or the sum of the hourly ones; None unless counted
    hourly: bool  # True when the count is a sum of hourly figures


# --- reading ---------------------------------------------------------------------------------


def list_entries(
    *,
    db: Session,
    user: User,
    location_ids: Sequence[int] | None,
    date_from: date,
    date_to: date,
    limit: int,
    offset: int,
) -> FootfallPage:
    """The entries of the locations (default: all the user may see) between two dates, inclusive."""
    check_range(date_from, date_to)
    ids = _readable_ids(db=db, user=user, location_ids=location_ids)
    query = select(FootfallEntry).where(
        FootfallEntry.org_id == user.org_id,
        FootfallEntry.location_id.in_(ids),
        FootfallEntry.entry_date >= date_from,
        FootfallEntry.entry_date <= date_to,
    )
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = db.scalars(
        query.order_by(
            FootfallEntry.entry_date,
            FootfallEntry.location_id,
            func.coalesce(FootfallEntry.hour, -1),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    estimated = footfall_estimates.estimates(
        db=db, org_id=user.org_id, location_ids=ids, date_from=date_from, date_to=date_to
    )
    return FootfallPage(
        items=reads(db=db, org_id=user.org_id, entries=entries),
        total=total,
        limit=limit,
        offset=offset,
        estimates=[
            FootfallEstimate(
                location_id=e.location_id,
                date=e.date,
                estimate=e.count,
                weeks=e.weeks,
                basis=e.basis,
            )
            for _, e in sorted(estimated.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        ],
    )


def day_footfall(
    *,
    db: Session,
    org_id: int,
    location_ids: Iterable[int],
    date_from: date,
    date_to: date,
) -> dict[DayKey, DayFootfall]:
    """Every location x date of the range (inclusive): counted, closed or unknown.

    For the reports: a day with no entry is `unknown` (never 0). Locations of other organizations
    are ignored. Access checks are the caller's.
    """
    ids = sorted(set(location_ids))
    days, _, hourly_days = _series(
        db=db, org_id=org_id, location_ids=ids, date_from=date_from, date_to=date_to
    )
    result: dict[DayKey, DayFootfall] = {}
    for location_id in ids:
        day = date_from
        while day <= date_to:
            key = (location_id, day)
            if key not in days:
                status: Literal["counted", "closed", "unknown"] = "unknown"
                count = None
            else:
                count = days[key]
                status = "closed" if count is None else "counted"
            result[key] = DayFootfall(
                location_id=location_id,
                date=day,
                status=status,
                count=count,
                hourly=key in hourly_days,
            )
            day += timedelta(days=1)
    return result


def days_with_footfall(
    *,
    db: Session,
    org_id: int,
    location_ids: Iterable[int],
    date_from: date,
    date_to: date,
) -> dict[int, set[date]]:
    """Per location, the dates of the range (inclusive) that have a count (closed/unknown excluded).

    Conversion rate and sales per visitor are computed only over days that have both sales and one
    of these; the reports count the days left out.
    """
    ids = sorted(set(location_ids))
    result: dict[int, set[date]] = {i: set() for i in ids}
    if not ids:
        return result
    rows = db.execute(
        select(FootfallEntry.location_id, FootfallEntry.entry_date)
        .where(
            FootfallEntry.org_id == org_id,
            FootfallEntry.location_id.in_(ids),
            FootfallEntry.entry_date >= date_from,
            FootfallEntry.entry_date <= date_to,
            FootfallEntry.closed.is_(False),
        )
        .distinct()
    )
    for location_id, day in rows:
        result[location_id].add(day)
    return result


def day_flags(
    *,
    db: Session,
    org_id: int,
    location_ids: Iterable[int],
    date_from: date,
    date_to: date,
) -> dict[DayKey, str]:
    """Why each questioned store-day of the range (inclusive) is questioned, for the reports:
    the rules of app.footfall.rules for the day as a whole (an hour-counted day by the sum of
    its hours, as the reports count it), and a closed day with sales."""
    ids = set(location_ids)
    if not ids:
        return {}
    _, (days, _, _), transactions = _judged_against(
        db=db, org_id=org_id, location_ids=ids, date_from=date_from, date_to=date_to
    )
    by_date: dict[date, list[int]] = {}
    for (store, day), count in days.items():
        if count is not None and day >= date_from:
            by_date.setdefault(day, []).append(store)
    result: dict[DayKey, str] = {}
    for (location_id, day), count in days.items():
        if location_id not in ids or day < date_from:
            continue
        sold = transactions.get((location_id, day))
        if count is None:
            why = closed_reason(sold)
        else:
            why = unusual_reason(
                days,
                location_id,
                day,
                None,
                count,
                transactions=sold,
                others=partial(_others, days, by_date.get(day, []), location_id, day),
            )
        if why is not None:
            result[(location_id, day)] = why
    return result


def _judged_against(
    *, db: Session, org_id: int, location_ids: Iterable[int], date_from: date, date_to: date
) -> tuple[
    Sequence[int],
    tuple[dict[DayKey, int | None], dict[Key, int], set[DayKey]],
    dict[DayKey, int],
]:
    """What app.footfall.rules weighs the stores' entries of a range against: every store of the
    organization (a new store's count is weighed against the others'), their figures from
    UNUSUAL_WEEKS before the range (`_series`), and the stores' transactions per day."""
    org_stores = db.scalars(select(Location.id).where(Location.org_id == org_id)).all()
    series = _series(
        db=db,
        org_id=org_id,
        location_ids=org_stores,
        date_from=date_from - timedelta(weeks=UNUSUAL_WEEKS),
        date_to=date_to,
    )
    transactions = rollup_service.day_transactions(
        db=db, org_id=org_id, location_ids=location_ids, date_from=date_from, date_to=date_to
    )
    return org_stores, series, transactions


def _others(
    days: Mapping[DayKey, int | None], stores: Sequence[int], location_id: int, day: date
) -> list[int]:
    """The other stores' counts of the day (the chain's check for a store without history)."""
    return [
        figure
        for store in stores
        if store != location_id and (figure := days[(store, day)]) is not None
    ]


def _readable_ids(*, db: Session, user: User, location_ids: Sequence[int] | None) -> list[int]:
    if location_ids:
        return [
            loc.id
            for loc in location_service.check_access(db=db, user=user, location_ids=location_ids)
        ]
    return [loc.id for loc in location_service.list_locations(db=db, user=user)]


def _series(
    *, db: Session, org_id: int, location_ids: Iterable[int], date_from: date, date_to: date
) -> tuple[dict[DayKey, int | None], dict[Key, int], set[DayKey]]:
    """Day figures (None when closed), hourly figures, and the days whose figure sums hours."""
    t = _ENTRY
    rows = db.execute(
        select(t.c.location_id, t.c.entry_date, t.c.hour, t.c.count, t.c.closed).where(
            t.c.org_id == org_id,
            t.c.location_id.in_(sorted(set(location_ids))),
            t.c.entry_date >= date_from,
            t.c.entry_date <= date_to,
        )
    )
    days: dict[DayKey, int | None] = {}
    hours: dict[Key, int] = {}
    hourly_days: set[DayKey] = set()
    for loc, day, hour, count, closed in rows:
        if hour is None:
            days[(loc, day)] = None if closed else count
        else:
            hours[(loc, day, hour)] = count or 0
            hourly_days.add((loc, day))
            days[(loc, day)] = (days.get((loc, day)) or 0) + (count or 0)
    return days, hours, hourly_days


def reads(*, db: Session, org_id: int, entries: Sequence[FootfallEntry]) -> list[FootfallRead]:
    if not entries:
        return []
    org_stores, (days, hours, _), transactions = _judged_against(
        db=db,
        org_id=org_id,
        location_ids={e.location_id for e in entries},
        date_from=min(e.entry_date for e in entries),
        date_to=max(e.entry_date for e in entries),
    )
    user_ids = {e.updated_by_id for e in entries if e.updated_by_id is not None}
    names: dict[int, str] = {}
    if user_ids:
        rows = db.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))
        names = {row[0]: row[1] for row in rows}

    def reason(e: FootfallEntry) -> str | None:
        sold = transactions.get((e.location_id, e.entry_date))
        if e.closed:
            return closed_reason(sold)
        others = [
            count
            for store in org_stores
            if store != e.location_id and (count := days.get((store, e.entry_date))) is not None
        ]
        return unusual_reason(
            days if e.hour is None else hours,
            e.location_id,
            e.entry_date,
            e.hour,
            e.count,
            transactions=sold,
            others=others,
        )

    result = []
    for e in entries:
        why = reason(e)
        result.append(
            FootfallRead(
                id=e.id,
                location_id=e.location_id,
                date=e.entry_date,
                count=e.count,
                hour=e.hour,
                closed=e.closed,
                source=e.source,
                updated_by=e.updated_by_id,
                updated_by_name=names.get(e.updated_by_id) if e.updated_by_id else None,
                updated_at=e.updated_at,
                unusual=why is not None,
                unusual_reason=why,
            )
        )
    return result
