"""GET /api/v1/locations: each store with its timezone, currency, status and footfall coverage."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.locations.models import Location
from app.users.models import Role
from tests.factories import Member, make_location, make_org, member_of

URL = "/api/v1/locations"


def local_today(timezone: str) -> date:
    return datetime.now(ZoneInfo(timezone)).date()


def enter(client: TestClient, member: Member, location: Location, day: date, **cell: Any) -> None:
    response = client.post(
        "/api/v1/footfall",
        json={"location_id": location.id, "date": day.isoformat(), **cell},
        headers=member.headers,
    )
    assert response.status_code == 201, response.text


def listed(client: TestClient, member: Member, **params: str) -> dict[str, dict[str, Any]]:
    response = client.get(URL, params=params, headers=member.headers)
    assert response.status_code == 200, response.text
    return {item["name"]: item for item in response.json()["items"]}


def test_coverage_counts_counted_closed_and_missing_days_of_the_period(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    soho = make_location(db, org_id=org_id, name="Soho")
    tokyo = make_location(
        db, org_id=org_id, name="Tokyo", timezone="Asia/Tokyo", currency="JPY", country="JP"
    )
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    yesterday = local_today(soho.timezone) - timedelta(days=1)
    period_start = yesterday - timedelta(days=9)  # a 10-day period
    enter(client, admin, soho, yesterday, count=120)
    enter(client, admin, soho, yesterday - timedelta(days=1), closed=True)
    for hour in (9, 10, 11):  # one day of hourly counts is one counted day
        enter(client, admin, soho, yesterday - timedelta(days=2), hour=hour, count=10)
    enter(client, admin, soho, period_start - timedelta(days=3), count=99)  # before the period

    items = listed(client, admin, date_from=period_start.isoformat(), date_to=yesterday.isoformat())
    assert items["Soho"]["footfall_coverage"] == {
        "date_from": period_start.isoformat(),
        "date_to": yesterday.isoformat(),
        "days": 10,
        "days_counted": 2,
        "days_closed": 1,
        "days_missing": 7,
        "last_entry_date": yesterday.isoformat(),
    }
    tokyo_item = items["Tokyo"]
    assert tokyo_item["footfall_coverage"]["days_missing"] == 10
    assert tokyo_item["footfall_coverage"]["last_entry_date"] is None
    # The fields the app already read stay as they were.
    assert (tokyo_item["timezone"], tokyo_item["currency"], tokyo_item["status"]) == (
        "Asia/Tokyo",
        "JPY",
        "ACTIVE",
    )
    assert tokyo_item["id"] == tokyo.id and tokyo_item["country"] == "JP"


def test_by_default_the_last_28_days_up_to_each_stores_yesterday(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    store = make_location(db, org_id=org_id, name="Auckland", timezone="Pacific/Auckland")
    viewer = member_of(client, db, org_id=org_id, role=Role.viewer)
    yesterday = local_today(store.timezone) - timedelta(days=1)
    coverage = listed(client, viewer)["Auckland"]["footfall_coverage"]
    assert coverage["date_to"] == yesterday.isoformat()
    assert coverage["date_from"] == (yesterday - timedelta(days=27)).isoformat()
    assert coverage["days"] == coverage["days_missing"] == 28


def test_days_before_opening_or_after_today_are_not_missing(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    today = local_today("Europe/London")
    new = make_location(db, org_id=org_id, name="New", opened_on=today - timedelta(days=3))
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    enter(client, owner, new, today, count=5)
    coverage = listed(
        client,
        owner,
        date_from=(today - timedelta(days=20)).isoformat(),
        date_to=(today + timedelta(days=5)).isoformat(),
    )["New"]["footfall_coverage"]
    # Opened three days ago: those three days and today are the only ones that count.
    assert (coverage["days"], coverage["days_counted"], coverage["days_missing"]) == (4, 1, 3)


def test_days_after_a_store_closed_are_not_missing(client: TestClient, db: Session) -> None:
    """A store that closed for good has no footfall gaps after its last trading day."""
    org_id = make_org(db)
    today = local_today("Europe/London")
    gone = make_location(db, org_id=org_id, name="Gone")
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    closed = client.patch(
        f"{URL}/{gone.id}",
        json={"closed_on": (today - timedelta(days=8)).isoformat()},
        headers=owner.headers,
    )
    assert closed.status_code == 200, closed.text
    enter(client, owner, gone, today - timedelta(days=9), count=40)
    coverage = listed(
        client,
        owner,
        date_from=(today - timedelta(days=10)).isoformat(),
        date_to=(today - timedelta(days=1)).isoformat(),
    )["Gone"]["footfall_coverage"]
    # Of the ten days asked, only the three up to its last trading day count: one entered.
    assert (coverage["days"], coverage["days_counted"], coverage["days_missing"]) == (3, 1, 2)


def test_a_manager_sees_only_granted_stores_with_their_coverage(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    soho = make_location(db, org_id=org_id, name="Soho")
    make_location(db, org_id=org_id, name="Leeds")
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    manager = member_of(client, db, org_id=org_id, role=Role.manager)
    granted = client.put(
        f"/api/v1/users/{manager.user.id}/locations",
        json={"location_ids": [soho.id]},
        headers=admin.headers,
    )
    assert granted.status_code == 200
    enter(client, admin, soho, local_today(soho.timezone) - timedelta(days=1), count=7)
    items = listed(client, manager)
    assert list(items) == ["Soho"]
    assert items["Soho"]["footfall_coverage"]["days_counted"] == 1


def test_a_bad_period_is_refused_naming_the_field(client: TestClient, db: Session) -> None:
    org_id = make_org(db)
    make_location(db, org_id=org_id, name="Soho")
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    cases = [
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_from"),
        ({"date_from": "2024-01-01", "date_to": "2026-01-01"}, "date_to"),
        ({"date_from": "2026-02-30"}, "date_from"),
    ]
    for params, field in cases:
        response = client.get(URL, params=params, headers=owner.headers)
        assert response.status_code == 422, params
        assert field in str(response.json()["detail"]), params
