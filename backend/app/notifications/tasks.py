"""The digests' schedule: `notifications.send_digests` (beat, every five minutes) queues every
digest whose local hour has come, each once (app/notifications/schedule.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from app.celery_app import celery_app
from app.core.db import session_scope, utcnow
from app.notifications import schedule

log = logging.getLogger(__name__)


@celery_app.task(name="notifications.send_digests")
def send_digests(now: str | datetime | None = None) -> int:
    """Queue the digests due at `now` (an ISO 8601 instant; default the present), each in its
    own transaction; returns how many were queued."""
    moment = datetime.fromisoformat(now) if isinstance(now, str) else now or utcnow()
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # an instant without an offset is UTC
    with session_scope() as db:
        items = schedule.due(db=db, now=moment)
    queued = 0
    for item in items:
        try:
            with session_scope() as db:
                if schedule.send(db=db, subscription_id=item.subscription_id, now=moment):
                    queued += 1
        except schedule.AlreadySent:
            log.info("digest %s for %s: already sent", item.subscription_id, item.period.start)
        except Exception:
            # One digest that cannot be made (a report error) must not hold up the others; it
            # is tried again at the next run while its period is due.
            log.exception("digest %s for %s failed", item.subscription_id, item.period.start)
    return queued
