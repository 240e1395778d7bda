"""The month cache: day sums already converted, per location x calendar month, for long periods.

A report converts each business day's sums at that day's rate before adding them up, so even
from the day rollups a three-year report of a 50-store chain multiplies 55,000 location-days of
sums by their day's factor (≈ 75 ms of NUMERIC arithmetic on PostgreSQL, whatever the indexes).
Once converted, though, a month's sums are just numbers to add. `MonthDaySums` keeps them: one
row per location x month x reporting currency x rate source, with conversion's inputs and the
month's footfall, made the first time a report needs that month and read by every later report
until something changes it. A three-year summary then reads ~1,750 cached rows plus the days of
its two partial months from the rollups.

Nothing is ever served stale:
- `freshness.touch(db, pairs)` (app/rollups/freshness.py) raises the `MonthVersion` of every
  (location, month) whose rollups or footfall a transaction changes, in that transaction (the
  rollup maintenance of the sync, a rebuild, every footfall write); a cached row counts only
  while its `version` equals the month's current one.
- A cached row is made from a version read *before* the sums are computed: a change committed in
  between leaves a row with newer sums under an older version, which is merely recomputed next
  time, never sums older than their version.
- The rate source is part of the key (`rates_key`): the bundled ECB history's own date, or for
  the exchange-rate API the epoch its cache is at (`RatesEpoch`, raised by every rate write,
  which deletes the sums converted with the older rates: app/fx/epoch.py `on_rates_written`).

The organization's day cache (`OrgDaySums`) does the same per business date for reports on every
store of an organization: one row per date with every store's converted sums added up, and the
date's metrics as the API shows them, so a three-year day series returns 1,096 stored points and
a three-year summary adds up 1,096 rows in one statement. A row counts while its `version` equals
the sum of its month's `MonthVersion`s over the organization's locations (read in the same
statement), so the same writes that retire a location's month retire the organization's days.

PostgreSQL only: SQLite (the embedded mode, small accounts) converts from the rollups each time,
as it would not gain from a cache and would take write locks on reads.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.fx import epoch as fx_epoch
from app.reports.models import CACHED_SUMS
from app.rollups import freshness
from app.rollups.freshness import month_of

MIN_FULL_MONTHS = 2  # shorter periods read the rollups directly


def next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def full_months(date_from: date, date_to: date) -> list[date]:
    """The calendar months lying wholly inside [date_from, date_to]."""
    first = month_of(date_from) if date_from.day == 1 else next_month(date_from)
    months = []
    while next_month(first) - timedelta(days=1) <= date_to:
        months.append(first)
        first = next_month(first)
    return months


def enabled(db: Session) -> bool:
    # Only where the month versions the cached rows are checked against are kept (PostgreSQL).
    return freshness.tracked(db)


@fx_epoch.on_rates_written
def _delete_converted_sums(db: Session, source: str) -> None:
    """Delete every sum converted with this rate source's earlier rates, which its raised epoch
    retires (the daily fetch would otherwise leave a copy of the cache behind every day)."""
    for model in CACHED_SUMS:
        for prefix in (f"{source}:", f"posted:{source}:"):  # the keys of app/reports/engine.py
            db.execute(delete(model).where(model.rates_key.startswith(prefix, autoescape=True)))


__all__ = [
    "MIN_FULL_MONTHS",
    "enabled",
    "full_months",
    "month_of",
    "next_month",
]
