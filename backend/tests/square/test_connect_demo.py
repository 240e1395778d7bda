from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.scripts import connect_demo
from app.scripts.create_admin import ensure_owner
from app.scripts.setup_local import DEMO_ORG_NAME
from app.square.models import SquareConnection, SyncRun
from square_simulator.testing import RunningSimulator


def test_make_run_connects_the_demo_organization_once(
    client: TestClient, db: Session, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.square import tasks

    sent: list[int] = []
    monkeypatch.setattr(tasks.run_sync, "delay", lambda run_id: sent.append(run_id))
    monkeypatch.setattr(tasks.run_backfill, "delay", lambda run_id: sent.append(run_id))
    ensure_owner(
        db=db,
        email="demo@example.com",
        password="Owner-Pass-77x",
        full_name="Demo",
        org_name=DEMO_ORG_NAME,
    )
    db.commit()
    message = connect_demo.connect()
    assert "connected the demo organization" in message
    connection = db.scalar(select(SquareConnection))
    assert connection is not None
    assert connection.merchant_id == simulator.accounts[0].merchant_id
    [run] = list(db.scalars(select(SyncRun)))
    assert run.trigger == "connect" and sent == [run.id]

    assert "already connected" in connect_demo.connect()
    assert len(list(db.scalars(select(SquareConnection)))) == 1


def test_simulator_flags_follow_the_settings(
    simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = get_settings()
    monkeypatch.setattr(settings, "SQUARE_API_BASE_URL", "http://127.0.0.1:8123")
    args = connect_demo.simulator_args()
    assert args[:2] == ["--port", "8123"]
    assert args[3] == (
        f"{settings.SQUARE_APPLICATION_ID}:{settings.SQUARE_APPLICATION_SECRET}:"
        f"{settings.SQUARE_REDIRECT_URI}"
    )
    monkeypatch.setattr(settings, "SQUARE_API_BASE_URL", "https://connect.squareup.com")
    assert connect_demo.simulator_args() == []
