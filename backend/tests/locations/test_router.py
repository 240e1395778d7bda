from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.users.models import Role
from tests.factories import make_location, make_org, member_of


def names(client: TestClient, headers: dict[str, str]) -> list[str]:
    response = client.get("/api/v1/locations", headers=headers)
    assert response.status_code == 200
    return [loc["name"] for loc in response.json()["items"]]


def test_everyone_but_managers_sees_every_location(client: TestClient, db: Session) -> None:
    org_id = make_org(db)
    make_location(db, org_id=org_id, name="Soho")
    make_location(db, org_id=org_id, name="Dublin", timezone="Europe/Dublin", currency="EUR")
    make_location(db, org_id=make_org(db), name="Elsewhere")
    for role in (Role.owner, Role.admin, Role.viewer):
        member = member_of(client, db, org_id=org_id, role=role)
        assert names(client, member.headers) == ["Dublin", "Soho"]


def test_a_manager_sees_only_granted_locations_and_403_gives_only_the_id(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    soho = make_location(db, org_id=org_id, name="Soho")
    leeds = make_location(db, org_id=org_id, name="Leeds")
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    manager = member_of(client, db, org_id=org_id, role=Role.manager)
    assert names(client, manager.headers) == []

    granted = client.put(
        f"/api/v1/users/{manager.user.id}/locations",
        json={"location_ids": [soho.id, soho.id]},
        headers=admin.headers,
    )
    assert granted.status_code == 200
    assert granted.json() == {"location_ids": [soho.id]}
    assert names(client, manager.headers) == ["Soho"]
    assert client.get(f"/api/v1/locations/{soho.id}", headers=manager.headers).status_code == 200
    refused = client.get(f"/api/v1/locations/{leeds.id}", headers=manager.headers)
    assert refused.status_code == 403
    # The id is what the caller typed; the name of a store they may not see is not theirs to read.
    assert refused.json()["detail"] == f"You do not have access to location {leeds.id}"
    for path in (
        f"/api/v1/locations/{leeds.id}",
        f"/api/v1/reports/summary?location_ids={leeds.id}&date_from=2026-01-05&date_to=2026-01-11",
    ):
        answer = client.get(path, headers=manager.headers)
        assert answer.status_code == 403
        assert "Leeds" not in answer.text


def test_grants_refuse_unknown_or_foreign_locations_and_write_nothing(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    soho = make_location(db, org_id=org_id, name="Soho")
    foreign = make_location(db, org_id=make_org(db), name="Foreign")
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    manager = member_of(client, db, org_id=org_id, role=Role.manager)
    url = f"/api/v1/users/{manager.user.id}/locations"
    response = client.put(url, json={"location_ids": [soho.id, foreign.id]}, headers=admin.headers)
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "location_ids"
    assert client.get(url, headers=admin.headers).json() == {"location_ids": []}


def test_managers_cannot_grant_themselves_locations(client: TestClient, db: Session) -> None:
    org_id = make_org(db)
    soho = make_location(db, org_id=org_id, name="Soho")
    manager = member_of(client, db, org_id=org_id, role=Role.manager)
    response = client.put(
        f"/api/v1/users/{manager.user.id}/locations",
        json={"location_ids": [soho.id]},
        headers=manager.headers,
    )
    assert response.status_code == 403


def test_admin_sets_business_day_start_and_opening_date(client: TestClient, db: Session) -> None:
    org_id = make_org(db)
    bar = make_location(db, org_id=org_id, name="Late Bar")
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    response = client.patch(
        f"/api/v1/locations/{bar.id}",
        json={"business_day_start_hour": 4, "opened_on": "2024-03-01"},
        headers=admin.headers,
    )
    assert response.status_code == 200
    assert response.json()["business_day_start_hour"] == 4
    assert response.json()["opened_on"] == "2024-03-01"
    bad = client.patch(
        f"/api/v1/locations/{bar.id}", json={"business_day_start_hour": 24}, headers=admin.headers
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "business_day_start_hour"
