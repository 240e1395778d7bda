"""What the settings page and the dashboard read of a sync while it runs: the first backfill's
days and orders fetched of how many, time left, the queue, "history loading" until the first
sync has finished, and "Backfill complete" never beside "Last sync: Not yet"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session, object_session

from app.core.config import Settings, get_settings
from app.core.db import get_engine, utcnow
from app.sales.models import SaleOrder
from app.square import service as square_service
from app.square import sync
from app.square.models import SquareConnection, SyncRun, SyncRunState, SyncWindow, SyncWindowState
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
        shown = square_service.describe(db=session, connection=connection).model_dump(mode="json")
        # The orders the reports count, per store, counted in the order table itself.
        shown["counted"] = dict(
            session.execute(
                select(SaleOrder.location_id, func.count())
                .where(SaleOrder.connection_id == connection.id, SaleOrder.counted.is_(True))
                .group_by(SaleOrder.location_id)
            ).all()
        )
        seen.append(shown)

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
    # Each store's orders fetched are the orders of its history stored so far that the reports
    # count (its Orders figure), at every step.
    for shown in backfilling:
        stores = shown["sync"]["backfill"]["stores"]
        assert {s["location_id"]: s["orders_fetched"] for s in stores if s["orders_fetched"]} == (
            {int(k): v for k, v in shown["counted"].items()}
        ), shown
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


def test_a_loaded_accounts_sync_is_not_queued_behind_first_syncs(
    client: TestClient, db: Session, simulator: RunningSimulator
) -> None:
    """First syncs are on the backfill queue, with workers of their own: a loaded account's
    "Sync now" waits only for the default queue's runs, and a first sync only for first syncs."""
    _, first_id = connect(client, db, simulator)  # its first sync queued
    loaded, loaded_id = connect(client, db, simulator)
    connection = db.get(SquareConnection, loaded_id)
    assert connection is not None
    connection.backfill_complete = True  # as if its history had loaded
    db.commit()
    later, _ = connect(client, db, simulator)  # another first sync, queued last
    sync.start(db=db, org_id=loaded.user.org_id, connection_id=loaded_id, trigger="manual")
    db.commit()
    shown = client.get("/api/v1/square/connections", headers=loaded.headers).json()["items"]
    assert shown[0]["sync"]["activity"] == "queued"
    assert shown[0]["sync"]["queued_behind"] == 0
    # The later first sync waits behind the first one.
    [waiting] = client.get("/api/v1/square/connections", headers=later.headers).json()["items"]
    assert waiting["sync"]["queued_behind"] == 1
    assert first_id != loaded_id


def test_the_status_polls_read_no_order_table(
    client: TestClient, db: Session, simulator: RunningSimulator
) -> None:
    """What the page polls every 5 s while history loads reads the windows, the rollups and a
    few small tables, never the order table (which holds the whole history); its figures are the
    orders stored that the reports count."""
    admin, connection_id = connect(client, db, simulator)
    [queued] = client.get("/api/v1/square/connections", headers=admin.headers).json()["items"]
    assert sync.run(queued["latest_run"]["id"]).state == SyncRunState.succeeded
    db.expire_all()
    # Back in the middle of the backfill: the newest 60 of 120 days fetched, the rest to come.
    connection = db.get(SquareConnection, connection_id)
    assert connection is not None
    connection.backfill_complete, connection.last_sync_at = False, None
    now = utcnow()
    stores = " ".join(loc.id for loc in simulator.accounts[0].locations)
    for days, state in ((0, "done"), (30, "done"), (60, "running"), (90, "pending")):
        db.add(
            SyncWindow(
                org_id=connection.org_id,
                connection_id=connection_id,
                location_ids=stores,
                start_at=now - timedelta(days=days + 30),
                end_at=now - timedelta(days=days),
                state=SyncWindowState(state),
                pages=1,
                orders=0,
            )
        )
    run = db.get(SyncRun, queued["latest_run"]["id"])
    assert run is not None
    run.state, run.started_at, run.finished_at = SyncRunState.running, now, None
    db.commit()

    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    try:
        status = client.get("/api/v1/square/status", headers=admin.headers).json()
        polled = len(statements)
        [shown] = client.get("/api/v1/square/connections", headers=admin.headers).json()["items"]
    finally:
        event.remove(engine, "before_cursor_execute", record)
    print(f"status: {polled} statements; connections: {len(statements) - polled}")
    assert status["history_loading"] is True
    # Whole from the day after the newest end of a window still to fetch.
    whole_from = (now - timedelta(days=60)).date() + timedelta(days=1)
    assert status["complete_from"] == whole_from.isoformat()
    backfill = shown["sync"]["backfill"]
    assert (backfill["days_done"], backfill["days_total"]) == (60, 120)
    counted = dict(
        db.execute(
            select(SaleOrder.location_id, func.count())
            .where(SaleOrder.connection_id == connection_id, SaleOrder.counted.is_(True))
            .group_by(SaleOrder.location_id)
        ).all()
    )
    assert {s["location_id"]: s["orders_fetched"] for s in backfill["stores"]} == counted
    assert backfill["orders_fetched"] == sum(counted.values()) > 0
    assert backfill["orders_estimated"] == backfill["orders_fetched"] * 2
    assert statements
    assert not [s for s in statements if "sale_order" in s], statements
