"""A sale rung up at the till reaches the reports through the events Square really sends for it
(payment.created, payment.updated; no order event), fetched by the connection's queued fetch."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import utcnow
from app.sales.models import SaleOrder, SalePayment, SalePaymentRefund
from app.square import webhooks as webhook_service
from app.square.models import AnnouncedObject, SyncRun
from square_simulator.testing import RunningSimulator
from square_simulator.webhooks import sign
from tests.square.helpers import connect, run_sync, stored_orders

KEY = "till-webhook-key"
URL = "http://testserver/api/v1/square/webhooks"


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Webhooks configured; fetches the receiver queues are recorded here, and the test runs
    them as a worker would (webhook_service.fetch_announced)."""
    monkeypatch.setattr(get_settings(), "SQUARE_WEBHOOK_SIGNATURE_KEY", KEY)
    monkeypatch.setattr(get_settings(), "SQUARE_WEBHOOK_NOTIFICATION_URL", URL)
    sent: list[int] = []
    from app.square import tasks

    monkeypatch.setattr(
        tasks.fetch_announced, "apply_async", lambda args, countdown: sent.append(args[0])
    )
    return sent


def simulator_events(sim: RunningSimulator, since: int = 0) -> list[bytes]:
    return [d.body for d in sim.state.webhooks.deliveries[since:]]


def deliver(client: TestClient, body: bytes) -> str:
    response = client.post(
        "/api/v1/square/webhooks",
        content=body,
        headers={
            "content-type": "application/json",
            "x-square-hmacsha256-signature": sign(KEY, URL, body),
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["status"])


def summary(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    today = utcnow().date()
    response = client.get(
        "/api/v1/reports/summary",
        params={
            "date_from": (today - timedelta(days=1)).isoformat(),
            "date_to": (today + timedelta(days=1)).isoformat(),
            "compare": "none",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    metrics: dict[str, Any] = response.json()["metrics"]
    return metrics


def batch_retrieves(sim: RunningSimulator) -> int:
    with sim.state.requests_lock:
        return sum(n for route, n in sim.state.requests.items() if "batch-retrieve" in route)


@pytest.fixture
def synced(
    client: TestClient, db: Session, simulator: RunningSimulator, queued: list[int]
) -> tuple[Any, int]:
    admin, connection_id = connect(client, db, simulator)
    run_sync(db, org_id=admin.user.org_id, connection_id=connection_id)
    simulator.state.webhooks.subscribe(url=URL, signature_key=KEY)
    queued.clear()
    return admin, connection_id


def test_a_till_sale_reaches_the_reports_through_its_payment_events(
    client: TestClient,
    db: Session,
    simulator: RunningSimulator,
    queued: list[int],
    synced: tuple[Any, int],
) -> None:
    admin, connection_id = synced
    before = summary(client, admin.headers)
    runs_before = db.scalar(select(func.count()).select_from(SyncRun))
    since = len(simulator.state.webhooks.deliveries)
    sale = simulator.ring_up(simulator.accounts[0].locations[0].id, 4321)
    bodies = simulator_events(simulator, since)
    assert [json.loads(b)["type"] for b in bodies] == ["payment.created", "payment.updated"]

    assert [deliver(client, body) for body in bodies] == ["accepted", "accepted"]
    assert queued == [connection_id]  # the sale's two events share one fetch
    calls = batch_retrieves(simulator)
    outcome = webhook_service.fetch_announced(connection_id)
    assert (outcome.orders_fetched, outcome.orders_written, outcome.payments) == (1, 1, 1)
    assert batch_retrieves(simulator) == calls + 1

    db.expire_all()
    order = stored_orders(db, admin.user.org_id)[sale["order"]["id"]]
    assert (order.state, order.gross_sales) == ("COMPLETED", 4321)
    after = summary(client, admin.headers)
    assert after["transactions"] == before["transactions"] + 1
    assert Decimal(after["gross_sales"]) - Decimal(before["gross_sales"]) == Decimal("43.21")
    # No sync was needed (and none ran): the periodic one would have taken 15 minutes.
    assert db.scalar(select(func.count()).select_from(SyncRun)) == runs_before
    assert db.scalar(select(func.count()).select_from(AnnouncedObject)) == 0


def test_events_twice_or_out_of_order_write_the_sale_once_and_keep_the_newest_payment(
    client: TestClient,
    db: Session,
    simulator: RunningSimulator,
    queued: list[int],
    synced: tuple[Any, int],
) -> None:
    admin, connection_id = synced
    before = summary(client, admin.headers)
    since = len(simulator.state.webhooks.deliveries)
    sale = simulator.ring_up(simulator.accounts[0].locations[1].id, 1500, tender="CASH")
    created, updated = simulator_events(simulator, since)
    # An older copy of the payment, announced late (Square does not promise an order).
    stale = json.loads(created)
    stale["event_id"] = "late-" + stale["event_id"]
    older = stale["data"]["object"]["payment"]
    older["status"] = "APPROVED"
    older["created_at"] = older["updated_at"] = "2026-01-01T00:00:00Z"

    assert deliver(client, updated) == "accepted"
    assert deliver(client, updated) == "duplicate"
    assert deliver(client, created) == "accepted"
    first = webhook_service.fetch_announced(connection_id)
    assert (first.orders_written, first.payments) == (1, 1)

    # The same sale announced again, and an older copy of its payment, after the fetch.
    assert deliver(client, json.dumps(stale).encode()) == "accepted"
    again = webhook_service.fetch_announced(connection_id)
    assert (again.orders_fetched, again.orders_written, again.payments) == (1, 0, 0)

    db.expire_all()
    org_id = admin.user.org_id
    copies = db.scalar(
        select(func.count())
        .select_from(SaleOrder)
        .where(SaleOrder.org_id == org_id, SaleOrder.square_order_id == sale["order"]["id"])
    )
    assert copies == 1
    payment = db.scalar(
        select(SalePayment).where(SalePayment.square_payment_id == sale["payment"]["id"])
    )
    assert payment is not None and payment.status == "COMPLETED"
    after = summary(client, admin.headers)
    assert after["transactions"] == before["transactions"] + 1
    assert Decimal(after["gross_sales"]) - Decimal(before["gross_sales"]) == Decimal("15.00")


def test_a_burst_of_till_sales_is_fetched_in_one_call(
    client: TestClient,
    db: Session,
    simulator: RunningSimulator,
    queued: list[int],
    synced: tuple[Any, int],
) -> None:
    admin, connection_id = synced
    since = len(simulator.state.webhooks.deliveries)
    locations = simulator.accounts[0].locations
    sales = [simulator.ring_up(locations[n % 2].id, 100 + n) for n in range(12)]
    bodies = simulator_events(simulator, since)
    assert len(bodies) == 24
    for body in bodies:
        assert deliver(client, body) == "accepted"
    assert queued == [connection_id]
    calls = batch_retrieves(simulator)
    outcome = webhook_service.fetch_announced(connection_id)
    assert batch_retrieves(simulator) == calls + 1
    assert (outcome.orders_written, outcome.payments) == (12, 12)
    db.expire_all()
    stored = stored_orders(db, admin.user.org_id)
    assert all(stored[s["order"]["id"]].state == "COMPLETED" for s in sales)


def test_an_order_square_does_not_serve_yet_is_asked_for_again(
    client: TestClient,
    db: Session,
    simulator: RunningSimulator,
    queued: list[int],
    synced: tuple[Any, int],
) -> None:
    _, connection_id = synced
    since = len(simulator.state.webhooks.deliveries)
    sale = simulator.ring_up(simulator.accounts[0].locations[0].id, 700)
    body = json.loads(simulator_events(simulator, since)[0])
    body["data"]["object"]["payment"]["order_id"] = "NOT-SERVED-YET"
    deliver(client, json.dumps(body).encode())
    outcome = webhook_service.fetch_announced(connection_id)
    assert outcome.retried == 1
    assert queued == [connection_id, connection_id]  # a fetch queued again for it
    db.expire_all()
    rows = list(db.scalars(select(AnnouncedObject)))
    assert [(r.kind, r.square_id, r.attempts) for r in rows] == [("order", "NOT-SERVED-YET", 1)]
    # Asked for FETCH_ATTEMPTS times in all, then left to the scheduled sync.
    webhook_service.fetch_announced(connection_id)
    webhook_service.fetch_announced(connection_id)
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(AnnouncedObject)) == 0
    assert sale["payment"]["id"] in set(db.scalars(select(SalePayment.square_payment_id)))


def test_a_refund_reaches_the_reports_through_its_refund_events(
    client: TestClient,
    db: Session,
    simulator: RunningSimulator,
    queued: list[int],
    synced: tuple[Any, int],
) -> None:
    admin, connection_id = synced
    sale = simulator.ring_up(simulator.accounts[0].locations[0].id, 2000)
    webhook_service.fetch_announced(connection_id)  # nothing announced was delivered: no-op
    since = len(simulator.state.webhooks.deliveries)
    refund = httpx.post(
        f"{simulator.base_url}/v2/refunds",
        headers={"Authorization": f"Bearer {simulator.token(0)}"},
        json={
            "idempotency_key": uuid.uuid4().hex,
            "payment_id": sale["payment"]["id"],
            "amount_money": {"amount": 500, "currency": "GBP"},
        },
    ).json()["refund"]
    bodies = simulator_events(simulator, since)
    # The return order is Square's own: announced by the refund (naming it), not by an order event.
    assert sorted(json.loads(b)["type"] for b in bodies) == ["payment.updated", "refund.created"]
    for body in bodies:
        assert deliver(client, body) == "accepted"
    outcome = webhook_service.fetch_announced(connection_id)
    assert outcome.refunds == 1
    db.expire_all()
    stored = stored_orders(db, admin.user.org_id)
    assert refund["order_id"] in stored  # the return order, with its refund
    assert sale["order"]["id"] in stored  # the sale, through its payment's update
    assert refund["id"] in set(db.scalars(select(SalePaymentRefund.square_refund_id)))
