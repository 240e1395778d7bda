from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.users.models import Role
from tests.factories import make_location, make_org, member_of


def test_members_read_their_organization(client: TestClient, db: Session) -> None:
    viewer = member_of(client, db, org_id=make_org(db, "High Street Co"), role=Role.viewer)
    body = client.get("/api/v1/organization", headers=viewer.headers).json()
    assert body["name"] == "High Street Co"
    assert body["reporting_currency"] == "GBP"


def test_admin_renames_and_changes_reporting_currency(client: TestClient, db: Session) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    response = client.patch(
        "/api/v1/organization",
        json={"name": "Renamed Ltd", "reporting_currency": "eur"},
        headers=admin.headers,
    )
    assert response.status_code == 200
    assert response.json()["name"] == "Renamed Ltd"
    assert response.json()["reporting_currency"] == "EUR"


def test_unknown_currency_is_refused_naming_the_field(client: TestClient, db: Session) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    for value in ("XYZ", "EURO", ""):
        response = client.patch(
            "/api/v1/organization", json={"reporting_currency": value}, headers=admin.headers
        )
        assert response.status_code == 422, value
        assert response.json()["detail"][0]["field"] == "reporting_currency"
    assert (
        client.get("/api/v1/organization", headers=admin.headers).json()["reporting_currency"]
        == "GBP"
    )


def test_managers_cannot_change_the_organization(client: TestClient, db: Session) -> None:
    manager = member_of(client, db, org_id=make_org(db), role=Role.manager)
    response = client.patch("/api/v1/organization", json={"name": "Mine"}, headers=manager.headers)
    assert response.status_code == 403


def test_the_timezone_follows_the_stores_until_an_admin_sets_it(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    viewer = member_of(client, db, org_id=org_id, role=Role.viewer)

    def timezone() -> str:
        body = client.get("/api/v1/organization", headers=viewer.headers).json()
        return str(body["timezone"])

    assert timezone() == "Europe/London"  # no stores yet
    make_location(db, org_id=org_id, timezone="America/New_York")
    assert timezone() == "America/New_York"
    make_location(db, org_id=org_id, timezone="Europe/London")
    make_location(db, org_id=org_id, timezone="Europe/London")
    assert timezone() == "Europe/London"  # most of the stores

    response = client.patch(
        "/api/v1/organization", json={"timezone": "Europe/Paris"}, headers=admin.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["timezone"] == "Europe/Paris"
    make_location(db, org_id=org_id, timezone="America/New_York")
    make_location(db, org_id=org_id, timezone="America/New_York")
    assert timezone() == "Europe/Paris"  # chosen by a person: the stores no longer move it


def test_an_unknown_timezone_is_refused_naming_the_field(client: TestClient, db: Session) -> None:
    org_id = make_org(db)
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    for value in ("Mars/Olympus", "europe/london", "", "../../etc/passwd", "GMT+25"):
        response = client.patch(
            "/api/v1/organization", json={"timezone": value}, headers=owner.headers
        )
        assert response.status_code == 422, value
        assert response.json()["detail"][0]["field"] == "timezone"
    manager = member_of(client, db, org_id=org_id, role=Role.manager)
    refused = client.patch(
        "/api/v1/organization", json={"timezone": "Asia/Tokyo"}, headers=manager.headers
    )
    assert refused.status_code == 403
    body = client.get("/api/v1/organization", headers=owner.headers).json()
    assert body["timezone"] == "Europe/London"
