"""Reports' month cache: whole calendar months of a long period read already converted from
`MonthDaySums` (app/reports/cache.py: per location x month), computed from the rollups and stored
when missing or out of date; the days of the partial months at either end from the rollups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, Integer, and_, cast, distinct, exists, func, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from app.footfall.models import FootfallEntry
from app.fx.converter import Converter
from app.reports import cache as report_cache
from app.reports.engine import (
    DayDim,
    KeyedValues,
    _among,
    _cache_key,
    _day_values,
    _dec,
    _month,
    _Window,
)
from app.reports.models import MONTH_FOOTFALL, MONTH_SALES, MonthDaySums
from app.reports.request import ReportRequest
from app.rollups.models import MonthVersion, RollupDay


# --- the month cache (app/reports/cache.py) -----------------------------------------------------
def _by_month(db: Session, keys: Sequence[DayDim], window: _Window) -> bool:
    """Whether a day read can take its whole months from the month cache: PostgreSQL, no
    like-for-like (which decides per location-day), answers per location, per month or in
    total, and a period holding at least MIN_FULL_MONTHS calendar months. A constant-currency
    comparison's months are kept apart, under their converter's key."""
    return (
        report_cache.enabled(db)
        and window.lfl_shift is None
        and set(keys) <= {"location", "month"}
        and len(report_cache.full_months(window.date_from, window.date_to))
        >= report_cache.MIN_FULL_MONTHS
    )


def _split(window: _Window) -> tuple[list[date], list[_Window]]:
    """A long period's whole months, and the windows of the days left at either end (none when
    the period is whole months). Each end is read as its own range of dates: as "the period
    less its whole months" PostgreSQL walks every date of the period (for 50 stores over three
    years, ~55,000 rollup rows to keep 1,550)."""
    months = report_cache.full_months(window.date_from, window.date_to)
    first, end = months[0], report_cache.next_month(months[-1])
    edges = []
    if window.date_from < first:
        edges.append(replace(window, date_to=first - timedelta(days=1)))
    if end <= window.date_to:
        edges.append(replace(window, date_from=end))
    return months, edges


def _add_into(into: KeyedValues, values: KeyedValues) -> None:
    for key, v in values.items():
        mine = into.get(key)
        if mine is None:
            into[key] = dict(v)
        else:
            for name, value in v.items():
                mine[name] = mine.get(name, Decimal(0)) + value


def _day_values_by_month(
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayDim], window: _Window
) -> tuple[KeyedValues, KeyedValues]:
    """`_day_values` of a long period: its whole months from the month cache, the days of the
    partial months at either end from the rollups."""
    months, edges = _split(window)
    sales: KeyedValues = {}
    footfall: KeyedValues = {}
    for edge in edges:
        whole = _whole_edge_month(db, req, conv, keys, edge)
        edge_sales, edge_footfall = whole or _day_values(db, req, conv, keys, edge)
        _add_into(sales, edge_sales)
        _add_into(footfall, edge_footfall)
    cached_sales, cached_footfall = _cached_months(db, req, conv, keys, months)
    _add_into(sales, cached_sales)
    _add_into(footfall, cached_footfall)
    return sales, footfall


def _store_sums(
    db: Session, model: Any, rows: list[dict[str, Any]], *, key: list[str], also: Sequence[str]
) -> None:
    """Insert or replace cached sums rows (PostgreSQL), a thousand per statement: the sums and
    `also` are overwritten on the `key` of a row already there."""
    for start in range(0, len(rows), 1000):
        statement = postgresql_insert(model).values(rows[start : start + 1000])
        db.execute(
            statement.on_conflict_do_update(
                index_elements=key,
                set_={n: statement.excluded[n] for n in (*also, *MONTH_SALES, *MONTH_FOOTFALL)},
            )
        )


def _cached_months(
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayDim], months: list[date]
) -> tuple[KeyedValues, KeyedValues]:
    """Converted day sums of whole months per key, from `MonthDaySums`; the months missing or out
    of date for a location are computed from the rollups and stored first."""
    c = MonthDaySums
    rates_key, target = _cache_key(conv), conv.target
    first, last = months[0], months[-1]
    mine = [
        c.target == target,
        c.rates_key == rates_key,
        _among(db, c.location_id, req.location_ids),
        c.month >= first,
        c.month <= last,
    ]
    converted: dict[tuple[str, date], int] = defaultdict(int)  # (currency, month) -> day bits
    # Usually every month of every location is up to date: one statement says so per month,
    # with the distinct rate days of its rows (a few rows, not one per location and month).
    fresh = _fresh_months(db, mine, len(req.location_ids))
    if fresh is not None and len(fresh) == len(months):
        for month, rate_days in fresh.items():
            for one in rate_days:
                _add_day_bits(converted, month, one)
    else:
        _refresh_months(db, req, conv, months, mine, converted)
    _note_rates(conv, converted)
    group = _month_group(keys)
    names = [*MONTH_SALES, *MONTH_FOOTFALL]
    return _month_values(
        keys,
        db.execute(
            select(*group, *(func.sum(getattr(c, n)) for n in names)).where(*mine).group_by(*group)
        ),
    )


def _month_group(keys: Sequence[DayDim]) -> list[Any]:
    c = MonthDaySums
    return [{"location": c.location_id, "month": c.month}[k] for k in keys]


def _month_values(keys: Sequence[DayDim], rows: Iterable[Any]) -> tuple[KeyedValues, KeyedValues]:
    """Rows of (key..., Σ MONTH_SALES..., Σ MONTH_FOOTFALL...) as sales and footfall per key."""
    names = [*MONTH_SALES, *MONTH_FOOTFALL]
    sales: KeyedValues = {}
    footfall: KeyedValues = {}
    for row in rows:
        key = tuple(row[: len(keys)])
        values = dict(
            zip(names, (_dec(x) for x in row[len(keys) : len(keys) + len(names)]), strict=True)
        )
        if values["rollup_days"]:
            sales[key] = {n: values[n] for n in MONTH_SALES}
        if values["footfall_days"]:
            footfall[key] = {n: values[n] for n in MONTH_FOOTFALL}
    return sales, footfall


def _note_rates(conv: Converter, converted: dict[tuple[str, date], int]) -> None:
    """The response names the rate of every day converted, as it does for days read directly."""
    for (currency, month), bits in converted.items():
        conv.note(currency, (month.replace(day=d + 1) for d in range(31) if bits >> d & 1))


def _whole_edge_month(
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayDim], edge: _Window
) -> tuple[KeyedValues, KeyedValues] | None:
    """A partial month at either end of a long period, from its whole month's cached sums when
    its other days hold nothing (no rollup or footfall row): a period ending today, or on the
    last day with sales, leaves its month's remaining days empty. None when they do not (or
    when they outnumber the edge's days), or when a location's month is not cached or out of
    date: the edge is then read from the rollups, and its month cached for the next report
    when it would have served.

    The check and the sums are one statement (one snapshot): a row at its month's current
    version holds the month as it is now, and the month's other days are empty now, so its
    sums are the edge's."""
    month = report_cache.month_of(edge.date_from)
    last = report_cache.next_month(month) - timedelta(days=1)
    if edge.date_from > month:  # the first days of the period: the month's days before them
        outside = (month, edge.date_from - timedelta(days=1))
    else:  # the last days of the period: the month's days after them
        outside = (edge.date_to + timedelta(days=1), last)
    if (outside[1] - outside[0]).days >= (edge.date_to - edge.date_from).days:
        return None
    c, v, d = MonthDaySums, MonthVersion, RollupDay
    fe = FootfallEntry.__table__.c
    ids = req.location_ids
    empty = and_(
        ~exists().where(
            _among(db, d.location_id, ids),
            d.business_date >= outside[0],
            d.business_date <= outside[1],
        ),
        ~exists().where(
            fe.org_id == req.org_id,
            _among(db, fe.location_id, ids),
            fe.entry_date >= outside[0],
            fe.entry_date <= outside[1],
        ),
    )
    mine = [
        c.target == conv.target,
        c.rates_key == _cache_key(conv),
        _among(db, c.location_id, ids),
        c.month == month,
    ]
    group = _month_group(keys)
    rows = db.execute(
        select(
            *group,
            *(func.sum(getattr(c, n)) for n in (*MONTH_SALES, *MONTH_FOOTFALL)),
            func.count(),
            func.count().filter(c.version == func.coalesce(v.version, 0)),
            func.array_agg(distinct(c.rate_days)),
        )
        .select_from(c)
        .outerjoin(v, and_(v.location_id == c.location_id, v.month == c.month))
        .where(*mine, empty)
        .group_by(*group)
    ).all()
    if rows and sum(row[-2] for row in rows) == sum(row[-3] for row in rows) == len(ids):
        converted: dict[tuple[str, date], int] = defaultdict(int)
        for row in rows:
            for rate_days in row[-1]:
                _add_day_bits(converted, month, rate_days)
        _note_rates(conv, converted)
        return _month_values(keys, rows)
    if rows or db.scalar(select(empty)):
        # The month would serve once cached: cache it (its rates are not this report's).
        _refresh_months(db, req, conv.apart(), [month], mine, defaultdict(int))
    return None


def _fresh_months(db: Session, mine: list[Any], locations: int) -> dict[date, list[str]] | None:
    """Each month whose cached rows are all at their location's current version, with the
    distinct `rate_days` of those rows; None as soon as one location's month is not."""
    c, v = MonthDaySums, MonthVersion
    fresh: dict[date, list[str]] = {}
    for month, count, rate_days in db.execute(
        select(c.month, func.count(), func.array_agg(distinct(c.rate_days)))
        .select_from(c)
        .outerjoin(v, and_(v.location_id == c.location_id, v.month == c.month))
        .where(*mine, c.version == func.coalesce(v.version, 0))
        .group_by(c.month)
    ):
        if count != locations:
            return None
        fresh[month] = list(rate_days)
    return fresh


def _refresh_months(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    months: list[date],
    mine: list[Any],
    converted: dict[tuple[str, date], int],
) -> None:
    """Compute and store the (location, month)s of `months` missing from `MonthDaySums` or out of
    date; add every month's rate days into `converted`."""
    c, v = MonthDaySums, MonthVersion
    first, last = months[0], months[-1]
    # The versions are read before any sums: sums computed after a change committed in between
    # are newer than the version stored with them (recomputed next time), never older.
    # Both in one statement (one snapshot): every month's version, and its cached row if any.
    cached = select(c.location_id, c.month, c.version, c.rate_days).where(*mine).subquery()
    known = (
        select(v.location_id, v.month, v.version)
        .where(_among(db, v.location_id, req.location_ids), v.month >= first, v.month <= last)
        .subquery()
    )
    versions: dict[tuple[int, date], int] = {}
    fresh: set[tuple[int, date]] = set()
    for location_id, month, version, made_at, rate_days in db.execute(
        select(
            func.coalesce(known.c.location_id, cached.c.location_id),
            func.coalesce(known.c.month, cached.c.month),
            func.coalesce(known.c.version, 0),
            cached.c.version,
            cached.c.rate_days,
        ).select_from(
            known.join(
                cached,
                and_(
                    cached.c.location_id == known.c.location_id,
                    cached.c.month == known.c.month,
                ),
                full=True,
            )
        )
    ):
        versions[(location_id, month)] = version
        if made_at is not None and made_at == version:
            fresh.add((location_id, month))
            _add_day_bits(converted, month, rate_days)
    stale = [(loc, month) for loc in req.location_ids for month in months]
    stale = [pair for pair in stale if pair not in fresh]
    if stale:
        made = _fill_months(db, req, conv, stale, versions, _cache_key(conv))
        for (_, month), rate_days in made.items():
            _add_day_bits(converted, month, rate_days)


def _add_day_bits(into: dict[tuple[str, date], int], month: date, rate_days: str) -> None:
    for part in filter(None, rate_days.split(";")):
        currency, bits = part.split(":")
        into[(currency, month)] |= int(bits)


def _fill_months(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    stale: list[tuple[int, date]],
    versions: dict[tuple[int, date], int],
    rates_key: str,
) -> dict[tuple[int, date], str]:
    """Compute these (location, month)s' converted sums from the rollups and store them;
    returns their `rate_days`."""
    locations = sorted({loc for loc, _ in stale})
    first = min(month for _, month in stale)
    last = report_cache.next_month(max(month for _, month in stale)) - timedelta(days=1)
    sub = replace(req, location_ids=locations)
    sales, footfall = _day_values(
        db, sub, conv, ("location", "month"), _Window(first, last, None, 0)
    )
    d = RollupDay
    day_of_month = cast(func.extract("day", d.business_date), Integer)
    day_bit = literal(1, BigInteger).op("<<")(day_of_month - 1)
    bits: dict[tuple[int, date], list[str]] = defaultdict(list)
    for location_id, month, currency, mask in db.execute(
        select(d.location_id, _month(d.business_date), d.currency, func.bit_or(day_bit))
        .where(
            _among(db, d.location_id, locations),
            d.business_date >= first,
            d.business_date <= last,
            d.currency != conv.target,
        )
        .group_by(d.location_id, _month(d.business_date), d.currency)
        .order_by(d.currency)
    ):
        bits[(location_id, month)].append(f"{currency}:{mask}")
    made = {pair: ";".join(bits.get(pair, [])) for pair in stale}
    zero = Decimal(0)
    rows = []
    for loc, month in sorted(stale):
        s_values = sales.get((loc, month), {})
        f_values = footfall.get((loc, month), {})
        rows.append(
            {
                "location_id": loc,
                "month": month,
                "target": conv.target,
                "rates_key": rates_key,
                "org_id": req.org_id,
                "version": versions.get((loc, month), 0),
                **{n: s_values.get(n, zero) for n in MONTH_SALES},
                **{n: f_values.get(n, zero) for n in MONTH_FOOTFALL},
                "rate_days": made[(loc, month)],
            }
        )
    _store_sums(
        db,
        MonthDaySums,
        rows,
        key=["location_id", "month", "target", "rates_key"],
        also=("version", "org_id", "rate_days"),
    )
    return made
