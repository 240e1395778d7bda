"""Reports: traffic by hour of day and by weekday x hour (the "power hours").

Made of the store-days that have hourly footfall counts (counters push them through
app/footfall/counters.py; the grid stores hours too): a day with only a whole-day count cannot be
split by hour and is left out, and counted as such. Over those store-days, per local hour:
footfall (Σ counts), transactions and net sales (the hour rollups, each location-day's posted
amount shared out among its hours as every hourly report does), and conversion and sales per
visitor by the catalog's definitions (app/reports/metrics.py), over the hours with a count on
days with sales data — METRICS.md's "days with footfall and sales", an hour at a time. With
`footfall_estimates=include` an hour missing from a counted day is counted at its estimate
(app/footfall/ESTIMATES.md "Estimated hours"); the store-hours estimated are counted either way.

Everything is added up in SQL per (date, hour) — at most 24 rows a day whatever the number of
stores — and only those are folded into hours and weekdays here. On PostgreSQL each store's
posted hours come from a cache (`LocationHourSums`, made a month at a time the first time a
report needs it, valid as the other report caches are: app/reports/cache.py) joined to the
footfall as it is now: a year of a 50-store chain is read in ~0.2 s instead of split in ~1.8 s.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Date,
    Integer,
    Numeric,
    and_,
    bindparam,
    case,
    column,
    func,
    insert,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.catalog.metrics import NET_SALES
from app.footfall.estimates import estimated_hours
from app.footfall.models import FootfallEntry
from app.fx.converter import Converter
from app.fx.currency import minor_digits
from app.locations import recalculation
from app.locations.models import Location
from app.reports import cache as report_cache
from app.reports import estimates
from app.reports import metrics as m
from app.reports.cache_sql import (
    _claim_month,
    _split_in_sql,
    _split_select,
    _split_values,
    _stale_months,
)
from app.reports.engine import (
    KeyedValues,
    _aggregate,
    _among,
    _cache_key,
    _date_keys,
    _dec,
    _is_postgres,
    _lfl,
    _plan_each_time,
    _Query,
    _Window,
    _windows,
)
from app.reports.models import LocationHourSums
from app.reports.reference import _rates
from app.reports.request import ReportRequest
from app.reports.schemas import TrafficCoverage, TrafficHour, TrafficRead, TrafficWeekdayHour
from app.reports.tenders import _fold_sums
from app.rollups.models import RollupDay, RollupHour

# What each hour (and weekday x hour) shows, under the catalog's names.
TRAFFIC_METRICS = ("footfall", "transactions", "net_sales", "conversion_rate", "sales_per_visitor")
_NET_PARTS = tuple(name for _, name in NET_SALES)

Key = tuple[int, int]  # (weekday, local hour)
ZERO = Decimal(0)
_SALES = (*_NET_PARTS, "transactions", "conv_transactions")


def traffic(*, db: Session, req: ReportRequest) -> TrafficRead:
    """Footfall, transactions, net sales, conversion and sales per visitor per local hour and
    per weekday x hour, over the store-days with hourly counts (the period's own figures; a
    comparison in the request only picks like-for-like's days)."""
    _plan_each_time(db)
    conv = Converter(req.currency)
    window, _ = _windows(req)
    fe = FootfallEntry.__table__
    counted = [
        fe.c.org_id == req.org_id,
        _among(db, fe.c.location_id, req.location_ids),
        *window.within(fe.c.entry_date),
        fe.c.closed.is_(False),
        fe.c["count"].is_not(None),
        *_lfl(db, window, fe.c.location_id, fe.c.entry_date),
    ]
    traded = _traded_days(db, req, window)
    used = (
        select(fe.c.location_id, fe.c.entry_date)
        .where(*counted, fe.c.hour.is_not(None))
        .group_by(fe.c.location_id, fe.c.entry_date)
        .subquery("used")
    )
    on_traded = and_(traded.c.loc == fe.c.location_id, traded.c.day == fe.c.entry_date)

    # Footfall per (date, hour) from SQL, added up per (weekday, hour): every count, and those
    # of days with sales (conversion's).
    footfall: dict[Key, list[int]] = {}
    for day, hour, visitors, converting in db.execute(
        select(
            fe.c.entry_date,
            fe.c.hour,
            func.sum(fe.c["count"]),
            func.sum(case((traded.c.loc.is_not(None), fe.c["count"]), else_=0)),
        )
        .select_from(fe.outerjoin(traded, on_traded))
        .where(*counted, fe.c.hour.is_not(None))
        .group_by(fe.c.entry_date, fe.c.hour)
    ):
        held = footfall.setdefault((day.weekday(), hour), [0, 0])
        held[0] += int(visitors)
        held[1] += int(converting)

    # Estimated store-hours (app/footfall/ESTIMATES.md): in the figures with `include`; counted
    # either way, as the other reports count their estimated store-days.
    marking = estimates.counts_estimates(req)
    est = (
        estimated_hours(
            db,
            org_id=req.org_id,
            location_ids=req.location_ids,
            date_from=window.date_from,
            date_to=window.date_to,
        )
        if marking
        else None
    )
    estimated: dict[Key, int] = defaultdict(int)
    missing: list[tuple[int, date, int]] = []  # the estimated store-hours
    if est is not None:
        for location_id, day, hour, visitors, sold in db.execute(
            select(
                est.c.location_id,
                est.c.entry_date,
                est.c.hour,
                est.c.n,
                traded.c.loc.is_not(None),
            )
            .select_from(
                est.outerjoin(
                    traded,
                    and_(traded.c.loc == est.c.location_id, traded.c.day == est.c.entry_date),
                )
            )
            .where(*_lfl(db, window, est.c.location_id, est.c.entry_date))
        ):
            day = date.fromisoformat(day) if isinstance(day, str) else day
            key = (day.weekday(), int(hour))
            estimated[key] += 1
            missing.append((int(location_id), day, int(hour)))
            if req.include_estimates:
                held = footfall.setdefault(key, [0, 0])
                held[0] += int(visitors)
                held[1] += int(visitors) if sold else 0

    # Store-days used per date, and those of them without sales.
    days: dict[date, int] = {}
    without_sales = 0
    for day, n, unsold in db.execute(
        select(
            used.c.entry_date,
            func.count(),
            func.sum(case((traded.c.loc.is_(None), 1), else_=0)),
        )
        .select_from(
            used.outerjoin(
                traded, and_(traded.c.loc == used.c.location_id, traded.c.day == used.c.entry_date)
            )
        )
        .group_by(used.c.entry_date)
    ):
        days[day] = int(n)
        without_sales += int(unsold)
    daily_only = db.scalar(
        select(func.count()).select_from(fe).where(*counted, fe.c.hour.is_(None))
    )

    # The estimated hours join conversion's (PostgreSQL: as read above, not worked out again).
    estimated_hours_in = None
    if req.include_estimates and est is not None:
        estimated_hours_in = _store_hours_table(missing) if _is_postgres(db) else est
    sales = _hour_sales(db, req, conv, window, used, traded, estimated_hours_in)
    # Made into metrics' inputs per (weekday, hour) only: a year is 8,760 (date, hour) rows.
    by_cell: dict[tuple[Any, ...], m.Sums] = {
        key: _sums(sales.get(key), footfall.get(key)) for key in {*sales, *footfall}
    }
    by_hour = _fold_sums(by_cell, lambda key: key[1])
    weekday_days: dict[int, int] = defaultdict(int)
    for day, n in days.items():
        weekday_days[day.weekday()] += n

    def shown(sums: m.Sums) -> dict[str, Any]:
        metrics = m.compute(sums)
        return m.present({name: metrics[name] for name in TRAFFIC_METRICS}, req.currency)

    by_hour_estimated: dict[int, int] = defaultdict(int)
    for (_, hour), n in estimated.items():
        by_hour_estimated[hour] += n

    def marks(n: int) -> int | None:
        return n if marking else None

    power_hours = []
    for cell in sorted(by_cell, key=lambda c: cast(tuple[int, int], c)):
        weekday, hour = cast(tuple[int, int], cell)
        sums, n = by_cell[cell], weekday_days[weekday]
        average = None
        if sums.footfall is not None and n:
            average = float(round(Decimal(sums.footfall) / n, 2))
        power_hours.append(
            TrafficWeekdayHour(
                weekday=weekday,
                hour=hour,
                days=n,
                average_footfall=average,
                metrics=shown(sums),
                footfall_estimated_hours=marks(estimated.get((weekday, hour), 0)),
            )
        )
    return TrafficRead(
        currency=req.currency,
        date_from=req.date_from,
        date_to=req.date_to,
        location_ids=req.location_ids,
        lfl=req.lfl,
        footfall_estimates=req.footfall_estimates,
        coverage=TrafficCoverage(
            store_days_used=sum(days.values()),
            store_days_daily_only=int(daily_only or 0),
            store_days_without_sales=without_sales,
            store_hours_estimated=marks(sum(estimated.values())),
        ),
        by_hour=[
            TrafficHour(
                hour=hour,
                metrics=shown(sums),
                footfall_estimated_hours=marks(by_hour_estimated.get(cast(int, hour), 0)),
            )
            for hour, sums in sorted(by_hour.items())
        ],
        by_weekday_hour=power_hours,
        rates=_rates(conv),
        recalculating=recalculation.pending(
            db=db, org_id=req.org_id, location_ids=req.location_ids
        ),
    )


def _store_hours_table(store_hours: list[tuple[int, date, int]]) -> Any:
    """PostgreSQL: (location_id, entry_date, hour) rows as a table to join, from arrays."""
    return (
        func.unnest(
            bindparam("est_locations", [h[0] for h in store_hours], type_=ARRAY(Integer)),
            bindparam("est_days", [h[1] for h in store_hours], type_=ARRAY(Date)),
            bindparam("est_hours", [h[2] for h in store_hours], type_=ARRAY(Integer)),
        )
        .table_valued(
            column("location_id", Integer), column("entry_date", Date), column("hour", Integer)
        )
        .render_derived(name="estimated_hours")
    )


def _traded_days(db: Session, req: ReportRequest, window: _Window) -> Any:
    """The location-days of the window with sales data (counted orders), as the summary's
    conversion takes them."""
    d = RollupDay
    return (
        select(d.location_id.label("loc"), d.business_date.label("day"))
        .where(
            d.org_id == req.org_id,
            _among(db, d.location_id, req.location_ids),
            *window.within(d.business_date),
            d.orders > 0,
        )
        .group_by(d.location_id, d.business_date)
        .subquery("traded")
    )


def _hour_sales(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    window: _Window,
    used: Any,
    traded: Any,
    est: Any = None,
) -> KeyedValues:
    """Net sales' terms and transactions per (weekday, hour) over the store-days `used`, and the
    same over the hours with a count (or, given `est`, an estimate) on days with sales
    (`conv_*`), each location-day's posted amounts shared out among its hours (METRICS.md
    "Rounding"). On PostgreSQL from the store-hour cache (`LocationHourSums`), whose months are
    made the first time they are needed."""
    count = FootfallEntry.__table__.alias("hour_count")
    has_count: Any = count.c.id.is_not(None)
    if est is not None:
        has_count = or_(has_count, est.c.location_id.is_not(None))
    # 1 for an hour with a count on a day with sales (conversion's), else 0.
    counted = case((and_(has_count, traded.c.loc.is_not(None)), 1), else_=0)

    def joined(source: Any, location: Any, day: Any, hour: Any) -> Any:
        found = (
            source.join(used, and_(used.c.location_id == location, used.c.entry_date == day))
            .outerjoin(
                count,
                and_(
                    count.c.location_id == location,
                    count.c.entry_date == day,
                    count.c.hour == hour,
                    count.c.closed.is_(False),
                    count.c["count"].is_not(None),
                ),
            )
            .outerjoin(traded, and_(traded.c.loc == location, traded.c.day == day))
        )
        if est is None:
            return found
        return found.outerjoin(
            est,
            and_(est.c.location_id == location, est.c.entry_date == day, est.c.hour == hour),
        )

    found = (
        _cached_store_hours(db, req, conv, window, joined, counted)
        if report_cache.enabled(db)
        else None
    )
    if found is None:
        found = _split_store_hours(db, req, conv, window, joined, counted)
    values: KeyedValues = {}
    for (weekday, hour, is_counted), found_values in found.items():
        into = values.setdefault((weekday, hour), dict.fromkeys(_SALES, ZERO))
        for name in _NET_PARTS:
            into[name] += found_values[name]
            if is_counted:
                into[f"conv_{name}"] = into.get(f"conv_{name}", ZERO) + found_values[name]
        into["transactions"] += found_values["transactions"]
        if is_counted:
            into["conv_transactions"] += found_values["transactions"]
    return values


_Joined = Callable[[Any, Any, Any, Any], Any]


def _store_hours_query(source: Any = None) -> _Query:
    h = RollupHour
    return _Query(
        source=h.__table__ if source is None else source,
        base=h.__table__,
        location=h.location_id,
        day=h.business_date,
        currency=h.currency,
        money={name: getattr(h, name) for name in _NET_PARTS},
        plain={"transactions": h.transactions},
    )


def _split_store_hours(
    db: Session, req: ReportRequest, conv: Converter, window: _Window, joined: _Joined, counted: Any
) -> KeyedValues:
    """Straight from the hour rollups, per (weekday, hour, counted): each location-day split
    among rows `2 * hour + counted` — its hours, in their order, each marked whether conversion
    counts it, so conversion's net sales are exactly the counted hours' shares (and not a
    second split). In SQL on PostgreSQL; elsewhere (and to raise a missing rate by name) per
    location-day-hour, split here."""
    h = RollupHour
    row = h.hour * 2 + counted
    query = _store_hours_query(joined(h.__table__, h.location_id, h.business_date, h.hour))
    found = (
        _split_in_sql(db, req, conv, window, query, row, per_day=True) if _is_postgres(db) else None
    )
    if found is not None:
        split = _split_values(found, query, True, minor_digits(conv.target))
    else:
        keys = [h.business_date, row]
        found_rows = _aggregate(db, req, conv, query, keys, window, fine=True, order=_last)
        split = _date_keys(found_rows, ("date", "row"))
    values: KeyedValues = {}
    for (day, marked), found_values in split.items():
        into = values.setdefault((_weekday(day), *divmod(int(marked), 2)), {})
        for name, value in found_values.items():
            into[name] = into.get(name, ZERO) + value
    return values


_GROUPING = "location_hour"
_HOURS = 24
_ANALYZE_AFTER = 50_000  # store-hours made in one report


def _cached_store_hours(
    db: Session, req: ReportRequest, conv: Converter, window: _Window, joined: _Joined, counted: Any
) -> KeyedValues | None:
    """PostgreSQL: per (weekday, hour, counted) from `LocationHourSums`, its stale months made
    first for every store of the organization (split per location-day among its hours, rows
    `location * 24 + hour`: a location-day's rows in hour order, as the heatmap splits them).
    None when a rate is missing."""
    c = LocationHourSums
    rates_key, target = _cache_key(conv), conv.target
    stale = _stale_months(db, req, conv, _GROUPING, window)
    if stale:
        every = replace(req, location_ids=_org_locations(db, req.org_id), currencies=None)
        h = RollupHour
        query = _store_hours_query()
        unit = literal(Decimal(1).scaleb(-minor_digits(target)), Numeric)
        made = 0
        for month, version in stale:
            last = report_cache.next_month(month) - timedelta(days=1)
            split = _split_select(
                db,
                every,
                conv,
                _Window(month, last, None, 0),
                query,
                h.location_id * _HOURS + h.hour,
                per_day=True,
            )
            if split is None:
                return None
            _claim_month(db, req, conv, _GROUPING, month, version, rows=c)
            # Stored straight from the split, in major units (as `_split_values` reads them).
            found = split.subquery("split")
            day, row, *sums = found.c
            made += db.execute(
                insert(c).from_select(
                    [
                        "org_id",
                        "target",
                        "rates_key",
                        "location_id",
                        "business_date",
                        "hour",
                        *query.money,
                        *query.plain,
                    ],
                    select(
                        literal(req.org_id),
                        literal(target),
                        literal(rates_key),
                        row // _HOURS,
                        day,
                        row % _HOURS,
                        *(x * unit for x in sums[: len(query.money)]),
                        *sums[len(query.money) :],
                    ),
                )
            ).rowcount  # type: ignore[attr-defined]
        if made >= _ANALYZE_AFTER:
            # A new table's statistics come with autovacuum, up to a minute later: until then
            # the planner takes a year of store-hours for one row and loops over them (3x).
            db.execute(text(f"ANALYZE {c.__tablename__}"))
    names = [*_NET_PARTS, "transactions"]
    weekday = func.extract("isodow", c.business_date)
    result: KeyedValues = {}
    for row in db.execute(
        select(weekday, c.hour, counted, *(func.sum(getattr(c, n)) for n in names))
        .select_from(joined(c.__table__, c.location_id, c.business_date, c.hour))
        .where(
            c.org_id == req.org_id,
            c.target == target,
            c.rates_key == rates_key,
            *window.within(c.business_date),
            _among(db, c.location_id, req.location_ids),
        )
        .group_by(weekday, c.hour, counted)
    ):
        # ISO weekday 1-7 (Monday first) as date.weekday()'s 0-6.
        key = (int(row[0]) - 1, int(row[1]), int(row[2]))
        result[key] = dict(zip(names, map(_dec, row[3:]), strict=True))
    return result


def _org_locations(db: Session, org_id: int) -> list[int]:
    return list(db.scalars(select(Location.id).where(Location.org_id == org_id)))


def _weekday(day: date | str) -> int:
    return (date.fromisoformat(day) if isinstance(day, str) else day).weekday()


def _last(key: Any) -> Any:
    return key[-1]


def _net(values: dict[str, Decimal], prefix: str = "") -> Decimal:
    total = ZERO
    for sign, name in NET_SALES:
        total += values.get(f"{prefix}{name}", ZERO) * sign
    return total


def _sums(sales: dict[str, Decimal] | None, footfall: list[int] | None) -> m.Sums:
    """A (weekday, hour)'s inputs of the metrics."""
    sums = m.Sums()
    if sales is not None:
        for name in _NET_PARTS:
            sums.money[name] = sales[name]
        sums.transactions = sales["transactions"]
        sums.conversion_transactions = sales["conv_transactions"]
        sums.conversion_net_sales = _net(sales, "conv_")
    if footfall is not None:
        sums.footfall, sums.conversion_footfall = footfall[0], footfall[1]
    return sums
