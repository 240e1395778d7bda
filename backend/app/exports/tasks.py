from __future__ import annotations

import logging

from app.celery_app import celery_app
from app.exports import jobs

log = logging.getLogger(__name__)


@celery_app.task(name="exports.build", ignore_result=True, acks_late=True)
def build(export_id: str) -> None:
    """Make one queued export's workbook (progress in its row)."""
    state = jobs.run(export_id)
    log.info("export %s: %s", export_id, state)


@celery_app.task(name="exports.purge_expired", ignore_result=True)
def purge_expired() -> None:
    """Delete export files past their expiry (beat: every 15 minutes)."""
    deleted = jobs.purge_expired()
    if deleted:
        log.info("deleted %s expired export files", deleted)
