"""Reports: the metrics of METRICS.md per period, bucket and group, in one reporting currency.

Each report reads *cells*: sums per (location, business date, extra key) straight from the order
tables with a GROUP BY (a rollup table can later produce the same cells), converts each cell at its
date's rate (amounts are converted before they are added), adds cells into buckets and hands each
bucket's `Sums` to `metrics.compute`, the one implementation of the definitions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.core.errors import InvalidField
from app.footfall import service as footfall_service
from app.locations import service as location_service
from app.locations.models import Location
from app.reports import metrics as m
from app.reports.rates import Converter
from app.reports.schemas import (
    BreakdownBy,
    BreakdownRead,
    BreakdownRow,
    BreakdownTotal,
    Compare,
    ComparisonPeriod,
    Coverage,
    Granularity,
    HeatmapCell,
    HeatmapRead,
    RatesUsed,
    SortOrder,
    SummaryRead,
    TimeseriesPoint,
    TimeseriesRead,
)
from app.sales.facts import business_day
from app.sales.models import (
    CatalogCategory,
    CatalogItem,
    CatalogVariation,
    SaleLine,
    SaleOrder,
    SalePayment,
    SalePaymentRefund,
    SaleRefund,
    SaleTender,
    TeamMember,
)
from app.users.models import User

MAX_RANGE_DAYS = 3 * 366 + 7  # three years and a week (e.g. 3 years against the previous year)
MAX_HOURLY_DAYS = 92
PREVIOUS_YEAR_DAYS = 364  # 52 weeks: Monday compares with Monday
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UNATTRIBUTED = "Unattributed"
CUSTOM_AMOUNT = "Custom amount"
UNCATEGORISED = "Uncategorised"

CellKey = tuple[int, date, Hashable]  # location, business date, extra key (None: whole day)


@dataclass(frozen=True)
class ReportRequest:
    """A validated report request: the period, the locations the caller may see, the currency."""

    org_id: int
    date_from: date
    date_to: date
    location_ids: list[int]
    currency: str
    compare: Compare
    lfl: bool

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def offset(self) -> int | None:
        """Days between a date and its comparison date; None without a comparison."""
        if self.compare == Compare.previous_period:
            return self.days
        if self.compare == Compare.previous_year:
            return PREVIOUS_YEAR_DAYS
        return None

    def comparison_range(self) -> tuple[date, date] | None:
        if self.offset is None:
            return None
        shift = timedelta(days=self.offset)
        return self.date_from - shift, self.date_to - shift


@dataclass
class Cells:
    """Converted sums per cell, and the location-day facts coverage and like-for-like need."""

    sums: dict[CellKey, m.Sums] = field(default_factory=lambda: defaultdict(m.Sums))
    traded: set[tuple[int, date]] = field(default_factory=set)  # location-days with orders
    footfall: dict[tuple[int, date], int] = field(default_factory=dict)  # counted days

    def add(self, key: CellKey, sums: m.Sums) -> None:
        self.sums[key] += sums


def prepare(
    *,
    db: Session,
    user: User,
    date_from: date,
    date_to: date,
    location_ids: list[int] | None,
    currency: str | None,
    compare: Compare,
    lfl: bool,
) -> ReportRequest:
    """Check a report's parameters and resolve its locations (403 naming an ungranted one)."""
    if date_to < date_from:
        raise InvalidField("date_to", "date_to must be on or after date_from", location="query")
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise InvalidField(
            "date_to", f"The period may be at most {MAX_RANGE_DAYS} days long", location="query"
        )
    if lfl and compare == Compare.none:
        raise InvalidField("lfl", "Like-for-like needs a comparison (compare=)", location="query")
    if location_ids:
        locations = location_service.check_access(db=db, user=user, location_ids=location_ids)
    else:
        locations = location_service.list_locations(db=db, user=user)
    code = (currency or user.organization.reporting_currency).upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidField("currency", f"{currency!r} is not an ISO 4217 code", location="query")
    return ReportRequest(
        org_id=user.org_id,
        date_from=date_from,
        date_to=date_to,
        location_ids=sorted(loc.id for loc in locations),
        currency=code,
        compare=compare,
        lfl=lfl,
    )


# --- reading cells ----------------------------------------------------------------------------
def _order_filter(req: ReportRequest, date_from: date, date_to: date) -> Any:
    return and_(
        SaleOrder.org_id == req.org_id,
        SaleOrder.location_id.in_(req.location_ids),
        SaleOrder.business_date >= date_from,
        SaleOrder.business_date <= date_to,
        SaleOrder.counted.is_(True),
    )


def _order_sums(row: Any, factor: Decimal) -> m.Sums:
    sums = m.Sums()
    for name in m.ORDER_MONEY:
        sums.money[name] = Decimal(getattr(row, name) or 0) * factor
    sums.transactions = Decimal(row.transactions or 0)
    sums.units_sold = Decimal(row.units_sold or 0)
    return sums


def _order_columns() -> list[Any]:
    return [
        *(func.sum(getattr(SaleOrder, name)).label(name) for name in m.ORDER_MONEY),
        func.sum(case((SaleOrder.is_transaction, 1), else_=0)).label("transactions"),
        func.sum(SaleOrder.units_sold).label("units_sold"),
    ]


def _refunds(
    db: Session, req: ReportRequest, date_from: date, date_to: date, *extra: Any
) -> list[Any]:
    """Counted refund fees (and amounts) by the refund's own business date."""
    return list(
        db.execute(
            select(
                SaleRefund.location_id,
                SaleOrder.currency,
                SaleRefund.business_date,
                *extra,
                func.sum(SaleRefund.processing_fee).label("fee"),
            )
            .join(SaleOrder, SaleOrder.id == SaleRefund.order_id)
            .where(
                SaleRefund.org_id == req.org_id,
                SaleRefund.location_id.in_(req.location_ids),
                SaleRefund.business_date >= date_from,
                SaleRefund.business_date <= date_to,
                SaleRefund.counted.is_(True),
            )
            .group_by(SaleRefund.location_id, SaleOrder.currency, SaleRefund.business_date, *extra)
        )
    )


def _day_cells(
    db: Session, req: ReportRequest, conv: Converter, date_from: date, date_to: date
) -> Cells:
    """Whole-day cells (extra key None), with footfall and conversion's days."""
    cells = Cells()
    rows = db.execute(
        select(
            SaleOrder.location_id, SaleOrder.currency, SaleOrder.business_date, *_order_columns()
        )
        .where(_order_filter(req, date_from, date_to))
        .group_by(SaleOrder.location_id, SaleOrder.currency, SaleOrder.business_date)
    )
    for row in rows:
        cells.add(
            (row.location_id, row.business_date, None),
            _order_sums(row, conv.factor(row.currency, row.business_date)),
        )
        cells.traded.add((row.location_id, row.business_date))
    for row in _refunds(db, req, date_from, date_to):
        sums = m.Sums(
            refund_fees=Decimal(row.fee or 0) * conv.factor(row.currency, row.business_date)
        )
        cells.add((row.location_id, row.business_date, None), sums)
    days = footfall_service.day_footfall(
        db=db,
        org_id=req.org_id,
        location_ids=req.location_ids,
        date_from=date_from,
        date_to=date_to,
    )
    for (location_id, day), entry in days.items():
        if entry.status != "counted" or entry.count is None:
            continue
        cells.footfall[(location_id, day)] = entry.count
        sums = m.Sums(footfall=entry.count)
        if (location_id, day) in cells.traded:
            # Conversion reads only location-days that have both a count and sales.
            day_sums = cells.sums[(location_id, day, None)]
            sums.conversion_footfall = entry.count
            sums.conversion_transactions = day_sums.transactions
            sums.conversion_net_sales = day_sums.net_sales
        cells.add((location_id, day, None), sums)
    return cells


def _hour_cells(
    db: Session, req: ReportRequest, conv: Converter, date_from: date, date_to: date
) -> Cells:
    """Cells per local hour of closed_at; a refund's fee goes to the local hour it was made."""
    cells = Cells()
    rows = db.execute(
        select(
            SaleOrder.location_id,
            SaleOrder.currency,
            SaleOrder.business_date,
            SaleOrder.local_hour,
            *_order_columns(),
        )
        .where(_order_filter(req, date_from, date_to))
        .group_by(
            SaleOrder.location_id,
            SaleOrder.currency,
            SaleOrder.business_date,
            SaleOrder.local_hour,
        )
    )
    for row in rows:
        cells.add(
            (row.location_id, row.business_date, row.local_hour),
            _order_sums(row, conv.factor(row.currency, row.business_date)),
        )
        cells.traded.add((row.location_id, row.business_date))
    zones = _locations(db, req)
    for row in _refunds(db, req, date_from, date_to, SaleRefund.created_at):
        location = zones[row.location_id]
        _, hour = business_day(
            _aware(row.created_at), location.timezone, location.business_day_start_hour
        )
        fee = Decimal(row.fee or 0) * conv.factor(row.currency, row.business_date)
        cells.add((row.location_id, row.business_date, hour), m.Sums(refund_fees=fee))
    return cells


def _hour(extra: Hashable) -> int:
    return extra if isinstance(extra, int) else 0


def _aware(value: Any) -> Any:
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _locations(db: Session, req: ReportRequest) -> dict[int, Location]:
    return {
        loc.id: loc
        for loc in db.scalars(
            select(Location).where(Location.org_id == req.org_id, Location.id.in_(req.location_ids))
        )
    }


def _line_cells(
    db: Session, req: ReportRequest, conv: Converter, date_from: date, date_to: date
) -> Cells:
    """Cells per sold/returned line identity (variation, or type and name without a catalog id).

    Returns count against the returned line's item; custom-amount refunds (return lines with no
    source line) are not item sales and stay out, as do gift cards.
    """
    cells = Cells()
    name = func.coalesce(SaleLine.name, "")
    rows = db.execute(
        select(
            SaleLine.location_id,
            SaleOrder.currency,
            SaleLine.business_date,
            SaleLine.kind,
            SaleLine.item_type,
            SaleLine.catalog_object_id,
            name.label("name"),
            func.sum(SaleLine.gross_ex_tax).label("gross"),
            func.sum(SaleLine.discount).label("discount"),
            func.sum(SaleLine.units).label("units"),
        )
        .join(SaleOrder, SaleOrder.id == SaleLine.order_id)
        .where(
            SaleLine.org_id == req.org_id,
            SaleLine.location_id.in_(req.location_ids),
            SaleLine.business_date >= date_from,
            SaleLine.business_date <= date_to,
            SaleOrder.counted.is_(True),
            SaleLine.item_type != "GIFT_CARD",
            (SaleLine.kind == "sale") | SaleLine.source_line_item_uid.is_not(None),
        )
        .group_by(
            SaleLine.location_id,
            SaleOrder.currency,
            SaleLine.business_date,
            SaleLine.kind,
            SaleLine.item_type,
            SaleLine.catalog_object_id,
            name,
        )
    )
    for row in rows:
        factor = conv.factor(row.currency, row.business_date)
        sums = m.Sums()
        gross = Decimal(row.gross or 0) * factor
        discount = Decimal(row.discount or 0) * factor
        units = Decimal(row.units or 0)
        if row.kind == "sale":
            sums.money["gross_sales"] = gross
            sums.money["discounts"] = discount
            sums.units_sold = units
        else:
            sums.money["returns"] = gross
            sums.money["discounts"] = -discount
            sums.units_sold = -units
        key = (row.item_type, row.catalog_object_id, row.name if not row.catalog_object_id else "")
        cells.add((row.location_id, row.business_date, key), sums)
    return cells


def _tender_cells(
    db: Session, req: ReportRequest, conv: Converter, date_from: date, date_to: date
) -> Cells:
    """Cells per payment method: tenders less the refunds against them (extra key: type, brand).

    Tenders belong to their order's date; a refund's amount to its (return) order's date, so the
    rows add up to total_collected for the same orders; its fee to its own date, as `fees`.
    """
    cells = Cells()
    rows = db.execute(
        select(
            SaleTender.location_id,
            SaleOrder.currency,
            SaleTender.business_date,
            SaleTender.tender_type,
            SaleTender.card_brand,
            func.sum(SaleTender.amount).label("amount"),
            func.sum(SaleTender.processing_fee).label("fee"),
        )
        .join(SaleOrder, SaleOrder.id == SaleTender.order_id)
        .where(_order_filter(req, date_from, date_to))
        .group_by(
            SaleTender.location_id,
            SaleOrder.currency,
            SaleTender.business_date,
            SaleTender.tender_type,
            SaleTender.card_brand,
        )
    )
    for row in rows:
        factor = conv.factor(row.currency, row.business_date)
        sums = m.Sums(tendered=Decimal(row.amount or 0) * factor)
        sums.money["tender_fees"] = Decimal(row.fee or 0) * factor
        cells.add((row.location_id, row.business_date, (row.tender_type, row.card_brand)), sums)

    original = (
        select(SaleTender.square_tender_id, SaleTender.tender_type, SaleTender.card_brand)
        .where(SaleTender.org_id == req.org_id, SaleTender.square_tender_id.is_not(None))
        .subquery()
    )
    refund_type = func.coalesce(original.c.tender_type, "UNKNOWN")
    for dated_by_order in (True, False):
        day = SaleOrder.business_date if dated_by_order else SaleRefund.business_date
        where = [
            SaleRefund.org_id == req.org_id,
            SaleRefund.location_id.in_(req.location_ids),
            SaleRefund.counted.is_(True),
            day >= date_from,
            day <= date_to,
        ]
        if dated_by_order:
            where.append(SaleOrder.counted.is_(True))
        refunds = db.execute(
            select(
                SaleRefund.location_id,
                SaleOrder.currency,
                day.label("day"),
                refund_type.label("tender_type"),
                original.c.card_brand,
                func.sum(SaleRefund.amount if dated_by_order else SaleRefund.processing_fee).label(
                    "value"
                ),
            )
            .join(SaleOrder, SaleOrder.id == SaleRefund.order_id)
            .outerjoin(original, original.c.square_tender_id == SaleRefund.tender_id)
            .where(*where)
            .group_by(
                SaleRefund.location_id,
                SaleOrder.currency,
                day,
                refund_type,
                original.c.card_brand,
            )
        )
        for row in refunds:
            value = Decimal(row.value or 0) * conv.factor(row.currency, row.day)
            sums = m.Sums(refunded=value) if dated_by_order else m.Sums(refund_fees=value)
            cells.add((row.location_id, row.day, (row.tender_type, row.card_brand)), sums)
    return cells


def _team_cells(
    db: Session, req: ReportRequest, conv: Converter, date_from: date, date_to: date
) -> Cells:
    """Cells per team member: each order's figures split in proportion to its tenders (refunds,
    for a return order) by the team member who took each payment; none known: Unattributed."""
    cells = Cells()
    tenders = db.execute(
        select(
            SaleTender.order_id,
            SaleTender.amount,
            SaleTender.processing_fee,
            SalePayment.team_member_id,
        )
        .join(SaleOrder, SaleOrder.id == SaleTender.order_id)
        .outerjoin(
            SalePayment,
            and_(
                SalePayment.org_id == req.org_id,
                SalePayment.square_payment_id == SaleTender.payment_id,
            ),
        )
        .where(_order_filter(req, date_from, date_to))
    )
    weights: dict[int, list[tuple[str | None, Decimal]]] = defaultdict(list)
    fees: dict[int, list[tuple[str | None, int]]] = defaultdict(list)
    for order_id, amount, fee, member in tenders:
        weights[order_id].append((member, Decimal(amount)))
        fees[order_id].append((member, fee))
    refund_member = (
        select(SalePaymentRefund.square_refund_id, SalePaymentRefund.team_member_id)
        .where(SalePaymentRefund.org_id == req.org_id)
        .subquery()
    )
    refunds = db.execute(
        select(SaleRefund.order_id, SaleRefund.amount, refund_member.c.team_member_id)
        .join(SaleOrder, SaleOrder.id == SaleRefund.order_id)
        .outerjoin(refund_member, refund_member.c.square_refund_id == SaleRefund.square_refund_id)
        .where(_order_filter(req, date_from, date_to), SaleRefund.counted.is_(True))
    )
    refund_weights: dict[int, list[tuple[str | None, Decimal]]] = defaultdict(list)
    for order_id, amount, member in refunds:
        refund_weights[order_id].append((member, Decimal(amount)))

    columns = [getattr(SaleOrder, name) for name in m.ORDER_MONEY if name != "tender_fees"]
    orders = db.execute(
        select(
            SaleOrder.id,
            SaleOrder.location_id,
            SaleOrder.currency,
            SaleOrder.business_date,
            SaleOrder.is_transaction,
            SaleOrder.units_sold,
            *columns,
        ).where(_order_filter(req, date_from, date_to))
    )
    for row in orders:
        factor = conv.factor(row.currency, row.business_date)
        shares = _shares(weights.get(row.id) or refund_weights.get(row.id) or [])
        for member, share in shares.items():
            sums = m.Sums()
            for name in m.ORDER_MONEY:
                if name != "tender_fees":
                    sums.money[name] = Decimal(getattr(row, name)) * factor * share
            sums.transactions = Decimal(int(row.is_transaction)) * share
            sums.units_sold = Decimal(row.units_sold) * share
            cells.add((row.location_id, row.business_date, member), sums)
        for member, fee in fees.get(row.id, []):
            sums = m.Sums()
            sums.money["tender_fees"] = Decimal(fee) * factor
            cells.add((row.location_id, row.business_date, member), sums)
    fee_rows = db.execute(
        select(
            SaleRefund.location_id,
            SaleOrder.currency,
            SaleRefund.business_date,
            refund_member.c.team_member_id,
            func.sum(SaleRefund.processing_fee),
        )
        .join(SaleOrder, SaleOrder.id == SaleRefund.order_id)
        .outerjoin(refund_member, refund_member.c.square_refund_id == SaleRefund.square_refund_id)
        .where(
            SaleRefund.org_id == req.org_id,
            SaleRefund.location_id.in_(req.location_ids),
            SaleRefund.business_date >= date_from,
            SaleRefund.business_date <= date_to,
            SaleRefund.counted.is_(True),
        )
        .group_by(
            SaleRefund.location_id,
            SaleOrder.currency,
            SaleRefund.business_date,
            refund_member.c.team_member_id,
        )
    )
    for location_id, currency, day, member, fee in fee_rows:
        value = Decimal(fee or 0) * conv.factor(currency, day)
        cells.add((location_id, day, member), m.Sums(refund_fees=value))
    return cells


def _shares(weights: list[tuple[str | None, Decimal]]) -> dict[str | None, Decimal]:
    total = sum((abs(w) for _, w in weights), Decimal(0))
    if not total:
        return {None: Decimal(1)}
    shares: dict[str | None, Decimal] = defaultdict(Decimal)
    for member, weight in weights:
        shares[member] += abs(weight) / total
    return shares


CellReader = Callable[[Session, ReportRequest, Converter, date, date], Cells]


def _read(
    db: Session, req: ReportRequest, conv: Converter, reader: CellReader
) -> tuple[Cells, Cells | None]:
    """The period's cells and the comparison's (shifted onto the period's dates), like-for-like
    filtered when asked."""
    cells = reader(db, req, conv, req.date_from, req.date_to)
    window = req.comparison_range()
    if window is None or req.offset is None:
        return cells, None
    before = reader(db, req, conv, *window)
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
        date_from=window[0], date_to=window[1], metrics=m.present(metrics, req.currency)
    )


# --- reports ----------------------------------------------------------------------------------
def summary(*, db: Session, req: ReportRequest) -> SummaryRead:
    """The period's metrics, the comparison's, change and coverage."""
    conv = Converter(req.currency)
    cells, before = _read(db, req, conv, _day_cells)
    current = m.compute(_total(cells))
    previous = m.compute(_total(before)) if before is not None else None
    footfall_days = set(cells.footfall)
    used = footfall_days & cells.traded
    return SummaryRead(
        currency=req.currency,
        date_from=req.date_from,
        date_to=req.date_to,
        location_ids=req.location_ids,
        lfl=req.lfl,
        metrics=m.present(current, req.currency),
        comparison=_comparison(req, previous),
        change=m.present_change(m.change(current, previous)),
        coverage=Coverage(
            days=req.days,
            location_days=req.days * len(req.location_ids),
            days_with_sales=len(cells.traded),
            days_with_footfall=len(footfall_days),
            days_used_for_conversion=len(used),
            days_left_out_of_conversion=len((footfall_days | cells.traded) - used),
        ),
        rates=_rates(conv),
    )


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


def timeseries(*, db: Session, req: ReportRequest, granularity: Granularity) -> TimeseriesRead:
    """Metrics per hour, day, ISO week or month, every bucket of the period present."""
    if granularity == Granularity.hour and req.days > MAX_HOURLY_DAYS:
        raise InvalidField(
            "granularity",
            f"Hourly series cover at most {MAX_HOURLY_DAYS} days; use day, week or month",
            location="query",
        )
    conv = Converter(req.currency)
    reader = _hour_cells if granularity == Granularity.hour else _day_cells
    cells, before = _read(db, req, conv, reader)
    start = _bucket_start(granularity)
    current = _fold(cells.sums.items(), start)
    previous = _fold(before.sums.items(), start) if before is not None else None
    starts: list[str] = []
    day = req.date_from
    while day <= req.date_to:
        for hour in range(24) if granularity == Granularity.hour else (None,):
            label = start((0, day, hour))
            if not starts or starts[-1] != label:
                starts.append(label)
        day += timedelta(days=1)
    points = [
        TimeseriesPoint(
            start=label,
            metrics=m.present(m.compute(current.get(label) or m.Sums()), req.currency),
            comparison_metrics=None
            if previous is None
            else m.present(m.compute(previous.get(label) or m.Sums()), req.currency),
        )
        for label in starts
    ]
    previous_total = m.compute(_total(before)) if before is not None else None
    return TimeseriesRead(
        currency=req.currency,
        granularity=granularity,
        date_from=req.date_from,
        date_to=req.date_to,
        comparison=_comparison(req, previous_total),
        points=points,
        rates=_rates(conv),
    )


def _pairs(rows: Iterable[Any]) -> dict[Any, Any]:
    return {row[0]: row[1] for row in rows}


def _catalog(
    db: Session, org_id: int
) -> tuple[dict[str, str], dict[str, tuple[str, str | None]], dict[str, str]]:
    variations = _pairs(
        db.execute(
            select(CatalogVariation.square_id, CatalogVariation.item_square_id).where(
                CatalogVariation.org_id == org_id
            )
        )
    )
    items = {
        square_id: (name, category)
        for square_id, name, category in db.execute(
            select(CatalogItem.square_id, CatalogItem.name, CatalogItem.category_square_id).where(
                CatalogItem.org_id == org_id
            )
        )
    }
    categories = _pairs(
        db.execute(
            select(CatalogCategory.square_id, CatalogCategory.name).where(
                CatalogCategory.org_id == org_id
            )
        )
    )
    return variations, items, categories


def _line_grouping(
    db: Session, org_id: int, by: BreakdownBy
) -> Callable[[Hashable], tuple[str, str]]:
    variations, items, categories = _catalog(db, org_id)

    def group(extra: Hashable) -> tuple[str, str]:
        assert isinstance(extra, tuple)
        item_type, variation_id, name = extra
        if item_type == "CUSTOM_AMOUNT" and not variation_id:
            return "custom_amount", CUSTOM_AMOUNT
        item_id = variations.get(variation_id) if variation_id else None
        item = items.get(item_id) if item_id else None
        if by == BreakdownBy.item:
            if item_id and item:
                return f"item:{item_id}", item[0]
            if variation_id:
                return f"variation:{variation_id}", name or variation_id
            return f"name:{name}", name or CUSTOM_AMOUNT
        category_id = item[1] if item else None
        if category_id and category_id in categories:
            return f"category:{category_id}", categories[category_id]
        return "uncategorised", UNCATEGORISED

    return group


def _tender_label(extra: Hashable) -> tuple[str, str]:
    assert isinstance(extra, tuple)
    tender_type, brand = extra
    if tender_type == "CARD":
        brand_name = brand or "OTHER_BRAND"
        return f"CARD:{brand_name}", f"Card ({brand_name.replace('_', ' ').title()})"
    if tender_type == "UNKNOWN":
        return "UNKNOWN", "Refunds against unknown tenders"
    return str(tender_type), str(tender_type).replace("_", " ").capitalize()


def breakdown(
    *,
    db: Session,
    req: ReportRequest,
    by: BreakdownBy,
    sort: str | None,
    order: SortOrder,
) -> BreakdownRead:
    """Metrics per group with a total row equal to the summary; rows add up to it."""
    if sort is not None and sort not in m.METRIC_NAMES and sort not in ("key", "label"):
        raise InvalidField("sort", f"Unknown metric {sort!r}", location="query")
    conv = Converter(req.currency)
    day_cells, _ = _read(db, req, conv, _day_cells)
    total = m.compute(_total(day_cells))
    group: Callable[[CellKey], tuple[str, str]]
    shown: tuple[str, ...] = m.METRIC_NAMES
    compute: Callable[[m.Sums], m.Metrics] = m.compute
    if by == BreakdownBy.location:
        names = {loc.id: loc.name for loc in _locations(db, req).values()}
        cells = day_cells
        group = lambda key: (str(key[0]), names.get(key[0], str(key[0])))  # noqa: E731
    elif by == BreakdownBy.weekday:
        cells = day_cells
        group = lambda key: (str(key[1].weekday()), WEEKDAYS[key[1].weekday()])  # noqa: E731
    elif by == BreakdownBy.hour:
        cells, _ = _read(db, req, conv, _hour_cells)
        group = lambda key: (str(key[2]), f"{_hour(key[2]):02d}:00")  # noqa: E731
    elif by in (BreakdownBy.item, BreakdownBy.category):
        cells, _ = _read(db, req, conv, _line_cells)
        line_group = _line_grouping(db, req.org_id, by)
        group = lambda key: line_group(key[2])  # noqa: E731
        shown = m.LINE_METRICS
    elif by == BreakdownBy.payment_method:
        cells, _ = _read(db, req, conv, _tender_cells)
        group = lambda key: _tender_label(key[2])  # noqa: E731
        shown = m.PAYMENT_METRICS
        compute = m.compute_payments
    else:
        cells, _ = _read(db, req, conv, _team_cells)
        members = _pairs(
            db.execute(
                select(TeamMember.square_id, TeamMember.name).where(TeamMember.org_id == req.org_id)
            )
        )
        group = lambda key: (  # noqa: E731
            (str(key[2]), members.get(str(key[2]), str(key[2])))
            if key[2]
            else ("unattributed", UNATTRIBUTED)
        )
    folded = _fold(cells.sums.items(), group)
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


def heatmap(*, db: Session, req: ReportRequest) -> HeatmapRead:
    """Net sales and transactions by weekday (of the business date) x local hour."""
    conv = Converter(req.currency)
    cells, _ = _read(db, req, conv, _hour_cells)
    folded = _fold(cells.sums.items(), lambda key: (key[1].weekday(), _hour(key[2])))
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
    )
