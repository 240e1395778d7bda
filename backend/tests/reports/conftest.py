"""The scenario of tests/reports/scenario.py, synced into a new organization by the real sync."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.locations.models import Location
from app.square.models import SquareConnection, SyncRunState
from app.users.models import Role
from square_simulator import testing
from square_simulator.testing import RunningSimulator
from tests.factories import Member, make_connection, make_org, member_of
from tests.reports import scenario
from tests.square.helpers import run_sync


@dataclass
class Synced:
    org_id: int
    owner: Member
    london: Location
    new_york: Location


@pytest.fixture
def report_simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSimulator]:
    sim = testing.start(seed=5, accounts=1, locations_per_account=1, years=0.01)
    settings: Settings = get_settings()
    monkeypatch.setattr(settings, "SQUARE_API_BASE_URL", sim.base_url)
    monkeypatch.setattr(settings, "SQUARE_RETRY_BASE_SECONDS", 0.01)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def synced(client: TestClient, db: Session, report_simulator: RunningSimulator) -> Synced:
    account = report_simulator.create_account(
        business_name="Scenario Shop",
        country="GB",
        currency="GBP",
        locations=[
            {"name": "London", "timezone": "Europe/London", "currency": "GBP"},
            {"name": "New York", "timezone": "America/New_York", "currency": "USD"},
        ],
    )
    orders, payments, refunds = scenario.build(account)
    report_simulator.import_orders(orders, payments, refunds)
    org_id = make_org(db, "Scenario")
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    connection = make_connection(
        db,
        org_id=org_id,
        merchant_id=account.merchant_id,
        access_token=account.personal_access_token,
    )
    run = run_sync(db, org_id=org_id, connection_id=connection.id)
    assert run.state == SyncRunState.succeeded, run.error
    by_name = {
        loc.name: loc for loc in db.scalars(select(Location).where(Location.org_id == org_id))
    }
    return Synced(org_id, owner, by_name["London"], by_name["New York"])


def add_usd_sale(db: Session, synced: Synced, sim: RunningSimulator, at: str) -> None:
    """A 20.00 USD cash sale in New York at `at` (RFC 3339), synced like the scenario."""
    new_york = synced.new_york.square_location_id
    assert new_york is not None
    order_id, tender_id = f"OUSD{at[:10]}", f"PUSD{at[:10]}"
    order = scenario._order(
        order_id,
        new_york,
        "USD",
        at,
        line_items=[
            {
                "uid": f"{order_id}-line",
                "quantity": "1",
                "item_type": "CUSTOM_AMOUNT",
                "name": "Extra sale",
                "gross_sales_money": scenario._m(2000, "USD"),
                "total_discount_money": scenario._m(0, "USD"),
                "total_tax_money": scenario._m(0, "USD"),
                "total_money": scenario._m(2000, "USD"),
            }
        ],
        total_money=scenario._m(2000, "USD"),
        tenders=[scenario._tender(tender_id, "CASH", 2000, "USD")],
    )
    payment = scenario._payment(tender_id, order_id, new_york, 2000, "USD", at, None)
    sim.import_orders([order], [payment], [])
    connection = db.scalars(
        select(SquareConnection).where(SquareConnection.org_id == synced.org_id)
    ).one()
    run = run_sync(db, org_id=synced.org_id, connection_id=connection.id)
    assert run.state == SyncRunState.succeeded, run.error
