"""Organization API keys: created by owners and admins, shown once, stored hashed, revocable."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.apikeys.models import ApiKey
from app.users.models import Role
from tests.factories import make_location, make_org, member_of
from tests.footfall.helpers import shop

URL = "/api/v1/api-keys"
COUNTS = "/api/v1/footfall/counts"


def test_owner_and_admin_create_list_and_revoke_keys(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    created = client.post(
        URL, json={"name": "Door counters", "location_ids": [s.soho.id]}, headers=s.admin.headers
    )
    assert created.status_code == 201, created.text
    body = created.json()
    key = body["key"]
    assert key.startswith(f"tpk_{body['prefix']}_") and len(key) > 50
    assert body["location_ids"] == [s.soho.id]
    assert (body["created_by"], body["created_by_name"]) == (
        s.admin.user.id,
        s.admin.user.full_name,
    )
    assert body["last_used_at"] is None and body["revoked_at"] is None

    every = client.post(URL, json={"name": "All stores"}, headers=s.owner.headers)
    assert every.status_code == 201 and every.json()["location_ids"] is None

    listed = client.get(URL, headers=s.owner.headers)
    assert listed.status_code == 200
    items = listed.json()["items"]
    assert [i["name"] for i in items] == ["All stores", "Door counters"]
    assert all("key" not in i and "secret_hash" not in i for i in items)
    assert key not in listed.text

    revoked = client.delete(f"{URL}/{body['id']}", headers=s.owner.headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    again = client.delete(f"{URL}/{body['id']}", headers=s.admin.headers)
    assert again.status_code == 200 and again.json()["revoked_at"] == revoked.json()["revoked_at"]
    assert client.get(URL, headers=s.owner.headers).json()["items"][1]["revoked_at"]


def test_managers_and_viewers_may_not_touch_keys(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    for member in (s.manager, s.viewer):
        assert client.post(URL, json={"name": "x"}, headers=member.headers).status_code == 403
        assert client.get(URL, headers=member.headers).status_code == 403
    made = client.post(URL, json={"name": "x"}, headers=s.owner.headers).json()
    assert client.delete(f"{URL}/{made['id']}", headers=s.manager.headers).status_code == 403
    assert client.post(URL, json={"name": "x"}).status_code == 401


def test_scope_names_only_the_organizations_stores(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    other_org = make_org(db, "Rival")
    theirs = make_location(db, org_id=other_org, name="Rival store")
    refused = client.post(
        URL, json={"name": "x", "location_ids": [s.soho.id, theirs.id]}, headers=s.owner.headers
    )
    assert refused.status_code == 404  # another organization's store: as if it did not exist
    assert refused.json()["detail"] == f"location {theirs.id} not found"
    empty = client.post(URL, json={"name": "x", "location_ids": []}, headers=s.owner.headers)
    assert empty.status_code == 422
    blank = client.post(URL, json={"name": "  "}, headers=s.owner.headers)
    assert blank.status_code == 422
    assert client.get(URL, headers=s.owner.headers).json()["total"] == 0


def test_another_organizations_key_cannot_be_seen_or_revoked(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    made = client.post(URL, json={"name": "ours"}, headers=s.owner.headers).json()
    rival = member_of(client, db, org_id=make_org(db, "Rival"), role=Role.owner)
    assert client.get(URL, headers=rival.headers).json()["items"] == []
    assert client.delete(f"{URL}/{made['id']}", headers=rival.headers).status_code == 404
    assert client.get(URL, headers=s.owner.headers).json()["items"][0]["revoked_at"] is None


def test_the_database_holds_only_a_digest_of_the_key(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    made = client.post(URL, json={"name": "x"}, headers=s.owner.headers).json()
    row = db.scalars(select(ApiKey)).one()
    secret = made["key"].split("_", 2)[2]
    stored = [str(getattr(row, c.key)) for c in ApiKey.__table__.columns]
    assert not any(made["key"] in value or secret in value for value in stored)
    assert row.secret_hash == hashlib.sha256(made["key"].encode()).hexdigest()


def test_a_key_authenticates_the_intake_only_and_records_its_last_use(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    made = client.post(URL, json={"name": "x"}, headers=s.owner.headers).json()
    bearer = {"Authorization": f"Bearer {made['key']}"}
    # Not a user's token: the rest of the API refuses it.
    assert client.get("/api/v1/footfall", headers=bearer).status_code == 401
    assert client.get(URL, headers=bearer).status_code == 401
    assert client.get("/api/v1/reports/summary", headers=bearer).status_code == 401

    assert client.post(COUNTS, json={"counts": []}, headers=bearer).status_code == 200
    first = client.get(URL, headers=s.owner.headers).json()["items"][0]["last_used_at"]
    assert first is not None
    # Within a minute, a second use does not write the row again.
    assert client.post(COUNTS, json={"counts": []}, headers=bearer).status_code == 200
    assert client.get(URL, headers=s.owner.headers).json()["items"][0]["last_used_at"] == first
    # A minute later it does.
    row = db.scalars(select(ApiKey)).one()
    row.last_used_at = row.last_used_at - timedelta(minutes=2) if row.last_used_at else None
    db.commit()
    assert client.post(COUNTS, json={"counts": []}, headers=bearer).status_code == 200
    assert client.get(URL, headers=s.owner.headers).json()["items"][0]["last_used_at"] > first


def test_wrong_tampered_and_revoked_keys_get_401(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    made = client.post(URL, json={"name": "x"}, headers=s.owner.headers).json()
    key = made["key"]
    assert client.post(COUNTS, json={"counts": []}).status_code == 401
    for wrong in (key[:-2] + "xx", "tpk_nope_nope", "nonsense", f"tpk_{made['prefix']}_"):
        response = client.post(COUNTS, json={"counts": []}, headers={"X-API-Key": wrong})
        assert response.status_code == 401, wrong
        assert response.headers["WWW-Authenticate"] == "Bearer"
    assert client.post(COUNTS, json={"counts": []}, headers={"X-API-Key": key}).status_code == 200
    client.delete(f"{URL}/{made['id']}", headers=s.owner.headers)
    revoked = client.post(COUNTS, json={"counts": []}, headers={"X-API-Key": key})
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["detail"]
