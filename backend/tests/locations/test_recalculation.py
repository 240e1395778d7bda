"""Re-dating the sales already synced when a store's business-day start or timezone changes.

Dublin (Europe/Dublin, EUR; Irish Summer Time, UTC+1, in October), synced from the simulator:
- D1LATE   10.00 cash, closed 01:30 on Friday 16 October (00:30 UTC): a late-night sale;
- D2NOON   20.00 card, closed 12:00 on the 16th;
- D3RETURN a 5.00 return of D2's pint to its card, closed and refunded at 01:15 on the 17th.
With the business day starting at 04:00, D1 belongs to Thursday the 15th and D3 to the 16th.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.core.db import session_scope
from app.locations import recalculation
from app.locations.models import Location, LocationRecalculation, RecalculationState
from app.rollups import service as rollups
from app.sales.models import SaleLine, SaleOrder, SaleRefund, SaleTender
from app.square import recalculation as redating
from app.square.models import SyncRunState
from app.users.models import Role
from square_simulator import testing
from square_simulator.model import Account
from square_simulator.testing import RunningSimulator
from tests.factories import Member, make_connection, make_org, member_of
from tests.processes import start_worker, stop
from tests.reports.scenario import _card, _m, _order, _tender
from tests.rollups.test_rollups import rollup_rows
from tests.square.helpers import run_sync

ORIGINAL = {
    "D1LATE": (date(2026, 10, 16), 1),
    "D2NOON": (date(2026, 10, 16), 12),
    "D3RETURN": (date(2026, 10, 17), 1),
}
PERIOD = {"date_from": "2026-10-15", "date_to": "2026-10-17", "currency": "EUR"}


def _sale(oid: str, location: str, at: str, amount: int, tender: dict[str, Any]) -> dict[str, Any]:
    return _order(
        oid,
        location,
        "EUR",
        at,
        line_items=[
            {
                "uid": f"{oid}-line",
                "quantity": "1",
                "item_type": "CUSTOM_AMOUNT",
                "name": "Pint",
                "gross_sales_money": _m(amount, "EUR"),
                "total_tax_money": _m(0, "EUR"),
                "total_money": _m(amount, "EUR"),
            }
        ],
        total_money=_m(amount, "EUR"),
        tenders=[tender],
    )


def dublin_orders(account: Account) -> list[dict[str, Any]]:
    dublin = account.locations[0].id
    d1 = _sale(
        "D1LATE", dublin, "2026-10-16T00:30:00Z", 1000, _tender("T1CASH", "CASH", 1000, "EUR")
    )
    d2 = _sale(
        "D2NOON",
        dublin,
        "2026-10-16T11:00:00Z",
        2000,
        _tender("T2VISA", "CARD", 2000, "EUR", 30, **_card("VISA")),
    )
    returned_at = "2026-10-17T00:15:00Z"
    d3 = _order(
        "D3RETURN",
        dublin,
        "EUR",
        returned_at,
        returns=[
            {
                "uid": "d3-return",
                "source_order_id": "D2NOON",
                "return_line_items": [
                    {
                        "uid": "d3-line",
                        "source_line_item_uid": "D2NOON-line",
                        "quantity": "1",
                        "item_type": "CUSTOM_AMOUNT",
                        "name": "Pint",
                        "gross_return_money": _m(500, "EUR"),
                        "total_tax_money": _m(0, "EUR"),
                        "total_money": _m(500, "EUR"),
                    }
                ],
            }
        ],
        refunds=[
            {
                "id": "D3REFUND",
                "tender_id": "T2VISA",
                "status": "APPROVED",
                "amount_money": _m(500, "EUR"),
                "processing_fee_money": _m(0, "EUR"),
                "created_at": returned_at,
            }
        ],
    )
    return [d1, d2, d3]


@dataclass
class Dublin:
    sim: RunningSimulator
    account: Account
    org_id: int
    connection_id: int
    admin: Member
    location: Location

    def sync(self, db: Session) -> None:
        run = run_sync(db, org_id=self.org_id, connection_id=self.connection_id)
        assert run.state == SyncRunState.succeeded, run.error

    def report(self, client: TestClient, kind: str, **params: Any) -> dict[str, Any]:
        response = client.get(
            f"/api/v1/reports/{kind}",
            params={**PERIOD, "location_ids": self.location.id, **params},
            headers=self.admin.headers,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def patch(self, client: TestClient, **values: Any) -> dict[str, Any]:
        response = client.patch(
            f"/api/v1/locations/{self.location.id}", json=values, headers=self.admin.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def generation(self, db: Session) -> int:
        db.expire_all()
        job = db.get(LocationRecalculation, self.location.id)
        assert job is not None
        return job.generation


@pytest.fixture
def dublin(client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[Dublin]:
    sim = testing.start(
        seed=3, accounts=1, locations_per_account=1, years=0.01, now="2026-10-20T12:00:00Z"
    )
    settings: Settings = get_settings()
    monkeypatch.setattr(settings, "SQUARE_API_BASE_URL", sim.base_url)
    monkeypatch.setattr(settings, "SQUARE_RETRY_BASE_SECONDS", 0.01)
    try:
        account = sim.create_account(
            business_name="Late Bar",
            country="IE",
            currency="EUR",
            locations=[{"name": "Dublin", "timezone": "Europe/Dublin", "currency": "EUR"}],
        )
        sim.import_orders(dublin_orders(account))
        org_id = make_org(db, "Late Bar")
        admin = member_of(client, db, org_id=org_id, role=Role.admin)
        connection = make_connection(
            db,
            org_id=org_id,
            merchant_id=account.merchant_id,
            access_token=account.personal_access_token,
        )
        run = run_sync(db, org_id=org_id, connection_id=connection.id)
        assert run.state == SyncRunState.succeeded, run.error
        location = db.scalar(select(Location).where(Location.org_id == org_id))
        assert location is not None and location.timezone == "Europe/Dublin"
        yield Dublin(sim, account, org_id, connection.id, admin, location)
    finally:
        sim.stop()


def stored_dates(db: Session, location_id: int) -> dict[str, tuple[date | None, int | None]]:
    db.expire_all()
    return {
        square_id: (day, hour)
        for square_id, day, hour in db.execute(
            select(SaleOrder.square_order_id, SaleOrder.business_date, SaleOrder.local_hour).where(
                SaleOrder.location_id == location_id
            )
        )
    }


def child_dates(db: Session, location_id: int) -> set[tuple[str, date | None]]:
    """Every line's, tender's and refund's date beside its order's Square id."""
    rows: set[tuple[str, date | None]] = set()
    for child in (SaleLine, SaleTender, SaleRefund):
        rows |= {
            (f"{child.__tablename__}:{square_id}", day)
            for square_id, day in db.execute(
                select(SaleOrder.square_order_id, child.business_date)
                .join(SaleOrder, SaleOrder.id == child.order_id)
                .where(child.location_id == location_id)
            )
        }
    return rows


def net_by_day(place: Dublin, client: TestClient) -> dict[str, Any]:
    series = place.report(client, "timeseries", granularity="day", compare="none")
    return {point["start"]: point["metrics"]["net_sales"] for point in series["points"]}


def run_job(db: Session, place: Dublin) -> RecalculationState | None:
    state = redating.run(place.location.id, place.generation(db))
    db.expire_all()
    return state


def check_reports_after_start_hour_4(place: Dublin, client: TestClient) -> None:
    """Every report puts the late sale on the 15th and the night's return on the 16th."""
    assert net_by_day(place, client) == {
        "2026-10-15": "10.00",
        "2026-10-16": "15.00",
        "2026-10-17": "0.00",
    }
    thursday = {"date_from": "2026-10-15", "date_to": "2026-10-15", "compare": "none"}
    summary = place.report(client, "summary", **thursday)
    assert (summary["metrics"]["net_sales"], summary["metrics"]["transactions"]) == ("10.00", 1)
    assert summary["recalculating"] == []
    by_store = place.report(client, "breakdown", by="location", **thursday)
    assert [(r["label"], r["metrics"]["net_sales"]) for r in by_store["rows"]] == [
        ("Dublin", "10.00")
    ]
    by_hour = place.report(client, "breakdown", by="hour", **thursday)
    # The wall-clock hour stays 01:00; only the date moves.
    assert [(r["key"], r["metrics"]["net_sales"]) for r in by_hour["rows"]] == [("1", "10.00")]
    heatmap = place.report(client, "heatmap", **thursday)
    cells = {(c["weekday"], c["hour"]): c["net_sales"] for c in heatmap["cells"]}
    assert cells[(3, 1)] == "10.00"  # Thursday, 01:00
    assert sum(1 for value in cells.values() if value != "0.00") == 1


def test_a_new_business_day_start_re_dates_the_sales_already_synced(
    client: TestClient, db: Session, dublin: Dublin
) -> None:
    loc = dublin.location.id
    before = stored_dates(db, loc)
    assert before == ORIGINAL
    assert net_by_day(dublin, client) == {
        "2026-10-15": "0.00",
        "2026-10-16": "30.00",
        "2026-10-17": "-5.00",
    }

    patched = dublin.patch(client, business_day_start_hour=4)
    assert patched["recalculation"]["state"] == "queued"
    assert "00:00 to 04:00" in patched["recalculation"]["reason"]
    # Until the job has run, every report on Dublin says so (and the figures are still the old).
    for kind, extra in (
        ("summary", {}),
        ("timeseries", {}),
        ("breakdown", {"by": "location"}),
        ("heatmap", {}),
    ):
        pending = dublin.report(client, kind, **extra)["recalculating"]
        assert [(p["location_id"], p["state"]) for p in pending] == [(loc, "queued")], kind
    # Syncing again changes nothing: the orders are unchanged at Square.
    dublin.sync(db)
    assert stored_dates(db, loc) == before

    assert run_job(db, dublin) == RecalculationState.done
    assert stored_dates(db, loc) == {
        "D1LATE": (date(2026, 10, 15), 1),
        "D2NOON": (date(2026, 10, 16), 12),
        "D3RETURN": (date(2026, 10, 16), 1),
    }
    assert child_dates(db, loc) == {
        ("sale_line:D1LATE", date(2026, 10, 15)),
        ("sale_line:D2NOON", date(2026, 10, 16)),
        ("sale_line:D3RETURN", date(2026, 10, 16)),
        ("sale_tender:D1LATE", date(2026, 10, 15)),
        ("sale_tender:D2NOON", date(2026, 10, 16)),
        ("sale_refund:D3RETURN", date(2026, 10, 16)),
    }
    check_reports_after_start_hour_4(dublin, client)
    job = client.get(f"/api/v1/locations/{loc}", headers=dublin.admin.headers).json()
    assert job["recalculation"]["state"] == "done"
    assert (job["recalculation"]["done"], job["recalculation"]["total"]) == (3, 3)
    assert job["recalculation"]["progress"] == 1
    listed = client.get("/api/v1/locations", headers=dublin.admin.headers).json()["items"]
    assert listed[0]["recalculation"]["state"] == "done"

    # The rollups are exactly what a rebuild from the order tables makes.
    maintained = rollup_rows(db, dublin.org_id)
    rollups.rebuild(db, dublin.org_id)
    db.commit()
    assert rollup_rows(db, dublin.org_id) == maintained

    # A sale synced after the change is dated by the new start: 02:30 on the 21st is the 20th.
    dublin.sim.import_orders(
        [
            _sale(
                "D4AFTER",
                dublin.account.locations[0].id,
                "2026-10-21T01:30:00Z",
                700,
                _tender("T4CASH", "CASH", 700, "EUR"),
            )
        ]
    )
    dublin.sim.set_time("2026-10-21T12:00:00Z")
    dublin.sync(db)
    assert stored_dates(db, loc)["D4AFTER"] == (date(2026, 10, 20), 2)


def test_the_job_is_idempotent_and_resumes_where_it_stopped(
    client: TestClient, db: Session, dublin: Dublin, monkeypatch: pytest.MonkeyPatch
) -> None:
    loc = dublin.location.id
    dublin.patch(client, business_day_start_hour=4)
    generation = dublin.generation(db)
    monkeypatch.setattr(redating, "BATCH_ORDERS", 2)
    # A worker stopped after the first batch (two orders) ...
    assert redating._start(loc, generation)
    with session_scope() as session:
        assert redating._batch(session, loc, generation) is not None
    job = client.get(f"/api/v1/locations/{loc}", headers=dublin.admin.headers).json()
    assert job["recalculation"]["state"] == "running"
    assert (job["recalculation"]["done"], job["recalculation"]["total"]) == (2, 3)
    assert job["recalculation"]["progress"] == pytest.approx(0.6667)
    running = dublin.report(client, "summary")["recalculating"]
    assert [(p["location_id"], p["state"], p["done"]) for p in running] == [(loc, "running", 2)]
    # ... and its message delivered again: it carries on from the third order.
    assert redating.run(loc, generation) == RecalculationState.done
    done = stored_dates(db, loc)
    rows = rollup_rows(db, dublin.org_id)
    check_reports_after_start_hour_4(dublin, client)
    # Delivered once more, or run again from the start: nothing changes.
    assert redating.run(loc, generation) == RecalculationState.done
    with session_scope() as session:
        location = session.get(Location, loc)
        assert location is not None
        recalculation.request(db=session, location=location, reason="again", dispatch=False)
    assert redating.run(loc, generation + 1) == RecalculationState.done
    assert stored_dates(db, loc) == done
    assert rollup_rows(db, dublin.org_id) == rows


def test_a_second_change_during_the_job_ends_with_the_latest_setting(
    client: TestClient, db: Session, dublin: Dublin, monkeypatch: pytest.MonkeyPatch
) -> None:
    loc = dublin.location.id
    dublin.patch(client, business_day_start_hour=4)
    first = dublin.generation(db)
    monkeypatch.setattr(redating, "BATCH_ORDERS", 2)
    assert redating._start(loc, first)
    with session_scope() as session:
        redating._batch(session, loc, first)
    assert stored_dates(db, loc) != ORIGINAL  # two orders done, one of them moved

    # Now the day starts at 01:00: 01:30 is the 16th again, and 01:15 the 17th.
    dublin.patch(client, business_day_start_hour=1)
    second = dublin.generation(db)
    assert second == first + 1
    # The first job stops at its next batch; the second re-dates everything with 01:00.
    assert redating.run(loc, first) is None
    assert redating.run(loc, second) == RecalculationState.done
    assert stored_dates(db, loc) == ORIGINAL
    assert net_by_day(dublin, client) == {
        "2026-10-15": "0.00",
        "2026-10-16": "30.00",
        "2026-10-17": "-5.00",
    }
    # A PATCH that changes nothing the dates depend on queues nothing.
    unchanged = dublin.generation(db)
    dublin.patch(client, business_day_start_hour=1, opened_on="2020-01-01")
    assert dublin.generation(db) == unchanged


def test_a_timezone_changed_at_square_re_dates_the_sales_already_synced(
    client: TestClient, db: Session, dublin: Dublin
) -> None:
    loc = dublin.location.id
    square_location = dublin.account.locations[0]
    square_location.timezone = "America/New_York"
    square_location.tz = ZoneInfo("America/New_York")
    dublin.sync(db)
    db.expire_all()
    location = db.get(Location, loc)
    assert location is not None and location.timezone == "America/New_York"
    pending = dublin.report(client, "summary")["recalculating"]
    assert [(p["location_id"], p["state"]) for p in pending] == [(loc, "queued")]
    assert "Europe/Dublin to America/New_York" in pending[0]["reason"]

    assert run_job(db, dublin) == RecalculationState.done
    # 00:30 UTC on the 16th is 20:30 on the 15th in New York; 00:15 UTC on the 17th is the 16th.
    assert stored_dates(db, loc) == {
        "D1LATE": (date(2026, 10, 15), 20),
        "D2NOON": (date(2026, 10, 16), 7),
        "D3RETURN": (date(2026, 10, 16), 20),
    }
    assert net_by_day(dublin, client) == {
        "2026-10-15": "10.00",
        "2026-10-16": "15.00",
        "2026-10-17": "0.00",
    }
    assert dublin.report(client, "summary")["recalculating"] == []


def test_a_real_worker_re_dates_after_the_patch(
    client: TestClient, db: Session, dublin: Dublin
) -> None:
    worker = start_worker("recalculation-test", purge=True)
    try:
        dublin.patch(client, business_day_start_hour=4)
        url = f"/api/v1/locations/{dublin.location.id}"
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            job = client.get(url, headers=dublin.admin.headers).json()["recalculation"]
            seen.append(job["state"])
            if job["state"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert job["state"] == "done", (job, seen)
        check_reports_after_start_hour_4(dublin, client)
    finally:
        stop(worker)
