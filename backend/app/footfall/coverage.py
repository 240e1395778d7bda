"""Footfall coverage: how complete each store's footfall is over a period (GET /locations).

Here rather than in app/locations, which is a lower layer and may not import footfall."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.errors import InvalidField
from app.footfall.models import FootfallEntry
from app.footfall.schemas import FootfallCoverage
from app.locations.models import Location

COVERAGE_DEFAULT_DAYS = 28
COVERAGE_MAX_DAYS = 366


def footfall_coverage(
    *,
    db: Session,
    locations: Sequence[Location],
    date_from: date | None = None,
    date_to: date | None = None,
) -> dict[int, FootfallCoverage]:
    """Per location, how many days of the period have a footfall count, are closed or missing.

    The period defaults to the 28 days up to the store's local yesterday (so each store's own
    timezone decides what "yesterday" is); `date_to` alone ends it there, `date_from` alone runs
    to the store's yesterday. Only the days a store traded are counted: none before its
    `opened_on`, none after its `closed_on` (its last trading day) and none after its local
    today. A day is counted when it has a whole-day count or hourly ones, closed when marked
    closed, and missing otherwise. Three queries in all.
    """
    if date_from is not None and date_to is not None:
        if date_from > date_to:
            raise InvalidField("date_from", "date_from is after date_to", location="query")
        if (date_to - date_from).days >= COVERAGE_MAX_DAYS:
            raise InvalidField(
                "date_to",
                f"The period is longer than {COVERAGE_MAX_DAYS} days: ask for a shorter one",
                location="query",
            )
    periods: dict[int, tuple[date, date, date, date]] = {}  # asked from/to, counted from/to
    for location in locations:
        today = datetime.now(ZoneInfo(location.timezone)).date()
        end = date_to or today - timedelta(days=1)
        start = date_from or end - timedelta(days=COVERAGE_DEFAULT_DAYS - 1)
        first = max(start, location.opened_on) if location.opened_on else start
        last = min(end, today, location.closed_on) if location.closed_on else min(end, today)
        periods[location.id] = (start, end, first, last)
    result: dict[int, FootfallCoverage] = {}
    if not locations:
        return result
    ids = [loc.id for loc in locations]
    counted: dict[int, set[date]] = {i: set() for i in ids}
    closed: dict[int, set[date]] = {i: set() for i in ids}
    rows = db.execute(
        select(FootfallEntry.location_id, FootfallEntry.entry_date, FootfallEntry.closed)
        .where(
            FootfallEntry.location_id.in_(ids),
            FootfallEntry.entry_date >= min(p[2] for p in periods.values()),
            FootfallEntry.entry_date <= max(p[3] for p in periods.values()),
        )
        .distinct()
    )
    for location_id, day, is_closed in rows:
        _, _, first, last = periods[location_id]
        if first <= day <= last:
            (closed if is_closed else counted)[location_id].add(day)
    latest_rows = db.execute(
        select(FootfallEntry.location_id, func.max(FootfallEntry.entry_date))
        .where(FootfallEntry.location_id.in_(ids))
        .group_by(FootfallEntry.location_id)
    )
    latest: dict[int, date] = {row[0]: row[1] for row in latest_rows}
    for location_id, (start, end, first, last) in periods.items():
        days = max(0, (last - first).days + 1)
        result[location_id] = FootfallCoverage(
            date_from=start,
            date_to=end,
            days=days,
            days_counted=len(counted[location_id]),
            days_closed=len(closed[location_id]),
            days_missing=days - len(counted[location_id]) - len(closed[location_id]),
            last_entry_date=latest.get(location_id),
        )
    return result
