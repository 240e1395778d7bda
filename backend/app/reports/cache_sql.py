"""Reports: the SQL the hour, line and tender reads share.

Which cached months are stale and who claims their refill, the rate arrays and table joined into
PostgreSQL queries, and the posted amounts split among rows in SQL (`_split_in_sql`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Date,
    Numeric,
    String,
    and_,
    bindparam,
    case,
    column,
    delete,
    exists,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from app.fx.converter import Converter, MissingRate
from app.locations.models import Location
from app.reports import cache as report_cache
from app.reports.day_cache import _org_versions
from app.reports.engine import (
    KeyedValues,
    _among,
    _cache_key,
    _dec,
    _exact_sql,
    _lfl,
    _Query,
    _scale,
    _Window,
)
from app.reports.models import LineDaySet
from app.reports.request import ReportRequest


def _stale_months(
    db: Session, req: ReportRequest, conv: Converter, grouping: str, window: _Window
) -> list[tuple[date, int]]:
    """The window's months whose every-store day cache (`LineDaySet` rows of `grouping`) is
    missing or out of date, with the organization version they would be made at (read before
    any sums are computed, see _cached_months)."""
    sets = LineDaySet
    first, last = report_cache.month_of(window.date_from), report_cache.month_of(window.date_to)
    versions = {
        month: int(version)
        for month, version in db.execute(select(_org_versions(req.org_id, first, last)))
    }
    made = dict(
        db.execute(
            select(sets.month, sets.version).where(
                sets.org_id == req.org_id,
                sets.target == conv.target,
                sets.rates_key == _cache_key(conv),
                sets.grouping == grouping,
                sets.month >= first,
                sets.month <= last,
            )
        ).all()
    )
    stale = []
    month = first
    while month <= last:
        if made.get(month) != versions.get(month, 0):
            stale.append((month, versions.get(month, 0)))
        month = report_cache.next_month(month)
    return stale


def _claim_month(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    grouping: str,
    month: date,
    version: int,
    rows: Any = None,
) -> None:
    """Write a month's `LineDaySet` row before its cached rows: a second report making the same
    month waits on it, then replaces what the first stored (never adds to it). Given the model
    of a cache kept by business date (`rows`), its rows of the month are deleted, to be made
    again."""
    head = postgresql_insert(LineDaySet).values(
        org_id=req.org_id,
        month=month,
        target=conv.target,
        rates_key=_cache_key(conv),
        grouping=grouping,
        version=version,
    )
    db.execute(
        head.on_conflict_do_update(
            index_elements=["org_id", "month", "target", "rates_key", "grouping"],
            set_={"version": head.excluded.version},
        )
    )
    if rows is not None:
        db.execute(
            delete(rows).where(
                rows.org_id == req.org_id,
                rows.target == conv.target,
                rows.rates_key == _cache_key(conv),
                rows.business_date >= month,
                rows.business_date <= report_cache.next_month(month) - timedelta(days=1),
            )
        )


def _split_values(found: list[Any], query: _Query, per_day: bool, digits: int) -> KeyedValues:
    """`_split_in_sql`'s rows as values per ([date,] row), money in major units."""
    n = 2 if per_day else 1
    money, plain = list(query.money), list(query.plain)
    values: KeyedValues = {}
    for row in found:
        # The row as selected: [date,] row, Σ money... (minor units), Σ plain...
        sums = row[n : n + len(money) + len(plain)]
        shown = {
            name: _dec(x).scaleb(-digits) for name, x in zip(money, sums[: len(money)], strict=True)
        }
        shown.update(zip(plain, map(_dec, sums[len(money) :]), strict=True))
        values[tuple(row[:n])] = shown
    return values


_NO_CONVERSION = {
    "conv_footfall": Decimal(0),
    "conv_transactions": Decimal(0),
    "conv_net": Decimal(0),
}


def _rate_arrays(
    conv: Converter, currencies: Iterable[str], window: _Window
) -> tuple[list[str], list[date], list[Decimal]]:
    """Every (currency, date) factor of the window, for joining into a query. A response names
    only the rates its rows used: what the converter notes meanwhile is put back."""
    codes: list[str] = []
    days: list[date] = []
    factors: list[Decimal] = []
    used, pairs = dict(conv.used), set(conv.pairs)
    for day in window.days():
        for currency in currencies:
            try:
                factor = conv.factor(currency, day)
            except MissingRate:
                continue
            codes.append(currency)
            days.append(day)
            factors.append(factor)
    conv.used.clear()
    conv.used.update(used)
    conv.pairs.clear()
    conv.pairs.update(pairs)
    return codes, days, factors


def _rates_table(
    conv: Converter, currencies: Iterable[str], window: _Window, name: str = "rates"
) -> Any:
    codes, days, factors = _rate_arrays(conv, currencies, window)
    return (
        func.unnest(
            bindparam(f"{name}_currencies", codes, type_=ARRAY(String)),
            bindparam(f"{name}_days", days, type_=ARRAY(Date)),
            bindparam(f"{name}_factors", factors, type_=ARRAY(Numeric)),
        )
        .table_valued(column("currency", String), column("day", Date), column("factor", Numeric))
        .render_derived(name=name)
    )


def _currencies(db: Session, req: ReportRequest) -> Sequence[str]:
    return req.currencies or sorted(
        set(
            db.scalars(
                select(Location.currency).where(
                    Location.org_id == req.org_id, _among(db, Location.id, req.location_ids)
                )
            )
        )
    )


def _split_in_sql(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    window: _Window,
    query: _Query,
    row: Any,
    *,
    per_day: bool,
    totals: Any = None,
    order: Callable[[Any], Any] | None = None,
) -> list[Any] | None:
    """PostgreSQL: `_split_select`'s rows, or None when a rate is missing."""
    split = _split_select(
        db, req, conv, window, query, row, per_day=per_day, totals=totals, order=order
    )
    return None if split is None else list(db.execute(split))


def _split_select(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    window: _Window,
    query: _Query,
    row: Any,
    *,
    per_day: bool,
    totals: Any = None,
    order: Callable[[Any], Any] | None = None,
) -> Any:
    """PostgreSQL: `posting.split` in SQL. The query's rows are grouped per location-day and
    `row` (an integer or text expression: the breakdown's row, which also breaks ties), each
    money expression converted into exact minor units of the reporting currency, and each
    location-day's posted amount — its rows' own rounded sum, or `totals`' column of the same
    name (a subquery by `loc` and `day`) — shared out by largest remainder with window
    functions. Returns the select of rows ([date,] row, money in minor units..., plain...), or
    None when a rate is missing (the caller's Python path raises the error naming it)."""
    rates = _rates_table(conv, _currencies(db, req), window)
    where = [*window.within(query.day), *query.where]
    if query.location is not None:
        where += [
            _among(db, query.location, req.location_ids),
            *_lfl(db, window, query.location, query.day),
        ]
    money, plain = list(query.money), list(query.plain)
    base = (
        select(
            query.location.label("loc"),
            query.day.label("day"),
            row.label("row"),
            rates.c.factor.label("f"),
            *(func.sum(e).label(f"m_{n}") for n, e in query.money.items()),
            *(func.sum(e).label(f"p_{n}") for n, e in query.plain.items()),
        )
        .select_from(
            query.source.outerjoin(
                rates, and_(rates.c.currency == query.currency, rates.c.day == query.day)
            )
        )
        .where(*where)
        .group_by(query.location, query.day, row, rates.c.factor)
        .subquery()
    )
    if db.scalar(select(exists().where(base.c.f.is_(None)))):
        return None
    scale = _scale(conv)
    place = [base.c.loc, base.c.day]
    source: Any = base
    if totals is not None:
        source = base.outerjoin(
            totals, and_(totals.c.loc == base.c.loc, totals.c.day == base.c.day)
        )
    columns: list[Any] = [func.count().over(partition_by=place).label("n")]
    for name in money:
        x = _exact_sql(base.c[f"m_{name}"] * base.c.f, scale)
        posted = (
            func.round(func.sum(x).over(partition_by=place))
            if totals is None
            else func.coalesce(totals.c[name], func.round(func.sum(x).over(partition_by=place)))
        )
        columns += [
            func.floor(x).label(f"floor_{name}"),
            (posted - func.sum(func.floor(x)).over(partition_by=place)).label(f"k_{name}"),
            func.row_number()
            .over(
                partition_by=place,
                order_by=[func.floor(x) - x, order(base.c.row) if order else base.c.row],
            )
            .label(f"r_{name}"),
        ]
    shares = (
        select(base.c.day, base.c.row, *(base.c[f"p_{n}"] for n in plain), *columns)
        .select_from(source)
        .subquery()
    )
    day_key = [shares.c.day] if per_day else []
    split: list[Any] = []
    for name in money:
        k, n, rank = shares.c[f"k_{name}"], shares.c.n, shares.c[f"r_{name}"]
        whole = func.floor(k / n)  # more units than rows (or fewer than none): each its share
        split.append(
            func.sum(shares.c[f"floor_{name}"] + whole + case((rank <= k - n * whole, 1), else_=0))
        )
    return select(
        *day_key, shares.c.row, *split, *(func.sum(shares.c[f"p_{n}"]) for n in plain)
    ).group_by(*day_key, shares.c.row)
