"""`alerts.evaluate` (beat, every 15 minutes): judge every organization's alert
rules and mail what is due. Each organization is judged in a transaction of its own, so one
failing does not hold back the others; the release of held and new alerts follows."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from app.alerts import evaluation, recording
from app.celery_app import celery_app
from app.core.db import session_scope, utcnow
from app.organizations.models import Organization

log = logging.getLogger(__name__)


def run(now: datetime | None = None) -> int:
    """Evaluate every organization at `now` (default: the current time) and release the mail
    due by then; the number of occurrences mailed."""
    now = now or utcnow()
    with session_scope() as db:
        org_ids = list(db.scalars(select(Organization.id).order_by(Organization.id)))
    for org_id in org_ids:
        try:
            with session_scope() as db:
                evaluation.evaluate_org(db, org_id, now)
        except Exception:
            log.exception("alert evaluation of organization %s failed", org_id)
    with session_scope() as db:
        return recording.release(db, now)


@celery_app.task(name="alerts.evaluate")
def evaluate(now: str | None = None) -> int:
    """`now` as ISO 8601 (tests and replays); the current time when left out."""
    return run(datetime.fromisoformat(now) if now else None)
