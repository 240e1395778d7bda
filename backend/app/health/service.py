from __future__ import annotations

import logging
from datetime import timedelta
from importlib.metadata import PackageNotFoundError, version

import redis
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import utcnow
from app.health.models import WorkerHeartbeat
from app.health.schemas import HealthRead, PartStatus

log = logging.getLogger(__name__)

# A worker beats every HEARTBEAT_SECONDS (beat schedule, and at start); 3 beats missed is stale.
HEARTBEAT_SECONDS = 60
HEARTBEAT_STALE_AFTER = timedelta(seconds=3 * HEARTBEAT_SECONDS)


def app_version() -> str:
    try:
        return version("teliporter")
    except PackageNotFoundError:
        return "0.0.0"


def check_database(db: Session) -> PartStatus:
    try:
        db.execute(text("SELECT 1"))
        return "ok"
    except Exception:
        log.exception("health: database check failed")
        return "error"


def check_redis() -> PartStatus:
    url = get_settings().REDIS_URL
    if not url:
        return "not_configured"
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        client.ping()
        client.close()
        return "ok"
    except redis.RedisError:
        log.warning("health: redis check failed")
        return "error"


def check_worker(db: Session) -> PartStatus:
    try:
        last = db.scalar(select(func.max(WorkerHeartbeat.seen_at)))
    except Exception:
        log.exception("health: worker heartbeat unreadable")
        return "error"
    if last is None or utcnow() - last > HEARTBEAT_STALE_AFTER:
        return "error"
    return "ok"


def record_heartbeat(*, db: Session, hostname: str) -> None:
    """Upsert this worker's heartbeat."""
    now = utcnow()
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(WorkerHeartbeat).values(hostname=hostname, seen_at=now)
    db.execute(stmt.on_conflict_do_update(index_elements=["hostname"], set_={"seen_at": now}))


def check(*, db: Session) -> HealthRead:
    """The state of each part the platform depends on."""
    database = check_database(db)
    if database == "error":
        db.rollback()
        return HealthRead(
            status="error",
            version=app_version(),
            database="error",
            redis=check_redis(),
            worker="error",
        )
    redis_status = check_redis()
    worker = check_worker(db)
    degraded = "error" in (redis_status, worker)
    return HealthRead(
        status="degraded" if degraded else "ok",
        version=app_version(),
        database=database,
        redis=redis_status,
        worker=worker,
    )
