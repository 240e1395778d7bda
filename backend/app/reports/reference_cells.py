"""Reports' reference path, its readers: cells read straight from the order tables.

A cell is the sums of one (location, business date, extra key) from GROUP BYs over
sale_order/sale_line/sale_tender/sale_refund, in minor units of its location-day's currency;
app/reports/reference.py posts them into the reporting currency and folds them into buckets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from app.catalog.measures import ORDER_MEASURES
from app.footfall import service as footfall_service
from app.fx.converter import Converter
from app.locations.models import Location
from app.reports import metrics as m
from app.reports import posting
from app.reports.engine import _among
from app.reports.request import ReportRequest
from app.sales.facts import business_day
from app.sales.models import (
    SaleLine,
    SaleOrder,
    SalePayment,
    SalePaymentRefund,
    SaleRefund,
    SaleTender,
)

CellKey = tuple[int, date, Hashable]  # location, business date, extra key (None: whole day)


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
    cells.footfall = _counted_footfall(db, req, date_from, date_to)
    return cells


def _counted_footfall(
    db: Session, req: ReportRequest, date_from: date, date_to: date
) -> dict[tuple[int, date], int]:
    """The counted footfall of each location-day (a closed day is not counted)."""
    days = footfall_service.day_footfall(
        db=db,
        org_id=req.org_id,
        location_ids=req.location_ids,
        date_from=date_from,
        date_to=date_to,
    )
    return {
        key: entry.count
        for key, entry in days.items()
        if entry.status == "counted" and entry.count is not None
    }


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

    # Measures that belong to a tender (tips, fees) follow it; the others are shared out.
    split_money = [x.name for x in ORDER_MEASURES if x.unit == "money" and not x.follows_tender]
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
