"""What the settings page and the dashboard read of a sync while it runs: the first backfill's
days and orders fetched of how many, time left, the queue, "history loading" until the first
sync has finished, and "Backfill complete" never beside "Last sync: Not yet"."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, object_session

from app.core.config import Settings, get_settings
from app.square import service as square_service
from app.square import sync
from app.square.models import SquareConnection, SyncRun, SyncRunState
from app.square.sync import windows as sync_windows
from square_simulator.testing import RunningSimulator
from tests.square.helpers import connect


def test_the_first_sync_shows_days_and_orders_of_how_many_then_complete_with_a_last_sync(
    client: TestClient,
    db: Session,
    simulator: RunningSimulator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings: Settings = get_settings()
    monkeypatch.setattr(settings, "SYNC_BACKFILL_DAYS", 100)  # four 30-day windows
    monkeypatch.setattr(sync_windows, "WINDOW_PAGE_SIZE", 10)  # several pages a window
    admin, _ = connect(client, db, simulator)
    # The callback queued the first sync; no worker runs here, so it is shown as queued.
    [queued] = client.get("/api/v1/square/connections", headers=admin.headers).json()["items"]
    assert queued["sync"]["activity"] == "queued"
    assert queued["sync"]["queued_behind"] == 0
    assert queued["sync"]["history_loading"] is True
    assert queued["last_sync_at"] is None and queued["backfill_complete"] is False
    status = client.get("/api/v1/square/status", headers=admin.headers).json()
    assert status == {"history_loading": True, "complete_from": None, "connections": 1}

    run_id = queued["latest_run"]["id"]
    seen: list[dict[str, Any]] = []

    def look(run: SyncRun) -> None:
        # What the API shows once this unit of the run commits, read in its own transaction
        # (a request of the test client would want a third connection of the test's pool).
        session = object_session(run)
        assert session is not None
        connection = session.get(SquareConnection, run.connection_id)
        assert connection is not None
        shown = square_service.describe(db=session, connection=connection)
        seen.append(shown.model_dump(mode="json"))

    finished = sync.run(run_id, progress=look)
    assert finished.state == SyncRunState.succeeded, finished.error
    db.expire_all()

    backfilling = [s for s in seen if s["sync"]["activity"] == "backfilling"]
    assert len(backfilling) >= 5
    progress = [s["sync"]["backfill"] for s in backfilling]
    done = [p["days_done"] for p in progress]
    assert done == sorted(done) and done[0] == 0 and done[-1] == 100, done
    assert {p["days_total"] for p in progress if p["stores"]} == {100}
    fetched = [p["orders_fetched"] for p in progress]
    assert fetched == sorted(fetched) and fetched[-1] > 10
    # Each store's share, by name; an estimate of time left once a window is done.
    last = progress[-1]
    assert sorted(s["name"] for s in last["stores"]) == sorted(
        loc.name for loc in simulator.accounts[0].locations
    )
    for p in progress:
        assert sum(s["orders_fetched"] for s in p["stores"]) == p["orders_fetched"], p
    assert any(p["seconds_left"] is not None for p in progress)
    assert any(p["complete_from"] is not None for p in progress)
    # Never "Backfill complete" beside "Last sync: Not yet", while the run goes on.
    for shown in seen:
        assert shown["backfill_complete"] is (shown["last_sync_at"] is not None), shown
        assert shown["sync"]["history_loading"] is not shown["backfill_complete"]

    [after] = client.get("/api/v1/square/connections", headers=admin.headers).json()["items"]
    assert after["backfill_complete"] is True and after["last_sync_at"] is not None
    assert after["sync"] == {
        "activity": "idle",
        "queued_behind": None,
        "history_loading": False,
        "backfill": None,
    }
    status = client.get("/api/v1/square/status", headers=admin.headers).json()
    assert status == {"history_loading": False, "complete_from": None, "connections": 1}


def test_a_queued_sync_says_how_many_syncs_are_ahead_of_it(
    client: TestClient, db: Session, simulator: RunningSimulator
) -> None:
    first, first_id = connect(client, db, simulator)
    second, second_id = connect(client, db, simulator)
    # Both first syncs are queued: the second organization's waits behind the first's.
    [shown] = client.get("/api/v1/square/connections", headers=second.headers).json()["items"]
    assert shown["sync"]["activity"] == "queued"
    assert shown["sync"]["queued_behind"] == 1
    [mine] = client.get("/api/v1/square/connections", headers=first.headers).json()["items"]
    assert mine["sync"]["queued_behind"] == 0
    # Once the first organization's run has finished, nothing is ahead any more.
    sync.run(mine["latest_run"]["id"])
    [shown] = client.get("/api/v1/square/connections", headers=second.headers).json()["items"]
    assert shown["sync"]["queued_behind"] == 0
    assert second_id != first_id
