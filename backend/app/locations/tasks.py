"""Background work of the locations: queueing again the re-datings of stored sales that stalled
(app/locations/recalculation.py). The re-dating task itself, `locations.recalculate`, is in
app/square/tasks.py: it writes sales and rollups, which app.locations may not import."""

from __future__ import annotations

import logging

from app.celery_app import celery_app
from app.locations import recalculation

log = logging.getLogger(__name__)


@celery_app.task(name="locations.resume_recalculations", ignore_result=True)
def resume_recalculations() -> None:
    """Queue again the re-datings that stalled (beat: every 10 minutes)."""
    resumed = recalculation.resume_stalled()
    if resumed:
        log.warning("re-queued the stalled recalculations of locations %s", resumed)
