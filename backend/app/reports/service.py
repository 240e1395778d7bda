"""Reports: the metrics of METRICS.md per period, bucket and group, in one reporting currency.

Every report reads the rollups of app/reports/rollups.py (kept by the sync in the same transaction
as the orders), aggregated in SQL down to what it shows and the (currency, business date) the
conversion needs — on PostgreSQL the conversion itself is in the query: each (currency, date)'s
factor from `Converter.factor` is joined in and the products summed exactly as NUMERIC. Amounts
are converted before they are added; the sums go into `Sums` and `metrics.compute`, the one
implementation of the definitions. Conversion's "days with footfall and sales" are found in SQL
too (rollup_day joined to the day's footfall), like-for-like with EXISTS on traded days.

Long periods on PostgreSQL read their whole calendar months already converted from the month
cache (app/reports/cache.py: per location x month, and every store's lines per month) and only
the days of the partial months at either end from the rollups: a three-year summary, breakdown by
store or item, or month series adds up a few thousand cached rows instead of converting tens of
thousands of location-days (or half a million line rows). Every report query is planned for its
own parameters (`_plan_each_time`).

`source="orders"` (a keyword of summary/timeseries/breakdown/heatmap, for the tests and the
benchmark) computes the same answer straight from the order tables: *cells* — sums per (location,
business date, extra key) from GROUP BYs over sale_order/sale_line/sale_tender/sale_refund —
converted per cell and folded into buckets. The team-member breakdown always reads that way: it
splits each order by its payments' team members, which are not rolled up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
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
    delete,
    distinct,
    exists,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session, aliased

from app.core.errors import InvalidField
from app.footfall import service as footfall_service
from app.footfall.models import FootfallEntry
from app.locations import recalculation
from app.locations import service as location_service
from app.locations.models import Location
from app.reports import cache as report_cache
from app.reports import metrics as m
from app.reports.models import (
    MONTH_FOOTFALL,
    MONTH_SALES,
    MonthDaySums,
    MonthLineSet,
    MonthLineSums,
    MonthVersion,
    OrgDaySums,
)
from app.reports.rates import Converter, MissingRate
from app.reports.rollups import RollupDay, RollupHour, RollupLine, RollupOrgLine, RollupTender
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
    # The currencies of the locations (at least), when the caller knows them: saves a lookup
    # per read of the rollups.
    currencies: tuple[str, ...] | None = None

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
        currencies=tuple(sorted({loc.currency for loc in locations})),
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
            select(Location).where(
                Location.org_id == req.org_id, _among(db, Location.id, req.location_ids)
            )
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


# --- reading rollups ----------------------------------------------------------------------------
# The same cells, read from app/reports/rollups.py and aggregated in SQL down to what each report
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
    return main, _Window(window[0], window[1], offset if lfl else None, offset)


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
) -> KeyedValues:
    """Σ of the query's expressions per key, money converted at each (currency, date)'s rate."""
    where = [*window.within(query.day), *query.where]
    if query.location is not None:
        where += [
            _among(db, query.location, req.location_ids),
            *_lfl(db, window, query.location, query.day),
        ]
    if _is_postgres(db):
        found = _aggregate_in_sql(db, req, conv, query, keys, where, window)
        if found is not None:
            return found
    # Elsewhere (and when a rate is missing, to raise the error naming it): per currency and
    # date from SQL, converted here.
    rows = db.execute(
        select(
            *keys,
            query.currency,
            query.day,
            *(func.sum(e) for e in query.money.values()),
            *(func.sum(e) for e in query.plain.values()),
        )
        .select_from(query.source)
        .where(*where)
        .group_by(*keys, query.currency, query.day)
    )
    n = len(keys)
    money = list(query.money)
    plain = list(query.plain)
    result: KeyedValues = {}
    for row in rows:
        key = tuple(row[:n])
        currency, day = row[n], row[n + 1]
        if isinstance(day, str):
            day = date.fromisoformat(day)
        factor = conv.factor(currency, day)
        values = result.get(key)
        if values is None:
            values = result[key] = dict.fromkeys((*money, *plain), Decimal(0))
        for i, name in enumerate(money):
            values[name] += _dec(row[n + 2 + i]) * factor
        for i, name in enumerate(plain):
            values[name] += _dec(row[n + 2 + len(money) + i])
    return result


def _aggregate_in_sql(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    query: _Query,
    keys: Sequence[Any],
    where: list[Any],
    window: _Window,
) -> KeyedValues | None:
    """PostgreSQL: the factors of every (currency, date) of the window joined into the query;
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
    money_sums: list[Any]
    plain_sums: list[Any]
    if query.location is not None and not any(k is query.location for k in keys):
        # Locations are not in the answer: add them up per (key, currency, date) in whole minor
        # units first, then convert those few sums (Σ a·f = (Σ a)·f exactly; three years of a
        # 50-store chain: 55 k rollup rows become 3 k products instead of 55 k, 70 -> 25 ms).
        grouped = (
            select(
                *(k.label(f"k{i}") for i, k in enumerate(keys)),
                query.currency.label("currency"),
                query.day.label("day"),
                *(func.sum(e).label(f"m{i}") for i, e in enumerate(query.money.values())),
                *(func.sum(e).label(f"p{i}") for i, e in enumerate(query.plain.values())),
            )
            .select_from(query.source)
            .where(*where)
            .group_by(*keys, query.currency, query.day)
            .subquery()
        )
        source, currency_col, day_col = grouped, grouped.c.currency, grouped.c.day
        outer_keys: list[Any] = [grouped.c[f"k{i}"] for i in range(len(keys))]
        money_sums = [grouped.c[f"m{i}"] for i in range(len(query.money))]
        plain_sums = [grouped.c[f"p{i}"] for i in range(len(query.plain))]
        outer_where: list[Any] = []
    else:
        source, currency_col, day_col = query.source, query.currency, query.day
        outer_keys = list(keys)
        money_sums = list(query.money.values())
        plain_sums = list(query.plain.values())
        outer_where = where
    rows = db.execute(
        select(
            *outer_keys,
            *(func.sum(e * rates.c.factor) for e in money_sums),
            *(func.sum(e) for e in plain_sums),
            func.sum(case((rates.c.factor.is_(None), 1), else_=0)),
        )
        .select_from(source)
        .outerjoin(rates, and_(rates.c.currency == currency_col, rates.c.day == day_col))
        .where(*outer_where)
        .group_by(*outer_keys)
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
        tuple(row[:n]): {name: _dec(row[n + i]) for i, name in enumerate(names)} for row in rows
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


DayKey = Literal["location", "date", "month"]


def _month(day: Any) -> Any:
    """The first day of a date column's month (PostgreSQL: the month cache's key)."""
    # The unit as SQL text, not a parameter: the same expression in SELECT and GROUP BY must be
    # the same text for PostgreSQL to see one grouping.
    return cast(func.date_trunc(literal_column("'month'"), day), Date)


def _day_values(
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayKey], window: _Window
) -> tuple[KeyedValues, KeyedValues]:
    """Day sums with conversion's inputs (location-days with both footfall and sales), and the
    footfall of every counted day, per key."""
    d = RollupDay
    ff = _footfall_days(db, req, window)
    traded = d.orders > 0
    used = and_(traded, ff.c.n.is_not(None))
    net = d.gross_sales - d.returns - d.discounts
    query = _Query(
        source=d.__table__.outerjoin(
            ff, and_(ff.c.location_id == d.location_id, ff.c.entry_date == d.business_date)
        ),
        base=d.__table__,
        location=d.location_id,
        day=d.business_date,
        currency=d.currency,
        money={
            **{name: getattr(d, name) for name in m.ORDER_MONEY},
            "refund_fees": d.refund_fees,
            "conv_net": case((used, net), else_=0),
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
    sales = _aggregate(db, req, conv, query, [columns[k] for k in keys], window)
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


# --- the month cache (app/reports/cache.py) -----------------------------------------------------
def _by_month(db: Session, keys: Sequence[DayKey], window: _Window) -> bool:
    """Whether a day read can take its whole months from the month cache: PostgreSQL, no
    like-for-like (which decides per location-day), answers per location, per month or in
    total, and a period holding at least MIN_FULL_MONTHS calendar months."""
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
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayKey], window: _Window
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


# --- the organization's day cache (app/reports/cache.py) ----------------------------------------
def _by_org_day(db: Session, keys: Sequence[DayKey], window: _Window, every: bool) -> bool:
    """Whether a day read can come from the organization's day cache: PostgreSQL, every store
    of the organization (`every`), no like-for-like, answers per date, per month or in total."""
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
    rates_key, target = conv.cache_key(), conv.target
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
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayKey], window: _Window
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
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayKey], months: list[date]
) -> tuple[KeyedValues, KeyedValues]:
    """Converted day sums of whole months per key, from `MonthDaySums`; the months missing or out
    of date for a location are computed from the rollups and stored first."""
    c = MonthDaySums
    rates_key, target = conv.cache_key(), conv.target
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


def _month_group(keys: Sequence[DayKey]) -> list[Any]:
    c = MonthDaySums
    return [{"location": c.location_id, "month": c.month}[k] for k in keys]


def _month_values(keys: Sequence[DayKey], rows: Iterable[Any]) -> tuple[KeyedValues, KeyedValues]:
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
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayKey], edge: _Window
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
        c.rates_key == conv.cache_key(),
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
        _refresh_months(
            db, req, Converter(conv.target, conv.source), [month], mine, defaultdict(int)
        )
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
        made = _fill_months(db, req, conv, stale, versions, conv.cache_key())
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


def _lines_by_month(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    query: _Query,
    keys: Sequence[Any],
    window: _Window,
) -> KeyedValues:
    """Every store's line sums of a long period: whole months from the month cache, the days of
    the partial months at either end from `rollup_org_line`."""
    months, edges = _split(window)
    values: KeyedValues = {}
    for edge in edges:
        _add_into(values, _aggregate(db, req, conv, query, keys, edge))
    _add_into(values, _cached_line_months(db, req, conv, query, keys, months))
    return values


def _cached_line_months(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    query: _Query,
    keys: Sequence[Any],
    months: list[date],
) -> KeyedValues:
    v, sets, lines = MonthVersion, MonthLineSet, MonthLineSums
    rates_key, target = conv.cache_key(), conv.target
    first, last = months[0], months[-1]
    # Read before any sums are computed (see _cached_months).
    versions = {
        month: int(total)
        for month, total in db.execute(
            select(v.month, func.sum(v.version))
            .join(Location, Location.id == v.location_id)
            .where(Location.org_id == req.org_id, v.month >= first, v.month <= last)
            .group_by(v.month)
        )
    }
    mine = [sets.org_id == req.org_id, sets.target == target, sets.rates_key == rates_key]
    made: dict[date, int] = {}
    for month, version in db.execute(
        select(sets.month, sets.version).where(*mine, sets.month >= first, sets.month <= last)
    ):
        made[month] = version
    stale = [month for month in months if made.get(month) != versions.get(month, 0)]
    if stale:
        _fill_line_months(db, req, conv, query, keys, stale, versions, rates_key)
    # The rates of these months' days are named by the breakdown's total, read from the day sums
    # of the same period (every line's day has day sums).
    identity = [lines.kind, lines.item_type, lines.catalog_object_id, lines.name]
    return {
        tuple(row[:4]): {"gross": _dec(row[4]), "discount": _dec(row[5]), "units": _dec(row[6])}
        for row in db.execute(
            select(
                *identity,
                func.sum(lines.gross),
                func.sum(lines.discount),
                func.sum(lines.units),
            )
            .where(
                lines.org_id == req.org_id,
                lines.target == target,
                lines.rates_key == rates_key,
                lines.month >= first,
                lines.month <= last,
            )
            .group_by(*identity)
        )
    }


def _fill_line_months(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    query: _Query,
    keys: Sequence[Any],
    stale: list[date],
    versions: dict[date, int],
    rates_key: str,
) -> None:
    """Compute these months' organization-wide line sums from `rollup_org_line` and store them.
    The month's `MonthLineSet` row is written first: a second report making the same month
    waits on it, then replaces what the first stored (never adds to it)."""
    sets, lines = MonthLineSet, MonthLineSums
    target = conv.target
    head = postgresql_insert(sets).values(
        [
            {
                "org_id": req.org_id,
                "month": month,
                "target": target,
                "rates_key": rates_key,
                "version": versions.get(month, 0),
            }
            for month in sorted(stale)
        ]
    )
    db.execute(
        head.on_conflict_do_update(
            index_elements=["org_id", "month", "target", "rates_key"],
            set_={"version": head.excluded.version},
        )
    )
    db.execute(
        delete(lines).where(
            lines.org_id == req.org_id,
            lines.target == target,
            lines.rates_key == rates_key,
            lines.month.in_(stale),
        )
    )
    first = min(stale)
    last = report_cache.next_month(max(stale)) - timedelta(days=1)
    wanted = set(stale)
    window = _Window(first, last, None, 0)
    values = _aggregate(db, req, conv, query, [*keys, _month(query.day)], window)
    rows = [
        {
            "org_id": req.org_id,
            "month": month,
            "target": target,
            "rates_key": rates_key,
            "kind": kind,
            "item_type": item_type,
            "catalog_object_id": catalog_object_id,
            "name": name,
            "gross": sums["gross"],
            "discount": sums["discount"],
            "units": sums["units"],
        }
        for (kind, item_type, catalog_object_id, name, month), sums in values.items()
        if month in wanted
    ]
    for start in range(0, len(rows), 5000):
        db.execute(insert(lines), rows[start : start + 5000])


@dataclass
class _Read:
    """Sums per key for the period and (shifted onto its dates) the comparison, with the
    period's day counts for coverage (day reads only)."""

    sums: dict[tuple[Any, ...], m.Sums]
    before: dict[tuple[Any, ...], m.Sums] | None
    counts: dict[str, int] = field(default_factory=dict)


def _read_days(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    keys: Sequence[DayKey],
    main_keys: Sequence[DayKey] | None = None,
) -> _Read:
    """Day sums per key for the period (per `main_keys` when given) and its comparison."""
    main, before = _windows(req)
    result: list[dict[tuple[Any, ...], m.Sums]] = []
    counts: dict[str, int] = {}
    every = report_cache.enabled(db) and _every_location(db, req)
    for window in (main, before):
        if window is None:
            continue
        these = main_keys if main_keys is not None and window is main else keys
        if _by_org_day(db, these, window, every):
            sales, footfall = _org_day_values(db, req, conv, these, window)
        elif _by_month(db, these, window):
            sales, footfall = _day_values_by_month(db, req, conv, these, window)
        else:
            sales, footfall = _day_values(db, req, conv, these, window)
        sums = {k: _day_sums(sales.get(k), footfall.get(k)) for k in sales.keys() | footfall}
        date_index = list(these).index("date") if "date" in these else None
        result.append(_shifted(sums, date_index, window.key_shift))
        if window is main:
            counts = {
                "traded": int(sum(v["traded"] for v in sales.values())),
                "used": int(sum(v["used_days"] for v in sales.values())),
                "footfall_days": int(sum(v["footfall_days"] for v in footfall.values())),
            }
    return _Read(result[0], result[1] if len(result) > 1 else None, counts)


HourKey = Literal["date", "hour"]


def _read_hours(db: Session, req: ReportRequest, conv: Converter, keys: Sequence[HourKey]) -> _Read:
    h = RollupHour
    query = _Query(
        source=h.__table__,
        location=h.location_id,
        day=h.business_date,
        currency=h.currency,
        money={**{n: getattr(h, n) for n in m.ORDER_MONEY}, "refund_fees": h.refund_fees},
        plain={"transactions": h.transactions, "units_sold": h.units_sold},
    )
    columns = {"date": h.business_date, "hour": h.hour}
    date_index = list(keys).index("date") if "date" in keys else None
    main, before = _windows(req)
    result: list[dict[tuple[Any, ...], m.Sums]] = []
    for window in (main, before):
        if window is None:
            continue
        values = _date_keys(
            _aggregate(db, req, conv, query, [columns[k] for k in keys], window), keys
        )
        result.append(
            _shifted(
                {k: _day_sums({**v, **_NO_CONVERSION}, None) for k, v in values.items()},
                date_index,
                window.key_shift,
            )
        )
    return _Read(result[0], result[1] if len(result) > 1 else None)


_NO_CONVERSION = {
    "conv_footfall": Decimal(0),
    "conv_transactions": Decimal(0),
    "conv_net": Decimal(0),
}


def _read_lines(db: Session, req: ReportRequest, conv: Converter) -> dict[Hashable, m.Sums]:
    """Line sums per identity (item type, variation, name) for the period."""
    r = RollupLine
    query = _Query(
        source=r.__table__,
        location=r.location_id,
        day=r.business_date,
        currency=r.currency,
        money={"gross": r.gross, "discount": r.discount},
        plain={"units": r.units},
    )
    main, _ = _windows(req)
    keys = [r.kind, r.item_type, r.catalog_object_id, r.name]
    if not req.lfl and _every_location(db, req):
        # Every store: the organization-wide lines, ~stores times fewer rows.
        o = RollupOrgLine
        query = _Query(
            source=o.__table__,
            location=None,
            day=o.business_date,
            currency=o.currency,
            money={"gross": o.gross, "discount": o.discount},
            plain={"units": o.units},
            where=[o.org_id == req.org_id],
        )
        keys = [o.kind, o.item_type, o.catalog_object_id, o.name]
    if query.location is None and _by_month(db, (), main):
        values = _lines_by_month(db, req, conv, query, keys, main)
    else:
        values = _aggregate(db, req, conv, query, keys, main)
    result: dict[Hashable, m.Sums] = defaultdict(m.Sums)
    for (kind, item_type, variation_id, name), v in values.items():
        sums = m.Sums()
        if kind == "sale":
            sums.money["gross_sales"] = v["gross"]
            sums.money["discounts"] = v["discount"]
            sums.units_sold = v["units"]
        else:
            sums.money["returns"] = v["gross"]
            sums.money["discounts"] = -v["discount"]
            sums.units_sold = -v["units"]
        result[(item_type, variation_id, name or "")] += sums
    return result


def _every_location(db: Session, req: ReportRequest) -> bool:
    every = set(db.scalars(select(Location.id).where(Location.org_id == req.org_id)))
    return every == set(req.location_ids)


def _read_tenders(db: Session, req: ReportRequest, conv: Converter) -> dict[Hashable, m.Sums]:
    """Payment-method sums per (tender type, card brand) for the period."""
    t = RollupTender
    query = _Query(
        source=t.__table__,
        location=t.location_id,
        day=t.business_date,
        currency=t.currency,
        money={
            "tendered": t.tendered,
            "tender_fees": t.tender_fees,
            "refunded": t.refunded,
            "refund_fees": t.refund_fees,
        },
        plain={},
    )
    main, _ = _windows(req)
    values = _aggregate(db, req, conv, query, [t.tender_type, t.card_brand], main)
    result: dict[Hashable, m.Sums] = {}
    for key, v in values.items():
        sums = m.Sums(tendered=v["tendered"], refunded=v["refunded"], refund_fees=v["refund_fees"])
        sums.money["tender_fees"] = v["tender_fees"]
        result[key] = sums
    return result


def _sum_all(values: Iterable[m.Sums]) -> m.Sums:
    total = m.Sums()
    for sums in values:
        total += sums
    return total


def _fold_sums(
    values: dict[tuple[Any, ...], m.Sums], bucket: Callable[[tuple[Any, ...]], Hashable]
) -> dict[Hashable, m.Sums]:
    """`values` added up per bucket; a bucket of one key holds that key's own `Sums` (a day
    series over three years has 1,096 buckets of one day each)."""
    folded: dict[Hashable, m.Sums] = {}
    borrowed: set[Hashable] = set()
    for key, sums in values.items():
        b = bucket(key)
        mine = folded.get(b)
        if mine is None:
            folded[b] = sums
            borrowed.add(b)
            continue
        if b in borrowed:  # never add into one of `values`' own
            mine = folded[b] = _copy(mine)
            borrowed.discard(b)
        mine += sums
    return folded


def _copy(sums: m.Sums) -> m.Sums:
    total = m.Sums()
    total += sums
    return total


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
    elif granularity == Granularity.day and _by_org_day(
        db, ("date",), main, report_cache.enabled(db) and _every_location(db, req)
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


def _breakdown_groups(
    db: Session, req: ReportRequest, conv: Converter, by: BreakdownBy, source: Source
) -> tuple[dict[Hashable, m.Sums], m.Sums]:
    """Sums per (key, label) group, and the summary's sums for the same filters."""
    if source == "orders" or by == BreakdownBy.team_member:
        # Team members split each order by its payments: always from the order tables.
        day_cells, _ = _read(db, req, conv, _day_cells)
        return _cell_groups(db, req, conv, by, day_cells), _total(day_cells)
    names = {loc.id: loc.name for loc in _locations(db, req).values()}
    total: m.Sums | None = None
    groups: dict[Hashable, m.Sums]
    if by == BreakdownBy.location:
        read = _read_days(db, req, conv, ("location",))
        groups = _fold_sums(read.sums, lambda k: (str(k[0]), names.get(k[0], str(k[0]))))
        total = _sum_all(read.sums.values())
    elif by == BreakdownBy.weekday:
        read = _read_days(db, req, conv, ("date",))
        groups = _fold_sums(read.sums, lambda k: (str(k[0].weekday()), WEEKDAYS[k[0].weekday()]))
        total = _sum_all(read.sums.values())
    elif by == BreakdownBy.hour:
        read = _read_hours(db, req, conv, ("hour",))
        groups = _fold_sums(read.sums, lambda k: (str(k[0]), f"{_hour(k[0]):02d}:00"))
    elif by in (BreakdownBy.item, BreakdownBy.category):
        line_group = _line_grouping(db, req.org_id, by)
        groups = defaultdict(m.Sums)
        for key, sums in _read_lines(db, req, conv).items():
            groups[line_group(key)] += sums
    else:
        groups = defaultdict(m.Sums)
        for key, sums in _read_tenders(db, req, conv).items():
            groups[_tender_label(key)] += sums
    if total is None:
        total = _sum_all(_read_days(db, req, conv, ()).sums.values())
    return groups, total


def _cell_groups(
    db: Session, req: ReportRequest, conv: Converter, by: BreakdownBy, day_cells: Cells
) -> dict[Hashable, m.Sums]:
    """The straight computation's groups, from cells of the order tables."""
    group: Callable[[CellKey], tuple[str, str]]
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
    elif by == BreakdownBy.payment_method:
        cells, _ = _read(db, req, conv, _tender_cells)
        group = lambda key: _tender_label(key[2])  # noqa: E731
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
    return _fold(cells.sums.items(), group)


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
    folded, total_sums = _breakdown_groups(db, req, conv, by, source)
    total = m.compute(total_sums)
    shown: tuple[str, ...] = m.METRIC_NAMES
    compute: Callable[[m.Sums], m.Metrics] = m.compute
    if by in (BreakdownBy.item, BreakdownBy.category):
        shown = m.LINE_METRICS
    elif by == BreakdownBy.payment_method:
        shown = m.PAYMENT_METRICS
        compute = m.compute_payments
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
