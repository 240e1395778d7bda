"""Shared steps of the Square tests: connect through OAuth, run syncs, read both sides."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.sales.models import SaleOrder
from app.square import sync
from app.square.models import SquareConnection, SyncRun
from app.users.models import Role
from square_simulator.testing import RunningSimulator
from tests.factories import Member, make_org, member_of
from tests.square.conftest import approve_on_square


def connect(client: TestClient, db: Session, sim: RunningSimulator) -> tuple[Member, int]:
    """An admin of a new organization who connected the simulator's first seller account."""
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    response = approve_on_square(client, admin.headers, sim)
    assert "square=connected" in response.headers["location"], response.headers["location"]
    connection = db.scalar(
        select(SquareConnection).where(SquareConnection.org_id == admin.user.org_id)
    )
    assert connection is not None
    db.expire_all()
    return admin, connection.id


def run_sync(db: Session, *, org_id: int, connection_id: int, trigger: str = "manual") -> SyncRun:
    """Queue a run and execute it here, with the code a Celery worker runs."""
    [run] = sync.start(
        db=db, org_id=org_id, connection_id=connection_id, trigger=trigger, dispatch=False
    )
    db.commit()
    finished = sync.run(run.id)
    db.expire_all()
    return finished


def square_orders(sim: RunningSimulator, account: int = 0) -> dict[str, dict[str, Any]]:
    """Every order the simulator holds for an account, read through its Square API."""
    headers = {"Authorization": f"Bearer {sim.token(account)}"}
    location_ids = [loc.id for loc in sim.accounts[account].locations]
    orders: dict[str, dict[str, Any]] = {}
    cursor = None
    while True:
        body: dict[str, Any] = {
            "location_ids": location_ids,
            "limit": 1000,
            "query": {
                "filter": {
                    "date_time_filter": {
                        "updated_at": {
                            "start_at": "2000-01-01T00:00:00Z",
                            "end_at": "2100-01-01T00:00:00Z",
                        }
                    }
                },
                "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"},
            },
        }
        if cursor:
            body["cursor"] = cursor
        response = httpx.post(f"{sim.base_url}/v2/orders/search", json=body, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        for order in page.get("orders", []):
            orders[order["id"]] = order
        cursor = page.get("cursor")
        if not cursor:
            return orders


def stored_orders(db: Session, org_id: int) -> dict[str, SaleOrder]:
    return {
        o.square_order_id: o
        for o in db.scalars(select(SaleOrder).where(SaleOrder.org_id == org_id))
    }


def assert_same_orders(db: Session, org_id: int, sim: RunningSimulator) -> int:
    """The database holds exactly the simulator's orders: none missing, none extra, each at the
    simulator's version and state. Returns how many."""
    expected = square_orders(sim)
    stored = stored_orders(db, org_id)
    missing = sorted(set(expected) - set(stored))
    extra = sorted(set(stored) - set(expected))
    assert not missing, f"{len(missing)} orders missing, e.g. {missing[:3]}"
    assert not extra, f"{len(extra)} orders that Square does not have, e.g. {extra[:3]}"
    stale = [
        oid
        for oid, order in expected.items()
        if (stored[oid].version, stored[oid].state) != (order.get("version"), order.get("state"))
    ]
    assert not stale, f"{len(stale)} orders differ from Square, e.g. {stale[:3]}"
    return len(expected)


def create_sale(
    sim: RunningSimulator, *, location_index: int = 0, amount: int = 1250, pay: bool = True
) -> dict[str, Any]:
    """A sale rung up now through Square's API (CreateOrder, then CreatePayment completing it)."""
    headers = {"Authorization": f"Bearer {sim.token(0)}"}
    location = sim.accounts[0].locations[location_index]
    currency = location.currency
    created = httpx.post(
        f"{sim.base_url}/v2/orders",
        headers=headers,
        json={
            "idempotency_key": uuid.uuid4().hex,
            "order": {
                "location_id": location.id,
                "line_items": [
                    {
                        "name": "Test scarf",
                        "quantity": "1",
                        "base_price_money": {"amount": amount, "currency": currency},
                    }
                ],
            },
        },
    )
    assert created.status_code == 200, created.text
    order = created.json()["order"]
    if pay:
        paid = httpx.post(
            f"{sim.base_url}/v2/payments",
            headers=headers,
            json={
                "idempotency_key": uuid.uuid4().hex,
                "source_id": "CASH",
                "amount_money": order["total_money"],
                "cash_details": {"buyer_supplied_money": order["total_money"]},
                "order_id": order["id"],
                "location_id": location.id,
                "autocomplete": True,
            },
        )
        assert paid.status_code == 200, paid.text
    return order


def square_payment_ids(sim: RunningSimulator, account: int = 0) -> set[str]:
    """Every payment the simulator holds for an account, read through ListPayments."""
    headers = {"Authorization": f"Bearer {sim.token(account)}"}
    ids: set[str] = set()
    for location in sim.accounts[account].locations:
        cursor = None
        while True:
            params = {
                "location_id": location.id,
                "begin_time": "2000-01-01T00:00:00Z",
                "limit": "100",
            }
            if cursor:
                params["cursor"] = cursor
            response = httpx.get(f"{sim.base_url}/v2/payments", params=params, headers=headers)
            assert response.status_code == 200, response.text
            page = response.json()
            ids |= {p["id"] for p in page.get("payments", [])}
            cursor = page.get("cursor")
            if not cursor:
                break
    return ids
