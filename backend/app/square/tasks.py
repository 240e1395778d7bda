from __future__ import annotations

import logging

from app.celery_app import celery_app
from app.core.db import session_scope
from app.square import service as square_service
from app.square import sync

log = logging.getLogger(__name__)


@celery_app.task(name="square.run_sync", ignore_result=True, acks_late=True)
def run_sync(run_id: int) -> None:
    """Run one queued sync (a worker killed mid-run leaves checkpoints; the next run resumes)."""
    finished = sync.run(run_id)
    log.info("sync run %s: %s", run_id, finished.state)


@celery_app.task(name="square.schedule_syncs", ignore_result=True)
def schedule_syncs() -> None:
    """Queue a sync of every active connection (beat: every SYNC_INTERVAL_MINUTES)."""
    sync.schedule_all()


@celery_app.task(name="square.refresh_tokens", ignore_result=True)
def refresh_tokens() -> None:
    """Renew access tokens that expire within a week (beat: hourly)."""
    with session_scope() as db:
        square_service.refresh_expiring(db=db)
