"""Re-dating a location's stored sales when a setting that dates them changes.

Every stored sale carries the business date and local hour its location's settings gave it when
it was synced (`app.sales.facts.business_day`: orders by closed_at, refunds by their own
created_at), and the rollups and the report caches are kept per (location, business date). So a
change of those settings — the business-day start hour (`PATCH /locations/{id}`) or the timezone
(a location's timezone changed at Square, seen by the next sync) — leaves every sale synced before
it on the date the old setting gave it, until this job re-dates them:

- `request(...)`, in the transaction that changes the setting, raises the location's
  `LocationRecalculation.generation`, sets it `queued` and, once that transaction commits, queues
  the Celery task `locations.recalculate(location_id, generation)` by name (app/square/tasks.py),
  and `footfall.redate_counts(location_id)` (app/footfall/tasks.py), which dates the store's raw
  people-counter figures again the same way (app/footfall/counters.py `redate`).
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

Here: the job's row, its queueing (`request`, `resume_stalled`) and what reports read
(`pending`). The job itself (`run`) is in app/square/recalculation.py, a higher layer: like the
sync's page writer it writes sales, then rollups, which app.locations may not import.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import on_commit, session_scope, utcnow
from app.locations.models import Location, LocationRecalculation, RecalculationState
from app.locations.schemas import RecalculationRead

log = logging.getLogger(__name__)

STALLED_AFTER = timedelta(minutes=10)
# The Celery task that runs a job (app/square/tasks.py); queued by name from here.
RECALCULATE_TASK = "locations.recalculate"
# And the one that dates the store's raw people-counter figures again (app/footfall/tasks.py).
REDATE_COUNTS_TASK = "footfall.redate_counts"
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
        from app.celery_app import celery_app

        # By name: the tasks are defined in app/square/tasks.py and app/footfall/tasks.py,
        # which locations may not import. Counter figures are dated by the same settings.
        celery_app.send_task(RECALCULATE_TASK, args=(location_id, generation))
        celery_app.send_task(REDATE_COUNTS_TASK, args=(location_id,))

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
