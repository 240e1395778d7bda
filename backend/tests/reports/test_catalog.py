"""GET /reports/catalog: every figure and breakdown the reports send, described once."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.reports.conftest import Synced

URL = "/api/v1/reports"
WEEK = {"date_from": "2026-10-24", "date_to": "2026-10-28"}


def get(client: TestClient, synced: Synced, path: str, **params: Any) -> Any:
    response = client.get(f"{URL}/{path}", params=params, headers=synced.owner.headers)
    assert response.status_code == 200, response.text
    return response.json()


def test_the_catalog_describes_exactly_what_the_reports_send(
    client: TestClient, synced: Synced
) -> None:
    catalog = get(client, synced, "catalog")
    summary = get(client, synced, "summary", **WEEK)
    metrics = {metric["name"]: metric for metric in catalog["metrics"]}
    # The summary's figures, in the catalog's order (METRICS.md's), each described.
    assert list(summary["metrics"]) == [m["name"] for m in catalog["metrics"]]
    assert metrics["discounts"]["label"] == "Discounts & comps"
    assert metrics["average_transaction_value"]["short_label"] == "ATV"
    assert metrics["conversion_rate"]["kind"] == "percent"
    # Direction: more returns, refunds or fees is bad news; tax is neither.
    assert metrics["net_sales"]["up_is_good"] is True
    assert metrics["returns"]["up_is_good"] is False
    assert metrics["fees"]["up_is_good"] is False
    assert metrics["tax"]["up_is_good"] is None
    assert metrics["net_sales"]["terms"] == [[1, "gross_sales"], [-1, "returns"], [-1, "discounts"]]
    assert not metrics["conversion_rate"]["additive"]

    # Each breakdown's rows carry exactly the figures the catalog says, and the API accepts
    # every breakdown it lists.
    names = {b["name"] for b in catalog["breakdowns"]}
    assert {"location", "item", "category", "team_member", "payment_method", "hour"} <= names
    for spec in catalog["breakdowns"]:
        body = get(client, synced, "breakdown", by=spec["name"], **WEEK)
        assert body["rows"], spec["name"]
        for row in body["rows"]:
            assert list(row["metrics"]) == spec["metrics"], spec["name"]
        assert set(spec["columns"]) <= set(metrics)
        assert spec["label"] and spec["header"] and spec["sheet"]


def test_the_catalog_needs_a_signed_in_user(client: TestClient) -> None:
    assert client.get(f"{URL}/catalog").status_code == 401


def test_the_catalog_is_revalidated_by_its_etag(client: TestClient, synced: Synced) -> None:
    first = client.get(f"{URL}/catalog", headers=synced.owner.headers)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    # The browser asks again with the ETag: the same release answers 304 with no body.
    again = client.get(f"{URL}/catalog", headers={**synced.owner.headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    # Another ETag (an older release's) gets the whole catalog, the same as the first answer.
    stale = client.get(f"{URL}/catalog", headers={**synced.owner.headers, "If-None-Match": '"0"'})
    assert stale.status_code == 200
    assert stale.json() == first.json()
    # The ETag does not let anyone in without a session.
    assert client.get(f"{URL}/catalog", headers={"If-None-Match": etag}).status_code == 401
