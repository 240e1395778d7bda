"""'Sync now' never waits behind another account's history (issue 23, point 7), shown with real
worker processes as production runs them: the default queue's worker and the backfill queue's
(docker-compose.prod.yml), the app under uvicorn, the simulator as Square with slow searches, so
that one account's first sync takes a long while to load its history."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.celery_app import BACKFILL_QUEUE, DEFAULT_QUEUE, celery_app
from app.core.db import utcnow
from app.square.models import SquareConnection, SyncRun, SyncRunState, SyncWindow, SyncWindowState
from app.square.sync import rfc3339
from square_simulator import testing
from square_simulator.testing import RunningSimulator
from tests.processes import free_port, start_api, start_worker, stop, wait_for, wait_for_api
from tests.square.helpers import stored_orders

# The simulator's searches answer after this long, and the history is cut into many windows of
# 30 days: account A's first sync takes ~50 searches, two at a time (the backfill worker's two
# processes: the run and SYNC_BACKFILL_WORKERS - 1 = 1 helper), and "Sync now" of a loaded
# account takes one (its incremental fetch).
SEARCH_DELAY_S = 1.0
BACKFILL_DAYS = 1500
A, B = 0, 1  # the simulator's seller accounts


def purge(*queues: str) -> None:
    """Messages earlier tests queued for runs of databases long gone would only delay this one."""
    with celery_app.connection_for_write() as connection:
        channel = connection.default_channel
        for queue in queues:
            channel.queue_purge(queue)


@pytest.fixture
def stack(clean_db: Any) -> Iterator[tuple[str, RunningSimulator]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sim = testing.start(
        seed=7, accounts=2, locations_per_account=1, years=0.05, now=rfc3339(utcnow())
    )
    sim.state.oauth.register_app(
        client_id="queues-client",
        client_secret="queues-secret",
        redirect_uri=f"{base}/api/v1/square/callback",
    )
    env = dict(
        os.environ,
        SQUARE_API_BASE_URL=sim.base_url,
        SQUARE_APPLICATION_ID="queues-client",
        SQUARE_APPLICATION_SECRET="queues-secret",
        SQUARE_REDIRECT_URI=f"{base}/api/v1/square/callback",
        SYNC_BACKFILL_DAYS=str(BACKFILL_DAYS),
        SYNC_BACKFILL_WORKERS="2",
    )
    purge(DEFAULT_QUEUE, BACKFILL_QUEUE)
    processes = [
        start_api(port, env=env),
        start_worker("queues-default", env=env, concurrency=2, queues=[DEFAULT_QUEUE]),
        start_worker("queues-backfill", env=env, concurrency=2, queues=[BACKFILL_QUEUE]),
    ]
    try:
        wait_for_api(base)
        yield base, sim
    finally:
        stop(*processes)
        sim.stop()
        purge(DEFAULT_QUEUE, BACKFILL_QUEUE)


def sign_up(base: str, name: str) -> tuple[httpx.Client, int]:
    """An owner of a new organization, signed in; and the organization's id."""
    api = httpx.Client(base_url=base, timeout=30)
    email = f"{name}@example.com"
    registered = api.post(
        "/api/v1/auth/register",
        json={
            "email": email,
            "password": "Steady-Pass-123",
            "full_name": name,
            "organization_name": f"{name} Retail",
        },
    )
    assert registered.status_code == 201, registered.text
    token = api.post(
        "/api/v1/auth/login", json={"email": email, "password": "Steady-Pass-123"}
    ).json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"
    return api, int(registered.json()["organization"]["id"])


def connect(api: httpx.Client, sim: RunningSimulator, account: int) -> dict[str, Any]:
    """Connect a seller account through Square's OAuth pages; returns the connection."""
    authorize_url = api.get("/api/v1/square/connect").json()["authorize_url"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    decided = httpx.post(
        f"{sim.base_url}/oauth2/authorize",
        data={
            **{k: query[k] for k in ("client_id", "scope", "state", "redirect_uri")},
            "merchant_id": sim.accounts[account].merchant_id,
            "decision": "approve",
        },
    )
    callback = api.get(decided.headers["location"], follow_redirects=False)
    assert "square=connected" in callback.headers["location"], callback.headers["location"]
    [connection] = api.get("/api/v1/square/connections").json()["items"]
    return dict(connection)


def transactions_today(api: httpx.Client) -> int:
    today = utcnow().date()
    response = api.get(
        "/api/v1/reports/summary",
        params={
            "date_from": (today - timedelta(days=1)).isoformat(),
            "date_to": (today + timedelta(days=1)).isoformat(),
            "compare": "none",
        },
    )
    assert response.status_code == 200, response.text
    return int(response.json()["metrics"]["transactions"])


def test_sync_now_finishes_while_another_accounts_history_is_still_loading(
    stack: tuple[str, RunningSimulator], db: Session
) -> None:
    base, sim = stack
    # Account B is connected and its history loaded (quickly: Square answers at full speed).
    b, b_org = sign_up(base, "Bea")
    b_connection = connect(b, sim, B)

    def loaded() -> bool:
        [connection] = b.get("/api/v1/square/connections").json()["items"]
        return bool(connection["last_sync_at"])

    wait_for(loaded, "B's first sync", 180)

    # Square slows down, and account A connects: its first sync loads 1500 days of history.
    sim.state.faults.add(kind="slow", path="/v2/orders/search", delay_s=SEARCH_DELAY_S)
    a, _ = sign_up(base, "Abe")
    a_connection = connect(a, sim, A)

    def windows(state: SyncWindowState | None = None) -> int:
        db.expire_all()
        query = select(func.count()).select_from(SyncWindow)
        query = query.where(SyncWindow.connection_id == a_connection["id"])
        if state is not None:
            query = query.where(SyncWindow.state == state)
        return int(db.scalar(query) or 0)

    wait_for(lambda: windows(SyncWindowState.done) >= 1, "A's backfill under way", 120)

    # A sale rung up at B's till, then B presses "Sync now" (the call the button makes).
    before = transactions_today(b)
    till = sim.ring_up(sim.accounts[B].locations[0].id, 4321)
    pressed = time.monotonic()
    started = b.post("/api/v1/square/sync", json={"connection_id": b_connection["id"]})
    assert started.status_code == 202, started.text
    [run] = started.json()["runs"]

    def finished() -> dict[str, Any] | None:
        shown: dict[str, Any] = b.get(f"/api/v1/square/sync-runs/{run['id']}").json()
        return shown if shown["state"] not in ("queued", "running") else None

    done = wait_for(finished, "B's Sync now", 300)
    took = time.monotonic() - pressed
    # What A's page says at that moment, and how much of A's history no worker has touched yet.
    [a_shown] = a.get("/api/v1/square/connections").json()["items"]
    untouched, total = windows(SyncWindowState.pending), windows()
    print(
        f"B's Sync now took {took:.1f} s; A's history windows untouched then: {untouched}/{total}"
    )

    assert done["state"] == "succeeded", done
    # B's new sale is in B's reports.
    assert transactions_today(b) == before + 1
    db.expire_all()
    assert stored_orders(db, b_org)[till["order"]["id"]].gross_sales == 4321
    # ... while A's history is still loading: A's page says so, and part of A's history has not
    # even been started by any worker (before the split, B's run waited for a worker until every
    # window of A's had been taken).
    assert a_shown["sync"]["activity"] == "backfilling", a_shown["sync"]
    assert a_shown["sync"]["history_loading"] is True
    assert a_shown["sync"]["backfill"]["days_done"] < a_shown["sync"]["backfill"]["days_total"]
    assert untouched > 0, (
        f"B's Sync now waited until A's backfill had taken every window ({took:.0f} s)"
    )
    a_run = db.scalar(select(SyncRun).where(SyncRun.connection_id == a_connection["id"]))
    assert a_run is not None and a_run.state == SyncRunState.running
    a_row = db.get(SquareConnection, a_connection["id"])
    assert a_row is not None and a_row.backfill_complete is False
