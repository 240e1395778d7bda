from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import crypto
from app.square.models import SquareConnection, SyncRun
from app.square.router import OAUTH_COOKIE
from app.users.models import Role
from square_simulator.testing import RunningSimulator
from tests.factories import make_org, member_of
from tests.square.conftest import approve_on_square, decide_on_square


def outcome(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/settings/square"
    return {k: v[0] for k, v in parse_qs(location.query).items()}


@pytest.fixture
def no_dispatch(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, int]]:
    """Record the sync runs the app hands to Celery (task name, run id) instead of sending them
    to a broker."""
    sent: list[tuple[str, int]] = []
    from app.square import tasks

    for task in (tasks.run_sync, tasks.run_backfill):
        monkeypatch.setattr(
            task, "delay", lambda run_id, name=task.name: sent.append((name, run_id))
        )
    return sent


def test_connect_stores_encrypted_tokens_locations_and_starts_the_first_sync(
    client: TestClient, db: Session, simulator: RunningSimulator, no_dispatch: list[tuple[str, int]]
) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    response = approve_on_square(client, admin.headers, simulator)
    assert outcome(response)["square"] == "connected"

    connections = client.get("/api/v1/square/connections", headers=admin.headers).json()
    assert connections["total"] == 1
    [conn] = connections["items"]
    assert conn["merchant_id"] == simulator.accounts[0].merchant_id
    assert conn["status"] == "active"
    assert conn["location_count"] == 2
    assert "ORDERS_READ" in conn["scopes"]
    assert conn["next_sync_at"] is not None
    assert "token" not in str(connections).lower().replace("access_token", "")

    row = db.scalar(select(SquareConnection))
    assert row is not None and row.access_token_enc is not None
    plain = crypto.decrypt(row.access_token_enc)
    assert plain not in row.access_token_enc
    # The stored token really works at Square.
    me = httpx.get(
        f"{simulator.base_url}/v2/merchants/me", headers={"Authorization": f"Bearer {plain}"}
    )
    assert me.status_code == 200

    stores = client.get("/api/v1/locations", headers=admin.headers).json()["items"]
    assert {s["square_location_id"] for s in stores} == {
        loc.id for loc in simulator.accounts[0].locations
    }
    assert all(s["timezone"] and s["currency"] for s in stores)
    runs = list(db.scalars(select(SyncRun)))
    assert [r.trigger for r in runs] == ["connect"]
    # The first sync loads the history: it goes to the backfill queue's workers.
    assert no_dispatch == [("square.run_backfill", runs[0].id)]
    # The browser's OAuth nonce is spent with its state: the callback cleared it.
    assert OAUTH_COOKIE not in client.cookies


def test_denied_on_square_connects_nothing(
    client: TestClient, db: Session, simulator: RunningSimulator, no_dispatch: list[tuple[str, int]]
) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    result = outcome(approve_on_square(client, admin.headers, simulator, decision="deny"))
    assert result["square"] == "denied"
    assert "not granted" in result["message"]
    assert client.get("/api/v1/square/connections", headers=admin.headers).json()["total"] == 0
    assert no_dispatch == []


def test_state_is_single_use_and_forged_states_are_refused(
    client: TestClient, db: Session, simulator: RunningSimulator, no_dispatch: list[tuple[str, int]]
) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    first = approve_on_square(client, admin.headers, simulator)
    assert outcome(first)["square"] == "connected"
    replay = client.get(
        first.request.url.path + "?" + first.request.url.query.decode(), follow_redirects=False
    )
    assert outcome(replay)["square"] == "invalid_state"
    forged = client.get("/api/v1/square/callback?code=abc&state=forged", follow_redirects=False)
    assert outcome(forged)["square"] == "invalid_state"


def test_connect_sets_a_short_lived_httponly_cookie_for_the_callback_only(
    client: TestClient, db: Session, simulator: RunningSimulator
) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    response = client.get("/api/v1/square/connect", headers=admin.headers)
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith(f"{OAUTH_COOKIE}=")
    for attribute in ("httponly", "samesite=lax", "path=/api/v1/square/callback", "max-age=600"):
        assert attribute in cookie
    assert "secure" not in cookie
    assert response.headers["cache-control"] == "no-store"
    # Over https (as uvicorn sees it behind nginx with X-Forwarded-Proto), the cookie is Secure.
    secure = client.get("https://testserver/api/v1/square/connect", headers=admin.headers)
    assert "secure" in secure.headers["set-cookie"].lower()


def test_callback_in_another_browser_connects_nothing(
    client: TestClient, db: Session, simulator: RunningSimulator, no_dispatch: list[tuple[str, int]]
) -> None:
    """An admin sends the authorize link to a merchant who allows it: the callback arrives in the
    merchant's browser, without the admin's cookie, and must not connect the merchant's Square
    account to the admin's organization (RFC 6749 section 10.12)."""
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    callback = decide_on_square(client, admin.headers, simulator)
    merchant_browser = TestClient(client.app, base_url="http://testserver")
    result = outcome(merchant_browser.get(callback, follow_redirects=False))
    assert result["square"] == "wrong_browser"
    assert "another browser" in result["message"]
    assert db.scalar(select(SquareConnection)) is None
    assert no_dispatch == []
    # The state is spent: the admin's own browser cannot complete it afterwards either.
    assert outcome(client.get(callback, follow_redirects=False))["square"] == "invalid_state"
    assert db.scalar(select(SquareConnection)) is None


def test_callback_with_another_flows_cookie_connects_nothing(
    client: TestClient, db: Session, simulator: RunningSimulator, no_dispatch: list[tuple[str, int]]
) -> None:
    """The merchant is itself an admin mid-connection in its own organization: its browser holds
    a cookie, but not the one bound to the link it was sent."""
    victim_org = make_org(db)
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    callback = decide_on_square(client, admin.headers, simulator)
    merchant_browser = TestClient(client.app, base_url="http://testserver")
    merchant = member_of(merchant_browser, db, org_id=victim_org, role=Role.admin)
    assert merchant_browser.get("/api/v1/square/connect", headers=merchant.headers).is_success
    assert OAUTH_COOKIE in merchant_browser.cookies
    result = outcome(merchant_browser.get(callback, follow_redirects=False))
    assert result["square"] == "wrong_browser"
    assert db.scalar(select(SquareConnection)) is None
    assert no_dispatch == []
    # A made-up value is no better, and a refused callback leaves the browser's own cookie be.
    assert OAUTH_COOKIE in merchant_browser.cookies
    callback = decide_on_square(client, admin.headers, simulator)
    guessed = TestClient(client.app, base_url="http://testserver")
    guessed.cookies.set(OAUTH_COOKIE, "guessed", path="/api/v1/square/callback")
    refused = guessed.get(callback, follow_redirects=False)
    assert refused.request.headers["cookie"] == f"{OAUTH_COOKIE}=guessed"
    assert outcome(refused)["square"] == "wrong_browser"
    assert db.scalar(select(SquareConnection)) is None


def test_token_exchange_failure_is_reported(
    client: TestClient, db: Session, simulator: RunningSimulator, no_dispatch: list[tuple[str, int]]
) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    authorize_url = client.get("/api/v1/square/connect", headers=admin.headers).json()[
        "authorize_url"
    ]
    state = parse_qs(urlsplit(authorize_url).query)["state"][0]
    # A code Square never issued: the exchange fails.
    response = client.get(
        f"/api/v1/square/callback?code=sq0cgp-bogus&state={state}", follow_redirects=False
    )
    result = outcome(response)
    assert result["square"] == "exchange_failed"
    assert client.get("/api/v1/square/connections", headers=admin.headers).json()["total"] == 0


def test_only_admins_connect(client: TestClient, db: Session, simulator: RunningSimulator) -> None:
    manager = member_of(client, db, org_id=make_org(db), role=Role.manager)
    assert client.get("/api/v1/square/connect", headers=manager.headers).status_code == 403


def test_disconnect_revokes_at_square_and_keeps_history_unless_purged(
    client: TestClient, db: Session, simulator: RunningSimulator, no_dispatch: list[tuple[str, int]]
) -> None:
    admin = member_of(client, db, org_id=make_org(db), role=Role.admin)
    approve_on_square(client, admin.headers, simulator)
    row = db.scalar(select(SquareConnection))
    assert row is not None and row.access_token_enc
    token = crypto.decrypt(row.access_token_enc)

    response = client.delete(f"/api/v1/square/connections/{row.id}", headers=admin.headers)
    assert response.status_code == 204
    refused = httpx.get(
        f"{simulator.base_url}/v2/locations", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["code"] == "ACCESS_TOKEN_REVOKED"
    [conn] = client.get("/api/v1/square/connections", headers=admin.headers).json()["items"]
    assert conn["status"] == "disconnected"
    assert (
        client.post(
            "/api/v1/square/sync", json={"connection_id": row.id}, headers=admin.headers
        ).status_code
        == 409
    )
