"""The whole path over real HTTP: the app under uvicorn, a real Celery worker on the run's broker
(the SQLite broker or Redis), the simulator as Square, webhooks delivered by the simulator."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.square.models import SyncRun
from app.square.sync import rfc3339
from square_simulator import testing
from square_simulator.testing import RunningSimulator
from tests.processes import free_port, start_api, start_worker, stop, wait_for, wait_for_api
from tests.square.helpers import assert_same_orders, create_sale, stored_orders

KEY = "flow-webhook-key"


@pytest.fixture
def stack(clean_db: Any) -> Iterator[tuple[str, RunningSimulator]]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sim = testing.start(
        seed=5, accounts=1, locations_per_account=2, years=0.02, now=rfc3339(utcnow())
    )
    sim.state.oauth.register_app(
        client_id="flow-client",
        client_secret="flow-secret",
        redirect_uri=f"{base}/api/v1/square/callback",
    )
    env = dict(
        os.environ,
        SQUARE_API_BASE_URL=sim.base_url,
        SQUARE_APPLICATION_ID="flow-client",
        SQUARE_APPLICATION_SECRET="flow-secret",
        SQUARE_REDIRECT_URI=f"{base}/api/v1/square/callback",
        SQUARE_WEBHOOK_SIGNATURE_KEY=KEY,
        SQUARE_WEBHOOK_NOTIFICATION_URL=f"{base}/api/v1/square/webhooks",
    )
    processes = [
        start_api(port, env=env),
        # The first sync is on the backfill queue (one worker taking both is enough here).
        start_worker("flow-test", env=env, concurrency=2, queues=["celery", "backfill"]),
    ]
    try:
        wait_for_api(base)
        yield base, sim
    finally:
        stop(*processes)
        sim.stop()


def test_connect_first_sync_and_webhook_through_a_real_worker(
    stack: tuple[str, RunningSimulator], db: Session
) -> None:
    base, sim = stack
    api = httpx.Client(base_url=base)
    registered = api.post(
        "/api/v1/auth/register",
        json={
            "email": "flow@example.com",
            "password": "Steady-Pass-123",
            "full_name": "Flo",
            "organization_name": "Flow Retail",
        },
    )
    assert registered.status_code == 201, registered.text
    org_id = registered.json()["organization"]["id"]
    token = api.post(
        "/api/v1/auth/login", json={"email": "flow@example.com", "password": "Steady-Pass-123"}
    ).json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"

    # Connect through Square's OAuth pages.
    authorize_url = api.get("/api/v1/square/connect").json()["authorize_url"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    decided = httpx.post(
        f"{sim.base_url}/oauth2/authorize",
        data={
            **{k: query[k] for k in ("client_id", "scope", "state", "redirect_uri")},
            "merchant_id": sim.accounts[0].merchant_id,
            "decision": "approve",
        },
    )
    # Back in the browser that asked (api keeps the OAuth cookie for the callback's path).
    callback = api.get(decided.headers["location"], follow_redirects=False)
    assert callback.status_code == 303
    assert "square=connected" in callback.headers["location"]

    # The worker runs the first sync.
    def synced() -> dict[str, Any] | None:
        items = api.get("/api/v1/square/connections").json()["items"]
        return items[0] if items and items[0]["last_sync_at"] else None

    connection = wait_for(synced, "the first sync")
    assert connection["status"] == "active"
    assert connection["backfill_complete"] is True
    assert_same_orders(db, org_id, sim)

    # A sale rung up at the till reaches the reports through the events Square sends for it
    # (payment.created, payment.updated: no order event), within a minute and with no sync (no
    # beat runs here: the 15-minute schedule never fires).
    def summary() -> dict[str, Any]:
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
        metrics: dict[str, Any] = response.json()["metrics"]
        return metrics

    before = summary()
    runs = db.scalar(select(func.count()).select_from(SyncRun))
    sim.state.webhooks.subscribe(url=f"{base}/api/v1/square/webhooks", signature_key=KEY)
    since = len(sim.state.webhooks.deliveries)
    till = sim.ring_up(sim.accounts[0].locations[0].id, 4321)

    def reported() -> bool:
        return bool(summary()["transactions"] == before["transactions"] + 1)

    wait_for(reported, "the till sale in the reports", 60)
    after = summary()
    assert Decimal(after["gross_sales"]) - Decimal(before["gross_sales"]) == Decimal("43.21")
    sent = sim.state.webhooks.deliveries[since:]
    assert sorted(d.type for d in sent) == ["payment.created", "payment.updated"]
    db.expire_all()
    assert stored_orders(db, org_id)[till["order"]["id"]].state == "COMPLETED"
    assert db.scalar(select(func.count()).select_from(SyncRun)) == runs

    # An order made through the Orders API is announced with order events too; it arrives alike.
    sale = create_sale(sim, amount=1234)

    def arrived() -> bool:
        db.expire_all()
        order = stored_orders(db, org_id).get(sale["id"])
        return order is not None and order.state == "COMPLETED"

    wait_for(arrived, "the API sale", 60)
    assert stored_orders(db, org_id)[sale["id"]].gross_sales == 1234
