"""Footfall rules: which days may be written, how a day is shaped, and which counts are unusual.

A count is questioned (`unusual` and `unusual_reason` in responses; `unusual_reason`) when:

1. a whole day has fewer visitors than transactions (every sale needs a visitor: impossible);
2. against the store's own history: it is more than 3x, or less than a third of, the median of
   the same store's counts on the same weekday (and, for an hourly figure, the same hour) over the
   8 weeks before it. Only weeks with a count take part (closed and unknown days are left out)
   and at least 3 are needed; with a median of 0 nothing is flagged, nor an hour whose median is
   under 20 (so few people swing widely on their own);
3. a whole day without that history (a new store, or counts just started): against the chain,
   more than 5x or less than a fifth of the median of the other stores' counts that day (at
   least 2 of them); without those either, against its sales, more than 50 visitors per
   transaction (a conversion under 2 %).

A day marked closed on which the store took sales is questioned as well. Questioned counts are
kept (a 17,000 may be a real event day): the grid shows why, and the person who typed it sees
it at once.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Container, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.core.errors import InvalidField
from app.locations.models import Location

UNUSUAL_FACTOR = 3
UNUSUAL_WEEKS = 8
UNUSUAL_MIN_WEEKS = 3
# Without the store's own history: against the chain's other stores that day (stores differ in
# size more than a store's weeks differ), or against the day's transactions.
# An hour whose usual count is this small swings by more than 3x on its own (2 people, then 9).
UNUSUAL_MIN_HOURLY = 20
CHAIN_FACTOR = 5
CHAIN_MIN_STORES = 2
MAX_VISITORS_PER_TRANSACTION = 50
MAX_RANGE_DAYS = 366
_WEEKS_BACK = tuple(timedelta(weeks=weeks) for weeks in range(1, UNUSUAL_WEEKS + 1))

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


def unusual_reason(
    series: Mapping[Any, int | None],
    location_id: int,
    day: date,
    hour: int | None,
    value: int | None,
    *,
    transactions: int | None = None,
    others: Sequence[int] | Callable[[], Sequence[int]] = (),
) -> str | None:
    """Why a count is questioned (the module's rules), or None. `transactions`: the store's
    transactions that day; `others`: the other stores' whole-day counts that day, or what makes
    them (asked for only when the store's own history is too short: a report judging thousands
    of store-days makes them for the few that need them)."""
    if value is None:
        return None
    if hour is None and transactions and value < transactions:
        return (
            f"Fewer visitors ({value:,}) than transactions ({transactions:,}) that day: every "
            "sale needs a visitor"
        )
    past: list[int] = []
    for back in _WEEKS_BACK:
        earlier = day - back
        figure = series.get(
            (location_id, earlier) if hour is None else (location_id, earlier, hour)
        )
        if figure is not None:
            past.append(figure)
    if len(past) >= UNUSUAL_MIN_WEEKS:
        median = statistics.median(past)
        if median <= 0 or (hour is not None and median < UNUSUAL_MIN_HOURLY):
            return None
        weekday = f"{day:%A}" + ("" if hour is None else f" {hour:02d}:00")
        if value > UNUSUAL_FACTOR * median:
            return f"More than {UNUSUAL_FACTOR}x a usual {weekday} here ({median:,.0f})"
        if value * UNUSUAL_FACTOR < median:
            return f"Less than a third of a usual {weekday} here ({median:,.0f})"
        return None
    if hour is not None:
        return None
    if callable(others):
        others = others()
    if len(others) >= CHAIN_MIN_STORES:
        median = statistics.median(others)
        if median > 0 and value > CHAIN_FACTOR * median:
            return f"More than {CHAIN_FACTOR}x the other stores' median that day ({median:,.0f})"
        if median > 0 and value * CHAIN_FACTOR < median:
            return f"Less than a fifth of the other stores' median that day ({median:,.0f})"
        return None
    if transactions and value > MAX_VISITORS_PER_TRANSACTION * transactions:
        return (
            f"{value:,} visitors for {transactions:,} transactions would be a conversion under "
            f"{100 // MAX_VISITORS_PER_TRANSACTION} %"
        )
    return None


def closed_reason(transactions: int | None) -> str | None:
    """Why a day marked closed is questioned: the store took sales on it."""
    if not transactions:
        return None
    taken = "sales were" if transactions != 1 else "sale was"
    return f"Marked closed, but {transactions:,} {taken} taken that day"
