"""Fault knobs: schedules and seeded probabilities; 429, 500, 503, slow, dropped."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sim_helpers import loc_ids


def search(c: Any, running: Any) -> httpx.Response:
    return c.post("/v2/orders/search", json={"location_ids": loc_ids(running), "limit": 5})


def test_scheduled_rate_limit_then_recovery(sim, client_for) -> None:
    c = client_for(sim)
    sim.state.faults.add(kind="rate_limit", path="/v2/orders/search", count=3, retry_after=7)
    for _ in range(3):
        r = search(c, sim)
        assert r.status_code == 429
        assert r.headers["retry-after"] == "7"
        assert r.json()["errors"][0]["code"] == "RATE_LIMITED"
        assert r.json()["errors"][0]["category"] == "RATE_LIMIT_ERROR"
        assert c.get("/v2/locations").status_code == 200  # other endpoints are untouched
    assert search(c, sim).status_code == 200
    assert sim.state.faults.rules == []


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [("error_500", 500, "INTERNAL_SERVER_ERROR"), ("error_503", 503, "SERVICE_UNAVAILABLE")],
)
def test_server_errors(sim, client_for, kind, status, code) -> None:
    c = client_for(sim)
    sim.state.faults.add(kind=kind, path="/v2/*", count=1)
    r = c.get("/v2/payments")
    assert r.status_code == status
    assert r.json()["errors"][0]["code"] == code
    assert c.get("/v2/payments").status_code == 200


def test_probability_is_seeded_and_repeatable(sim, client_for) -> None:
    c = client_for(sim)

    def run() -> list[int]:
        sim.state.faults.clear()
        sim.state.faults.reseed(123)
        sim.state.faults.add(kind="error_503", path="/v2/locations", probability=0.5)
        return [c.get("/v2/locations").status_code for _ in range(30)]

    first = run()
    assert 5 < first.count(503) < 25
    assert run() == first


def test_slow_response_trips_a_client_timeout(sim, client_for) -> None:
    c = client_for(sim)
    sim.state.faults.add(kind="slow", path="/v2/merchants", count=1, delay_s=1.0)
    with pytest.raises(httpx.ReadTimeout):
        c.get("/v2/merchants", timeout=0.2)
    assert c.get("/v2/merchants").status_code == 200


def test_dropped_connection(sim, client_for) -> None:
    sim.state.faults.add(kind="drop", path="/v2/orders/search", count=1)
    c = client_for(sim)
    with pytest.raises(httpx.RemoteProtocolError):
        search(c, sim)
    assert search(c, sim).status_code == 200


def test_faults_through_the_admin_api_and_request_counts(sim, client_for) -> None:
    c = client_for(sim)
    admin = httpx.Client(base_url=sim.base_url)
    admin.delete("/_simulator/requests")
    r = admin.post(
        "/_simulator/faults",
        json={"faults": [{"kind": "rate_limit", "path": "/v2/payments", "count": 2}]},
    )
    assert r.json()["faults"][0]["count"] == 2
    assert [c.get("/v2/payments").status_code for _ in range(3)] == [429, 429, 200]
    assert admin.get("/_simulator/faults").json()["faults"] == []
    search(c, sim)
    counts = admin.get("/_simulator/requests").json()
    assert counts["by_route"]["GET /v2/payments"] == 3
    assert counts["by_route"]["POST /v2/orders/search"] == 1
    assert counts["total"] == 4
    bad = admin.post("/_simulator/faults", json={"kind": "explode"})
    assert bad.status_code == 400
    admin.close()
