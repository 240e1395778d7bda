"""Footfall estimates: a traded store-day with no entry, from the same weekday of previous weeks.

The rule (FootfallCam's method; ESTIMATES.md beside this module): a store-day is *estimated* when
the store traded that day (a `rollup_day` row with orders > 0) and it has no footfall entry at
all (neither a count nor marked closed). Its estimate is the mean of the whole-day counts (an
hour-counted day: the sum of its hours) of the same weekday in the previous `WEEKS` weeks that
have a count, rounded half up to a whole visitor, from at least `MIN_WEEKS` such weeks; with
fewer the day stays unknown.

One implementation, in SQL for a whole period (`estimated_days`), read by the footfall grid and
the reports (app/reports/estimates.py).

Hours the same way (`estimated_hours`, read by the traffic report): on a store-day counted by the
hour, an hour without a count between two counted hours of the day (a counter's gap) is
estimated when the store's counts had that hour on the same weekday in at least `MIN_WEEKS` of
the previous `WEEKS` weeks, at the mean of those counts, rounded half up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    func,
    literal,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.footfall.models import FootfallEntry
from app.footfall.rules import DayKey
from app.locations.models import Location
from app.rollups.models import RollupDay

WEEKS = 4  # the same weekday of the previous 4 weeks
MIN_WEEKS = 2  # at least 2 of them with a count


@dataclass(frozen=True, slots=True)
class Estimate:
    location_id: int
    date: date
    count: int
    weeks: int  # how many previous same weekdays had a count (MIN_WEEKS..WEEKS)

    @property
    def basis(self) -> str:
        """How it was made, in words: "mean of 3 previous Mondays"."""
        return f"mean of {self.weeks} previous {self.date:%A}s"


def _plus_days(db: Session, day: Any, days: int) -> Any:
    """`day + days` as a date (SQLite: date text, as it stores dates)."""
    if db.get_bind().dialect.name == "postgresql":
        return day + literal(days)
    return func.date(day, f"{days:+d} days")


def _in(db: Session, column: Any, ids: Sequence[int]) -> Any:
    if db.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(list(ids))


def estimated_days(
    db: Session, *, org_id: int, location_ids: Sequence[int], date_from: date, date_to: date
) -> Any:
    """The estimated store-days of the locations and period (inclusive) as a subquery:
    `location_id`, `entry_date`, `n` (the estimate) and `weeks` (the weeks it is the mean of)."""
    fe = FootfallEntry.__table__.c
    # Each counted day of the weeks before the period (an hour-counted day: its hours added).
    counted = (
        select(
            fe.location_id.label("location_id"),
            fe.entry_date.label("entry_date"),
            func.sum(fe["count"]).label("n"),
        )
        .where(
            fe.org_id == org_id,
            _in(db, fe.location_id, location_ids),
            fe.entry_date >= date_from - timedelta(weeks=WEEKS),
            fe.entry_date <= date_to - timedelta(weeks=1),
            fe.closed.is_(False),
            fe["count"].is_not(None),
        )
        .group_by(fe.location_id, fe.entry_date)
        .subquery()
    )
    # Each counted day lands on the same weekday 1..WEEKS weeks later: the days it helps estimate.
    landed = union_all(
        *(
            select(
                counted.c.location_id.label("location_id"),
                _plus_days(db, counted.c.entry_date, 7 * week).label("day"),
                counted.c.n.label("n"),
            )
            for week in range(1, WEEKS + 1)
        )
    ).subquery()
    weeks = func.count()
    means = (
        select(
            landed.c.location_id.label("location_id"),
            landed.c.day.label("day"),
            # PostgreSQL sums integers as NUMERIC: back to whole numbers.
            cast(func.sum(landed.c.n), BigInteger).label("total"),
            weeks.label("weeks"),
        )
        .where(landed.c.day >= date_from, landed.c.day <= date_to)
        .group_by(landed.c.location_id, landed.c.day)
        .having(weeks >= MIN_WEEKS)
        .subquery()
    )
    traded = RollupDay
    entry = FootfallEntry
    # Half up on whole numbers: floor((2·Σ + n) / 2n), in integers on both databases.
    # (`//`: SQLAlchemy's `/` is true division, NUMERIC on PostgreSQL.)
    rounded = cast((2 * means.c.total + means.c.weeks) // (2 * means.c.weeks), Integer)
    return (
        select(
            means.c.location_id.label("location_id"),
            type_coerce(means.c.day, Date).label("entry_date"),
            rounded.label("n"),
            means.c.weeks.label("weeks"),
        )
        .where(
            exists().where(
                traded.location_id == means.c.location_id,
                traded.business_date == means.c.day,
                traded.orders > 0,
            ),
            ~exists().where(
                and_(entry.location_id == means.c.location_id, entry.entry_date == means.c.day)
            ),
        )
        .subquery()
    )


def estimates(
    *, db: Session, org_id: int, location_ids: Sequence[int], date_from: date, date_to: date
) -> dict[DayKey, Estimate]:
    """The estimated store-days of the locations and period (inclusive), by (location, date)."""
    if not location_ids:
        return {}
    days = estimated_days(
        db, org_id=org_id, location_ids=location_ids, date_from=date_from, date_to=date_to
    )
    result: dict[DayKey, Estimate] = {}
    for location_id, day, n, weeks in db.execute(select(days)):
        if isinstance(day, str):
            day = date.fromisoformat(day)
        result[(location_id, day)] = Estimate(location_id, day, int(n), int(weeks))
    return result


def estimated_hours(
    db: Session, *, org_id: int, location_ids: Sequence[int], date_from: date, date_to: date
) -> Any:
    """The estimated store-hours of the locations and period (inclusive) as a subquery:
    `location_id`, `entry_date`, `hour`, `n` (the estimate) and `weeks` (the weeks it is the
    mean of) — the missing hours of the store-days counted by the hour."""
    fe = FootfallEntry.__table__.c
    hourly = [fe.org_id == org_id, _in(db, fe.location_id, location_ids), fe.hour.is_not(None)]
    # Each counted hour lands on the same weekday 1..WEEKS weeks later: the hours it helps
    # estimate.
    landed = union_all(
        *(
            select(
                fe.location_id.label("location_id"),
                _plus_days(db, fe.entry_date, 7 * week).label("day"),
                fe.hour.label("hour"),
                fe["count"].label("n"),
            ).where(
                *hourly,
                fe.entry_date >= date_from - timedelta(weeks=week),
                fe.entry_date <= date_to - timedelta(weeks=week),
                fe["count"].is_not(None),
            )
            for week in range(1, WEEKS + 1)
        )
    ).subquery()
    weeks = func.count()
    means = (
        select(
            landed.c.location_id.label("location_id"),
            landed.c.day.label("day"),
            landed.c.hour.label("hour"),
            cast(func.sum(landed.c.n), BigInteger).label("total"),
            weeks.label("weeks"),
        )
        .group_by(landed.c.location_id, landed.c.day, landed.c.hour)
        .having(weeks >= MIN_WEEKS)
        .subquery()
    )
    entry = FootfallEntry
    store = Location.__table__.c
    rounded = cast((2 * means.c.total + means.c.weeks) // (2 * means.c.weeks), Integer)

    def place(hour: Any) -> Any:
        """An hour's place in the store's business day (0: its start hour)."""
        return (hour + 24 - store.business_day_start_hour) % 24

    def counted(before: bool) -> Any:
        """The day has a count for an hour before (after) this one."""
        return exists().where(
            entry.location_id == means.c.location_id,
            entry.entry_date == means.c.day,
            entry.hour.is_not(None),
            entry.count.is_not(None),
            place(entry.hour) < place(means.c.hour)
            if before
            else place(entry.hour) > place(means.c.hour),
        )

    return (
        select(
            means.c.location_id.label("location_id"),
            type_coerce(means.c.day, Date).label("entry_date"),
            means.c.hour.label("hour"),
            rounded.label("n"),
            means.c.weeks.label("weeks"),
        )
        .select_from(means.join(Location.__table__, store.id == means.c.location_id))
        .where(
            # An hour between two counted hours of its day (the store was open and counting
            # before and after it) ...
            counted(before=True),
            counted(before=False),
            # ... that has no entry.
            ~exists().where(
                entry.location_id == means.c.location_id,
                entry.entry_date == means.c.day,
                entry.hour == means.c.hour,
            ),
        )
        .subquery()
    )
