"""Whatever Square does on the way, the database ends holding exactly Square's orders."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.square import sync
from app.square.models import SyncRun, SyncRunState
from square_simulator.testing import RunningSimulator
from tests.square.helpers import assert_same_orders, connect, run_sync

BACKEND_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("kind", "extra"),
    [
        ("rate_limit", {"retry_after": 1, "count": 1}),
        ("error_500", {"count": 4}),
        ("error_503", {"probability": 0.3}),
        ("drop", {"probability": 0.2}),
        ("slow", {"delay_s": 1.0, "count": 2}),
    ],
)
def test_sync_survives_square_faults(
    client: TestClient,
    db: Session,
    simulator: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    extra: dict[str, float],
) -> None:
    admin, connection_id = connect(client, db, simulator)
    monkeypatch.setattr(get_settings(), "SQUARE_TIMEOUT_SECONDS", 0.5)
    simulator.state.faults.reseed(3)
    for path in ("/v2/orders/search", "/v2/payments", "/v2/catalog/list", "/v2/locations"):
        simulator.state.faults.add(
            kind=kind,
            path=path,
            method=None,
            probability=float(extra.get("probability", 1.0)),
            count=int(extra["count"]) if "count" in extra else None,
            delay_s=float(extra.get("delay_s", 2.0)),
            retry_after=int(extra.get("retry_after", 1)),
        )
    run = run_sync(db, org_id=admin.user.org_id, connection_id=connection_id)
    assert run.state == SyncRunState.succeeded, run.error
    simulator.state.faults.clear()
    assert_same_orders(db, admin.user.org_id, simulator)


def test_a_sync_killed_mid_way_resumes_and_loses_nothing(
    client: TestClient, db: Session, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, connection_id = connect(client, db, simulator)
    # Slow pages, so the process is surely killed in the middle of its backfill.
    simulator.state.faults.add(
        kind="slow",
        path="/v2/orders/search",
        method=None,
        probability=1.0,
        count=None,
        delay_s=0.3,
        retry_after=1,
    )
    settings = get_settings()
    env = dict(
        os.environ,
        SQUARE_API_BASE_URL=settings.SQUARE_API_BASE_URL,
        SQUARE_APPLICATION_ID=settings.SQUARE_APPLICATION_ID,
        SQUARE_APPLICATION_SECRET=settings.SQUARE_APPLICATION_SECRET,
        SYNC_LEASE_SECONDS="2",
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "app.scripts.sync", "--connection", str(connection_id)],
        cwd=BACKEND_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        pages = 0
        while time.monotonic() < deadline and pages < 4:
            db.expire_all()
            run = db.query(SyncRun).order_by(SyncRun.id.desc()).first()
            pages = run.pages if run else 0
            time.sleep(0.1)
        assert pages >= 4, "the sync never got going"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    db.expire_all()
    killed = db.query(SyncRun).order_by(SyncRun.id.desc()).first()
    assert killed is not None and killed.state == SyncRunState.running  # it never finished

    simulator.state.faults.clear()
    monkeypatch.setattr(settings, "SYNC_LEASE_SECONDS", 2)
    time.sleep(2.5)  # the dead process's lease runs out
    resumed = run_sync(db, org_id=admin.user.org_id, connection_id=connection_id)
    assert resumed.state == SyncRunState.succeeded, resumed.error
    # It resumed from the checkpoint rather than starting the backfill again.
    full_backfill = math.ceil(settings.SYNC_BACKFILL_DAYS / sync.BACKFILL_WINDOW.days)
    assert resumed.pages < full_backfill
    assert_same_orders(db, admin.user.org_id, simulator)
