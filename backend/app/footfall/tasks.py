"""Background work of the footfall: dating a store's raw people-counter figures again when its
timezone or business-day start changes (queued by name with the re-dating of its sales,
app/locations/recalculation.py)."""

from __future__ import annotations

import logging

from celery import Task

from app.celery_app import celery_app
from app.core.db import session_scope
from app.footfall import counters

log = logging.getLogger(__name__)

REDATE_MAX_RETRIES = 5
REDATE_RETRY_SECONDS = 30


@celery_app.task(
    name="footfall.redate_counts",
    bind=True,
    ignore_result=True,
    acks_late=True,
    max_retries=REDATE_MAX_RETRIES,
)
def redate_counts(self: Task, location_id: int) -> None:
    """Date one store's counter figures by its current settings and roll up the store-days they
    leave or arrive on; sent again (a retry, a resumed recalculation), it changes nothing."""
    try:
        with session_scope() as db:
            moved = counters.redate(db=db, location_id=location_id)
    except Exception as exc:
        raise self.retry(exc=exc, countdown=REDATE_RETRY_SECONDS) from exc
    if moved:
        log.info("location %s: %s counter figures re-dated", location_id, moved)
