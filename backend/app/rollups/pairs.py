"""Which (location, business date) pairs of rollups a write touches.

`affected` before and after an order write gives the pairs it leaves and arrives on;
`connection_pairs` those a purge empties; `refunds_against` the refunds stored before the
tenders they return money to (their payment-method rows need recomputing).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import bulk
from app.sales.models import SaleOrder, SaleRefund, SaleTender

Pair = tuple[int, date]  # (location id, business date)


def _pairs(rows: Iterable[Any]) -> set[Pair]:
    return {(location_id, day) for location_id, day in rows if day is not None}


def affected(db: Session, org_id: int, order_ids: Iterable[int]) -> set[Pair]:
    """The (location, business date) pairs whose rollups depend on these orders as stored now:
    the orders' own dates, their refunds' dates, and the dates of refunds made against their
    tenders (whose payment method the tenders name)."""
    ids = sorted(set(order_ids))
    pairs: set[Pair] = set()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        orders = select(SaleOrder.location_id, SaleOrder.business_date).where(
            SaleOrder.id.in_(chunk)
        )
        pairs.update(_pairs(db.execute(orders)))
        refunds = select(SaleRefund.location_id, SaleRefund.business_date).where(
            SaleRefund.order_id.in_(chunk)
        )
        pairs.update(_pairs(db.execute(refunds)))
        tender_ids = (
            select(SaleTender.square_tender_id)
            .where(SaleTender.order_id.in_(chunk), SaleTender.square_tender_id.is_not(None))
            .scalar_subquery()
        )
        against = db.execute(
            select(
                SaleRefund.location_id,
                SaleRefund.business_date,
                SaleOrder.location_id,
                SaleOrder.business_date,
            )
            .join(SaleOrder, SaleOrder.id == SaleRefund.order_id)
            .where(SaleRefund.org_id == org_id, SaleRefund.tender_id.in_(tender_ids))
        )
        for refund_loc, refund_day, order_loc, order_day in against:
            pairs.add((refund_loc, refund_day))
            if order_day is not None:
                pairs.add((order_loc, order_day))
    return pairs


def connection_pairs(db: Session, org_id: int, connection_id: int) -> set[Pair]:
    """Every (location, date) pair holding figures of one connection's orders (for a purge)."""
    orders = select(SaleOrder.id).where(
        SaleOrder.org_id == org_id, SaleOrder.connection_id == connection_id
    )
    pairs: set[Pair] = _pairs(
        db.execute(
            select(SaleOrder.location_id, SaleOrder.business_date)
            .where(
                SaleOrder.org_id == org_id,
                SaleOrder.connection_id == connection_id,
                SaleOrder.business_date.is_not(None),
            )
            .distinct()
        )
    )
    refunds = (
        select(SaleRefund.location_id, SaleRefund.business_date)
        .where(SaleRefund.order_id.in_(orders))
        .distinct()
    )
    pairs.update(_pairs(db.execute(refunds)))
    return pairs


def refunds_against(
    db: Session, org_id: int, tender_ids: Iterable[str], *, besides: set[int]
) -> set[Pair]:
    """The pairs of refunds stored against these tenders, other than the refunds of the orders
    `besides`: written before their tender, they were rolled up under an unknown tender type
    (only their payment-method rows, `rollup_tender`, need recomputing)."""
    rows = bulk.by_keys(
        db,
        org_id,
        tender_ids,
        "SELECT r.order_id, r.location_id, r.business_date, o.location_id, o.business_date"
        " FROM sale_refund r JOIN sale_order o ON o.id = r.order_id"
        " WHERE r.org_id = %s AND r.tender_id = ANY(CAST(%s AS text[]))",
        lambda ids: (
            select(
                SaleRefund.order_id,
                SaleRefund.location_id,
                SaleRefund.business_date,
                SaleOrder.location_id,
                SaleOrder.business_date,
            )
            .join(SaleOrder, SaleOrder.id == SaleRefund.order_id)
            .where(SaleRefund.org_id == org_id, SaleRefund.tender_id.in_(ids))
        ),
    )
    pairs: set[Pair] = set()
    for order_id, refund_loc, refund_day, order_loc, order_day in rows:
        if order_id in besides:
            continue
        if refund_day is not None:
            pairs.add((refund_loc, refund_day))
        if order_day is not None:
            pairs.add((order_loc, order_day))
    return pairs


__all__ = ["Pair", "affected", "connection_pairs", "refunds_against"]
