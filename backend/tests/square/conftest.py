"""The Square simulator as the tests' Square, reached over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from app.core.config import Settings, get_settings
from app.core.db import utcnow
from app.square.sync import rfc3339
from square_simulator import testing
from square_simulator.testing import RunningSimulator

CLIENT_ID = "sq0idp-teliporter-tests"
CLIENT_SECRET = "sq0csp-teliporter-tests-secret"
REDIRECT_URI = "http://testserver/api/v1/square/callback"


def _serve(monkeypatch: pytest.MonkeyPatch, *, accounts: int) -> RunningSimulator:
    # The clock is frozen at the real present, so no live sale appears between a sync and the
    # comparison that follows it; tests move it on purpose (advance) when they need to.
    sim = testing.start(
        seed=11, accounts=accounts, locations_per_account=2, years=0.02, now=rfc3339(utcnow())
    )
    sim.state.oauth.register_app(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uri=REDIRECT_URI
    )
    settings: Settings = get_settings()
    monkeypatch.setattr(settings, "SQUARE_API_BASE_URL", sim.base_url)
    monkeypatch.setattr(settings, "SQUARE_APPLICATION_ID", CLIENT_ID)
    monkeypatch.setattr(settings, "SQUARE_APPLICATION_SECRET", CLIENT_SECRET)
    monkeypatch.setattr(settings, "SQUARE_REDIRECT_URI", REDIRECT_URI)
    monkeypatch.setattr(settings, "SQUARE_RETRY_BASE_SECONDS", 0.01)
    return sim


@pytest.fixture
def simulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSimulator]:
    """A seeded simulator with one seller account (two stores, a week of history), and the app
    pointed at it exactly as SQUARE_API_BASE_URL would point it at Square."""
    sim = _serve(monkeypatch, accounts=1)
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def three_sellers(monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningSimulator]:
    """As `simulator`, with three seller accounts: a GBP (GB), an EUR (IE) and a USD (US) one."""
    sim = _serve(monkeypatch, accounts=3)
    assert [a.currency for a in sim.accounts] == ["GBP", "EUR", "USD"]
    try:
        yield sim
    finally:
        sim.stop()


def decide_on_square(
    client: TestClient,
    headers: dict[str, str],
    sim: RunningSimulator,
    *,
    decision: str = "approve",
    account: int = 0,
) -> str:
    """Ask the app for Square's authorize URL (the client keeps the app's OAuth cookie), decide
    on the simulator's page as the seller of `account`; returns the path and query Square
    redirects back to."""
    authorize_url = client.get("/api/v1/square/connect", headers=headers).json()["authorize_url"]
    query = {k: v[0] for k, v in parse_qs(urlsplit(authorize_url).query).items()}
    page = httpx.get(authorize_url)
    assert page.status_code == 200, page.text
    decided = httpx.post(
        f"{sim.base_url}/oauth2/authorize",
        data={
            "client_id": query["client_id"],
            "scope": query["scope"],
            "state": query["state"],
            "redirect_uri": query["redirect_uri"],
            "merchant_id": sim.accounts[account].merchant_id,
            "decision": decision,
        },
    )
    assert decided.status_code == 302, decided.text
    back = urlsplit(decided.headers["location"])
    assert back.path == "/api/v1/square/callback"
    return f"{back.path}?{back.query}"


def approve_on_square(
    client: TestClient,
    headers: dict[str, str],
    sim: RunningSimulator,
    *,
    decision: str = "approve",
    account: int = 0,
) -> httpx.Response:
    """Connect as a browser does: decide on Square's page, then follow the redirect back to the
    app's callback in the same client (with its cookie); returns the callback's response."""
    callback = decide_on_square(client, headers, sim, decision=decision, account=account)
    return client.get(callback, follow_redirects=False)
