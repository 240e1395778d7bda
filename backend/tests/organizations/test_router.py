from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.users.models import Role
from tests.factories import make_org, member_of


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
