from __future__ import annotations

import socket

from app.celery_app import celery_app
from app.core.db import session_scope
from app.health import service as health_service


@celery_app.task(name="health.heartbeat", ignore_result=True)
def heartbeat(hostname: str | None = None) -> None:
    """Record that a worker is alive (scheduled by beat; also sent when a worker starts)."""
    with session_scope() as db:
        health_service.record_heartbeat(db=db, hostname=hostname or socket.gethostname())
