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

import hashlib
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
    or_,
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
from app.reports import posting
from app.reports.models import (
    MONTH_FOOTFALL,
    MONTH_SALES,
    HourDaySums,
    LineDaySet,
    LineDaySums,
    MonthDaySums,
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
    """Sums per cell, and the location-day facts coverage and like-for-like need.

    As read from the order tables a cell's money is in minor units of its location-day's
    `currency`; `_post_cells` turns them into posted amounts of the reporting currency."""

    sums: dict[CellKey, m.Sums] = field(default_factory=lambda: defaultdict(m.Sums))
    traded: set[tuple[int, date]] = field(default_factory=set)  # location-days with orders
    footfall: dict[tuple[int, date], int] = field(default_factory=dict)  # counted days
    currency: dict[tuple[int, date], str] = field(default_factory=dict)

    def add(self, key: CellKey, sums: m.Sums, currency: str | None = None) -> None:
        self.sums[key] += sums
        if currency is not None:
            self.currency[(key[0], key[1])] = currency


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


def _order_sums(row: Any) -> m.Sums:
    sums = m.Sums()
    for name in m.ORDER_MONEY:
        sums.money[name] = Decimal(getattr(row, name) or 0)
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
    """Whole-day cells (extra key None), with the counted footfall of each location-day."""
    cells = Cells()
    rows = db.execute(
        select(
            SaleOrder.location_id, SaleOrder.currency, SaleOrder.business_date, *_order_columns()
        )
        .where(_order_filter(req, date_from, date_to))
        .group_by(SaleOrder.location_id, SaleOrder.currency, SaleOrder.business_date)
    )
    for row in rows:
        cells.add((row.location_id, row.business_date, None), _order_sums(row), row.currency)
        cells.traded.add((row.location_id, row.business_date))
    for row in _refunds(db, req, date_from, date_to):
        sums = m.Sums(refund_fees=Decimal(row.fee or 0))
        cells.add((row.location_id, row.business_date, None), sums, row.currency)
    days = footfall_service.day_footfall(
        db=db,
        org_id=req.org_id,
        location_ids=req.location_ids,
        date_from=date_from,
        date_to=date_to,
    )
    for (location_id, day), entry in days.items():
        if entry.status == "counted" and entry.count is not None:
            cells.footfall[(location_id, day)] = entry.count
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
            (row.location_id, row.business_date, row.local_hour), _order_sums(row), row.currency
        )
        cells.traded.add((row.location_id, row.business_date))
    zones = _locations(db, req)
    for row in _refunds(db, req, date_from, date_to, SaleRefund.created_at):
        location = zones[row.location_id]
        _, hour = business_day(
            _aware(row.created_at), location.timezone, location.business_day_start_hour
        )
        fee = Decimal(row.fee or 0)
        cells.add((row.location_id, row.business_date, hour), m.Sums(refund_fees=fee), row.currency)
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
        sums = m.Sums()
        gross = Decimal(row.gross or 0)
        discount = Decimal(row.discount or 0)
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
        cells.add((row.location_id, row.business_date, key), sums, row.currency)
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
        sums = m.Sums(tendered=Decimal(row.amount or 0))
        sums.money["tender_fees"] = Decimal(row.fee or 0)
        key = (row.location_id, row.business_date, (row.tender_type, row.card_brand))
        cells.add(key, sums, row.currency)

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
            value = Decimal(row.value or 0)
            sums = m.Sums(refunded=value) if dated_by_order else m.Sums(refund_fees=value)
            key = (row.location_id, row.day, (row.tender_type, row.card_brand))
            cells.add(key, sums, row.currency)
    return cells


def _team_cells(
    db: Session, req: ReportRequest, conv: Converter, date_from: date, date_to: date
) -> Cells:
    """Cells per team member (METRICS.md "Breakdowns"): a tender's tip and fee follow the team
    member who took its payment; the order's other money splits in proportion to its tenders'
    amounts less their tips (a return order's: its refunds'), in minor units by largest remainder
    (ties: the first tender); its transaction and units go whole to the largest tender's member.
    A refund's fee belongs to the refund's own team member. None known: Unattributed."""
    cells = Cells()
    tenders = db.execute(
        select(
            SaleTender.order_id,
            SaleTender.amount,
            SaleTender.tip,
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
        .order_by(SaleTender.order_id, SaleTender.id)
    )
    # Per order, its tenders in order: (team member, weight, tip, fee).
    paid: dict[int, list[tuple[str | None, int, int, int]]] = defaultdict(list)
    for order_id, amount, tip, fee, member in tenders:
        paid[order_id].append((member, amount - tip, tip, fee))
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
        .order_by(SaleRefund.order_id, SaleRefund.id)
    )
    refunded: dict[int, list[tuple[str | None, int, int, int]]] = defaultdict(list)
    for order_id, amount, member in refunds:
        refunded[order_id].append((member, amount, 0, 0))

    split_money = [n for n in m.ORDER_MONEY if n not in ("tips", "tender_fees")]
    orders = db.execute(
        select(
            SaleOrder.id,
            SaleOrder.location_id,
            SaleOrder.currency,
            SaleOrder.business_date,
            SaleOrder.is_transaction,
            SaleOrder.units_sold,
            SaleOrder.tips,
            *(getattr(SaleOrder, name) for name in split_money),
        ).where(_order_filter(req, date_from, date_to))
    )
    for row in orders:
        parts = paid.get(row.id, [])
        if not any(p[1] or p[2] for p in parts):
            # Nothing tendered (a return order): its refunds' team members share it.
            parts = [*parts, *refunded.get(row.id, [])]
        parts = parts or [(None, 0, 0, 0)]
        members: dict[str | None, m.Sums] = defaultdict(m.Sums)
        weights = {i: Decimal(abs(p[1])) for i, p in enumerate(parts)}
        total = sum(weights.values(), Decimal(0))
        if not total:
            weights = {i: Decimal(1) if i == 0 else Decimal(0) for i in range(len(parts))}
            total = Decimal(1)
        leftover_tips = row.tips - sum(p[2] for p in parts)
        for name, value in (
            *((n, getattr(row, n)) for n in split_money),
            ("tips", leftover_tips),
        ):
            if not value:
                continue
            shares = posting.split(
                {i: Decimal(value) * w / total for i, w in weights.items()}, value
            )
            for i, units in shares.items():
                if units:
                    members[parts[i][0]].money[name] += Decimal(units)
        for member, _, tip, fee in parts:
            members[member].money["tips"] += Decimal(tip)
            members[member].money["tender_fees"] += Decimal(fee)
        largest = max(range(len(parts)), key=lambda i: (weights[i], -i))
        whole = members[parts[largest][0]]
        whole.transactions += int(row.is_transaction)
        whole.units_sold += Decimal(row.units_sold)
        for member, sums in members.items():
            cells.add((row.location_id, row.business_date, member), sums, row.currency)
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
        cells.add((location_id, day, member), m.Sums(refund_fees=Decimal(fee or 0)), currency)
    return cells


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
    digits = m.minor_digits(conv.target)
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
        for (location_id, day), count in cells.footfall.items():
            sums = m.Sums(footfall=count)
            if (location_id, day) in cells.traded:
                # Conversion reads only location-days that have both a count and sales.
                day_sums = out.sums[(location_id, day, None)]
                sums.conversion_footfall = count
                sums.conversion_transactions = day_sums.transactions
                sums.conversion_net_sales = day_sums.net_sales
            out.add((location_id, day, None), sums)
    return out


def _payment_totals(
    db: Session, req: ReportRequest, conv: Converter, date_from: date, date_to: date
) -> dict[tuple[int, date], dict[str, int]]:
    """Each location-day's posted total collected and fees, in minor units: what its
    payment-method rows share out."""
    digits = m.minor_digits(conv.target)
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

    def load(date_from: date, date_to: date) -> Cells:
        raw = reader(db, req, conv, date_from, date_to)
        if rekey is not None:
            keyed = Cells(traded=raw.traded, footfall=raw.footfall, currency=raw.currency)
            for (location_id, day, extra), sums in raw.sums.items():
                keyed.add((location_id, day, rekey(extra)), sums)
            raw = keyed
        totals = _payment_totals(db, req, conv, date_from, date_to) if payments else None
        return _post_cells(raw, conv, fine=reader is not _day_cells, totals=totals)

    cells = load(req.date_from, req.date_to)
    window = req.comparison_range()
    if window is None or req.offset is None:
        return cells, None
    before = load(*window)
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


def _cache_key(conv: Converter) -> str:
    """The converted caches' key for a rate source: its own key, under the posting rule the
    cached sums were made by (sums made before posting are never read)."""
    return f"posted:{conv.cache_key()}"[:64]


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
    n = len(keys) + len(located)
    money = list(query.money)
    plain = list(query.plain)
    digits = m.minor_digits(conv.target)
    result: KeyedValues = {}
    # Finer than a day: each location-day's rows, split once all are read.
    days: dict[tuple[Any, date, str], dict[Hashable, list[Decimal]]] = defaultdict(dict)
    for row in rows:
        key = tuple(row[: len(keys)])
        currency, day = row[n], row[n + 1]
        if isinstance(day, str):
            day = date.fromisoformat(day)
        factor = conv.factor(currency, day)
        if fine and located:
            target = row_of(key) if row_of is not None else key
            held = days[(row[len(keys)], day, currency)].get(target)
            amounts = [_dec(row[n + 2 + i]) for i in range(len(money))]
            if held is None:
                days[(row[len(keys)], day, currency)][target] = amounts
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
            for i, name in enumerate(money):
                amount = _dec(row[n + 2 + i])
                # A location-day row is posted; organization-wide rows are in the target itself.
                values[name] += posting.post(amount, factor, digits) if located else amount * factor
        for i, name in enumerate(plain):
            values[name] += _dec(row[n + 2 + len(money) + i])
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
    return literal_column(f"1e{m.minor_digits(conv.target)}::numeric")


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
_NET_PARTS = ("gross_sales", "returns", "discounts")


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
    if "conv_gross_sales" in values:
        values["conv_net"] = (
            values.pop("conv_gross_sales")
            - values.pop("conv_returns")
            - values.pop("conv_discounts")
        )
    return values


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
        money=_day_measures(h),
        plain={"transactions": h.transactions, "units_sold": h.units_sold},
    )
    columns = {"date": h.business_date, "hour": h.hour}
    date_index = list(keys).index("date") if "date" in keys else None
    main, before = _windows(req)
    result: list[dict[tuple[Any, ...], m.Sums]] = []
    for window in (main, before):
        if window is None:
            continue
        # A location-day's posted amounts shared out among its hours (ties: the earlier hour).
        found = _hours_in_sql(db, req, conv, query, keys, window) if _is_postgres(db) else None
        values = _date_keys(
            found
            if found is not None
            else _aggregate(
                db,
                req,
                conv,
                query,
                [columns[k] for k in keys],
                window,
                fine=True,
                order=lambda k: k[-1],
            ),
            keys,
        )
        result.append(
            _shifted(
                {
                    k: _day_sums({**_as_month_sales(v), **_NO_CONVERSION}, None)
                    for k, v in values.items()
                },
                date_index,
                window.key_shift,
            )
        )
    return _Read(result[0], result[1] if len(result) > 1 else None)


def _hours_in_sql(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    query: _Query,
    keys: Sequence[HourKey],
    window: _Window,
) -> KeyedValues | None:
    """PostgreSQL: `_read_hours`' values per ([date,] hour), split in SQL; every store's from
    the hour day cache (`HourDaySums`), whose months are made the first time they are needed."""
    per_day = "date" in keys
    if report_cache.enabled(db) and window.lfl_shift is None and _every_location(db, req):
        return _cached_hours(db, req, conv, query, per_day, window)
    found = _split_in_sql(db, req, conv, window, query, RollupHour.hour, per_day=per_day)
    if found is None:
        return None
    return _split_values(found, query, per_day, m.minor_digits(conv.target))


_HOUR_GROUPING = "hour"


def _cached_hours(
    db: Session, req: ReportRequest, conv: Converter, query: _Query, per_day: bool, window: _Window
) -> KeyedValues | None:
    hours = HourDaySums
    rates_key, target = _cache_key(conv), conv.target
    stale = _stale_months(db, req, conv, _HOUR_GROUPING, window)
    digits = m.minor_digits(conv.target)
    names = [*query.money, *query.plain]
    for month, version in stale:
        last = report_cache.next_month(month) - timedelta(days=1)
        found = _split_in_sql(
            db, req, conv, _Window(month, last, None, 0), query, RollupHour.hour, per_day=True
        )
        if found is None:
            return None
        _claim_month(db, req, conv, _HOUR_GROUPING, month, version)
        db.execute(
            delete(hours).where(
                hours.org_id == req.org_id,
                hours.target == target,
                hours.rates_key == rates_key,
                hours.business_date >= month,
                hours.business_date <= last,
            )
        )
        values = _split_values(found, query, True, digits)
        rows = [
            {
                "org_id": req.org_id,
                "target": target,
                "rates_key": rates_key,
                "business_date": day,
                "hour": hour,
                **v,
            }
            for (day, hour), v in values.items()
        ]
        for start in range(0, len(rows), 5000):
            db.execute(insert(hours), rows[start : start + 5000])
    key = [hours.business_date, hours.hour] if per_day else [hours.hour]
    result: KeyedValues = {}
    for row in db.execute(
        select(*key, *(func.sum(getattr(hours, n)) for n in names))
        .where(
            hours.org_id == req.org_id,
            hours.target == target,
            hours.rates_key == rates_key,
            *window.within(hours.business_date),
        )
        .group_by(*key)
    ):
        n = len(key)
        result[tuple(row[:n])] = {name: _dec(row[n + i]) for i, name in enumerate(names)}
    return result


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
    db: Session, req: ReportRequest, conv: Converter, grouping: str, month: date, version: int
) -> None:
    """Write a month's `LineDaySet` row before its cached rows: a second report making the same
    month waits on it, then replaces what the first stored (never adds to it)."""
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


def _split_values(found: list[Any], query: _Query, per_day: bool, digits: int) -> KeyedValues:
    """`_split_in_sql`'s rows as values per ([date,] row), money in major units."""
    n = 2 if per_day else 1
    money, plain = list(query.money), list(query.plain)
    values: KeyedValues = {}
    for row in found:
        shown = {name: _dec(row[n + i]).scaleb(-digits) for i, name in enumerate(money)}
        shown.update({name: _dec(row[n + len(money) + i]) for i, name in enumerate(plain)})
        values[tuple(row[:n])] = shown
    return values


_NO_CONVERSION = {
    "conv_footfall": Decimal(0),
    "conv_transactions": Decimal(0),
    "conv_net": Decimal(0),
}


def _read_lines(
    db: Session, req: ReportRequest, conv: Converter, grouping: _Grouping
) -> dict[Hashable, m.Sums]:
    """Line sums per item or category row for the period: each location-day's posted gross
    sales, returns and discounts shared out among the rows by largest remainder.

    PostgreSQL: in SQL (`_lines_in_sql`); every store's rows come from the line day cache,
    whose months are made the first time a report needs them. Elsewhere, from the rollups here.
    """
    main, _ = _windows(req)
    values: dict[tuple[Any, ...], Values] | None = None
    if _is_postgres(db):
        if report_cache.enabled(db) and not req.lfl and _every_location(db, req):
            values = _cached_lines(db, req, conv, grouping, main)
        else:
            values = _lines_in_sql(db, req, conv, grouping, main, every=False, per_day=False)
    if values is None:
        r = RollupLine
        sale = r.kind == "sale"
        query = _Query(
            source=r.__table__,
            location=r.location_id,
            day=r.business_date,
            currency=r.currency,
            money={
                "gross_sales": case((sale, r.gross), else_=0),
                "returns": case((sale, 0), else_=r.gross),
                "discounts": case((sale, r.discount), else_=-r.discount),
            },
            plain={"units": case((sale, r.units), else_=-r.units)},
        )
        values = _aggregate(
            db,
            req,
            conv,
            query,
            [r.item_type, r.catalog_object_id, r.name],
            main,
            fine=True,
            row_of=lambda k: grouping.row((k[0], k[1], k[2] or "")),
            order=posting.sort_text,
        )
    result: dict[Hashable, m.Sums] = defaultdict(m.Sums)
    for row, v in values.items():
        sums = m.Sums()
        for name in ("gross_sales", "returns", "discounts"):
            sums.money[name] = v[name]
        sums.units_sold = v["units"]
        result[row[-2:]] += sums
    return result


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
    """PostgreSQL: `posting.split` in SQL. The query's rows are grouped per location-day and
    `row` (an integer or text expression: the breakdown's row, which also breaks ties), each
    money expression converted into exact minor units of the reporting currency, and each
    location-day's posted amount — its rows' own rounded sum, or `totals`' column of the same
    name (a subquery by `loc` and `day`) — shared out by largest remainder with window
    functions. Returns rows of ([date,] row, money in minor units..., plain...), or None when
    a rate is missing (the caller's Python path raises the error naming it)."""
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
    return list(
        db.execute(
            select(
                *day_key, shares.c.row, *split, *(func.sum(shares.c[f"p_{n}"]) for n in plain)
            ).group_by(*day_key, shares.c.row)
        )
    )


def _lines_in_sql(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    grouping: _Grouping,
    window: _Window,
    *,
    every: bool,
    per_day: bool,
) -> dict[tuple[Any, ...], Values] | None:
    """PostgreSQL: item or category rows ([date,] key, label), each location-day's posted
    amounts shared out among them in SQL (`_split_in_sql`; ties to the row that sorts first).
    `every`: the organization's lines in the reporting currency are read from
    `rollup_org_line`, exact, and only the others per location. None when a rate is missing."""
    o, r = RollupOrgLine, RollupLine
    identities = db.execute(
        select(o.item_type, func.coalesce(o.catalog_object_id, ""), o.name)
        .where(o.org_id == req.org_id, *window.within(o.business_date))
        .distinct()
    ).all()
    rows = sorted(
        {grouping.row((t, c or None, n)) for t, c, n in identities}, key=posting.sort_text
    )
    index = {row: i for i, row in enumerate(rows)}
    mapping = (
        func.unnest(
            bindparam("map_types", [t for t, _, _ in identities], type_=ARRAY(String)),
            bindparam("map_ids", [c for _, c, _ in identities], type_=ARRAY(String)),
            bindparam("map_names", [n for _, _, n in identities], type_=ARRAY(String)),
            bindparam(
                "map_rows",
                [index[grouping.row((t, c or None, n))] for t, c, n in identities],
                type_=ARRAY(Integer),
            ),
        )
        .table_valued(
            column("item_type", String),
            column("cid", String),
            column("name", String),
            column("row", Integer),
        )
        .render_derived(name="map")
    )
    sale = r.kind == "sale"
    query = _Query(
        source=r.__table__.join(
            mapping,
            and_(
                mapping.c.item_type == r.item_type,
                mapping.c.cid == func.coalesce(r.catalog_object_id, ""),
                mapping.c.name == r.name,
            ),
        ),
        location=r.location_id,
        day=r.business_date,
        currency=r.currency,
        money={
            "gross_sales": case((sale, r.gross), else_=0),
            "returns": case((sale, 0), else_=r.gross),
            "discounts": case((sale, r.discount), else_=-r.discount),
        },
        plain={"units": case((sale, r.units), else_=-r.units)},
        where=[r.org_id == req.org_id, *([r.currency != conv.target] if every else [])],
    )
    found = _split_in_sql(db, req, conv, window, query, mapping.c.row, per_day=per_day)
    if found is None:
        return None
    parts = [found]
    if every:
        # In the reporting currency itself: exact minor units, nothing to share out.
        org_key = [o.business_date] if per_day else []
        o_sale = o.kind == "sale"
        parts.append(
            list(
                db.execute(
                    select(
                        *org_key,
                        mapping.c.row,
                        func.sum(case((o_sale, o.gross), else_=0)),
                        func.sum(case((o_sale, 0), else_=o.gross)),
                        func.sum(case((o_sale, o.discount), else_=-o.discount)),
                        func.sum(case((o_sale, o.units), else_=-o.units)),
                    )
                    .select_from(
                        o.__table__.join(
                            mapping,
                            and_(
                                mapping.c.item_type == o.item_type,
                                mapping.c.cid == func.coalesce(o.catalog_object_id, ""),
                                mapping.c.name == o.name,
                            ),
                        )
                    )
                    .where(
                        o.org_id == req.org_id,
                        *window.within(o.business_date),
                        o.currency == conv.target,
                    )
                    .group_by(*org_key, mapping.c.row)
                )
            )
        )
    digits = m.minor_digits(conv.target)
    result: dict[tuple[Any, ...], Values] = {}
    n = 1 if per_day else 0
    for part in parts:
        for found_row in part:
            row = rows[found_row[n]]
            key = (found_row[0], *row) if per_day else row
            values = result.get(key)
            if values is None:
                values = result[key] = dict.fromkeys(
                    ("gross_sales", "returns", "discounts", "units"), Decimal(0)
                )
            for i, name in enumerate(("gross_sales", "returns", "discounts")):
                values[name] += _dec(found_row[n + 1 + i]).scaleb(-digits)
            values["units"] += _dec(found_row[n + 4])
    return result


def _cached_lines(
    db: Session, req: ReportRequest, conv: Converter, grouping: _Grouping, window: _Window
) -> dict[tuple[Any, ...], Values] | None:
    """Every store's item or category rows of the window from `LineDaySums`; the months missing
    or out of date (their organization version moved, or made for another grouping) are made
    first. None when a rate is missing."""
    lines = LineDaySums
    for month, version in _stale_months(db, req, conv, grouping.digest, window):
        if not _fill_line_days(db, req, conv, grouping, month, version):
            return None
    # Whole months from their month rows (a three-year breakdown adds up 36 months of rows, not
    # 1,096 days of them), the days at either end from their day rows.
    months = report_cache.full_months(window.date_from, window.date_to)
    if months:
        end = report_cache.next_month(months[-1])
        chosen = or_(
            and_(lines.grouping == _month_rows(grouping), lines.business_date.in_(months)),
            and_(
                lines.grouping == grouping.digest,
                *window.within(lines.business_date),
                or_(lines.business_date < months[0], lines.business_date >= end),
            ),
        )
    else:
        chosen = and_(lines.grouping == grouping.digest, *window.within(lines.business_date))
    found: dict[tuple[Any, ...], Values] = {}
    for row_key, label, gross, returned, discounts, units in db.execute(
        select(
            lines.row_key,
            lines.label,
            func.sum(lines.gross_sales),
            func.sum(lines.returns),
            func.sum(lines.discounts),
            func.sum(lines.units),
        )
        .where(
            lines.org_id == req.org_id,
            lines.target == conv.target,
            lines.rates_key == _cache_key(conv),
            chosen,
        )
        .group_by(lines.row_key, lines.label)
    ):
        found[(row_key, label)] = {
            "gross_sales": _dec(gross),
            "returns": _dec(returned),
            "discounts": _dec(discounts),
            "units": _dec(units),
        }
    return found


def _fill_line_days(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    grouping: _Grouping,
    month: date,
    version: int,
) -> bool:
    """Compute one month's item or category rows per date and store them. Its `LineDaySet` row
    is written first: a second report making the same month waits on it, then replaces what
    the first stored (never adds to it). False when a rate is missing."""
    sets, lines = LineDaySet, LineDaySums
    rates_key, target = _cache_key(conv), conv.target
    last = report_cache.next_month(month) - timedelta(days=1)
    values = _lines_in_sql(
        db, req, conv, grouping, _Window(month, last, None, 0), every=True, per_day=True
    )
    if values is None:
        return False
    _claim_month(db, req, conv, grouping.digest, month, version)
    # Other groupings of the same lines are of no further use once the catalog has changed.
    db.execute(
        delete(lines).where(
            lines.org_id == req.org_id,
            lines.target == target,
            lines.rates_key == rates_key,
            lines.business_date >= month,
            lines.business_date <= last,
            lines.grouping.startswith(f"{grouping.by.value}:"),
        )
    )
    db.execute(
        delete(sets).where(
            sets.org_id == req.org_id,
            sets.month == month,
            sets.target == target,
            sets.rates_key == rates_key,
            sets.grouping != grouping.digest,
            sets.grouping.startswith(f"{grouping.by.value}:"),
        )
    )
    rows = [
        {
            "org_id": req.org_id,
            "target": target,
            "rates_key": rates_key,
            "grouping": grouping.digest,
            "business_date": day,
            "row_key": key,
            "label": label,
            **v,
        }
        for (day, key, label), v in values.items()
    ]
    whole: dict[tuple[str, str], dict[str, Decimal]] = {}
    for (_, key, label), v in values.items():
        into = whole.setdefault((key, label), dict.fromkeys(v, Decimal(0)))
        for name, value in v.items():
            into[name] += value
    rows += [
        {
            "org_id": req.org_id,
            "target": target,
            "rates_key": rates_key,
            "grouping": _month_rows(grouping),
            "business_date": month,
            "row_key": key,
            "label": label,
            **v,
        }
        for (key, label), v in whole.items()
    ]
    for start in range(0, len(rows), 5000):
        db.execute(insert(lines), rows[start : start + 5000])
    return True


def _month_rows(grouping: _Grouping) -> str:
    """`LineDaySums`' grouping of a month's rows added up (dated the month's first day)."""
    return f"{grouping.digest}/month"


def _every_location(db: Session, req: ReportRequest) -> bool:
    every = set(db.scalars(select(Location.id).where(Location.org_id == req.org_id)))
    return every == set(req.location_ids)


def _read_tenders(db: Session, req: ReportRequest, conv: Converter) -> dict[Hashable, m.Sums]:
    """Payment-method sums per (tender type, card brand) for the period: each location-day's
    posted total collected and fees shared out among its tenders by largest remainder."""
    t = RollupTender
    query = _Query(
        source=t.__table__,
        location=t.location_id,
        day=t.business_date,
        currency=t.currency,
        money={
            "collected": t.tendered - t.refunded,
            "fees": t.tender_fees - t.refund_fees,
        },
        plain={},
    )
    main, _ = _windows(req)
    # What each location-day posted (summary's figures), in minor units.
    digits = m.minor_digits(conv.target)
    totals: dict[tuple[int, date], dict[str, int]] = {}
    if not _is_postgres(db):
        days = _day_values(db, req, conv, ("location", "date"), main)[0]
        for (location_id, day), v in days.items():
            figures = m.compute(_day_sums(v, None))
            totals[(location_id, day)] = {
                "collected": int(Decimal(figures["total_collected"] or 0).scaleb(digits)),
                "fees": int(Decimal(figures["fees"] or 0).scaleb(digits)),
            }
    values: KeyedValues | None = None
    if _is_postgres(db):
        values = _tenders_in_sql(db, req, conv, query, main)
    if values is None:
        values = _aggregate(
            db,
            req,
            conv,
            query,
            [t.tender_type, t.card_brand],
            main,
            fine=True,
            order=posting.sort_text,
            totals=totals,
        )
    result: dict[Hashable, m.Sums] = {}
    for key, v in values.items():
        sums = m.Sums(tendered=v["collected"])
        sums.money["tender_fees"] = v["fees"]
        result[key] = sums
    return result


_SEPARATOR = "\x1f"  # between a tender type and its card brand in a row's text


def _tenders_in_sql(
    db: Session, req: ReportRequest, conv: Converter, query: _Query, window: _Window
) -> KeyedValues | None:
    """PostgreSQL: payment-method values per (tender type, card brand), each location-day's
    posted total collected and fees (from its day rollup, as the summary posts them) split in
    SQL."""
    d, t = RollupDay, RollupTender
    rates = _rates_table(conv, _currencies(db, req), window, name="day_rates")
    scale = _scale(conv)

    def posted(amount: Any) -> Any:
        return func.round(_exact_sql(amount * rates.c.factor, scale))

    signs = {
        "gross_sales": 1,
        "returns": -1,
        "discounts": -1,
        "tax": 1,
        "tips": 1,
        "service_charges": 1,
        "gift_card_sales": 1,
        "refunds_by_amount": -1,
        "rounding": 1,
    }
    collected = sum((posted(getattr(d, n)) * sign for n, sign in signs.items()), literal(0))
    totals = (
        select(
            d.location_id.label("loc"),
            d.business_date.label("day"),
            func.sum(collected).label("collected"),
            func.sum(posted(d.tender_fees - d.refund_fees)).label("fees"),
        )
        .select_from(
            d.__table__.join(
                rates, and_(rates.c.currency == d.currency, rates.c.day == d.business_date)
            )
        )
        .where(
            _among(db, d.location_id, req.location_ids),
            *window.within(d.business_date),
            *_lfl(db, window, d.location_id, d.business_date),
        )
        .group_by(d.location_id, d.business_date)
        .subquery()
    )
    row = t.tender_type + _SEPARATOR + func.coalesce(t.card_brand, "")
    found = _split_in_sql(
        db,
        req,
        conv,
        window,
        query,
        row,
        per_day=False,
        totals=totals,
        order=lambda r: func.lower(r).collate("C"),
    )
    if found is None:
        return None
    values = _split_values(found, query, False, m.minor_digits(conv.target))
    result: KeyedValues = {}
    for (text_key,), v in values.items():
        tender_type, brand = text_key.split(_SEPARATOR)
        result[(tender_type, brand or None)] = v
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


def _norm(name: str) -> str:
    """A name as rows are merged by it: trimmed, case-insensitive (METRICS.md "Breakdowns")."""
    return " ".join(name.split()).casefold()


@dataclass(frozen=True)
class _Grouping:
    """How line identities (item type, variation, name) become item or category rows: one row
    per name across the organization's Square accounts, spelled as the most recently updated
    catalog object spells it. `digest` changes whenever the catalog would group differently."""

    by: BreakdownBy
    row: Callable[[Hashable], tuple[str, str]]
    digest: str


def _line_grouping(db: Session, org_id: int, by: BreakdownBy) -> _Grouping:
    variations = _pairs(
        db.execute(
            select(CatalogVariation.square_id, CatalogVariation.item_square_id)
            .where(CatalogVariation.org_id == org_id)
            .order_by(CatalogVariation.square_id)
        )
    )
    items = {
        square_id: (name, category, updated_at, row_id)
        for square_id, name, category, updated_at, row_id in db.execute(
            select(
                CatalogItem.square_id,
                CatalogItem.name,
                CatalogItem.category_square_id,
                CatalogItem.updated_at,
                CatalogItem.id,
            )
            .where(CatalogItem.org_id == org_id)
            .order_by(CatalogItem.square_id)
        )
    }
    categories = {
        square_id: (name, updated_at, row_id)
        for square_id, name, updated_at, row_id in db.execute(
            select(
                CatalogCategory.square_id,
                CatalogCategory.name,
                CatalogCategory.updated_at,
                CatalogCategory.id,
            )
            .where(CatalogCategory.org_id == org_id)
            .order_by(CatalogCategory.square_id)
        )
    }

    def spelling(objects: Iterable[tuple[str, Any, int]]) -> dict[str, str]:
        best: dict[str, tuple[Any, int, str]] = {}
        for name, updated_at, row_id in objects:
            norm = _norm(name)
            rank = (_aware(updated_at).timestamp() if updated_at else 0.0, row_id, name)
            if norm not in best or rank > best[norm]:
                best[norm] = rank
        return {norm: rank[2] for norm, rank in best.items()}

    item_names = spelling((v[0], v[2], v[3]) for v in items.values())
    category_names = spelling(categories.values())

    def row(extra: Hashable) -> tuple[str, str]:
        assert isinstance(extra, tuple)
        item_type, variation_id, name = extra
        if item_type == "CUSTOM_AMOUNT" and not variation_id:
            return "custom_amount", CUSTOM_AMOUNT
        item_id = variations.get(variation_id) if variation_id else None
        item = items.get(item_id) if item_id else None
        if by == BreakdownBy.item:
            if item is None and variation_id:
                return f"variation:{variation_id}", name or variation_id
            shown = item[0] if item else (name or CUSTOM_AMOUNT)
            norm = _norm(shown)
            return f"item:{norm}", item_names.get(norm, shown)
        category = categories.get(item[1]) if item and item[1] else None
        if category is None:
            return "uncategorised", UNCATEGORISED
        norm = _norm(category[0])
        return f"category:{norm}", category_names.get(norm, category[0])

    fingerprint = hashlib.sha256(
        repr((by.value, sorted(variations.items()), items, categories)).encode()
    ).hexdigest()
    return _Grouping(by, row, f"{by.value}:{fingerprint[:40]}")


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
        groups = defaultdict(m.Sums)
        for key, sums in _read_lines(db, req, conv, _line_grouping(db, req.org_id, by)).items():
            groups[key] += sums
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
    group: Callable[[CellKey], Hashable]
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
        cells, _ = _read(db, req, conv, _line_cells, rekey=_line_grouping(db, req.org_id, by).row)
        group = lambda key: key[2]  # noqa: E731
    elif by == BreakdownBy.payment_method:
        cells, _ = _read(db, req, conv, _tender_cells, payments=True)
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
