"""Flows of the square domain: Square's data written into sales, with the rollups that sum it, in
the caller's one transaction.

The sync's page writer and the webhook fetch own the transaction a page of orders is written in,
so they own its orchestration: sales writes the orders, rollups follows them. Neither of those
domains calls the other (sales knows nothing of rollups).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from app.locations.models import Location
from app.rollups import service as rollup_service
from app.sales import service as sales_service


def write_orders(
    *,
    db: Session,
    org_id: int,
    connection_id: int,
    orders: Iterable[dict[str, Any]],
    locations: dict[str, Location],
) -> sales_service.UpsertCounts:
    """Write Square orders and bring the rollups of their dates up to date, in the caller's
    transaction; an order already stored at the same version is left untouched."""
    batch = sales_service.prepare_orders(
        db=db, org_id=org_id, connection_id=connection_id, orders=orders, locations=locations
    )
    changed_ids = batch.changed_ids
    # Rollup rows of the dates these orders leave (a late edit may move or cancel one), read
    # before the write (and after the stored orders were locked, by `prepare_orders`).
    recompute = rollup_service.affected(db, org_id, changed_ids) if changed_ids else set()
    written = sales_service.write_orders(db=db, batch=batch)
    if changed_ids:
        # ... and of the dates they arrive on, in this same transaction.
        recompute |= rollup_service.affected(db, org_id, changed_ids)
    added = [
        rollup_service.NewOrder(order.row, order.lines, order.tenders, order.refunds)
        for order in written
    ]
    recompute_tenders: set[rollup_service.Pair] = set()
    if added:
        # New orders add to their dates' rollups; refunds stored before the tenders they return
        # money to have their payment-method rows recomputed.
        recompute_tenders = rollup_service.refunds_against(
            db,
            org_id,
            (t["square_tender_id"] for o in added for t in o.tenders if t["square_tender_id"]),
            besides={order.id for order in written},
        )
    if changed_ids or added:
        rollup_service.update_rollups(
            db,
            org_id,
            added=added,
            recompute=recompute,
            recompute_tenders=recompute_tenders,
        )
    return batch.counts


def purge_connection(*, db: Session, org_id: int, connection_id: int) -> None:
    """Delete everything synced from one connection (disconnect with purge), its figures in the
    rollups included."""
    touched = rollup_service.connection_pairs(db, org_id, connection_id)
    sales_service.purge_connection(db=db, org_id=org_id, connection_id=connection_id)
    rollup_service.refresh(db, org_id, touched)


__all__ = ["purge_connection", "write_orders"]
