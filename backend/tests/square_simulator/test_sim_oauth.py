"""OAuth: authorize page, code grant, refresh, revoke, expiry, scopes."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

SCOPES = "MERCHANT_PROFILE_READ ORDERS_READ"


def authorize(
    running, decision: str = "approve", account: int = 0, scope: str = SCOPES
) -> dict[str, str]:
    app = running.state.oauth.demo_app
    with httpx.Client(base_url=running.base_url) as c:
        page = c.get(
            "/oauth2/authorize",
            params={"client_id": app.client_id, "scope": scope, "session": "false", "state": "xyz"},
        )
        assert page.status_code == 200 and "<form" in page.text
        assert running.accounts[account].business_name.split(" &")[0] in page.text
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
        fields["decision"] = decision
        fields["merchant_id"] = running.accounts[account].merchant_id
        r = c.post("/oauth2/authorize", data=fields)
    assert r.status_code == 302
    loc = r.headers["location"]
    assert loc.startswith(app.redirect_uri + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(loc).query).items()}


def token_request(client: Any, running: Any, **body: Any) -> httpx.Response:
    app = running.state.oauth.demo_app
    return client.post(
        "/oauth2/token",
        json={"client_id": app.client_id, "client_secret": app.client_secret, **body},
    )


def test_grant_use_refresh_revoke(sim, client_for) -> None:
    anon = client_for(sim, token="")
    q = authorize(sim, account=1)
    assert q["state"] == "xyz" and q["code"]
    r = token_request(anon, sim, grant_type="authorization_code", code=q["code"])
    assert r.status_code == 200
    tok = r.json()
    assert tok["merchant_id"] == sim.accounts[1].merchant_id
    assert tok["token_type"] == "bearer" and tok["expires_at"].startswith("2026-07-15")
    # a code is single use
    again = token_request(anon, sim, grant_type="authorization_code", code=q["code"])
    assert again.status_code == 400
    c = client_for(sim, token=tok["access_token"])
    assert c.get("/v2/locations").status_code == 200
    status = c.post("/oauth2/token/status").json()
    assert sorted(status["scopes"]) == sorted(SCOPES.split())
    assert status["client_id"] == sim.state.oauth.demo_app.client_id
    # scopes are enforced
    r = c.get("/v2/payments")
    assert r.status_code == 403
    assert r.json()["errors"][0]["code"] == "INSUFFICIENT_SCOPES"
    # refresh gives a new working token
    r2 = token_request(anon, sim, grant_type="refresh_token", refresh_token=tok["refresh_token"])
    new = r2.json()["access_token"]
    assert new != tok["access_token"]
    assert client_for(sim, token=new).get("/v2/merchants/me").status_code == 200
    # wrong secret
    bad = anon.post(
        "/oauth2/token",
        json={
            "client_id": sim.state.oauth.demo_app.client_id,
            "client_secret": "nope",
            "grant_type": "refresh_token",
            "refresh_token": tok["refresh_token"],
        },
    )
    assert bad.status_code == 401 and bad.json()["errors"][0]["code"] == "UNAUTHORIZED"
    # revoke needs the Client header, then refuses every token of the grant
    app = sim.state.oauth.demo_app
    r = anon.post("/oauth2/revoke", json={"client_id": app.client_id, "access_token": new})
    assert r.status_code == 401
    r = anon.post(
        "/oauth2/revoke",
        json={"client_id": app.client_id, "access_token": new},
        headers={"Authorization": f"Client {app.client_secret}"},
    )
    assert r.status_code == 200 and r.json() == {"success": True}
    for t in (tok["access_token"], new):
        err = client_for(sim, token=t).get("/v2/locations").json()["errors"][0]
        assert err["code"] == "ACCESS_TOKEN_REVOKED"
    r = token_request(anon, sim, grant_type="refresh_token", refresh_token=tok["refresh_token"])
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "ACCESS_TOKEN_REVOKED"


def test_tokens_expire_on_the_simulator_clock(sim, client_for) -> None:
    anon = client_for(sim, token="")
    q = authorize(sim, scope="MERCHANT_PROFILE_READ ORDERS_READ PAYMENTS_READ")
    tok = token_request(anon, sim, grant_type="authorization_code", code=q["code"]).json()
    c = client_for(sim, token=tok["access_token"])
    assert c.get("/v2/locations").status_code == 200
    sim.advance(30 * 86400 + 1)
    r = c.get("/v2/locations")
    assert r.status_code == 401
    assert r.json()["errors"][0] == {
        "category": "AUTHENTICATION_ERROR",
        "code": "ACCESS_TOKEN_EXPIRED",
        "detail": "This access token has expired.",
    }
    assert c.post("/oauth2/token/status").json()["errors"][0]["code"] == "UNAUTHORIZED"
    fresh = token_request(
        anon, sim, grant_type="refresh_token", refresh_token=tok["refresh_token"]
    ).json()["access_token"]
    assert client_for(sim, token=fresh).get("/v2/payments", params={"limit": 1}).status_code == 200
    # personal access tokens do not expire
    assert client_for(sim).get("/v2/locations").status_code == 200


def test_short_token_lifetime_is_configurable(client_for) -> None:
    from square_simulator.testing import run_in_thread

    with run_in_thread(
        seed=1, now="2026-01-10T09:00:00Z", accounts=1, locations_per_account=1, token_lifetime_s=60
    ) as running:
        anon = client_for(running, token="")
        q = authorize(running)
        tok = token_request(anon, running, grant_type="authorization_code", code=q["code"]).json()
        assert tok["expires_at"] == "2026-01-10T09:01:00Z"
        running.advance(61)
        err = client_for(running, token=tok["access_token"]).get("/v2/locations").json()
        assert err["errors"][0]["code"] == "ACCESS_TOKEN_EXPIRED"


def test_denied_authorization_redirects_with_error(sim) -> None:
    q = authorize(sim, decision="deny")
    assert q == {"error": "access_denied", "error_description": "user_denied", "state": "xyz"}


def test_registered_application_and_unknown_client(sim, client_for) -> None:
    with httpx.Client(base_url=sim.base_url) as c:
        reg = c.post(
            "/_simulator/oauth/apps",
            json={
                "client_id": "sq0idp-test",
                "client_secret": "sq0csp-test",
                "redirect_uri": "http://127.0.0.1:9999/cb",
            },
        ).json()
        assert reg["client_id"] == "sq0idp-test"
        assert c.get("/oauth2/authorize", params={"client_id": "nope"}).status_code == 400
        page = c.get(
            "/oauth2/authorize", params={"client_id": "sq0idp-test", "scope": "ORDERS_READ"}
        )
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page.text))
        r = c.post(
            "/oauth2/authorize",
            data={**fields, "decision": "approve", "merchant_id": sim.accounts[2].merchant_id},
        )
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    anon = client_for(sim, token="")
    tok = anon.post(
        "/oauth2/token",
        json={
            "client_id": "sq0idp-test",
            "client_secret": "sq0csp-test",
            "grant_type": "authorization_code",
            "code": code,
        },
    )
    assert tok.json()["merchant_id"] == sim.accounts[2].merchant_id


@pytest.mark.filterwarnings("ignore:The `__fields__` attribute is deprecated")
def test_sdk_oauth_cycle(sim, validator) -> None:
    from sim_helpers import sdk_http_client
    from square import Square
    from square.core.api_error import ApiError

    app = sim.state.oauth.demo_app
    q = authorize(sim, account=2, scope="MERCHANT_PROFILE_READ ORDERS_READ")
    anon = Square(
        base_url=sim.base_url, token="not-needed", httpx_client=sdk_http_client(validator)
    )
    tok = anon.o_auth.obtain_token(
        client_id=app.client_id,
        client_secret=app.client_secret,
        grant_type="authorization_code",
        code=q["code"],
    )
    assert tok.merchant_id == sim.accounts[2].merchant_id and tok.refresh_token
    seller = Square(
        base_url=sim.base_url, token=tok.access_token, httpx_client=sdk_http_client(validator)
    )
    assert seller.o_auth.retrieve_token_status().scopes == ["MERCHANT_PROFILE_READ", "ORDERS_READ"]
    assert seller.locations.list().locations[0].currency == "USD"
    refreshed = anon.o_auth.obtain_token(
        client_id=app.client_id,
        client_secret=app.client_secret,
        grant_type="refresh_token",
        refresh_token=tok.refresh_token,
    )
    assert refreshed.access_token != tok.access_token
    revoked = anon.o_auth.revoke_token(
        client_id=app.client_id,
        merchant_id=tok.merchant_id,
        request_options={"additional_headers": {"Authorization": f"Client {app.client_secret}"}},
    )
    assert revoked.success is True
    with pytest.raises(ApiError) as err:
        seller.locations.list()
    assert err.value.status_code == 401
    assert err.value.body["errors"][0]["code"] == "ACCESS_TOKEN_REVOKED"
