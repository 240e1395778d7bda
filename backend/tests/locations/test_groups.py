"""Store groups (areas, regions) and a store's settings, through the API: admins write, everyone
reads, a manager only the groups holding their stores; another organization's are never seen."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.users.models import Role
from tests.factories import Member, make_location, make_org, member_of

GROUPS = "/api/v1/location-groups"


def groups(client: TestClient, member: Member) -> list[dict[str, Any]]:
    response = client.get(GROUPS, headers=member.headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["groups"]
    return found


def store_groups(client: TestClient, member: Member) -> dict[str, int | None]:
    response = client.get("/api/v1/locations", headers=member.headers)
    assert response.status_code == 200, response.text
    return {loc["name"]: loc["group_id"] for loc in response.json()["items"]}


def test_an_admin_creates_renames_fills_and_deletes_a_group(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    soho = make_location(db, org_id=org_id, name="Soho")
    leeds = make_location(db, org_id=org_id, name="Leeds")
    york = make_location(db, org_id=org_id, name="York")
    admin = member_of(client, db, org_id=org_id, role=Role.admin)

    created = client.post(
        GROUPS, json={"name": " South ", "location_ids": [soho.id]}, headers=admin.headers
    )
    assert created.status_code == 201, created.text
    south = created.json()
    assert south["name"] == "South" and south["location_ids"] == [soho.id]
    north = client.post(GROUPS, json={"name": "North"}, headers=admin.headers).json()
    # A store is in one group at most: putting Soho in North takes it out of South.
    moved = client.patch(
        f"{GROUPS}/{north['id']}",
        json={"name": "North & Yorkshire", "location_ids": [leeds.id, york.id, soho.id]},
        headers=admin.headers,
    )
    assert moved.status_code == 200, moved.text
    assert sorted(moved.json()["location_ids"]) == sorted([leeds.id, york.id, soho.id])
    assert [(g["name"], g["location_ids"]) for g in groups(client, admin)] == [
        ("North & Yorkshire", [leeds.id, soho.id, york.id]),  # by store name
        ("South", []),
    ]
    # A store's own group through PATCH /locations/{id}.
    back = client.patch(
        f"/api/v1/locations/{soho.id}", json={"group_id": south["id"]}, headers=admin.headers
    )
    assert back.status_code == 200 and back.json()["group_id"] == south["id"]
    assert store_groups(client, admin) == {
        "Leeds": north["id"],
        "Soho": south["id"],
        "York": north["id"],
    }

    # Deleting a group ungroups its stores; deleting it again is not found.
    assert client.delete(f"{GROUPS}/{north['id']}", headers=admin.headers).status_code == 204
    assert store_groups(client, admin) == {"Leeds": None, "Soho": south["id"], "York": None}
    assert client.delete(f"{GROUPS}/{north['id']}", headers=admin.headers).status_code == 404
    ungrouped = client.patch(
        f"/api/v1/locations/{soho.id}", json={"group_id": None}, headers=admin.headers
    )
    assert ungrouped.json()["group_id"] is None


def test_group_names_are_unique_whatever_their_case(client: TestClient, db: Session) -> None:
    org_id = make_org(db)
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    first = client.post(GROUPS, json={"name": "North"}, headers=admin.headers)
    assert first.status_code == 201
    clash = client.post(GROUPS, json={"name": "  nORTH "}, headers=admin.headers)
    assert clash.status_code == 409
    assert clash.json()["field"] == "name"
    other = client.post(GROUPS, json={"name": "South"}, headers=admin.headers).json()
    renamed = client.patch(f"{GROUPS}/{other['id']}", json={"name": "north"}, headers=admin.headers)
    assert renamed.status_code == 409
    # Its own name in another case is a rename, not a clash.
    recased = client.patch(
        f"{GROUPS}/{first.json()['id']}", json={"name": "NORTH"}, headers=admin.headers
    )
    assert recased.status_code == 200 and recased.json()["name"] == "NORTH"
    # Another organization may have its own "North".
    outsider = member_of(client, db, org_id=make_org(db), role=Role.admin)
    assert client.post(GROUPS, json={"name": "North"}, headers=outsider.headers).status_code == 201
    blank = client.post(GROUPS, json={"name": "  "}, headers=admin.headers)
    assert blank.status_code == 422


def test_only_admins_write_and_a_manager_sees_only_their_stores_in_a_group(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    soho = make_location(db, org_id=org_id, name="Soho")
    leeds = make_location(db, org_id=org_id, name="Leeds")
    york = make_location(db, org_id=org_id, name="York")
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    manager = member_of(client, db, org_id=org_id, role=Role.manager)
    viewer = member_of(client, db, org_id=org_id, role=Role.viewer)
    north = client.post(
        GROUPS, json={"name": "North", "location_ids": [leeds.id, york.id]}, headers=owner.headers
    ).json()
    client.post(GROUPS, json={"name": "South", "location_ids": [soho.id]}, headers=owner.headers)
    client.put(
        f"/api/v1/users/{manager.user.id}/locations",
        json={"location_ids": [leeds.id]},
        headers=owner.headers,
    )
    assert groups(client, manager) == [
        {"id": north["id"], "name": "North", "location_ids": [leeds.id]}
    ]
    assert [g["name"] for g in groups(client, viewer)] == ["North", "South"]
    for member in (manager, viewer):
        assert client.post(GROUPS, json={"name": "X"}, headers=member.headers).status_code == 403
        path = f"{GROUPS}/{north['id']}"
        assert client.patch(path, json={"name": "X"}, headers=member.headers).status_code == 403
        assert client.delete(path, headers=member.headers).status_code == 403
        moved = client.patch(
            f"/api/v1/locations/{leeds.id}", json={"group_id": None}, headers=member.headers
        )
        assert moved.status_code == 403


def test_another_organizations_groups_and_stores_are_not_found(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    soho = make_location(db, org_id=org_id, name="Soho")
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    other_org = make_org(db)
    theirs = make_location(db, org_id=other_org, name="Theirs")
    outsider = member_of(client, db, org_id=other_org, role=Role.admin)
    their_group = client.post(GROUPS, json={"name": "Area 51"}, headers=outsider.headers).json()

    assert groups(client, admin) == []
    path = f"{GROUPS}/{their_group['id']}"
    assert client.patch(path, json={"name": "Mine"}, headers=admin.headers).status_code == 404
    assert client.delete(path, headers=admin.headers).status_code == 404
    joined = client.patch(
        f"/api/v1/locations/{soho.id}", json={"group_id": their_group["id"]}, headers=admin.headers
    )
    assert joined.status_code == 422
    assert joined.json()["detail"][0]["field"] == "group_id"
    taken = client.post(
        GROUPS, json={"name": "Mine", "location_ids": [theirs.id]}, headers=admin.headers
    )
    assert taken.status_code == 422
    assert taken.json()["detail"][0]["field"] == "location_ids"
    assert groups(client, outsider)[0]["location_ids"] == []


def test_a_stores_opening_and_closing_dates(client: TestClient, db: Session) -> None:
    org_id = make_org(db)
    soho = make_location(db, org_id=org_id, name="Soho")
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    path = f"/api/v1/locations/{soho.id}"
    saved = client.patch(
        path, json={"opened_on": "2024-03-01", "closed_on": "2026-11-30"}, headers=admin.headers
    )
    assert saved.status_code == 200, saved.text
    assert (saved.json()["opened_on"], saved.json()["closed_on"]) == ("2024-03-01", "2026-11-30")
    early = client.patch(path, json={"closed_on": "2024-02-29"}, headers=admin.headers)
    assert early.status_code == 422
    assert early.json()["detail"][0]["field"] == "closed_on"
    late = client.patch(path, json={"opened_on": "2026-12-01"}, headers=admin.headers)
    assert late.status_code == 422
    assert late.json()["detail"][0]["field"] == "opened_on"
    reopened = client.patch(path, json={"closed_on": None}, headers=admin.headers)
    assert reopened.status_code == 200 and reopened.json()["closed_on"] is None
    assert client.get(path, headers=admin.headers).json()["opened_on"] == "2024-03-01"
