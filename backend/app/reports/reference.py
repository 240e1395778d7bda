"""Reports' reference path: the same answers straight from the order tables (`source="orders"`).

For the tests and the benchmark, summary/timeseries/breakdown/heatmap can compute their answer
from *cells* — sums per (location, business date, extra key) from GROUP BYs over
sale_order/sale_line/sale_tender/sale_refund — converted per cell and folded into buckets. The
team-member breakdown always reads that way: it splits each order by its payments' team members,
which are not rolled up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.fx.converter import Converter
from app.fx.currency import minor_digits
from app.fx.schemas import RatesUsed
from app.reports import metrics as m
from app.reports import posting
from app.reports.reference_cells import (
    CellKey,
    Cells,
    _aware,
    _counted_footfall,
    _day_cells,
    _hour,
    _hour_cells,
    _line_cells,
    _locations,
    _order_filter,
    _team_cells,
    _tender_cells,
)
from app.reports.request import ReportRequest
from app.reports.schemas import ComparisonPeriod
from app.sales.models import SaleOrder

# The readers live in app/reports/reference_cells.py; their names are kept importable from here.
__all__ = [
    "CellKey",
    "CellReader",
    "Cells",
    "_aware",
    "_comparison",
    "_day_cells",
    "_fold",
    "_hour",
    "_hour_cells",
    "_line_cells",
    "_locations",
    "_rates",
    "_read",
    "_team_cells",
    "_tender_cells",
    "_total",
]


CellReader = Callable[[Session, ReportRequest, Converter, date, date], Cells]


_CELL_MEASURES = (*posting.POSTED, "collected")


def _cell_measures(sums: m.Sums) -> dict[str, Decimal]:
    """A cell's posted measures, in minor units of its currency (`collected`: payment rows)."""
    values = {name: sums.money[name] for name in posting.POSTED if name != "fees"}
    values["fees"] = sums.money["tender_fees"] - sums.refund_fees
    values["collected"] = sums.tendered - sums.refunded
    return values


def _post_cells(
    cells: Cells,
    conv: Converter,
    *,
    fine: bool,
    totals: dict[tuple[int, date], dict[str, int]] | None = None,
) -> Cells:
    """Cells in minor units posted into the reporting currency: whole-day cells each rounded,
    finer cells sharing out their location-day's posted amount (its rows' own rounded sum, or
    `totals`) by largest remainder. Whole-day cells then get their footfall, and conversion's
    inputs from the posted sums."""
    digits = minor_digits(conv.target)
    out = Cells(traded=set(cells.traded), footfall=dict(cells.footfall))
    by_day: dict[tuple[int, date], dict[Hashable, m.Sums]] = defaultdict(dict)
    for (location_id, day, extra), sums in cells.sums.items():
        by_day[(location_id, day)][extra] = sums
    for (location_id, day), parts in by_day.items():
        factor = conv.factor(cells.currency[(location_id, day)], day)
        measures = {extra: _cell_measures(sums) for extra, sums in parts.items()}
        posted: dict[Hashable, dict[str, Decimal]] = {extra: {} for extra in parts}
        for name in _CELL_MEASURES:
            if not fine:
                for extra, values in measures.items():
                    posted[extra][name] = posting.post(values[name], factor, digits)
                continue
            exacts = {e: posting.exact(v[name], factor, digits) for e, v in measures.items()}
            total = (totals or {}).get((location_id, day), {}).get(name)
            share = (
                posting.split_exact(exacts, None, posting.sort_text)
                if total is None
                else posting.split(exacts, total, posting.sort_text)
            )
            for extra, units in share.items():
                posted[extra][name] = Decimal(units).scaleb(-digits)
        for extra, sums in parts.items():
            values = posted[extra]
            made = m.Sums(transactions=sums.transactions, units_sold=sums.units_sold)
            for name in posting.POSTED:
                if name != "fees":
                    made.money[name] = values[name]
            made.money["tender_fees"] = values["fees"]  # the posted fees (refund fees: 0)
            made.tendered = values["collected"]
            out.add((location_id, day, extra), made)
    if not fine:
        _add_footfall(out, cells.footfall)
    return out


def _add_footfall(cells: Cells, counts: dict[tuple[int, date], int]) -> None:
    """Whole-day cells get their location-day's counted footfall, and conversion's inputs."""
    for (location_id, day), count in counts.items():
        sums = m.Sums(footfall=count)
        if (location_id, day) in cells.traded:
            # Conversion reads only location-days that have both a count and sales.
            day_sums = cells.sums[(location_id, day, None)]
            sums.conversion_footfall = count
            sums.conversion_transactions = day_sums.transactions
            sums.conversion_net_sales = day_sums.net_sales
        cells.add((location_id, day, None), sums)
        cells.footfall[(location_id, day)] = count


def _payment_totals(
    db: Session, req: ReportRequest, conv: Converter, date_from: date, date_to: date
) -> dict[tuple[int, date], dict[str, int]]:
    """Each location-day's posted total collected and fees, in minor units: what its
    payment-method rows share out."""
    digits = minor_digits(conv.target)
    days = _post_cells(_day_cells(db, req, conv, date_from, date_to), conv, fine=False)
    totals = {}
    for (location_id, day, _), sums in days.sums.items():
        figures = m.compute(sums)
        totals[(location_id, day)] = {
            "collected": int(Decimal(figures["total_collected"] or 0).scaleb(digits)),
            "fees": int(Decimal(figures["fees"] or 0).scaleb(digits)),
        }
    return totals


def _read(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    reader: CellReader,
    *,
    rekey: Callable[[Hashable], Hashable] | None = None,
    payments: bool = False,
) -> tuple[Cells, Cells | None]:
    """The period's cells and the comparison's (shifted onto the period's dates), posted
    (each at its own date's rate), like-for-like filtered when asked. `rekey` maps a cell's
    extra key to the breakdown row it belongs to before the posted amounts are shared out."""

    def load(date_from: date, date_to: date, conv: Converter) -> Cells:
        raw = reader(db, req, conv, date_from, date_to)
        if rekey is not None:
            keyed = Cells(traded=raw.traded, footfall=raw.footfall, currency=raw.currency)
            for (location_id, day, extra), sums in raw.sums.items():
                keyed.add((location_id, day, rekey(extra)), sums)
            raw = keyed
        totals = _payment_totals(db, req, conv, date_from, date_to) if payments else None
        return _post_cells(raw, conv, fine=reader is not _day_cells, totals=totals)

    cells = load(req.date_from, req.date_to, conv)
    window = req.comparison_range()
    if window is None or req.offset is None:
        return cells, None
    # Constant currency: each comparison day at the rate of the day it is compared with.
    before = load(*window, conv.at_rates_of(req.offset if req.constant_currency else 0))
    shift = timedelta(days=req.offset)
    shifted = Cells()
    for (location_id, day, extra), sums in before.sums.items():
        shifted.add((location_id, day + shift, extra), sums)
    shifted.traded = {(loc, day + shift) for loc, day in before.traded}
    shifted.footfall = {(loc, day + shift): n for (loc, day), n in before.footfall.items()}
    if req.lfl:
        main_traded = cells.traded or _traded(db, req, req.date_from, req.date_to)
        before_traded = shifted.traded or {
            (loc, day + shift) for loc, day in _traded(db, req, *window)
        }
        both = main_traded & before_traded
        cells = _only(cells, both)
        shifted = _only(shifted, both)
    return cells, shifted


def _traded(
    db: Session, req: ReportRequest, date_from: date, date_to: date
) -> set[tuple[int, date]]:
    rows = db.execute(
        select(SaleOrder.location_id, SaleOrder.business_date)
        .where(_order_filter(req, date_from, date_to))
        .distinct()
    )
    return {(loc, day) for loc, day in rows if day is not None}


def _only(cells: Cells, keep: set[tuple[int, date]]) -> Cells:
    kept = Cells()
    for (location_id, day, extra), sums in cells.sums.items():
        if (location_id, day) in keep:
            kept.add((location_id, day, extra), sums)
    kept.traded = cells.traded & keep
    kept.footfall = {k: v for k, v in cells.footfall.items() if k in keep}
    return kept


def _fold(
    cells: Iterable[tuple[CellKey, m.Sums]], bucket: Callable[[CellKey], Hashable]
) -> dict[Hashable, m.Sums]:
    folded: dict[Hashable, m.Sums] = defaultdict(m.Sums)
    for key, sums in cells:
        folded[bucket(key)] += sums
    return folded


def _total(cells: Cells) -> m.Sums:
    total = m.Sums()
    for sums in cells.sums.values():
        total += sums
    return total


def _rates(conv: Converter) -> RatesUsed:
    return RatesUsed.model_validate(conv.describe())


def _comparison(req: ReportRequest, metrics: m.Metrics | None) -> ComparisonPeriod | None:
    window = req.comparison_range()
    if window is None or metrics is None:
        return None
    return ComparisonPeriod(
        date_from=window[0],
        date_to=window[1],
        metrics=m.present(metrics, req.currency),
        rates="constant" if req.constant_currency else "actual",
    )


def _so_far(db: Session, req: ReportRequest, conv: Converter) -> tuple[Cells, Cells | None]:
    """The period's whole-day cells and the comparison's, each last day cut at `req.until_hour`
    in each store's business day (`ReportRequest.cut_hours`), read per local hour from the order
    tables; a cut day's footfall counts on neither side, as a day's count covers the whole day."""
    cells, before = _read(db, req, conv, _hour_cells)
    starts = {loc.id: loc.business_day_start_hour for loc in _locations(db, req).values()}
    counts = _counted_footfall(db, req, req.date_from, req.date_to)
    cut = _cut(cells, req, starts, req.date_to, counts)
    window = req.comparison_range()
    if before is None or window is None:
        return cut, None
    shift = timedelta(days=req.offset or 0)
    counts_before = {
        (loc, day + shift): n for (loc, day), n in _counted_footfall(db, req, *window).items()
    }
    return cut, _cut(before, req, starts, window[1] + shift, counts_before)


def _cut(
    cells: Cells,
    req: ReportRequest,
    starts: dict[int, int],
    last: date,
    counts: dict[tuple[int, date], int],
) -> Cells:
    def cut(location_id: int, day: date) -> int | None:
        return req.cut_hours(starts.get(location_id, 0)) if day == last else None

    kept = Cells(traded=set(cells.traded), currency=cells.currency)
    for (location_id, day, extra), sums in cells.sums.items():
        counted = cut(location_id, day)
        if counted is None or (_hour(extra) - starts.get(location_id, 0)) % 24 < counted:
            kept.add((location_id, day, None), sums)
    _add_footfall(
        kept,
        {
            key: n
            for key, n in counts.items()
            if cut(*key) is None and (not req.lfl or key in cells.traded)
        },
    )
    return kept
