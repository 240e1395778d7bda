"""Footfall rules: which days may be written, how a day is shaped, and which counts are unusual.

The "unusual value" rule (`unusual` in responses, `DayFootfall.unusual`): a count is unusual when it
is more than 3x, or less than a third of, the median of the same store's counts on the same weekday
(and, for an hourly figure, the same hour) over the 8 weeks before it. Only weeks with a count take
part (closed and unknown days are left out) and at least 3 are needed; with a median of 0 nothing is
flagged.
"""

from __future__ import annotations

import statistics
from collections.abc import Container, Mapping
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.core.errors import InvalidField
from app.locations.models import Location

UNUSUAL_FACTOR = 3
UNUSUAL_WEEKS = 8
UNUSUAL_MIN_WEEKS = 3
MAX_RANGE_DAYS = 366

Key = tuple[int, date, int | None]  # location id, local date, hour (None: the whole day)
DayKey = tuple[int, date]
Stored = tuple[int, int | None, bool]  # existing entry: id, count, closed


def local_today(location: Location) -> date:
    """Today's date in the store's own timezone."""
    return datetime.now(ZoneInfo(location.timezone)).date()


def day_problem(location: Location, day: date, today: date) -> str | None:
    if day > today:
        return (
            f"{day.isoformat()} is in the future (today is {today.isoformat()} "
            f"in {location.name}'s timezone, {location.timezone})"
        )
    if location.opened_on is not None and day < location.opened_on:
        return (
            f"{day.isoformat()} is before {location.name} opened ({location.opened_on.isoformat()})"
        )
    if location.closed_on is not None and day > location.closed_on:
        return (
            f"{day.isoformat()} is after {location.name} closed (its last trading day was "
            f"{location.closed_on.isoformat()})"
        )
    return None


def check_count_closed(count: int | None, closed: bool, hour: int | None, *, prefix: str) -> None:
    if closed and count is not None:
        raise InvalidField(f"{prefix}count", "A closed day has no count: leave count out")
    if closed and hour is not None:
        raise InvalidField(f"{prefix}hour", "Only a whole day can be closed, not an hour")
    if not closed and count is None:
        raise InvalidField(f"{prefix}count", "count is required unless the day is closed")


def check_range(date_from: date, date_to: date) -> None:
    if date_from > date_to:
        raise InvalidField("date_from", "date_from is after date_to", location="query")
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise InvalidField(
            "date_to", f"The range is longer than {MAX_RANGE_DAYS} days", location="query"
        )


def shape_clash(existing: Container[Key], key: Key, location: Location) -> str | None:
    """Why `key` cannot sit beside the existing entries of its day (whole-day vs hourly)."""
    loc_id, day, hour = key
    when = f"{location.name} on {day.isoformat()}"
    if hour is None:
        if any((loc_id, day, h) in existing for h in range(24)):
            return (
                f"{when} already has hourly counts; a day has either one whole-day figure "
                "or hourly figures (delete the hourly ones first)"
            )
    elif (loc_id, day, None) in existing:
        return (
            f"{when} already has a whole-day entry; a day has either one whole-day figure or "
            "hourly figures (delete the whole-day entry first)"
        )
    return None


def is_unusual(
    series: Mapping[Any, int | None],
    location_id: int,
    day: date,
    hour: int | None,
    value: int | None,
) -> bool:
    if value is None:
        return False
    past: list[int] = []
    for weeks in range(1, UNUSUAL_WEEKS + 1):
        earlier = day - timedelta(weeks=weeks)
        figure = series.get(
            (location_id, earlier) if hour is None else (location_id, earlier, hour)
        )
        if figure is not None:
            past.append(figure)
    if len(past) < UNUSUAL_MIN_WEEKS:
        return False
    median = statistics.median(past)
    if median <= 0:
        return False
    return value > UNUSUAL_FACTOR * median or value * UNUSUAL_FACTOR < median
