"""Two retailers synced from the Square simulator for the digest tests: Acme (London, GBP: Soho
and Leeds, footfall entered) and Diner (New York, USD: Brooklyn and Queens), with sales on
Tuesday 17 November 2026 (the digests' "yesterday") and on the Tuesday before, and the real SMTP
server of tests/mail."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.core.db import utcnow
from app.locations.models import Location
from app.organizations import service as org_service
from app.square.models import SyncRunState
from app.square.sync import rfc3339
from app.users.models import Role
from square_simulator import testing
from square_simulator.testing import RunningSimulator
from tests.factories import Member, make_connection, member_of
from tests.smtp import mail_now, smtp_server
from tests.square.helpers import run_sync

__all__ = ["mail_now", "smtp_server"]

YESTERDAY = date(2026, 11, 17)  # a Tuesday
WEEK_BEFORE = date(2026, 11, 10)  # the Tuesday it is compared with

# (store, sale instants in UTC, amounts in minor units): each store's sales differ, so a figure
# of one store cannot pass for another's.
SALES = {
    "Soho": [
        ("2026-11-17T10:15:00Z", 4500),
        ("2026-11-17T13:40:00Z", 1290),
        ("2026-11-17T16:05:00Z", 7720),
        ("2026-11-10T11:00:00Z", 3300),
        ("2026-11-10T15:30:00Z", 2150),
    ],
    "Leeds": [
        ("2026-11-17T12:00:00Z", 9999),
        ("2026-11-10T12:00:00Z", 12000),
        ("2026-11-10T12:30:00Z", 800),
    ],
    # 17:00 UTC is noon in New York (EST).
    "Brooklyn": [
        ("2026-11-17T17:00:00Z", 2400),
        ("2026-11-17T18:00:00Z", 3600),
        ("2026-11-10T17:00:00Z", 5000),
    ],
    "Queens": [("2026-11-17T20:00:00Z", 1575)],
}


@dataclass
class Chains:
    acme_id: int
    diner_id: int
    acme_owner: Member
    acme_manager: Member  # granted Soho only
    diner_owner: Member
    stores: dict[str, Location]


@pytest.fixture
def digest_simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSimulator]:
    sim = testing.start(seed=5, accounts=1, locations_per_account=1, years=0.01)
    settings: Settings = get_settings()
    monkeypatch.setattr(settings, "SQUARE_API_BASE_URL", sim.base_url)
    monkeypatch.setattr(settings, "SQUARE_RETRY_BASE_SECONDS", 0.01)
    try:
        yield sim
    finally:
        sim.stop()


def _connect(
    db: Session,
    sim: RunningSimulator,
    *,
    org_id: int,
    name: str,
    country: str,
    currency: str,
    timezone: str,
    stores: list[str],
) -> None:
    account = sim.create_account(
        business_name=name,
        country=country,
        currency=currency,
        locations=[{"name": s, "timezone": timezone, "currency": currency} for s in stores],
    )
    for location in account.locations:
        for at, amount in SALES[location.name]:
            sim.set_time(at)
            sim.ring_up(location.id, amount, tender="CASH")
    sim.set_time(rfc3339(utcnow()))
    connection = make_connection(
        db,
        org_id=org_id,
        merchant_id=account.merchant_id,
        access_token=account.personal_access_token,
    )
    run = run_sync(db, org_id=org_id, connection_id=connection.id)
    assert run.state == SyncRunState.succeeded, run.error


@pytest.fixture
def chains(client: TestClient, db: Session, digest_simulator: RunningSimulator) -> Chains:
    acme_id = org_service.create(db=db, name="Acme", reporting_currency="GBP").id
    diner_id = org_service.create(db=db, name="Diner", reporting_currency="USD").id
    db.commit()
    _connect(
        db,
        digest_simulator,
        org_id=acme_id,
        name="Acme",
        country="GB",
        currency="GBP",
        timezone="Europe/London",
        stores=["Soho", "Leeds"],
    )
    _connect(
        db,
        digest_simulator,
        org_id=diner_id,
        name="Diner",
        country="US",
        currency="USD",
        timezone="America/New_York",
        stores=["Brooklyn", "Queens"],
    )
    stores = {loc.name: loc for loc in db.scalars(select(Location))}
    acme_owner = member_of(client, db, org_id=acme_id, role=Role.owner)
    acme_manager = member_of(client, db, org_id=acme_id, role=Role.manager)
    granted = client.put(
        f"/api/v1/users/{acme_manager.user.id}/locations",
        json={"location_ids": [stores["Soho"].id]},
        headers=acme_owner.headers,
    )
    assert granted.status_code == 200, granted.text
    diner_owner = member_of(client, db, org_id=diner_id, role=Role.owner)
    # Footfall: Soho on both Tuesdays, Leeds only on the later one.
    for store, day, count in (
        ("Soho", YESTERDAY, 120),
        ("Soho", WEEK_BEFORE, 90),
        ("Leeds", YESTERDAY, 200),
    ):
        entry = client.post(
            "/api/v1/footfall",
            json={"location_id": stores[store].id, "date": day.isoformat(), "count": count},
            headers=acme_owner.headers,
        )
        assert entry.status_code == 201, entry.text
    return Chains(acme_id, diner_id, acme_owner, acme_manager, diner_owner, stores)
