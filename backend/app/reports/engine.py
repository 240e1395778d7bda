"""Reports' engine: the rollups aggregated in SQL, converted on the way.

Every report reads the rollups of app/rollups/ (kept by the sync in the same transaction
as the orders), aggregated in SQL down to what it shows and the (currency, business date) the
conversion needs — on PostgreSQL the conversion itself is in the query: each (currency, date)'s
factor from `Converter.factor` is joined in and the products summed exactly as NUMERIC. Amounts
are converted before they are added; the sums go into `Sums` and `metrics.compute`, the one
implementation of the definitions. Conversion's "days with footfall and sales" are found in SQL
too (rollup_day joined to the day's footfall), like-for-like with EXISTS on traded days. Every
report query is planned for its own parameters (`_plan_each_time`).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import (
    Date,
    Integer,
    Numeric,
    String,
    and_,
    any_,
    bindparam,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, aliased

from app.catalog.metrics import NET_SALES
from app.footfall.models import FootfallEntry
from app.fx.converter import Converter, MissingRate
from app.fx.currency import minor_digits
from app.locations.models import Location
from app.reports import metrics as m
from app.reports import posting
from app.reports.request import ReportRequest
from app.rollups.models import RollupDay

# --- reading rollups ----------------------------------------------------------------------------
# The same cells, read from app/rollups/ and aggregated in SQL down to what each report
# shows (a date, a location, an item, ...) and the (currency, date) the conversion needs. On
# PostgreSQL the conversion itself happens in the query: each (currency, date)'s factor is joined
# in and the products summed exactly (NUMERIC), so a three-year report returns a few rows.
Source = Literal["rollups", "orders"]
Values = dict[str, Decimal]
KeyedValues = dict[tuple[Any, ...], Values]


def _dec(value: Any) -> Decimal:
    if value is None:
        return Decimal(0)
    if isinstance(value, float):
        return Decimal(str(value))
    return value if isinstance(value, Decimal) else Decimal(value)


@dataclass(frozen=True)
class _Window:
    date_from: date
    date_to: date
    lfl_shift: int | None  # like-for-like: the day this one compares with is `lfl_shift` away
    key_shift: int  # days added to a date key (the comparison lands on the period's dates)
    # Constant currency: dates converted at the rates of those this many days later; 0: each at
    # its own date's rate. The day caches (organization's days, months) keep such sums under
    # the shifted converter's own key (`_cache_key`); the hour and line caches are not used.
    rates_shift: int = 0

    def converter(self, conv: Converter) -> Converter:
        return conv.at_rates_of(self.rates_shift)

    def within(self, day: Any) -> list[Any]:
        return [day >= self.date_from, day <= self.date_to]

    def days(self) -> Iterable[date]:
        day = self.date_from
        while day <= self.date_to:
            yield day
            day += timedelta(days=1)


def _windows(req: ReportRequest) -> tuple[_Window, _Window | None]:
    offset = req.offset
    window = req.comparison_range()
    lfl = req.lfl and offset is not None
    main = _Window(req.date_from, req.date_to, -offset if lfl and offset else None, 0)
    if window is None or offset is None:
        return main, None
    rates_shift = offset if req.constant_currency else 0
    return main, _Window(window[0], window[1], offset if lfl else None, offset, rates_shift)


def _cache_key(conv: Converter) -> str:
    """The converted caches' key for a rate source: its own key, under the posting rule the
    cached sums were made by (sums made before posting are never read). A constant-currency
    converter's key ends with its shift ("@+364d"), so its sums are never read as another's; a
    key longer than the column keeps its start (what a rate write deletes by) and ends with a
    digest of the whole."""
    key = f"posted:{conv.cache_key()}"
    if len(key) <= _KEY_LENGTH:
        return key
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{key[: _KEY_LENGTH - len(digest) - 1]}~{digest}"


_KEY_LENGTH = 64  # the caches' rates_key column


def _is_postgres(db: Session) -> bool:
    return db.get_bind().dialect.name == "postgresql"


def _plan_each_time(db: Session) -> None:
    """PostgreSQL: plan this transaction's report queries for their own parameters. psycopg
    prepares a statement on the server after five executions, and PostgreSQL may then switch to
    a generic plan that ignores the period and the rate arrays: measured on a 50-store chain, a
    one-year day series went from 90 ms to 3.6 s on the sixth request. Planning costs well
    under a millisecond against reads of tens of thousands of rollup rows."""
    if _is_postgres(db):
        # For the transaction only (SET LOCAL), in one round trip. Also: years of rollup rows
        # are sorted and hashed in memory, not spilled to disk; and the small tables of rates
        # are hash-joined, not merge-joined after sorting half a million line rows (~400 ms).
        db.execute(
            text(
                "SELECT set_config('plan_cache_mode', 'force_custom_plan', true), "
                "set_config('work_mem', '64MB', true), "
                "set_config('enable_mergejoin', 'off', true)"
            )
        )


def _among(db: Session, column: Any, ids: Sequence[int]) -> Any:
    """`column IN ids`; on PostgreSQL as one array parameter (`= ANY`), the same plan, without
    compiling and sending a parameter per location (a 50-store report filters a dozen times)."""
    if _is_postgres(db):
        return column == any_(bindparam(None, list(ids), type_=ARRAY(Integer)))
    return column.in_(ids)


def _plus_days(db: Session, day: Any, days: int) -> Any:
    if _is_postgres(db):
        return day + literal(days)
    return func.date(day, f"{days:+d} days")


def _traded_on(location: Any, day: Any) -> Any:
    traded = aliased(RollupDay)
    return exists().where(
        traded.location_id == location, traded.business_date == day, traded.orders > 0
    )


def _lfl(db: Session, window: _Window, location: Any, day: Any) -> list[Any]:
    """Like-for-like: keep a location-day only when it and its comparison day both traded."""
    if window.lfl_shift is None:
        return []
    return [
        _traded_on(location, day),
        _traded_on(location, _plus_days(db, day, window.lfl_shift)),
    ]


@dataclass
class _Query:
    """One rollup read: its FROM, its location/date/currency columns, summed expressions
    (money: converted; plain: counted as is) and extra conditions."""

    source: Any
    location: Any  # None: organization-wide rows (every location, never like-for-like)
    day: Any
    currency: Any
    money: dict[str, Any]
    plain: dict[str, Any]
    where: list[Any] = field(default_factory=list)
    base: Any = None  # the rollup table alone, when `source` joins more (for the rates used)


def _aggregate(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    query: _Query,
    keys: Sequence[Any],
    window: _Window,
    *,
    fine: bool = False,
    row_of: Callable[[tuple[Any, ...]], Hashable] | None = None,
    order: Callable[[Any], object] | None = None,
    totals: dict[tuple[int, date], dict[str, int]] | None = None,
) -> KeyedValues:
    """Σ of the query's expressions per key, money posted (app/reports/posting.py).

    A query's money expressions are measures that are posted per location-day: rows of a
    location-day grain (`fine` false: the day rollups) are each rounded in the reporting
    currency; rows finer than a day (`fine`: hours, lines, tenders) share out their
    location-day's posted amount by largest remainder among the answer's rows (`row_of` maps a
    key to its row, `order` breaks ties; `totals` gives a location-day's posted amount in minor
    units where it is not the rows' own rounded sum). Organization-wide rows (no location) are
    read only in the reporting currency itself, where nothing is rounded."""
    where = [*window.within(query.day), *query.where]
    if query.location is not None:
        where += [
            _among(db, query.location, req.location_ids),
            *_lfl(db, window, query.location, query.day),
        ]
    if _is_postgres(db) and not fine and query.location is not None:
        found = _aggregate_in_sql(db, req, conv, query, keys, where, window)
        if found is not None:
            return found
    # Elsewhere (and when a rate is missing, to raise the error naming it): per location,
    # currency and date from SQL, posted here.
    located = [query.location] if query.location is not None else []
    rows = db.execute(
        select(
            *keys,
            *located,
            query.currency,
            query.day,
            *(func.sum(e) for e in query.money.values()),
            *(func.sum(e) for e in query.plain.values()),
        )
        .select_from(query.source)
        .where(*where)
        .group_by(*keys, *located, query.currency, query.day)
    )
    money = list(query.money)
    plain = list(query.plain)
    digits = minor_digits(conv.target)
    result: KeyedValues = {}
    # Finer than a day: each location-day's rows, split once all are read.
    days: dict[tuple[Any, date, str], dict[Hashable, list[Decimal]]] = defaultdict(dict)
    for row in rows:
        # The row as selected: keys, [location], currency, date, Σ money..., Σ plain...
        key = tuple(row[: len(keys)])
        rest = row[len(keys) :]
        location = rest[0] if located else None
        currency, day, *sums = rest[1:] if located else rest
        amounts = [_dec(sums[i]) for i in range(len(money))]
        counts = dict(zip(plain, sums[len(money) :], strict=True))
        if isinstance(day, str):
            day = date.fromisoformat(day)
        factor = conv.factor(currency, day)
        if fine and located:
            target = row_of(key) if row_of is not None else key
            held = days[(location, day, currency)].get(target)
            if held is None:
                days[(location, day, currency)][target] = amounts
            else:
                for i, amount in enumerate(amounts):
                    held[i] += amount
            values = result.get(target if isinstance(target, tuple) else (target,))
        else:
            target = key
            values = result.get(key)
        out_key = target if isinstance(target, tuple) else (target,)
        if values is None:
            values = result[out_key] = dict.fromkeys((*money, *plain), Decimal(0))
        if not (fine and located):
            for name, amount in zip(money, amounts, strict=True):
                # A location-day row is posted; organization-wide rows are in the target itself.
                values[name] += posting.post(amount, factor, digits) if located else amount * factor
        for name, count in counts.items():
            values[name] += _dec(count)
    for (location_id, day, currency), parts in days.items():
        factor = conv.factor(currency, day)
        posted = (totals or {}).get((location_id, day), {})
        for i, name in enumerate(money):
            exacts = {k: posting.exact(v[i], factor, digits) for k, v in parts.items()}
            share = (
                posting.split(exacts, posted[name], order)
                if name in posted
                else posting.split_exact(exacts, None, order)
            )
            for k, units in share.items():
                if units:
                    result[k if isinstance(k, tuple) else (k,)][name] += Decimal(units).scaleb(
                        -digits
                    )
    return result


def _scale(conv: Converter) -> Any:
    """10 ** the reporting currency's minor digits, as SQL: major units into minor ones."""
    return literal_column(f"1e{minor_digits(conv.target)}::numeric")


def _exact_sql(major: Any, scale: Any) -> Any:
    """`posting.exact` in SQL: converted major units in minor ones, to posting.PLACES."""
    return func.round(major * scale, literal_column(str(posting.PLACES)))


def _posted_sql(major: Any, scale: Any) -> Any:
    """`posting.post` in SQL: rounded half away from zero to the minor unit (NUMERIC's round),
    in major units."""
    return func.round(_exact_sql(major, scale)) / scale


def _aggregate_in_sql(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    query: _Query,
    keys: Sequence[Any],
    where: list[Any],
    window: _Window,
) -> KeyedValues | None:
    """PostgreSQL, rows of a location-day grain: the factors of every (currency, date) of the
    window joined into the query and each row's amounts posted (rounded half away from zero
    to the reporting currency's minor unit, as NUMERIC's round does) before they are added up;
    None when a row has no factor (a missing rate: the caller raises it)."""
    currencies = req.currencies or sorted(
        set(
            db.scalars(
                select(Location.currency).where(
                    Location.org_id == req.org_id, _among(db, Location.id, req.location_ids)
                )
            )
        )
    )
    codes: list[str] = []
    days: list[date] = []
    factors: list[Decimal] = []
    # Every day's factor is joined in, but a response names only the rates its rows used: what
    # the converter notes while preparing the factors is put back, then the days with rows added.
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
    rates = (
        func.unnest(
            bindparam("rate_currencies", codes, type_=ARRAY(String)),
            bindparam("rate_days", days, type_=ARRAY(Date)),
            bindparam("rate_factors", factors, type_=ARRAY(Numeric)),
        )
        .table_valued(column("currency", String), column("day", Date), column("factor", Numeric))
        .render_derived(name="rates")
    )
    scale = _scale(conv)
    rows = db.execute(
        select(
            *keys,
            *(func.sum(_posted_sql(e * rates.c.factor, scale)) for e in query.money.values()),
            *(func.sum(e) for e in query.plain.values()),
            func.sum(case((rates.c.factor.is_(None), 1), else_=0)),
        )
        .select_from(query.source)
        .outerjoin(rates, and_(rates.c.currency == query.currency, rates.c.day == query.day))
        .where(*where)
        .group_by(*keys)
    ).all()
    n = len(keys)
    names = [*query.money, *query.plain]
    if any(row[-1] for row in rows):
        return None
    if any(currency != conv.target for currency in currencies):
        converted = (
            select(query.currency, query.day)
            .select_from(query.base if query.base is not None else query.source)
            .where(*where, query.currency != conv.target)
            .distinct()
        )
        for currency, day in db.execute(converted):
            conv.rate(currency, day)  # notes the rate's date for the response
    return {
        tuple(row[:n]): dict(zip(names, map(_dec, row[n : n + len(names)]), strict=True))
        for row in rows
    }


def _footfall_days(db: Session, req: ReportRequest, window: _Window) -> Any:
    """Counted footfall per location-day of the window (a closed day is not counted)."""
    fe = FootfallEntry.__table__.c
    # A day holds one daily row or hourly rows (the footfall service keeps them apart), so a
    # closed day is one row with no count: leaving such rows out leaves the day out. (A WHERE,
    # not a HAVING over the day's rows: PostgreSQL estimates a HAVING at a few rows and then
    # joins the rollups to tens of thousands of days by merging with a filter.)
    where = [
        fe.org_id == req.org_id,
        _among(db, fe.location_id, req.location_ids),
        *window.within(fe.entry_date),
        fe.closed.is_(False),
        fe["count"].is_not(None),
    ]
    hourly = db.scalar(select(exists().where(*where, fe.hour.is_not(None))))
    if not hourly:
        # Only whole-day figures (the usual case): each row is a day, nothing to add up.
        return (
            select(
                fe.location_id.label("location_id"),
                fe.entry_date.label("entry_date"),
                fe["count"].label("n"),
            )
            .where(*where)
            .subquery()
        )
    return (
        select(
            fe.location_id.label("location_id"),
            fe.entry_date.label("entry_date"),
            func.sum(fe["count"]).label("n"),
        )
        .where(*where)
        .group_by(fe.location_id, fe.entry_date)
        .subquery()
    )


# What day rollups can be read per (a dimension of the answer's keys); footfall's `DayKey` is a
# (location, date) pair, not this.
DayDim = Literal["location", "date", "month"]
_NET_PARTS = tuple(name for _, name in NET_SALES)  # net sales' measures (the catalog's terms)


def _day_measures(rollup: Any) -> dict[str, Any]:
    """The posted measures of a day or hour rollup (METRICS.md "Rounding"), by name."""
    measures = {name: getattr(rollup, name) for name in posting.POSTED if name != "fees"}
    measures["fees"] = rollup.tender_fees - rollup.refund_fees
    return measures


def _as_month_sales(values: Values) -> Values:
    """Posted day sums under the names the caches and `_day_sums` use: the posted fees stand in
    `tender_fees` (refund fees 0), net sales over conversion's days in `conv_net`."""
    values = dict(values)
    values["tender_fees"] = values.pop("fees")
    values["refund_fees"] = Decimal(0)
    if f"conv_{_NET_PARTS[0]}" in values:
        # Net sales over conversion's days, by the catalog's terms.
        conv_net = Decimal(0)
        for sign, name in NET_SALES:
            part = values.pop(f"conv_{name}")
            conv_net = conv_net + part if sign > 0 else conv_net - part
        values["conv_net"] = conv_net
    return values


def _month(day: Any) -> Any:
    """The first day of a date column's month (PostgreSQL: the month cache's key)."""
    # The unit as SQL text, not a parameter: the same expression in SELECT and GROUP BY must be
    # the same text for PostgreSQL to see one grouping.
    return cast(func.date_trunc(literal_column("'month'"), day), Date)


def _day_values(
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayDim], window: _Window
) -> tuple[KeyedValues, KeyedValues]:
    """Day sums with conversion's inputs (location-days with both footfall and sales), and the
    footfall of every counted day, per key."""
    d = RollupDay
    ff = _footfall_days(db, req, window)
    traded = d.orders > 0
    used = and_(traded, ff.c.n.is_not(None))
    query = _Query(
        source=d.__table__.outerjoin(
            ff, and_(ff.c.location_id == d.location_id, ff.c.entry_date == d.business_date)
        ),
        base=d.__table__,
        location=d.location_id,
        day=d.business_date,
        currency=d.currency,
        # The posted measures (fees: tender fees less refund fees of the date), and net sales'
        # parts over conversion's days, each posted like the figures it adds up to.
        money={
            **_day_measures(d),
            **{f"conv_{n}": case((used, getattr(d, n)), else_=0) for n in _NET_PARTS},
        },
        plain={
            "transactions": d.transactions,
            "units_sold": d.units_sold,
            "traded": case((traded, 1), else_=0),
            "used_days": case((used, 1), else_=0),
            "conv_footfall": case((used, ff.c.n), else_=0),
            "conv_transactions": case((used, d.transactions), else_=0),
            "rollup_days": literal(1),
        },
    )
    columns = {
        "location": d.location_id,
        "date": d.business_date,
        "month": _month(d.business_date),
    }
    posted = _aggregate(db, req, conv, query, [columns[k] for k in keys], window)
    sales = {key: _as_month_sales(values) for key, values in posted.items()}
    ff_columns = {
        "location": ff.c.location_id,
        "date": ff.c.entry_date,
        "month": _month(ff.c.entry_date),
    }
    ff_keys = [ff_columns[k] for k in keys]
    footfall: KeyedValues = {}
    for row in db.execute(
        select(*ff_keys, func.sum(ff.c.n), func.count())
        .where(*_lfl(db, window, ff.c.location_id, ff.c.entry_date))
        .group_by(*ff_keys)
    ):
        key = tuple(
            date.fromisoformat(v) if isinstance(v, str) and k == "date" else v
            for k, v in zip(keys, row[: len(keys)], strict=True)
        )
        footfall[key] = {"footfall": _dec(row[-2]), "footfall_days": _dec(row[-1])}
    return _date_keys(sales, keys), footfall


def _date_keys(values: KeyedValues, keys: Sequence[str]) -> KeyedValues:
    """SQLite hands dates back as text from some expressions: make every date key a date."""
    if "date" not in keys:
        return values
    i = list(keys).index("date")
    fixed: KeyedValues = {}
    for key, v in values.items():
        if isinstance(key[i], str):
            key = (*key[:i], date.fromisoformat(key[i]), *key[i + 1 :])
        fixed[key] = v
    return fixed


def _day_sums(sales: Values | None, footfall: Values | None) -> m.Sums:
    sums = m.Sums()
    if sales is not None:
        for name in m.ORDER_MONEY:
            sums.money[name] = sales[name]
        sums.refund_fees = sales["refund_fees"]
        sums.transactions = sales["transactions"]
        sums.units_sold = sales["units_sold"]
        sums.conversion_footfall = int(sales["conv_footfall"])
        sums.conversion_transactions = sales["conv_transactions"]
        sums.conversion_net_sales = sales["conv_net"]
    if footfall is not None and footfall["footfall_days"]:
        sums.footfall = int(footfall["footfall"])
    return sums


def _shifted(values: dict[tuple[Any, ...], m.Sums], index: int | None, days: int) -> Any:
    if index is None or not days:
        return values
    delta = timedelta(days=days)
    return {(*k[:index], k[index] + delta, *k[index + 1 :]): v for k, v in values.items()}


def _every_location(db: Session, req: ReportRequest) -> bool:
    every = set(db.scalars(select(Location.id).where(Location.org_id == req.org_id)))
    return every == set(req.location_ids)
