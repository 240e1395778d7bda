from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.users.models import Role
from tests.factories import PASSWORD, login, make_org, make_user, member_of


def test_me_shows_the_user_and_organization(client: TestClient, db: Session) -> None:
    org_id = make_org(db, "Corner Shops")
    member = member_of(client, db, org_id=org_id, role=Role.manager)
    body = client.get("/api/v1/users/me", headers=member.headers).json()
    assert body["email"] == member.email
    assert body["role"] == "manager"
    assert body["organization"]["name"] == "Corner Shops"
    assert "password_hash" not in body


def test_unauthenticated_requests_are_401(client: TestClient) -> None:
    response = client.get("/api/v1/users/me")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("role", [Role.viewer, Role.manager])
def test_only_admins_and_owners_manage_users(client: TestClient, db: Session, role: Role) -> None:
    org_id = make_org(db)
    member = member_of(client, db, org_id=org_id, role=role)
    assert client.get("/api/v1/users", headers=member.headers).status_code == 403
    created = client.post(
        "/api/v1/users",
        json={"email": "x@example.com", "full_name": "X", "password": "Good-Pass-123"},
        headers=member.headers,
    )
    assert created.status_code == 403
    assert "admin role" in created.json()["detail"]


def test_admin_creates_lists_and_changes_roles(client: TestClient, db: Session) -> None:
    org_id = make_org(db)
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    created = client.post(
        "/api/v1/users",
        json={
            "email": "Shop@Example.com",
            "full_name": "Shop Lead",
            "role": "manager",
            "password": "Good-Pass-123",
        },
        headers=admin.headers,
    )
    assert created.status_code == 201
    new_id = created.json()["user"]["id"]
    assert created.json()["invite_token"] is None

    listed = client.get("/api/v1/users", headers=admin.headers).json()
    assert listed["total"] == 2
    assert {u["email"] for u in listed["items"]} == {admin.email, "shop@example.com"}

    changed = client.patch(
        f"/api/v1/users/{new_id}", json={"role": "viewer"}, headers=admin.headers
    )
    assert changed.status_code == 200
    assert changed.json()["role"] == "viewer"


def test_admin_cannot_create_or_touch_owners(client: TestClient, db: Session) -> None:
    org_id = make_org(db)
    owner = make_user(db, org_id=org_id, role=Role.owner)
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    create_owner = client.post(
        "/api/v1/users",
        json={
            "email": "o2@example.com",
            "full_name": "O2",
            "role": "owner",
            "password": "Good-Pass-123",
        },
        headers=admin.headers,
    )
    assert create_owner.status_code == 403
    demote = client.patch(
        f"/api/v1/users/{owner.user.id}", json={"role": "viewer"}, headers=admin.headers
    )
    assert demote.status_code == 403
    promote_self = client.patch(
        f"/api/v1/users/{admin.user.id}", json={"role": "owner"}, headers=admin.headers
    )
    assert promote_self.status_code == 403


def test_the_last_owner_cannot_be_demoted_or_deactivated(client: TestClient, db: Session) -> None:
    owner = login(client, make_user(db, org_id=make_org(db)))
    demote = client.patch(
        f"/api/v1/users/{owner.user.id}", json={"role": "admin"}, headers=owner.headers
    )
    assert demote.status_code == 422
    assert demote.json()["detail"][0]["field"] == "role"
    deactivate = client.patch(
        f"/api/v1/users/{owner.user.id}", json={"is_active": False}, headers=owner.headers
    )
    assert deactivate.status_code == 422
    assert deactivate.json()["detail"][0]["field"] == "is_active"
    assert client.get("/api/v1/users/me", headers=owner.headers).json()["role"] == "owner"


def test_a_second_owner_makes_handover_possible(client: TestClient, db: Session) -> None:
    org_id = make_org(db)
    owner = login(client, make_user(db, org_id=org_id))
    second = make_user(db, org_id=org_id, role=Role.owner)
    response = client.patch(
        f"/api/v1/users/{owner.user.id}", json={"role": "admin"}, headers=owner.headers
    )
    assert response.status_code == 200
    assert second.user.role == Role.owner


def test_creating_a_user_with_a_taken_email_is_409_on_email(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    other_org_user = make_user(db, org_id=make_org(db))
    response = client.post(
        "/api/v1/users",
        json={"email": other_org_user.email, "full_name": "Dup", "password": "Good-Pass-123"},
        headers=admin.headers,
    )
    assert response.status_code == 409
    assert response.json()["field"] == "email"


def test_bad_role_is_422_naming_role(client: TestClient, db: Session) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    response = client.post(
        "/api/v1/users",
        json={"email": "r@example.com", "full_name": "R", "role": "superuser"},
        headers=admin.headers,
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["field"] == "role"


def test_change_own_password_needs_the_current_one(client: TestClient, db: Session) -> None:
    member = member_of(client, db, org_id=make_org(db), role=Role.viewer)
    wrong = client.patch(
        "/api/v1/users/me",
        json={"current_password": "Not-The-One-1", "new_password": "Fresh-Pass-456"},
        headers=member.headers,
    )
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["field"] == "current_password"
    ok = client.patch(
        "/api/v1/users/me",
        json={
            "current_password": PASSWORD,
            "new_password": "Fresh-Pass-456",
            "full_name": "Renamed",
        },
        headers=member.headers,
    )
    assert ok.status_code == 200
    assert ok.json()["full_name"] == "Renamed"
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": "Fresh-Pass-456"}
        ).status_code
        == 200
    )
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": PASSWORD}
        ).status_code
        == 401
    )


def sign_in(client: TestClient, email: str, password: str) -> tuple[str, str]:
    """A new session (as a separate browser would start): its access token and refresh token."""
    client.cookies.clear()
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return response.json()["access_token"], response.cookies["refresh_token"]


def refresh(client: TestClient, token: str) -> httpx.Response:
    client.cookies.clear()
    client.cookies.set("refresh_token", token, path="/api/v1/auth")
    return client.post("/api/v1/auth/refresh")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_password_change_signs_out_the_other_sessions_at_once(
    client: TestClient, db: Session
) -> None:
    member = make_user(db, org_id=make_org(db))
    mine_access, mine_refresh = sign_in(client, member.email, PASSWORD)
    other_access, other_refresh = sign_in(client, member.email, PASSWORD)
    assert client.get("/api/v1/users/me", headers=bearer(other_access)).status_code == 200

    changed = client.patch(
        "/api/v1/users/me",
        json={"current_password": PASSWORD, "new_password": "Fresh-Pass-456"},
        headers=bearer(mine_access),
    )
    assert changed.status_code == 200

    # The other session: its access token is refused at once, and it cannot renew it.
    assert client.get("/api/v1/users/me", headers=bearer(other_access)).status_code == 401
    assert refresh(client, other_refresh).status_code == 401
    # The session that made the change stays signed in: its refresh token still renews it.
    renewed = refresh(client, mine_refresh)
    assert renewed.status_code == 200
    assert (
        client.get("/api/v1/users/me", headers=bearer(renewed.json()["access_token"])).status_code
        == 200
    )
    # And a new sign-in with the new password works as before.
    new_access, _ = sign_in(client, member.email, "Fresh-Pass-456")
    assert client.get("/api/v1/users/me", headers=bearer(new_access)).status_code == 200


def test_password_reset_by_the_operator_signs_out_every_session(
    client: TestClient, db: Session
) -> None:
    from app.scripts.create_admin import ensure_owner

    member = make_user(db, org_id=make_org(db))
    access, refresh_token = sign_in(client, member.email, PASSWORD)
    ensure_owner(db=db, email=member.email, password="Reset-Pass-789", full_name="X", org_name="Y")
    db.commit()
    assert client.get("/api/v1/users/me", headers=bearer(access)).status_code == 401
    assert refresh(client, refresh_token).status_code == 401


def test_wrong_current_passwords_are_throttled_per_user(client: TestClient, db: Session) -> None:
    member = member_of(client, db, org_id=make_org(db), role=Role.viewer)
    change = {"current_password": "Not-The-One-1", "new_password": "Fresh-Pass-456"}
    for _ in range(get_settings().LOGIN_MAX_FAILURES_PER_ACCOUNT):
        wrong = client.patch("/api/v1/users/me", json=change, headers=member.headers)
        assert wrong.status_code == 422
    refused = client.patch(
        "/api/v1/users/me",
        json={**change, "current_password": PASSWORD},
        headers=member.headers,
    )
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    # Nothing changed: the old password still signs in.
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": PASSWORD}
        ).status_code
        == 200
    )
    # Another user is not affected.
    other = member_of(client, db, org_id=make_org(db), role=Role.viewer)
    ok = client.patch(
        "/api/v1/users/me", json={**change, "current_password": PASSWORD}, headers=other.headers
    )
    assert ok.status_code == 200
