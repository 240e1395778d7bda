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
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.breakdowns import breakdown as catalog_breakdown
from app.core.errors import InvalidField
from app.fx.converter import Converter
from app.locations import recalculation
from app.locations.models import Location
from app.reports import breakdowns, estimates
from app.reports import cache as report_cache
from app.reports import metrics as m
from app.reports.day_cache import _by_org_day, _org_day_shown, _org_day_values, _read_days
from app.reports.engine import Source, _day_sums, _every_location, _plan_each_time, _windows
from app.reports.hour_cache import _read_hours
from app.reports.reference import (
    CellKey,
    Cells,
    _comparison,
    _day_cells,
    _fold,
    _hour,
    _hour_cells,
    _rates,
    _read,
    _so_far,
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
    counts: dict[str, int]
    before_counts: dict[str, int] | None
    estimated: int | None = None
    if source == "orders" or req.until_hour is not None:
        # "So far today" cuts days at an hour: read per local hour from the order tables.
        if req.until_hour is not None:
            cells, before = _so_far(db, req, conv)
        else:
            cells, before = _read(db, req, conv, _day_cells)
        current_sums = _total(cells)
        before_sums = _total(before) if before is not None else None
        counts = _cell_counts(cells)
        before_counts = _cell_counts(before) if before is not None else None
    else:
        read = _read_days(db, req, conv, ())
        current_sums = _sum_all(read.sums.values())
        before_sums = _sum_all(read.before.values()) if read.before is not None else None
        counts, before_counts = read.counts, read.before_counts
    if req.until_hour is not None:
        estimated = 0  # "so far today" reads hours: no estimates
    elif estimates.counts_estimates(req):
        # Whichever the source: the orders' reference says the same (it ignores the choice).
        estimated = estimates.estimated_counts(db, req, _windows(req)[0], ()).get((), 0)
    current = m.compute(current_sums)
    previous = m.compute(before_sums) if before_sums is not None else None
    shown = m.present(current, req.currency)
    comparison = _comparison(req, previous)
    window = req.comparison_range()
    coverage = _coverage(req.days, len(req.location_ids), counts)
    comparison_coverage = (
        None
        if window is None or before_counts is None
        else _coverage((window[1] - window[0]).days + 1, len(req.location_ids), before_counts)
    )
    effect = (
        None
        if req.until_hour is not None
        else _currency_effect(db, req, conv, current, previous, source)
    )
    return SummaryRead(
        currency=req.currency,
        date_from=req.date_from,
        date_to=req.date_to,
        location_ids=req.location_ids,
        lfl=req.lfl,
        until_hour=req.until_hour,
        metrics=shown,
        comparison=comparison,
        change=m.present_change(m.change(current, previous)),
        difference=m.present_difference(shown, comparison.metrics if comparison else None),
        not_comparable=_not_comparable(coverage, comparison_coverage),
        coverage=coverage,
        comparison_coverage=comparison_coverage,
        footfall_estimates=req.footfall_estimates,
        footfall_estimated_days=estimated,
        currency_effect=effect,
        rates=_rates(conv),
        recalculating=recalculation.pending(
            db=db, org_id=req.org_id, location_ids=req.location_ids
        ),
    )


def _cell_counts(cells: Cells) -> dict[str, int]:
    footfall_days = set(cells.footfall)
    return {
        "traded": len(cells.traded),
        "footfall_days": len(footfall_days),
        "used": len(footfall_days & cells.traded),
    }


def _coverage(days: int, locations: int, counts: dict[str, int]) -> Coverage:
    used, traded, counted = counts["used"], counts["traded"], counts["footfall_days"]
    return Coverage(
        days=days,
        location_days=days * locations,
        days_with_sales=traded,
        days_with_footfall=counted,
        days_used_for_conversion=used,
        days_left_out_of_conversion=counted + traded - 2 * used,
    )


def _not_comparable(now: Coverage, then: Coverage | None) -> dict[str, str]:
    """Footfall figures whose change would compare unlike with unlike, and why: a footfall total
    over a different number of store-days, or a conversion over under half as many."""
    if then is None:
        return {}
    reasons: dict[str, str] = {}
    if now.days_with_footfall != then.days_with_footfall:
        reasons["footfall"] = (
            f"Footfall was entered for {_store_days(now.days_with_footfall)} in this period "
            f"and {_store_days(then.days_with_footfall)} in the comparison"
        )
    used_now, used_then = now.days_used_for_conversion, then.days_used_for_conversion
    if used_now and used_then and (2 * used_now < used_then or 2 * used_then < used_now):
        reason = (
            f"Conversion covers {_store_days(used_now)} with footfall and sales in this period "
            f"and {_store_days(used_then)} in the comparison"
        )
        reasons["conversion_rate"] = reason
        reasons["sales_per_visitor"] = reason
    return reasons


def _store_days(n: int) -> str:
    return f"{n:,} store-day{'' if n == 1 else 's'}"


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
    The comparison is read a second time with the other conversion, through a converter of its
    own (the response names only the rates its figures used). On PostgreSQL that read goes
    through the day caches like any other (the organization's days; whole months for some
    stores), the constant-currency sums under their converter's own key (`@+<shift>d`), so
    after the first request it adds a cached read, not a conversion of every day."""
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
    apart = Converter(conv.target)
    if source == "orders":
        before = _read(db, other, apart, _day_cells)[1]
        other_sums = _total(before) if before is not None else m.Sums()
    else:
        # The comparison read as a period of its own, at the other conversion's rates.
        read = _read_days(db, other, apart, (), window=_windows(other)[1])
        other_sums = _sum_all(read.sums.values())
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
    """Metrics per hour, day, ISO week or month, every bucket of the period present. Cut at
    `req.until_hour` (day, week and month series), the last day and its comparison's count the
    hours the summary's do, so the series adds up to the summary's figures."""
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
    if req.until_hour is not None and granularity == Granularity.hour:
        raise InvalidField(
            "until_hour",
            "An hourly series is not cut at an hour (its hours to come are empty); "
            "until_hour cuts day, week and month series",
            location="query",
        )
    if source == "orders" or req.until_hour is not None:
        if req.until_hour is not None:
            # "So far today", as the summary: the last day and its comparison's up to the hour.
            cells, cells_before = _so_far(db, req, conv)
        else:
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
        and not req.include_estimates  # the cache shows METRICS.md's figures
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
    marks = (
        _day_marks(db, req, main, start)
        if granularity != Granularity.hour and req.until_hour is None
        else {}
    )
    unmarked = (
        0 if estimates.counts_estimates(req) else None,
        0 if estimates.judges_flags(req) else None,
        None,
    )
    # Built as they are (1,096 points for three years of days): `present` gives each value
    # the type the schema declares.
    points = [
        TimeseriesPoint.model_construct(
            start=label,
            metrics=current.get(label, empty),
            comparison_metrics=None if previous is None else previous.get(label, empty),
            change=None
            if previous is None
            else _shown_change(current.get(label, empty), previous.get(label, empty)),
            footfall_estimated_days=marks.get(label, unmarked)[0],
            footfall_flagged_days=marks.get(label, unmarked)[1],
            footfall_flag=marks.get(label, unmarked)[2],
        )
        for label in starts
    ]
    return TimeseriesRead(
        currency=req.currency,
        granularity=granularity,
        footfall_estimates=req.footfall_estimates,
        date_from=req.date_from,
        date_to=req.date_to,
        comparison=_comparison(req, previous_total),
        points=points,
        rates=_rates(conv),
        recalculating=recalculation.pending(
            db=db, org_id=req.org_id, location_ids=req.location_ids
        ),
    )


def _day_marks(
    db: Session, req: ReportRequest, main: Any, start: Callable[[CellKey], str]
) -> dict[str, tuple[int | None, int | None, str | None]]:
    """Per bucket: its estimated store-days, its store-days with a questioned footfall entry,
    and (a day of a one-store series) the question in words; a mark not counted for so long a
    period (`estimates.MARKED_DAYS`) is None."""
    fresh = (
        0 if estimates.counts_estimates(req) else None,
        0 if estimates.judges_flags(req) else None,
    )
    marks: dict[str, tuple[int | None, int | None, str | None]] = {}
    if fresh[0] is not None:
        for (day,), n in estimates.estimated_counts(db, req, main, ("date",)).items():
            label = start((0, day, None))
            held = marks.get(label, (*fresh, None))
            marks[label] = ((held[0] or 0) + n, held[1], held[2])
    if fresh[1] is not None:
        one_store = len(req.location_ids) == 1
        for (_, day), why in estimates.flagged_days(db, req).items():
            label = start((0, day, None))
            held = marks.get(label, (*fresh, None))
            flag = why if one_store and label == day.isoformat() else None
            marks[label] = (held[0], (held[1] or 0) + 1, flag)
    return marks


def _shown_change(current: dict[str, Any], before: dict[str, Any]) -> dict[str, float | None]:
    """A bucket's change by the summary's rule (`m.change`), from its figures as shown."""

    def figures(shown: dict[str, Any]) -> m.Metrics:
        return {k: None if v is None else Decimal(str(v)) for k, v in shown.items()}

    return m.present_change(m.change(figures(current), figures(before)))


def breakdown(
    *,
    db: Session,
    req: ReportRequest,
    by: BreakdownBy,
    sort: str | None,
    order: SortOrder,
    source: Source = "rollups",
    compared: bool = False,
) -> BreakdownRead:
    """Metrics per group with a total row equal to the summary; rows add up to it. `compared`
    (with a comparison in the request): each row's figures in the comparison period and the
    change, as the summary's (a group found only in the comparison is in its total only)."""
    _plan_each_time(db)
    if sort is not None and sort not in m.METRIC_NAMES and sort not in ("key", "label"):
        raise InvalidField("sort", f"Unknown metric {sort!r}", location="query")
    conv = Converter(req.currency)
    spec = catalog_breakdown(by.value)
    grouped = breakdowns.groups(
        db, req, conv, spec, from_orders=source == "orders", compared=compared
    )
    total = m.compute(grouped.total)
    shown = spec.metrics
    # Payment-method rows are tenders: their figures are the tenders' (METRICS.md).
    compute = m.compute_payments if spec.grain == "tender" else m.compute

    def figures(sums: m.Sums) -> m.Metrics:
        return {k: v for k, v in compute(sums).items() if k in shown}

    before = grouped.before
    rows = []
    # Rows made of whole store-days (by store, group, weekday) say how many of theirs have an
    # estimated or a questioned footfall.
    marked = spec.grain == "day"
    counted, judged = estimates.counts_estimates(req), estimates.judges_flags(req)
    estimated: dict[str, int] = {}
    flagged: dict[str, int] = {}
    if marked:
        row_of = breakdowns.ATTRIBUTIONS[by.value].group(db, req)

        def key_of(location_id: int, day: date) -> str:
            return row_of({"location": location_id, "date": day})[0]

        if counted:
            per_day = estimates.estimated_counts(db, req, _windows(req)[0], ("location", "date"))
            for (location_id, day), n in per_day.items():
                key = key_of(location_id, day)
                estimated[key] = estimated.get(key, 0) + n
        for location_id, day in estimates.flagged_days(db, req) if judged else {}:
            key = key_of(location_id, day)
            flagged[key] = flagged.get(key, 0) + 1
    # The period's rows only, as without a comparison: a key sold only in the comparison is in
    # the comparison's total, not a row of its own.
    for key, label in (k for k in grouped.rows if isinstance(k, tuple)):
        current = figures(grouped.rows[(key, label)])
        marks: dict[str, Any] = (
            {
                "footfall_estimated_days": estimated.get(key, 0) if counted else None,
                "footfall_flagged_days": flagged.get(key, 0) if judged else None,
            }
            if marked
            else {}
        )
        if before is None:
            rows.append(
                BreakdownRow(
                    key=key, label=label, metrics=m.present(current, req.currency), **marks
                )
            )
            continue
        found = before.get((key, label))
        previous = figures(found) if found is not None else None
        rows.append(
            BreakdownRow(
                key=key,
                label=label,
                metrics=m.present(current, req.currency),
                comparison=m.present(previous, req.currency) if previous is not None else None,
                change=m.present_change(m.change(current, previous)),
                **marks,
            )
        )
    rows.sort(key=lambda row: _sort_key(row, sort or "net_sales"), reverse=order == SortOrder.desc)
    if (sort or "net_sales") in m.METRIC_NAMES:
        # Rows without the figure go last whichever the order.
        rows.sort(key=lambda row: row.metrics.get(sort or "net_sales") is None)
    previous_total = m.compute(grouped.before_total) if grouped.before_total is not None else None
    return BreakdownRead(
        currency=req.currency,
        by=by,
        footfall_estimates=req.footfall_estimates,
        date_from=req.date_from,
        date_to=req.date_to,
        rows=rows,
        total=BreakdownTotal(
            metrics=m.present(total, req.currency),
            change=None
            if previous_total is None
            else m.present_change(m.change(total, previous_total)),
        ),
        comparison=_comparison(req, previous_total),
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
