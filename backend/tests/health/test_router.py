from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.deps import get_db
from app.health import service as health_service
from app.health.models import WorkerHeartbeat
from app.main import app
from tests.processes import start_worker, stop


def test_health_reports_each_part(client: TestClient, db: Session, redis_url: str) -> None:
    health_service.record_heartbeat(db=db, hostname="worker-1")
    db.commit()
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "status": "ok",
        "version": body["version"],
        "database": "ok",
        "redis": "ok",
        "worker": "ok",
    }
    assert response.headers["x-request-id"]


def test_stale_or_missing_worker_is_degraded_but_still_200(client: TestClient, db: Session) -> None:
    body = client.get("/api/v1/health").json()
    assert body["worker"] == "error"
    assert body["status"] == "degraded"
    db.add(WorkerHeartbeat(hostname="old", seen_at=utcnow() - timedelta(minutes=10)))
    db.commit()
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["worker"] == "error"


def test_redis_not_configured_or_unreachable(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "REDIS_URL", "")
    assert client.get("/api/v1/health").json()["redis"] == "not_configured"
    monkeypatch.setattr(get_settings(), "REDIS_URL", "redis://127.0.0.1:1/0")
    assert client.get("/api/v1/health").json()["redis"] == "error"


def test_database_down_is_503(client: TestClient, tmp_path: Path) -> None:
    from sqlalchemy.orm import sessionmaker

    from app.core.db import make_engine

    # A PostgreSQL port nothing listens on: the database is unreachable.
    dead = sessionmaker(bind=make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))

    def broken_db() -> Iterator[Session]:
        session = dead()
        try:
            yield session
        finally:
            session.close()

    app.dependency_overrides[get_db] = broken_db
    try:
        response = client.get("/api/v1/health")
    finally:
        app.dependency_overrides.clear()
    assert response.status_code == 503
    assert response.json()["database"] == "error"
    assert response.json()["status"] == "error"


def test_request_id_is_kept_when_given_and_replaced_when_not_sane(client: TestClient) -> None:
    kept = client.get("/api/v1/health", headers={"X-Request-ID": "abc-123"})
    assert kept.headers["x-request-id"] == "abc-123"
    replaced = client.get("/api/v1/health", headers={"X-Request-ID": "bad id\nwith newline"})
    assert replaced.headers["x-request-id"] != "bad id\nwith newline"
    assert len(replaced.headers["x-request-id"]) == 32


def test_cors_allows_configured_origins_only(client: TestClient) -> None:
    ok = client.options(
        "/api/v1/health",
        headers={"Origin": "http://localhost:5173", "Access-Control-Request-Method": "GET"},
    )
    assert ok.headers.get("access-control-allow-origin") == "http://localhost:5173"
    other = client.options(
        "/api/v1/health",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in other.headers


def test_openapi_and_docs_are_under_api_v1(client: TestClient) -> None:
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/auth/login" in spec.json()["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_request_logs_carry_no_secrets(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    with caplog.at_level(logging.INFO, logger="teliporter.access"):
        client.post(
            "/api/v1/auth/login?token=query-secret",
            json={"email": "a@example.com", "password": "Body-Secret-123"},
            headers={"Authorization": "Bearer header-secret"},
        )
    text = " ".join(str(getattr(r, "fields", "")) + r.getMessage() for r in caplog.records)
    assert "/api/v1/auth/login" in text
    for secret in ("query-secret", "Body-Secret-123", "header-secret"):
        assert secret not in text


@pytest.mark.slow
def test_a_real_celery_worker_shows_up_in_health(client: TestClient, db: Session) -> None:
    """A worker on the run's broker (SQLite's or Redis) announces itself and runs tasks."""
    worker = start_worker("health-test", pool="solo", output=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if client.get("/api/v1/health").json()["worker"] == "ok":
                break
            assert worker.poll() is None, worker.communicate()[0]
            time.sleep(0.5)
        assert client.get("/api/v1/health").json()["worker"] == "ok"

        # A task sent through the broker runs on the worker.
        from app.health.tasks import heartbeat

        db.execute(delete(WorkerHeartbeat))
        db.commit()
        heartbeat.delay(hostname="via-broker")
        while time.monotonic() < deadline:
            db.rollback()
            if db.scalar(select(WorkerHeartbeat.hostname)) == "via-broker":
                break
            time.sleep(0.5)
        assert db.scalar(select(WorkerHeartbeat.hostname)) == "via-broker"
    finally:
        stop(worker, grace=30)
