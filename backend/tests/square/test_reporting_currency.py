"""A new organization reports in the currency of the first Square account it connects, until a
person chooses another (METRICS.md "Currency")."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.sales.models import SaleOrder
from app.square.models import SquareConnection
from app.users.models import Role
from square_simulator.testing import RunningSimulator
from tests.factories import Member, make_org, member_of
from tests.square.conftest import approve_on_square
from tests.square.helpers import run_sync

GBP, EUR, USD = 0, 1, 2  # the three_sellers accounts


@pytest.fixture
def no_dispatch(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.square import tasks

    monkeypatch.setattr(tasks.run_sync, "delay", lambda run_id: None)
    monkeypatch.setattr(tasks.run_backfill, "delay", lambda run_id: None)


def connect(client: TestClient, admin: Member, sim: RunningSimulator, account: int) -> None:
    response = approve_on_square(client, admin.headers, sim, account=account)
    assert "square=connected" in response.headers["location"], response.headers["location"]


def reporting_currency(client: TestClient, admin: Member) -> str:
    currency: str = client.get("/api/v1/organization", headers=admin.headers).json()[
        "reporting_currency"
    ]
    return currency


def test_a_new_organization_connecting_a_usd_account_reports_in_usd(
    client: TestClient, db: Session, three_sellers: RunningSimulator, no_dispatch: None
) -> None:
    org_id = make_org(db)
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    connect(client, admin, three_sellers, USD)
    assert reporting_currency(client, admin) == "USD"

    connection_id = db.scalar(select(SquareConnection.id).where(SquareConnection.org_id == org_id))
    assert connection_id is not None
    run_sync(db, org_id=org_id, connection_id=connection_id)
    today = utcnow().date()
    first = today - timedelta(days=14)
    # The dashboard's summary, asked for without a currency: in dollars, the stores' own
    # figures with nothing converted.
    response = client.get(
        "/api/v1/reports/summary",
        params={"date_from": first.isoformat(), "date_to": today.isoformat()},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["currency"] == "USD"
    gross = db.scalar(
        select(func.sum(SaleOrder.gross_sales)).where(
            SaleOrder.org_id == org_id,
            SaleOrder.counted.is_(True),
            SaleOrder.business_date.between(first, today),
        )
    )
    assert gross
    assert Decimal(summary["metrics"]["gross_sales"]) == Decimal(gross) / 100

    # A second account, in euros, connected later changes nothing.
    connect(client, admin, three_sellers, EUR)
    assert reporting_currency(client, admin) == "USD"


def test_an_organization_that_chose_its_currency_keeps_it(
    client: TestClient, db: Session, three_sellers: RunningSimulator, no_dispatch: None
) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    chosen = client.patch(
        "/api/v1/organization", json={"reporting_currency": "EUR"}, headers=admin.headers
    )
    assert chosen.status_code == 200, chosen.text
    connect(client, admin, three_sellers, USD)
    assert reporting_currency(client, admin) == "EUR"


def test_choosing_the_default_currency_is_a_choice_too(
    client: TestClient, db: Session, three_sellers: RunningSimulator, no_dispatch: None
) -> None:
    # GBP is what a new organization shows before it connects anything; choosing it on purpose
    # keeps it when a dollar account is connected.
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    assert reporting_currency(client, admin) == "GBP"
    client.patch("/api/v1/organization", json={"reporting_currency": "GBP"}, headers=admin.headers)
    connect(client, admin, three_sellers, USD)
    assert reporting_currency(client, admin) == "GBP"


def test_a_gbp_first_account_then_a_usd_one_stays_in_gbp(
    client: TestClient, db: Session, three_sellers: RunningSimulator, no_dispatch: None
) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    connect(client, admin, three_sellers, GBP)
    connect(client, admin, three_sellers, USD)
    assert reporting_currency(client, admin) == "GBP"


def test_renaming_the_organization_is_not_choosing_a_currency(
    client: TestClient, db: Session, three_sellers: RunningSimulator, no_dispatch: None
) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    renamed = client.patch("/api/v1/organization", json={"name": "Diner"}, headers=admin.headers)
    assert renamed.status_code == 200, renamed.text
    connect(client, admin, three_sellers, USD)
    assert reporting_currency(client, admin) == "USD"
