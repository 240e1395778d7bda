"""Reports: the metrics of METRICS.md per period, bucket and group, in one reporting currency.

The public reports — summary, timeseries, breakdown and heatmap — each read the rollups
(app/reports/engine.py, through the caches of app/reports/day_cache.py, hour_cache.py and
line_cache.py) for the request of app/reports/request.py. `source="orders"` (a keyword of each, for
the tests and the benchmark) computes the same answer straight from the order tables
(app/reports/reference.py).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.breakdowns import breakdown as catalog_breakdown
from app.core.errors import InvalidField
from app.fx.converter import Converter
from app.locations import recalculation
from app.locations.models import Location
from app.reports import breakdowns
from app.reports import cache as report_cache
from app.reports import metrics as m
from app.reports.day_cache import _by_org_day, _org_day_shown, _org_day_values, _read_days
from app.reports.engine import Source, _day_sums, _every_location, _plan_each_time, _windows
from app.reports.hour_cache import _read_hours
from app.reports.reference import (
    CellKey,
    _comparison,
    _day_cells,
    _fold,
    _hour,
    _hour_cells,
    _rates,
    _read,
    _total,
)
from app.reports.request import MAX_HOURLY_DAYS, ReportRequest, prepare
from app.reports.schemas import (
    BreakdownBy,
    BreakdownRead,
    BreakdownRow,
    BreakdownTotal,
    Coverage,
    Granularity,
    HeatmapCell,
    HeatmapRead,
    SortOrder,
    SummaryRead,
    TimeseriesPoint,
    TimeseriesRead,
)
from app.reports.tenders import _fold_sums, _sum_all

__all__ = ["ReportRequest", "Source", "breakdown", "heatmap", "prepare", "summary", "timeseries"]


# --- reports ----------------------------------------------------------------------------------
# Every report reads the rollups (source="rollups", the default); source="orders" computes the
# same answer straight from the order tables, for the tests and the benchmark to compare with.
def summary(*, db: Session, req: ReportRequest, source: Source = "rollups") -> SummaryRead:
    """The period's metrics, the comparison's, change and coverage."""
    _plan_each_time(db)
    conv = Converter(req.currency)
    if source == "orders":
        cells, before = _read(db, req, conv, _day_cells)
        current_sums = _total(cells)
        before_sums = _total(before) if before is not None else None
        footfall_days = set(cells.footfall)
        used = len(footfall_days & cells.traded)
        traded, counted = len(cells.traded), len(footfall_days)
    else:
        read = _read_days(db, req, conv, ())
        current_sums = _sum_all(read.sums.values())
        before_sums = _sum_all(read.before.values()) if read.before is not None else None
        used, traded, counted = (
            read.counts["used"],
            read.counts["traded"],
            read.counts["footfall_days"],
        )
    current = m.compute(current_sums)
    previous = m.compute(before_sums) if before_sums is not None else None
    effect = _currency_effect(db, req, conv, current, previous, source)
    return SummaryRead(
        currency=req.currency,
        date_from=req.date_from,
        date_to=req.date_to,
        location_ids=req.location_ids,
        lfl=req.lfl,
        metrics=m.present(current, req.currency),
        comparison=_comparison(req, previous),
        change=m.present_change(m.change(current, previous)),
        currency_effect=effect,
        coverage=Coverage(
            days=req.days,
            location_days=req.days * len(req.location_ids),
            days_with_sales=traded,
            days_with_footfall=counted,
            days_used_for_conversion=used,
            days_left_out_of_conversion=counted + traded - 2 * used,
        ),
        rates=_rates(conv),
        recalculating=recalculation.pending(
            db=db, org_id=req.org_id, location_ids=req.location_ids
        ),
    )


def _currency_effect(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    current: m.Metrics,
    previous: m.Metrics | None,
    source: Source,
) -> float | None:
    """Net sales' change at actual rates less its change at constant rates (the part of the
    change that is exchange-rate moves); None when there is nothing to convert or no change.
    The comparison is read a second time with the other conversion, its rates not named (the
    response names the rates its figures used)."""
    if previous is None:
        return None
    currencies = req.currencies or db.scalars(
        select(Location.currency).where(
            Location.org_id == req.org_id, Location.id.in_(req.location_ids)
        )
    )
    if set(currencies) <= {req.currency}:
        return None
    other = replace(req, constant_currency=not req.constant_currency)
    used, pairs = dict(conv.used), set(conv.pairs)
    if source == "orders":
        before = _read(db, other, conv, _day_cells)[1]
        other_sums = _total(before) if before is not None else m.Sums()
    else:
        read = _read_days(db, other, conv, (), comparison_only=True)
        other_sums = _sum_all((read.before or {}).values())
    conv.used.clear()
    conv.used.update(used)
    conv.pairs.clear()
    conv.pairs.update(pairs)
    this = m.change(current, previous)["net_sales"]
    that = m.change(current, m.compute(other_sums))["net_sales"]
    if this is None or that is None:
        return None
    actual, constant = (that, this) if req.constant_currency else (this, that)
    return float(round(actual - constant, 6))


def _bucket_start(granularity: Granularity) -> Callable[[CellKey], str]:
    def start(key: CellKey) -> str:
        _, day, hour = key
        if granularity == Granularity.hour:
            return f"{day.isoformat()}T{_hour(hour):02d}:00"
        if granularity == Granularity.week:
            return (day - timedelta(days=day.weekday())).isoformat()
        if granularity == Granularity.month:
            return day.replace(day=1).isoformat()
        return day.isoformat()

    return start


def timeseries(
    *, db: Session, req: ReportRequest, granularity: Granularity, source: Source = "rollups"
) -> TimeseriesRead:
    """Metrics per hour, day, ISO week or month, every bucket of the period present."""
    _plan_each_time(db)
    if granularity == Granularity.hour and req.days > MAX_HOURLY_DAYS:
        raise InvalidField(
            "granularity",
            f"Hourly series cover at most {MAX_HOURLY_DAYS} days; use day, week or month",
            location="query",
        )
    conv = Converter(req.currency)
    start = _bucket_start(granularity)

    def present(sums: m.Sums) -> dict[str, Any]:
        return m.present(m.compute(sums), req.currency)

    current: dict[Hashable, dict[str, Any]]
    previous: dict[Hashable, dict[str, Any]] | None
    previous_total: m.Metrics | None
    main, before = _windows(req)
    if source == "orders":
        reader = _hour_cells if granularity == Granularity.hour else _day_cells
        cells, cells_before = _read(db, req, conv, reader)
        current = {k: present(v) for k, v in _fold(cells.sums.items(), start).items()}
        previous = None
        previous_total = None
        if cells_before is not None:
            previous = {k: present(v) for k, v in _fold(cells_before.sums.items(), start).items()}
            previous_total = m.compute(_total(cells_before))
    elif (
        granularity == Granularity.day
        and _by_org_day(db, ("date",), main, report_cache.enabled(db) and _every_location(db, req))
        and (before is None or not before.rates_shift)  # constant currency: not from the caches
    ):
        # Every store, per day: each date's metrics as shown, made once (app/reports/cache.py).
        current = {d.isoformat(): v for d, v in _org_day_shown(db, req, conv, main).items()}
        previous = None
        previous_total = None
        if before is not None:
            shown = _org_day_shown(db, req, conv, before)
            previous = {d.isoformat(): v for d, v in shown.items()}
            sales, footfall = _org_day_values(db, req, conv, (), before)
            previous_total = m.compute(_day_sums(sales.get(()), footfall.get(())))
    else:
        if granularity == Granularity.hour:
            read = _read_hours(db, req, conv, ("date", "hour"))
            bucket: Callable[[tuple[Any, ...]], Hashable] = lambda k: start((0, k[0], k[1]))  # noqa: E731
        else:
            # Per month, the period itself can be read per month (from the month cache where
            # it holds whole months); a comparison is read per day, as its days land on the
            # period's dates before they are put in months.
            per_month = granularity == Granularity.month and report_cache.enabled(db)
            read = _read_days(db, req, conv, ("date",), ("month",) if per_month else None)
            bucket = lambda k: start((0, k[0], None))  # noqa: E731
        current = {k: present(v) for k, v in _fold_sums(read.sums, bucket).items()}
        previous = None
        previous_total = None
        if read.before is not None:
            previous = {k: present(v) for k, v in _fold_sums(read.before, bucket).items()}
            previous_total = m.compute(_sum_all(read.before.values()))
    starts: list[str] = []
    day = req.date_from
    while day <= req.date_to:
        for hour in range(24) if granularity == Granularity.hour else (None,):
            label = start((0, day, hour))
            if not starts or starts[-1] != label:
                starts.append(label)
        day += timedelta(days=1)
    empty = present(m.Sums())
    # Built as they are (1,096 points for three years of days): `present` gives each value
    # the type the schema declares.
    points = [
        TimeseriesPoint.model_construct(
            start=label,
            metrics=current.get(label, empty),
            comparison_metrics=None if previous is None else previous.get(label, empty),
        )
        for label in starts
    ]
    return TimeseriesRead(
        currency=req.currency,
        granularity=granularity,
        date_from=req.date_from,
        date_to=req.date_to,
        comparison=_comparison(req, previous_total),
        points=points,
        rates=_rates(conv),
        recalculating=recalculation.pending(
            db=db, org_id=req.org_id, location_ids=req.location_ids
        ),
    )


def breakdown(
    *,
    db: Session,
    req: ReportRequest,
    by: BreakdownBy,
    sort: str | None,
    order: SortOrder,
    source: Source = "rollups",
) -> BreakdownRead:
    """Metrics per group with a total row equal to the summary; rows add up to it."""
    _plan_each_time(db)
    if sort is not None and sort not in m.METRIC_NAMES and sort not in ("key", "label"):
        raise InvalidField("sort", f"Unknown metric {sort!r}", location="query")
    conv = Converter(req.currency)
    spec = catalog_breakdown(by.value)
    folded, total_sums = breakdowns.groups(db, req, conv, spec, from_orders=source == "orders")
    total = m.compute(total_sums)
    shown = spec.metrics
    # Payment-method rows are tenders: their figures are the tenders' (METRICS.md).
    compute = m.compute_payments if spec.grain == "tender" else m.compute
    rows = [
        BreakdownRow(
            key=key,
            label=label,
            metrics=m.present({k: v for k, v in compute(sums).items() if k in shown}, req.currency),
        )
        for (key, label), sums in ((k, v) for k, v in folded.items() if isinstance(k, tuple))
    ]
    rows.sort(key=lambda row: _sort_key(row, sort or "net_sales"), reverse=order == SortOrder.desc)
    if (sort or "net_sales") in m.METRIC_NAMES:
        # Rows without the figure go last whichever the order.
        rows.sort(key=lambda row: row.metrics.get(sort or "net_sales") is None)
    return BreakdownRead(
        currency=req.currency,
        by=by,
        date_from=req.date_from,
        date_to=req.date_to,
        rows=rows,
        total=BreakdownTotal(metrics=m.present(total, req.currency)),
        rates=_rates(conv),
        recalculating=recalculation.pending(
            db=db, org_id=req.org_id, location_ids=req.location_ids
        ),
    )


def _sort_key(row: BreakdownRow, sort: str) -> Any:
    if sort == "key":
        return (0, row.key)
    if sort == "label":
        return (0, row.label.lower())
    value = row.metrics.get(sort)
    if value is None:
        return (0, Decimal(0))
    return (1, Decimal(str(value)))


def heatmap(*, db: Session, req: ReportRequest, source: Source = "rollups") -> HeatmapRead:
    """Net sales and transactions by weekday (of the business date) x local hour."""
    _plan_each_time(db)
    conv = Converter(req.currency)
    folded: dict[Hashable, m.Sums]
    if source == "orders":
        cells, _ = _read(db, req, conv, _hour_cells)
        folded = _fold(cells.sums.items(), lambda key: (key[1].weekday(), _hour(key[2])))
    else:
        read = _read_hours(db, req, conv, ("date", "hour"))
        folded = _fold_sums(read.sums, lambda k: (k[0].weekday(), _hour(k[1])))
    result = []
    for weekday in range(7):
        for hour in range(24):
            sums = folded.get((weekday, hour)) or m.Sums()
            metrics = m.present(m.compute(sums), req.currency)
            result.append(
                HeatmapCell(
                    weekday=weekday,
                    hour=hour,
                    net_sales=str(metrics["net_sales"]),
                    transactions=int(metrics["transactions"] or 0),
                )
            )
    return HeatmapRead(
        currency=req.currency,
        date_from=req.date_from,
        date_to=req.date_to,
        cells=result,
        rates=_rates(conv),
        recalculating=recalculation.pending(
            db=db, org_id=req.org_id, location_ids=req.location_ids
        ),
    )
