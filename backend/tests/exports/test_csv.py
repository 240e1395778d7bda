"""export.csv gives one table with exactly the API's figures."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.reports import metrics as m
from tests.reports.conftest import Synced

REPORTS = "/api/v1/reports"
WEEK = {"date_from": "2026-10-24", "date_to": "2026-10-28"}


def api(client: TestClient, synced: Synced, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{REPORTS}/{path}", params=params, headers=synced.owner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def as_csv(value: Any) -> str:
    return "" if value is None else str(value)


def get_csv(client: TestClient, synced: Synced, **params: Any) -> tuple[list[list[str]], str]:
    response = client.get(f"{REPORTS}/export.csv", params=params, headers=synced.owner.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    name = response.headers["content-disposition"].split('filename="', 1)[1].rstrip('"')
    return list(csv.reader(io.StringIO(response.text))), name


@pytest.mark.parametrize(
    "by", ["location", "item", "category", "team_member", "payment_method", "hour", "weekday"]
)
def test_the_csv_of_a_breakdown_equals_the_breakdown(
    client: TestClient, synced: Synced, by: str
) -> None:
    rows, name = get_csv(client, synced, by=by, currency="EUR", **WEEK)
    assert name == f"Teliporter_Scenario_2026-10-24_2026-10-28_EUR_{by}.csv"
    body = api(client, synced, "breakdown", by=by, currency="EUR", **WEEK)
    names = list(body["rows"][0]["metrics"])
    assert rows[0] == ["key", "label", *names]
    got = {row[0]: row for row in rows[1:-1]}
    assert len(got) == len(body["rows"])
    for row in body["rows"]:
        values = [as_csv(row["metrics"][n]) for n in names]
        assert got[row["key"]] == [row["key"], row["label"], *values]
    assert rows[-1] == ["total", "Total", *(as_csv(body["total"]["metrics"][n]) for n in names)]


def test_the_csv_of_the_summary_and_of_the_days(client: TestClient, synced: Synced) -> None:
    rows, _ = get_csv(client, synced, by="summary", compare="previous_year", **WEEK)
    summary = api(client, synced, "summary", compare="previous_year", **WEEK)
    assert rows[0] == ["metric", "period", "comparison", "change"]
    assert rows[1:] == [
        [
            name,
            as_csv(summary["metrics"][name]),
            as_csv(summary["comparison"]["metrics"][name]),
            as_csv(summary["change"][name]),
        ]
        for name in m.METRIC_NAMES
    ]

    rows, _ = get_csv(client, synced, by="day", compare="none", **WEEK)
    series = api(client, synced, "timeseries", granularity="day", compare="none", **WEEK)
    assert rows[0] == ["date", *m.METRIC_NAMES]
    assert rows[1:] == [
        [p["start"], *(as_csv(p["metrics"][n]) for n in m.METRIC_NAMES)] for p in series["points"]
    ]


def test_an_unknown_table_is_a_422_naming_by(client: TestClient, synced: Synced) -> None:
    response = client.get(
        f"{REPORTS}/export.csv", params={"by": "weather", **WEEK}, headers=synced.owner.headers
    )
    assert response.status_code == 422
    assert [d["field"] for d in response.json()["detail"]] == ["by"]
