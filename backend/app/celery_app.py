"""The Celery application: worker and beat run `celery -A app.celery_app:celery_app ...`."""

from __future__ import annotations

import logging
import socket
from typing import Any

from celery import Celery
from celery.schedules import crontab
from celery.signals import worker_process_init, worker_ready

from app.core.config import get_settings

log = logging.getLogger(__name__)

TASK_MODULES = [
    "app.health.tasks",
    "app.square.tasks",
    "app.fx.tasks",
    "app.exports.tasks",
    "app.locations.tasks",
    "app.footfall.tasks",
    "app.mail.tasks",
    "app.alerts.tasks",
    "app.notifications.tasks",
]

# Two queues, each with workers of its own (DEPLOY.md, "Workers and queues"): the default one for
# everything a user waits on (Sync now, the scheduled syncs, webhook fetches, exports,
# recalculations) and one for the first sync's history, which keeps workers busy for minutes. A
# worker names the queues it consumes (`-Q`), so a backfill never takes the slots of the default
# queue's workers.
DEFAULT_QUEUE = "celery"  # Celery's own default name: messages queued before this split still run
BACKFILL_QUEUE = "backfill"
# The tasks that load history: a sync run of a connection whose backfill is not complete (queued
# under this name by app/square/sync/runs.py) and the helpers that share its windows.
BACKFILL_TASKS = ("square.run_backfill", "square.backfill_windows")


def create_celery() -> Celery:
    settings = get_settings()
    app = Celery(
        "teliporter", broker=settings.CELERY_BROKER_URL, backend=settings.CELERY_RESULT_BACKEND
    )
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        # A task is acknowledged after it ran, so a worker killed mid-task leaves it to another.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        result_expires=24 * 3600,
        broker_connection_retry_on_startup=True,
        task_default_queue=DEFAULT_QUEUE,
        task_routes={name: {"queue": BACKFILL_QUEUE} for name in BACKFILL_TASKS},
        beat_schedule={
            "worker-heartbeat": {"task": "health.heartbeat", "schedule": 60.0},
            "square-sync": {
                "task": "square.schedule_syncs",
                "schedule": settings.SYNC_INTERVAL_MINUTES * 60.0,
            },
            "square-refresh-tokens": {"task": "square.refresh_tokens", "schedule": 3600.0},
            # Webhook event ids are needed only within the replay window (app/square/webhooks.py).
            "square-purge-webhook-events": {
                "task": "square.purge_webhook_events",
                "schedule": 600.0,
            },
            # Deletes export files past their expiry (a day after they were made).
            "exports-purge-expired": {"task": "exports.purge_expired", "schedule": 900.0},
            # Re-datings after a settings change whose message was lost or whose retries ran out.
            "locations-resume-recalculations": {
                "task": "locations.resume_recalculations",
                "schedule": 600.0,
            },
            # Alert rules judged, occurrences recorded once and mailed (after quiet hours).
            "alerts-evaluate": {"task": "alerts.evaluate", "schedule": 900.0},
            # Mail whose next attempt is due (its retry was lost, or the server was down).
            "mail-resume-queued": {"task": "mail.resume_queued", "schedule": 60.0},
            # Digests whose local hour has come (each period's once; app/notifications).
            "notifications-send-digests": {
                "task": "notifications.send_digests",
                "schedule": 300.0,
            },
            # Yesterday's rates, once a day (a no-op without EXCHANGE_RATE_API_KEY).
            "reports-refresh-exchange-rates": {
                "task": "reports.refresh_exchange_rates",
                "schedule": crontab(hour=0, minute=30),
            },
        },
    )
    app.conf.include = TASK_MODULES
    return app


celery_app = create_celery()
# One line per Square request would drown the worker's log.
logging.getLogger("httpx").setLevel(logging.WARNING)


@worker_ready.connect
def _announce_worker(**_: Any) -> None:
    from app.core.db import get_engine, session_scope
    from app.health import service as health_service

    try:
        with session_scope() as db:
            health_service.record_heartbeat(db=db, hostname=socket.gethostname())
    except Exception:
        log.exception("could not record the worker heartbeat at start")
    finally:
        # The parent process runs no task: it gives its connection back to the database (the
        # connection budget counts the worker's processes, DEPLOY.md).
        get_engine().dispose()


@worker_process_init.connect
def _fresh_pool_in_each_child(**_: Any) -> None:
    """A forked worker process must not use the connections its parent opened (two processes on
    one socket); it drops them without closing them under the parent and opens its own."""
    from app.core.db import get_engine

    get_engine().dispose(close=False)
