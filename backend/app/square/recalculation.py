"""The job that re-dates a location's stored sales after a change of a setting that dates them
(the Celery task `locations.recalculate`, app/square/tasks.py).

The job is queued, and its progress kept, by app/locations/recalculation.py, which describes the
whole process; it is here, beside the sync, because like the sync's page writer it writes sales
and then refreshes the rollups in one transaction, and app.locations may not import either.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from app.core.db import session_scope, utcnow
from app.locations.models import Location, LocationRecalculation, RecalculationState
from app.rollups import service as rollups
from app.sales.facts import business_day
from app.sales.models import SaleLine, SaleOrder, SaleRefund, SaleTender

log = logging.getLogger(__name__)

BATCH_ORDERS = 2_000


@dataclass
class _Step:
    moved: int  # orders whose date or hour changed
    finished: bool


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _locked(db: Session, location_id: int, generation: int) -> LocationRecalculation | None:
    """The job's row, locked, if this generation is still the one to run (location row first:
    the order in which a change of setting takes them)."""
    location = db.scalar(
        select(Location).where(Location.id == location_id).with_for_update(read=True)
    )
    if location is None:
        return None
    recalculation = db.scalar(
        select(LocationRecalculation)
        .where(LocationRecalculation.location_id == location_id)
        .with_for_update()
    )
    if recalculation is None or recalculation.generation != generation:
        return None
    return recalculation


def _start(location_id: int, generation: int) -> bool:
    with session_scope() as db:
        recalculation = _locked(db, location_id, generation)
        if recalculation is None or recalculation.state == RecalculationState.done:
            return False
        if recalculation.state == RecalculationState.queued:
            recalculation.started_at = utcnow()
            recalculation.total = int(
                db.scalar(
                    select(func.count())
                    .select_from(SaleOrder)
                    .where(SaleOrder.location_id == location_id)
                )
                or 0
            )
        recalculation.state = RecalculationState.running
        recalculation.error = None
    return True


def _batch(db: Session, location_id: int, generation: int) -> _Step | None:
    """Re-date the next batch of orders; None when this generation was superseded."""
    recalculation = _locked(db, location_id, generation)
    if recalculation is None or recalculation.state != RecalculationState.running:
        return None
    location = recalculation.location
    timezone, start_hour, org_id = (
        location.timezone,
        location.business_day_start_hour,
        location.org_id,
    )
    orders = db.execute(
        select(SaleOrder.id, SaleOrder.closed_at, SaleOrder.business_date, SaleOrder.local_hour)
        .where(SaleOrder.location_id == location_id, SaleOrder.id > recalculation.after_order_id)
        .order_by(SaleOrder.id)
        .limit(BATCH_ORDERS)
        .with_for_update()
    ).all()
    if not orders:
        recalculation.state = RecalculationState.done
        recalculation.finished_at = utcnow()
        recalculation.total = max(recalculation.total, recalculation.done)
        return _Step(moved=0, finished=True)
    order_ids = [row.id for row in orders]
    moved_orders: list[dict[str, Any]] = []
    for order_id, closed_at, stored_date, stored_hour in orders:
        if closed_at is None:
            continue
        day, hour = business_day(_aware(closed_at), timezone, start_hour)
        if (day, hour) != (stored_date, stored_hour):
            moved_orders.append({"o_id": order_id, "o_date": day, "o_hour": hour})
    refunds = db.execute(
        select(
            SaleRefund.id,
            SaleRefund.order_id,
            SaleRefund.created_at,
            SaleRefund.business_date,
            SaleRefund.local_hour,
        ).where(SaleRefund.order_id.in_(order_ids))
    ).all()
    moved_refunds: list[dict[str, Any]] = []
    for refund_id, order_id, created_at, stored_date, stored_hour in refunds:
        day, hour = business_day(_aware(created_at), timezone, start_hour)
        if (day, hour) != (stored_date, stored_hour):
            moved_refunds.append(
                {"r_id": refund_id, "r_order": order_id, "r_date": day, "r_hour": hour}
            )
    touched = {o["o_id"] for o in moved_orders} | {r["r_order"] for r in moved_refunds}
    if touched:
        # The pairs these orders' figures leave, then (after the write) those they arrive on.
        pairs = rollups.affected(db, org_id, touched)
        _write(db, moved_orders, moved_refunds)
        pairs |= rollups.affected(db, org_id, touched)
        rollups.refresh(db, org_id, pairs)
    recalculation.after_order_id = order_ids[-1]
    recalculation.done += len(order_ids)
    recalculation.total = max(recalculation.total, recalculation.done)
    return _Step(moved=len(touched), finished=False)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _write(
    db: Session, moved_orders: list[dict[str, Any]], moved_refunds: list[dict[str, Any]]
) -> None:
    """Executemany UPDATEs by key (Core: the ORM's bulk UPDATE wants primary keys only)."""
    conn = db.connection()
    if moved_orders:
        orders = _table(SaleOrder)
        conn.execute(
            update(orders)
            .where(orders.c.id == bindparam("o_id"))
            .values(business_date=bindparam("o_date"), local_hour=bindparam("o_hour")),
            moved_orders,
        )
        # A line or tender is on its order's date (app/sales/service.py).
        for child in (_table(SaleLine), _table(SaleTender)):
            conn.execute(
                update(child)
                .where(child.c.order_id == bindparam("o_id"))
                .values(business_date=bindparam("o_date")),
                moved_orders,
            )
    if moved_refunds:
        refunds = _table(SaleRefund)
        conn.execute(
            update(refunds)
            .where(refunds.c.id == bindparam("r_id"))
            .values(business_date=bindparam("r_date"), local_hour=bindparam("r_hour")),
            moved_refunds,
        )


def run(location_id: int, generation: int) -> RecalculationState | None:
    """Re-date a location's stored sales (the Celery task `locations.recalculate`); returns the
    job's state, None when a later change superseded it (or the location is gone)."""
    if not _start(location_id, generation):
        return _state(location_id, generation)
    moved = 0
    try:
        while True:
            with session_scope() as db:
                step = _batch(db, location_id, generation)
            if step is None:
                return _state(location_id, generation)
            moved += step.moved
            if step.finished:
                log.info("location %s re-dated: %s orders moved", location_id, moved)
                return RecalculationState.done
    except Exception as exc:
        log.exception("re-dating location %s failed", location_id)
        with session_scope() as db:
            db.execute(
                update(LocationRecalculation)
                .where(
                    LocationRecalculation.location_id == location_id,
                    LocationRecalculation.generation == generation,
                )
                .values(state=RecalculationState.failed, error=f"{type(exc).__name__}: {exc}"[:500])
            )
        raise


def _state(location_id: int, generation: int) -> RecalculationState | None:
    with session_scope() as db:
        recalculation = db.get(LocationRecalculation, location_id)
        if recalculation is None or recalculation.generation != generation:
            return None
        return recalculation.state
