"""Reports' day reads through the month cache and the organization's day cache.

Long periods on PostgreSQL read their whole calendar months already converted from the month
cache (app/reports/cache.py: per location x month) and only the days of the partial months at
either end from the rollups: a three-year summary, breakdown by store or month series adds up a
few thousand cached rows instead of converting tens of thousands of location-days. The month
cache is read in app/reports/month_cache.py; the organization's day cache here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import case, func, literal, literal_column, select
from sqlalchemy.orm import Session

from app.fx.converter import Converter
from app.locations.models import Location
from app.reports import cache as report_cache
from app.reports import estimates
from app.reports import metrics as m
from app.reports.engine import (
    DayDim,
    KeyedValues,
    _among,
    _cache_key,
    _day_sums,
    _day_values,
    _every_location,
    _month,
    _shifted,
    _Window,
    _windows,
)
from app.reports.models import MONTH_FOOTFALL, MONTH_SALES, OrgDaySums
from app.reports.month_cache import _add_into, _by_month, _day_values_by_month, _store_sums
from app.reports.request import ReportRequest
from app.rollups.models import MonthVersion, RollupDay


# --- the organization's day cache (app/reports/cache.py) ----------------------------------------
def _by_org_day(db: Session, keys: Sequence[DayDim], window: _Window, every: bool) -> bool:
    """Whether a day read can come from the organization's day cache: PostgreSQL, every store
    of the organization (`every`), no like-for-like, answers per date, per month or in total.
    A constant-currency comparison's days are kept apart, under their converter's key."""
    return (
        every
        and report_cache.enabled(db)
        and window.lfl_shift is None
        and set(keys) <= {"date", "month"}
    )


def _org_versions(org_id: int, first: date, last: date) -> Any:
    """The organization's version of each month from `first` to `last` (months never changed
    have no row: 0)."""
    v = MonthVersion
    return (
        select(v.month.label("month"), func.sum(v.version).label("version"))
        .join(Location, Location.id == v.location_id)
        .where(Location.org_id == org_id, v.month >= first, v.month <= last)
        .group_by(v.month)
        .subquery()
    )


def _org_days(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    window: _Window,
    *,
    per_date: bool,
    shown: bool,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The window's days of every store of the organization from `OrgDaySums`, per (month, date)
    or added up per (month,): their sums (`MONTH_SALES`, `MONTH_FOOTFALL`), or per date their
    presented metrics (`shown`). One statement reads the up-to-date rows; the months with a day
    missing or out of date are computed from the rollups and stored first (their values are
    then per (month, date) whatever `per_date` says). Names the rates of the days converted."""
    c = OrgDaySums
    rates_key, target = _cache_key(conv), conv.target
    versions = _org_versions(
        req.org_id, report_cache.month_of(window.date_from), report_cache.month_of(window.date_to)
    )
    month = _month(c.business_date)
    day_text = func.to_char(c.business_date, literal_column("'YYYY-MM-DD'"))
    converted = case((c.converted != "", day_text + "=" + c.converted))
    names = ["shown"] if shown else [*MONTH_SALES, *MONTH_FOOTFALL]
    columns: list[Any]
    if per_date:  # the rows as stored
        columns = [
            month,
            c.business_date,
            literal(1),
            converted,
            *(c.__table__.c[n] for n in names),
        ]
    else:
        columns = [
            month,
            func.count(),
            func.string_agg(converted, literal_column("';'")),
            *(func.sum(c.__table__.c[n]) for n in names),
        ]
    # A row counts only at its month's current version: the versions and the rows are read in
    # one statement (one snapshot).
    statement = (
        select(*columns)
        .select_from(c)
        .outerjoin(versions, versions.c.month == month)
        .where(
            c.org_id == req.org_id,
            c.target == target,
            c.rates_key == rates_key,
            *window.within(c.business_date),
            c.version == func.coalesce(versions.c.version, 0),
        )
    )
    rows = db.execute(statement if per_date else statement.group_by(month)).all()
    n_key = 2 if per_date else 1
    expected: dict[date, int] = defaultdict(int)
    for day in window.days():
        expected[report_cache.month_of(day)] += 1
    found: dict[date, int] = defaultdict(int)
    for row in rows:
        found[row[0]] += row[n_key]
    stale = sorted(month for month, n in expected.items() if found.get(month) != n)
    fresh = set(expected) - set(stale)
    days: dict[tuple[Any, ...], dict[str, Any]] = {}
    named: list[str] = []
    for row in rows:
        if row[0] in fresh:
            if row[n_key + 1]:
                named.append(row[n_key + 1])
            # NOT NULL columns and sums over at least one row: no None to guard against.
            days[tuple(row[:n_key])] = dict(zip(names, row[n_key + 2 :], strict=True))
    # Each run of consecutive months to make is read from the rollups in one go.
    runs: list[list[date]] = []
    for month_start in stale:
        if runs and report_cache.next_month(runs[-1][-1]) == month_start:
            runs[-1].append(month_start)
        else:
            runs.append([month_start])
    for run in runs:
        for day, values in _fill_org_days(db, req, conv, window, run, rates_key).items():
            days[(report_cache.month_of(day), day)] = values
    # Names the rates, as a read from the rollups does.
    noted: dict[str, list[date]] = defaultdict(list)
    for part in named:
        for entry in part.split(";"):
            day_iso, currencies = entry.split("=")
            day = date.fromisoformat(day_iso)
            for currency in currencies.split(","):
                noted[currency].append(day)
    for currency, on in noted.items():
        conv.note(currency, on)
    return days


def _org_day_values(
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayDim], window: _Window
) -> tuple[KeyedValues, KeyedValues]:
    """`_day_values` of every store of the organization, from `OrgDaySums`."""
    days = _org_days(db, req, conv, window, per_date="date" in keys, shown=False)
    index = {"month": 0, "date": 1}
    sales: KeyedValues = {}
    footfall: KeyedValues = {}
    for key, values in days.items():
        wanted = tuple(key[index[k]] for k in keys)
        if values["rollup_days"]:
            _add_into(sales, {wanted: {n: values[n] for n in MONTH_SALES}})
        if values["footfall_days"]:
            _add_into(footfall, {wanted: {n: values[n] for n in MONTH_FOOTFALL}})
    return sales, footfall


def _org_day_shown(
    db: Session, req: ReportRequest, conv: Converter, window: _Window
) -> dict[date, dict[str, Any]]:
    """Every store's metrics per date of the window as the API shows them, from `OrgDaySums`
    (dates keyed onto the period's, for a comparison)."""
    days = _org_days(db, req, conv, window, per_date=True, shown=True)
    shift = timedelta(days=window.key_shift)
    return {key[1] + shift: values["shown"] for key, values in days.items()}


def _fill_org_days(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    window: _Window,
    stale: list[date],
    rates_key: str,
) -> dict[date, dict[str, Any]]:
    """Compute the window's days of these consecutive months from the rollups (every store) and
    store them; returns each date's sums and presented metrics (`shown`), days without sales or
    footfall included."""
    first = max(window.date_from, stale[0])
    last = min(window.date_to, report_cache.next_month(stale[-1]) - timedelta(days=1))
    # Read before any sums are computed (see _cached_months).
    versions = _org_versions(req.org_id, stale[0], stale[-1])
    known = {month: int(version) for month, version in db.execute(select(versions))}
    sales, footfall = _day_values(
        db, req, conv, ("date",), replace(window, date_from=first, date_to=last)
    )
    d = RollupDay
    currencies: dict[date, list[str]] = defaultdict(list)
    for day, currency in db.execute(
        select(d.business_date, d.currency)
        .where(
            _among(db, d.location_id, req.location_ids),
            d.business_date >= first,
            d.business_date <= last,
            d.currency != conv.target,
        )
        .distinct()
        .order_by(d.business_date, d.currency)
    ):
        currencies[day].append(currency)
    zero = Decimal(0)
    result: dict[date, dict[str, Any]] = {}
    rows = []
    day = first
    while day <= last:
        day_sales, day_footfall = sales.get((day,)), footfall.get((day,))
        values: dict[str, Any] = {
            **{n: (day_sales or {}).get(n, zero) for n in MONTH_SALES},
            **{n: (day_footfall or {}).get(n, zero) for n in MONTH_FOOTFALL},
            # What a day series shows for the date: the one computation, made once.
            "shown": m.present(m.compute(_day_sums(day_sales, day_footfall)), conv.target),
        }
        result[day] = values
        rows.append(
            {
                "org_id": req.org_id,
                "target": conv.target,
                "rates_key": rates_key,
                "business_date": day,
                "version": known.get(report_cache.month_of(day), 0),
                **values,
                "converted": ",".join(currencies.get(day, [])),
            }
        )
        day += timedelta(days=1)
    _store_sums(
        db,
        OrgDaySums,
        rows,
        key=["org_id", "target", "rates_key", "business_date"],
        also=("version", "converted", "shown"),
    )
    return result


@dataclass
class _Read:
    """Sums per key for the period and (shifted onto its dates) the comparison, with their
    day counts for coverage (day reads only)."""

    sums: dict[tuple[Any, ...], m.Sums]
    before: dict[tuple[Any, ...], m.Sums] | None
    counts: dict[str, int] = field(default_factory=dict)
    before_counts: dict[str, int] | None = None


def _read_days(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    keys: Sequence[DayDim],
    main_keys: Sequence[DayDim] | None = None,
    *,
    window: _Window | None = None,
) -> _Read:
    """Day sums per key for the period (per `main_keys` when given) and its comparison; or,
    given a `window`, for that window alone (a comparison read as a period of its own)."""
    main, before = (window, None) if window is not None else _windows(req)
    result: list[dict[tuple[Any, ...], m.Sums]] = []
    counts: list[dict[str, int]] = []
    every = report_cache.enabled(db) and _every_location(db, req)
    for window in (main, before):
        if window is None:
            continue
        these = main_keys if main_keys is not None and window is main else keys
        at = window.converter(conv)  # constant currency: the period's rates
        if _by_org_day(db, these, window, every):
            sales, footfall = _org_day_values(db, req, at, these, window)
        elif _by_month(db, these, window):
            sales, footfall = _day_values_by_month(db, req, at, these, window)
        else:
            sales, footfall = _day_values(db, req, at, these, window)
        sums = {k: _day_sums(sales.get(k), footfall.get(k)) for k in sales.keys() | footfall}
        if req.include_estimates:
            # METRICS.md's figures (cached), then what the estimated store-days add.
            estimates.add_estimates(sums, estimates.correction(db, req, at, these, window))
        date_index = list(these).index("date") if "date" in these else None
        result.append(_shifted(sums, date_index, window.key_shift))
        counts.append(
            {
                "traded": int(sum(v["traded"] for v in sales.values())),
                "used": int(sum(v["used_days"] for v in sales.values())),
                "footfall_days": int(sum(v["footfall_days"] for v in footfall.values())),
            }
        )
    return _Read(
        result[0],
        result[1] if len(result) > 1 else None,
        counts[0],
        counts[1] if len(counts) > 1 else None,
    )
