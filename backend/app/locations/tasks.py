"""Background work of the locations: re-dating a location's stored sales after a change of the
setting that dates them (app/locations/recalculation.py)."""

from __future__ import annotations

import logging

from celery import Task

from app.celery_app import celery_app
from app.locations import recalculation

log = logging.getLogger(__name__)

MAX_RETRIES = 5
RETRY_SECONDS = 60


@celery_app.task(
    name="locations.recalculate",
    bind=True,
    ignore_result=True,
    acks_late=True,
    max_retries=MAX_RETRIES,
)
def recalculate(self: Task, location_id: int, generation: int) -> None:
    """Re-date one location's stored sales for its current settings (progress in its
    location_recalculation row); a message of a superseded generation does nothing."""
    try:
        state = recalculation.run(location_id, generation)
    except Exception as exc:
        # Recorded as failed (reports keep saying "recalculating"); tried again a little later,
        # and after the last retry by the beat task below.
        raise self.retry(exc=exc, countdown=RETRY_SECONDS) from exc
    log.info("location %s recalculation %s: %s", location_id, generation, state)


@celery_app.task(name="locations.resume_recalculations", ignore_result=True)
def resume_recalculations() -> None:
    """Queue again the re-datings that stalled (beat: every 10 minutes)."""
    resumed = recalculation.resume_stalled()
    if resumed:
        log.warning("re-queued the stalled recalculations of locations %s", resumed)
