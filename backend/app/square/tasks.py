from __future__ import annotations

import logging

from celery import Task

from app.celery_app import celery_app
from app.core.config import get_settings
from app.core.db import session_scope
from app.square import recalculation as redating
from app.square import service as square_service
from app.square import sync
from app.square import webhooks as webhook_service

log = logging.getLogger(__name__)


def _start_backfill_helpers(run_id: int) -> None:
    """Queue SYNC_BACKFILL_WORKERS - 1 helpers on a run's backfill windows; whichever workers
    pick them up share the windows (a helper that finds none left just ends)."""
    for _ in range(get_settings().SYNC_BACKFILL_WORKERS - 1):
        backfill_windows.delay(run_id)


@celery_app.task(name="square.run_sync", ignore_result=True, acks_late=True)
def run_sync(run_id: int) -> None:
    """Run one queued sync (a worker killed mid-run leaves checkpoints; the next run resumes)."""
    finished = sync.run(run_id, helpers=_start_backfill_helpers)
    log.info("sync run %s: %s", run_id, finished.state)


@celery_app.task(name="square.run_backfill", ignore_result=True, acks_late=True)
def run_backfill(run_id: int) -> None:
    """Run one queued sync of a connection whose history is still to load: the same run as
    `run_sync`, on the backfill queue (app/celery_app.py), so it takes no slot of the workers
    that run "Sync now" and the scheduled syncs of connections already loaded."""
    finished = sync.run(run_id, helpers=_start_backfill_helpers)
    log.info("sync run %s (backfill): %s", run_id, finished.state)


@celery_app.task(name="square.backfill_windows", ignore_result=True, acks_late=True)
def backfill_windows(run_id: int) -> None:
    """Help a running sync with its backfill: fetch windows of history until none is left."""
    sync.work_windows(run_id)


@celery_app.task(name="square.fetch_announced", ignore_result=True, acks_late=True)
def fetch_announced(connection_id: int) -> None:
    """Fetch and store the orders, payments and refunds webhooks announced for a connection
    (queued by the webhook receiver, one at a time per connection: app/square/webhooks.py)."""
    outcome = webhook_service.fetch_announced(connection_id)
    if outcome.orders_fetched or outcome.payments or outcome.refunds:
        log.info("webhook fetch of connection %s: %s", connection_id, outcome)


@celery_app.task(name="square.schedule_syncs", ignore_result=True)
def schedule_syncs() -> None:
    """Queue a sync of every active connection (beat: every SYNC_INTERVAL_MINUTES)."""
    sync.schedule_all()


@celery_app.task(name="square.refresh_tokens", ignore_result=True)
def refresh_tokens() -> None:
    """Renew access tokens that expire within a week (beat: hourly)."""
    with session_scope() as db:
        square_service.refresh_expiring(db=db)


@celery_app.task(name="square.purge_webhook_events", ignore_result=True)
def purge_webhook_events() -> None:
    """Forget webhook event ids past the replay window (beat: every 10 minutes)."""
    with session_scope() as db:
        purged = webhook_service.purge_events(db=db)
    if purged:
        log.info("purged %s webhook event ids", purged)


RECALCULATE_MAX_RETRIES = 5
RECALCULATE_RETRY_SECONDS = 60


# Named in the locations' namespace, where it is queued by name (recalculation.RECALCULATE_TASK);
# here because the job writes sales and rollups (app/square/recalculation.py).
@celery_app.task(
    name="locations.recalculate",
    bind=True,
    ignore_result=True,
    acks_late=True,
    max_retries=RECALCULATE_MAX_RETRIES,
)
def recalculate(self: Task, location_id: int, generation: int) -> None:
    """Re-date one location's stored sales for its current settings (progress in its
    location_recalculation row); a message of a superseded generation does nothing."""
    try:
        state = redating.run(location_id, generation)
    except Exception as exc:
        # Recorded as failed (reports keep saying "recalculating"); tried again a little later,
        # and after the last retry by the beat task locations.resume_recalculations.
        raise self.retry(exc=exc, countdown=RECALCULATE_RETRY_SECONDS) from exc
    log.info("location %s recalculation %s: %s", location_id, generation, state)
