"""The workbook follows the reports' footfall_estimates choice: its footfall cells equal the API's
for both choices, estimated figures are marked "(est.)" in grey italics with a note, questioned
ones in amber with the reason, and the cover says what was done (app/footfall/ESTIMATES.md)."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from app.exports import tasks
from tests.reports.conftest import Synced
from tests.reports.test_footfall_estimates import MONDAY, PERIOD, SUNDAY, _seed


def _workbook(client: TestClient, synced: Synced, **params: Any) -> Any:
    response = client.get(
        "/api/v1/reports/export.xlsx",
        params={"compare": "none", "location_ids": synced.london.id, **PERIOD, **params},
        headers=synced.owner.headers,
    )
    assert response.status_code == 200, response.text
    return openpyxl.load_workbook(io.BytesIO(response.content))


def _api(client: TestClient, synced: Synced, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/reports/{path}",
        params={"compare": "none", "location_ids": synced.london.id, **PERIOD, **params},
        headers=synced.owner.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _by_day(book: Any) -> dict[str, Any]:
    rows = list(book["By day"].iter_rows())
    header = next(i for i, row in enumerate(rows) if row[0].value == "Date")
    column = [c.value for c in rows[header]].index("Footfall")
    return {
        row[0].value.date().isoformat(): row[column]
        for row in rows[header + 1 :]
        if row[0].value not in (None, "Total")
    }


@pytest.mark.parametrize("choice", ["include", "leave_out"])
def test_the_workbook_follows_the_choice_and_marks_the_cells(
    client: TestClient, synced: Synced, choice: str
) -> None:
    _seed(client, synced)
    book = _workbook(client, synced, footfall_estimates=choice)
    summary = _api(client, synced, "summary", footfall_estimates=choice)
    series = _api(client, synced, "timeseries", granularity="day", footfall_estimates=choice)
    [store] = _api(client, synced, "breakdown", by="location", footfall_estimates=choice)["rows"]

    summary_rows = {row[0].value: row[1] for row in book["Summary"].iter_rows()}
    assert summary_rows["Footfall"].value == summary["metrics"]["footfall"]
    assert summary_rows["Conversion rate"].value == pytest.approx(
        summary["metrics"]["conversion_rate"], abs=1e-6
    )
    days = _by_day(book)
    for point in series["points"]:
        assert days[point["start"]].value == point["metrics"]["footfall"], point["start"]
    by_store = list(book["By store"].iter_rows())
    header = next(i for i, row in enumerate(by_store) if row[0].value == "Store")
    column = [c.value for c in by_store[header]].index("Footfall")
    store_cell = by_store[header + 1][column]
    assert store_cell.value == store["metrics"]["footfall"]

    cover = {row[0].value: row[1].value for row in book["Cover"].iter_rows() if row[0].value}
    monday = days[MONDAY.isoformat()]
    if choice == "include":
        assert cover["Footfall"].startswith("1 store-day estimated from the same weekday")
        for cell in (monday, summary_rows["Footfall"]):
            assert cell.font.i and "(est.)" in cell.number_format
            assert cell.comment is not None and "(est.)" in cell.comment.text
    else:
        assert cover["Footfall"].startswith("Estimates left out")
        assert monday.value is None and monday.comment is None
        assert not summary_rows["Footfall"].font.i
    # Sunday 25 is marked closed but took a sale: questioned, with the reason.
    sunday = days[SUNDAY.isoformat()]
    assert sunday.comment is not None
    assert "Marked closed, but 1 sale was taken that day" in sunday.comment.text
    assert store_cell.comment is not None and "questioned" in store_cell.comment.text
    # Every other day's footfall cell is plain.
    plain = [d for d, cell in days.items() if cell.comment is None]
    marked = {SUNDAY.isoformat(), *([MONDAY.isoformat()] if choice == "include" else [])}
    assert set(days) - set(plain) == marked


def test_a_background_export_keeps_the_choice(client: TestClient, synced: Synced) -> None:
    _seed(client, synced)
    headers = synced.owner.headers
    body = {**PERIOD, "compare": "none", "location_ids": [synced.london.id]}
    created = client.post(
        "/api/v1/reports/exports", json={**body, "footfall_estimates": "include"}, headers=headers
    )
    assert created.status_code == 202, created.text
    job = created.json()
    tasks.build(job["id"])  # what the worker runs, here in the test's process
    status = client.get(f"/api/v1/reports/exports/{job['id']}", headers=headers).json()
    assert status["state"] == "done", status
    file = client.get(status["download_url"], headers=headers)
    book = openpyxl.load_workbook(io.BytesIO(file.content))
    summary_rows = {row[0].value: row[1].value for row in book["Summary"].iter_rows()}
    included = _api(client, synced, "summary", footfall_estimates="include")
    assert summary_rows["Footfall"] == included["metrics"]["footfall"]
    refused = client.post(
        "/api/v1/reports/exports", json={**body, "footfall_estimates": "maybe"}, headers=headers
    )
    assert refused.status_code == 422
    assert "footfall_estimates" in refused.text
