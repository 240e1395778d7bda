"""Re-dating a location's stored sales when a setting that dates them changes.

Every stored sale carries the business date and local hour its location's settings gave it when
it was synced (`app.sales.facts.business_day`: orders by closed_at, refunds by their own
created_at), and the rollups and the report caches are kept per (location, business date). So a
change of those settings — the business-day start hour (`PATCH /locations/{id}`) or the timezone
(a location's timezone changed at Square, seen by the next sync) — leaves every sale synced before
it on the date the old setting gave it, until this job re-dates them:

- `request(...)`, in the transaction that changes the setting, raises the location's
  `LocationRecalculation.generation`, sets it `queued` and, once that transaction commits, queues
  the Celery task `locations.recalculate(location_id, generation)` (app/locations/tasks.py).
- `run(...)` (the task) re-dates the location's orders in batches of `BATCH_ORDERS`, in order
  of id, one transaction each: it takes the location's current settings, recomputes the business
  date and local hour of each order (sale_order, and the date of its sale_line / sale_tender rows)
  and of its refunds (sale_refund), writes those that differ, and refreshes the rollups of every
  (location, date) pair they leave or arrive on (`rollups.refresh`, which also retires the
  cached months of those pairs, `cache.touch`). Each batch is whole on its own: the rollups always
  agree with the order tables, only some orders are still on their old dates. `done`/`total`
  (orders) and the cursor `after_order_id` are saved with each batch, so a job interrupted
  (worker killed, redelivered, retried after an error) carries on where it stopped.
- A second change while a job runs raises the generation again: the older job stops at its next
  batch, and the newer one starts from the first order with the newest settings. Each batch
  locks the location's row (PostgreSQL: FOR SHARE) and its recalculation row before it reads
  the settings, so a change waits for the batch in hand and every later batch sees the change.
  Orders synced meanwhile are dated by the setting in force when they are written, so the last
  setting is the one every order ends on.
- Idempotent: a job re-run over orders already right writes nothing (only changed rows are
  written and only their pairs refreshed); a finished or superseded job's message does nothing.
- A job that fails is `failed` with its error, retried by its task, and picked up again by the
  beat task `locations.resume_recalculations` (as are jobs whose message was lost), which
  re-queues every job not done that has not moved for `STALLED_AFTER`.

While a location's job is not done, every report that includes it lists it in `recalculating`
(`pending(...)`), and the web app says its figures are being recalculated: a report is never
silently stale. A change of reporting currency or a newly published exchange rate needs no job:
reports convert when they are read, and the converted caches are keyed by the target currency and
the rates' source and epoch (app/reports/cache.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from app.core.db import on_commit, session_scope, utcnow
from app.locations.models import Location, LocationRecalculation, RecalculationState
from app.locations.schemas import RecalculationRead
from app.rollups import service as rollups
from app.sales.facts import business_day
from app.sales.models import SaleLine, SaleOrder, SaleRefund, SaleTender

log = logging.getLogger(__name__)

BATCH_ORDERS = 2_000
STALLED_AFTER = timedelta(minutes=10)
NOT_DONE = (RecalculationState.queued, RecalculationState.running, RecalculationState.failed)


def _hour_label(hour: int) -> str:
    return f"{hour:02d}:00"


def start_hour_reason(old: int, new: int) -> str:
    return f"Business day start changed from {_hour_label(old)} to {_hour_label(new)}"


def timezone_reason(old: str, new: str) -> str:
    return f"Timezone changed at Square from {old} to {new}"


def request(
    *, db: Session, location: Location, reason: str, dispatch: bool = True
) -> LocationRecalculation:
    """Queue the re-dating of a location's stored sales, in the caller's transaction (the one
    that changes the setting); the task is sent once it commits."""
    db.flush()  # the setting's own UPDATE first: the location's row is locked before this one
    recalculation = db.get(LocationRecalculation, location.id, with_for_update=True)
    if recalculation is None:
        recalculation = LocationRecalculation(
            location_id=location.id, org_id=location.org_id, generation=1
        )
        db.add(recalculation)
        location.recalculation = recalculation
    else:
        recalculation.generation += 1
    recalculation.reason = reason[:255]
    recalculation.state = RecalculationState.queued
    recalculation.done = recalculation.total = recalculation.after_order_id = 0
    recalculation.error = None
    recalculation.requested_at = utcnow()
    recalculation.started_at = recalculation.finished_at = None
    db.flush()
    if dispatch:
        _send_on_commit(db, location.id, recalculation.generation)
    return recalculation


def _send_on_commit(db: Session, location_id: int, generation: int) -> None:
    def _send() -> None:
        from app.locations import tasks

        tasks.recalculate.delay(location_id, generation)

    on_commit(db, _send)


def pending(*, db: Session, org_id: int, location_ids: list[int]) -> list[RecalculationRead]:
    """The re-datings not finished of these locations (reports' `recalculating`)."""
    if not location_ids:
        return []
    rows = db.scalars(
        select(LocationRecalculation)
        .where(
            LocationRecalculation.org_id == org_id,
            LocationRecalculation.location_id.in_(location_ids),
            LocationRecalculation.state.in_(NOT_DONE),
        )
        .order_by(LocationRecalculation.location_id)
    )
    return [RecalculationRead.model_validate(row) for row in rows]


# -- the job ------------------------------------------------------------------------------------


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


def resume_stalled(now: datetime | None = None) -> list[int]:
    """Queue again every job not done that has not moved for STALLED_AFTER (a message lost
    between the commit and the broker, a worker gone, retries used up); returns the locations."""
    cutoff = (now or utcnow()) - STALLED_AFTER
    with session_scope() as db:
        stalled = db.execute(
            select(LocationRecalculation.location_id, LocationRecalculation.generation).where(
                LocationRecalculation.state.in_(NOT_DONE),
                LocationRecalculation.updated_at < cutoff,
            )
        ).all()
        for location_id, generation in stalled:
            _send_on_commit(db, location_id, generation)
    return [location_id for location_id, _ in stalled]
