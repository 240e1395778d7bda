"""The workbook against the web app's new views (issue #23): "so far today" (`until_hour`), averages
below zero shown as the page shows them, and the store-group filter on the cover. Read back with
openpyxl (figures as written, cached totals) against the report API for the same filters."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.exports import tasks
from app.exports.tables import NO_FIGURE, RETURNS_EXCEEDED_SALES, metric_label
from app.reports import metrics as m
from app.square.models import SquareConnection, SyncRunState
from square_simulator.testing import RunningSimulator
from tests.reports import scenario
from tests.reports.conftest import Synced
from tests.square.helpers import run_sync

REPORTS = "/api/v1/reports"
# The scenario sells in London on Monday 26 October before and after 14:00, and on the Sunday
# before (the comparison's last day for a previous period of three days) at midnight.
CUT = {"date_from": "2026-10-24", "date_to": "2026-10-26", "compare": "previous_period"}
ADDS_UP = ("net_sales", "transactions", "gross_sales", "returns", "units_sold")


def api(client: TestClient, synced: Synced, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{REPORTS}/{path}", params=params, headers=synced.owner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def workbook(client: TestClient, synced: Synced, tmp_path: Path, **params: Any) -> Any:
    response = client.get(f"{REPORTS}/export.xlsx", params=params, headers=synced.owner.headers)
    assert response.status_code == 200, response.text
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.content)
    return openpyxl.load_workbook(path, data_only=True)


def cover(book: Any) -> dict[str, str]:
    return {row[0]: row[1] for row in book["Cover"].iter_rows(values_only=True) if row[0]}


def table(sheet: Any, first_title: str) -> tuple[list[Any], dict[Any, list[Any]], list[Any]]:
    """(header, data rows by their first cell, rows below the table) of a sheet's table."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row and row[0] == first_title)
    header = list(rows[start])
    body: dict[Any, list[Any]] = {}
    after: list[Any] = []
    for row in rows[start + 1 :]:
        if after or row[0] == "Total":
            after.append(list(row))
        elif any(cell is not None for cell in row):
            key = row[0].date() if hasattr(row[0], "date") else row[0]
            body[key] = list(row)
    return header, body, after


def same(cell: Any, figure: Any) -> bool:
    if figure is None:
        return cell is None
    return cell is not None and abs(Decimal(str(cell)) - Decimal(str(figure))) < Decimal("1e-6")


def test_a_workbook_cut_so_far_today_says_so_and_agrees_with_the_summary(
    client: TestClient, synced: Synced, tmp_path: Path
) -> None:
    params = {**CUT, "until_hour": 14}
    summary = api(client, synced, "summary", **params)
    whole = api(client, synced, "summary", **CUT)
    # The cut leaves out the last day's sales after 14:00: the test would notice a whole day.
    assert summary["metrics"]["transactions"] < whole["metrics"]["transactions"]
    book = workbook(client, synced, tmp_path, **params)

    lines = cover(book)
    assert (
        "up to 14:00 on the last day (2026-10-26 and the comparison's 2026-10-23)"
        in (lines["So far today"])
    )
    assert "The other sheets count whole days" in lines["So far today"]

    # Summary: the figures, the comparison and the change of the API's cut summary.
    assert book["Summary"]["A1"].value.endswith("(GBP), last days up to 14:00")
    _, rows, _ = table(book["Summary"], "Metric")
    for name in m.METRIC_NAMES:
        row = rows[metric_label(name)]
        assert same(row[1], summary["metrics"][name]), name
        assert same(row[2], summary["comparison"]["metrics"][name]), name
        assert same(row[3], summary["change"][name]), name

    # By day: the API's day series cut the same way; its totals are the summary's, the
    # comparison's too (one "previous period" figure in the whole workbook).
    series = api(client, synced, "timeseries", granularity="day", **params)
    header, days, after = table(book["By day"], "Date")
    assert book["By day"]["A1"].value.startswith("Last day and its comparison's up to 14:00")
    assert len(days) == 3
    for point in series["points"]:
        row = days[date.fromisoformat(point["start"])]
        for name in m.METRIC_NAMES:
            assert same(row[header.index(metric_label(name))], point["metrics"][name]), name
        before = point["comparison_metrics"]
        assert same(row[header.index("Net sales (comparison)")], before["net_sales"])
    total = after[0]
    for name in ADDS_UP:
        assert same(total[header.index(metric_label(name))], summary["metrics"][name]), name
    assert same(
        total[header.index("Net sales (comparison)")], summary["comparison"]["metrics"]["net_sales"]
    )
    assert same(
        total[header.index("Transactions (comparison)")],
        summary["comparison"]["metrics"]["transactions"],
    )

    # The other sheets count whole days, and say so above their table.
    for name in ("By store", "By hour", "Item by day"):
        assert book[name]["A1"].value.startswith("Whole days, the last one included"), name
    header, _, after = table(book["By store"], "Store")
    assert same(after[0][header.index("Transactions")], whole["metrics"]["transactions"])


def test_a_background_export_is_cut_as_the_direct_one(
    client: TestClient, synced: Synced, tmp_path: Path
) -> None:
    params = {**CUT, "until_hour": 14}
    created = client.post(f"{REPORTS}/exports", json=params, headers=synced.owner.headers)
    assert created.status_code == 202, created.text
    tasks.build(created.json()["id"])
    status = client.get(
        f"{REPORTS}/exports/{created.json()['id']}", headers=synced.owner.headers
    ).json()
    assert status["state"] == "done", status
    path = tmp_path / "background.xlsx"
    path.write_bytes(client.get(status["download_url"], headers=synced.owner.headers).content)
    background = openpyxl.load_workbook(path, data_only=True)
    summary = api(client, synced, "summary", **params)
    _, rows, _ = table(background["Summary"], "Metric")
    for name in m.METRIC_NAMES:
        assert same(rows[metric_label(name)][1], summary["metrics"][name]), name
        assert same(rows[metric_label(name)][2], summary["comparison"]["metrics"][name]), name
    assert "up to 14:00" in cover(background)["So far today"]


@pytest.mark.parametrize(
    ("method", "path", "params"),
    [
        ("get", "export.xlsx", {"until_hour": "0"}),
        ("get", "export.xlsx", {"until_hour": "25"}),
        ("get", "export.xlsx", {"until_hour": "12", "date_from": "2026-09-01"}),
        ("get", "export.csv", {"until_hour": "12", "by": "item"}),
        ("get", "timeseries", {"until_hour": "12", "granularity": "hour"}),
        ("get", "timeseries", {"until_hour": "12", "date_from": "2026-09-01"}),
        ("post", "exports", {"until_hour": 25}),
        ("post", "exports", {"until_hour": 12, "date_from": "2026-09-01"}),
    ],
)
def test_until_hour_is_checked_as_the_summarys(
    client: TestClient, synced: Synced, method: str, path: str, params: dict[str, Any]
) -> None:
    query = {"date_from": "2026-10-24", "date_to": "2026-10-26", **params}
    headers = synced.owner.headers
    if method == "get":
        response = client.get(f"{REPORTS}/{path}", params=query, headers=headers)
    else:
        response = client.post(f"{REPORTS}/{path}", json=query, headers=headers)
    assert response.status_code == 422, response.text
    locations = [error["loc"] for error in response.json()["detail"]]
    assert any(loc[-1] == "until_hour" for loc in locations), locations
    where = "body" if method == "post" else "query"
    assert any(loc[0] == where for loc in locations), locations


def test_the_summary_and_day_csv_tables_are_cut_too(client: TestClient, synced: Synced) -> None:
    params = {**CUT, "until_hour": 14, "currency": "GBP"}
    summary = api(client, synced, "summary", **params)
    for by in ("summary", "day"):
        response = client.get(
            f"{REPORTS}/export.csv", params={**params, "by": by}, headers=synced.owner.headers
        )
        assert response.status_code == 200, response.text
        lines = [line.split(",") for line in response.text.strip().splitlines()]
        if by == "summary":
            row = next(line for line in lines if line[0] == "transactions")
            assert int(row[1]) == summary["metrics"]["transactions"]
            assert int(row[2]) == summary["comparison"]["metrics"]["transactions"]
        else:
            column = lines[0].index("transactions")
            added = sum(int(line[column]) for line in lines[1:])
            assert added == summary["metrics"]["transactions"]


def _london_sale(db: Session, synced: Synced, sim: RunningSimulator, at: str, pence: int) -> None:
    """A cash sale of one custom amount in London at `at` (RFC 3339), synced as the scenario."""
    london = synced.london.square_location_id
    assert london is not None
    order_id, tender_id = f"OGBP{at[:13]}", f"PGBP{at[:13]}"
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    order = scenario._order(
        order_id,
        london,
        "GBP",
        at,
        line_items=[
            {
                "uid": f"{order_id}-line",
                "quantity": "1",
                "item_type": "CUSTOM_AMOUNT",
                "name": "Small sale",
                "gross_sales_money": scenario._m(pence, "GBP"),
                "total_discount_money": scenario._m(0, "GBP"),
                "total_tax_money": scenario._m(0, "GBP"),
                "total_money": scenario._m(pence, "GBP"),
            }
        ],
        total_money=scenario._m(pence, "GBP"),
        tenders=[scenario._tender(tender_id, "CASH", pence, "GBP")],
        updated_at=now,  # after the first sync's cursor, so the next sync reads it
    )
    payment = scenario._payment(tender_id, order_id, london, pence, "GBP", at, None)
    payment["updated_at"] = now
    sim.import_orders([order], [payment], [])
    connection = db.scalars(
        select(SquareConnection).where(SquareConnection.org_id == synced.org_id)
    ).one()
    run = run_sync(db, org_id=synced.org_id, connection_id=connection.id)
    assert run.state == SyncRunState.succeeded, run.error


def test_an_average_below_zero_shows_as_the_page_shows_it(
    client: TestClient,
    synced: Synced,
    db: Session,
    report_simulator: RunningSimulator,
    tmp_path: Path,
) -> None:
    # Tuesday 27 October, 10:00-11:00 in London: the scenario's £12 return, and now a £2 sale.
    _london_sale(db, synced, report_simulator, "2026-10-27T10:30:00Z", 200)
    params = {"date_from": "2026-10-24", "date_to": "2026-10-28", "currency": "GBP"}
    hours = api(client, synced, "breakdown", by="hour", **params)
    tuesday = next(r for r in hours["rows"] if r["label"] == "10:00")["metrics"]
    assert Decimal(tuesday["average_transaction_value"]) < 0  # what the API keeps
    book = workbook(client, synced, tmp_path, **params)

    header, rows, after = table(book["By hour"], "Hour")
    atv = header.index(metric_label("average_transaction_value"))
    row = rows["10:00"]
    assert row[atv] == NO_FIGURE
    # The figures that add up stay numbers, so Excel adds them.
    assert same(row[header.index(metric_label("net_sales"))], tuesday["net_sales"])
    assert isinstance(row[header.index(metric_label("net_sales"))], int | float)
    upt = header.index(metric_label("units_per_transaction"))
    if Decimal(str(tuesday["units_per_transaction"])) < 0:
        assert row[upt] == NO_FIGURE
    else:
        assert same(row[upt], tuesday["units_per_transaction"])
    # Other hours keep their figure.
    other = next(r for r in hours["rows"] if r["label"] == "14:00")["metrics"]
    assert same(rows["14:00"][atv], other["average_transaction_value"])
    notes = [cell for line in after for cell in line if isinstance(cell, str)]
    assert any(f"* {RETURNS_EXCEEDED_SALES} in this hour" in note for note in notes), notes

    # By day: the Tuesday, and its note in the day's words.
    header, days, after = table(book["By day"], "Date")
    day = api(client, synced, "timeseries", granularity="day", **params)["points"][3]
    assert day["start"] == "2026-10-27" and Decimal(day["metrics"]["net_sales"]) < 0
    assert days[date(2026, 10, 27)][atv + 1] == NO_FIGURE  # after Date and Weekday
    notes = [cell for line in after for cell in line if isinstance(cell, str)]
    assert any(f"* {RETURNS_EXCEEDED_SALES} in this day" in note for note in notes), notes
    # A sheet without one has no note.
    _, _, after = table(book["By store"], "Store")
    assert not any(isinstance(cell, str) and "exceeded" in cell for line in after for cell in line)


def test_the_cover_names_the_groups_and_their_stores(
    client: TestClient, synced: Synced, tmp_path: Path
) -> None:
    made = client.post(
        "/api/v1/location-groups",
        json={"name": "South & West", "location_ids": [synced.london.id]},
        headers=synced.owner.headers,
    )
    assert made.status_code == 201, made.text
    group = made.json()["id"]
    params = {"date_from": "2026-10-24", "date_to": "2026-10-28", "group_ids": group}
    book = workbook(client, synced, tmp_path, **params)
    lines = cover(book)
    assert lines["Store groups"] == "South & West"
    assert lines["Stores"] == "London"
    # The group's own sheet: its one row is the group, with the API's figures.
    body = api(client, synced, "breakdown", by="group", **params)
    header, rows, _ = table(book["By group"], "Group")
    assert list(rows) == ["South & West"]
    for name in body["rows"][0]["metrics"]:
        if metric_label(name) in header:
            cell = rows["South & West"][header.index(metric_label(name))]
            assert same(cell, body["rows"][0]["metrics"][name]), name
    # Without the filter the cover has no group line.
    unfiltered = workbook(client, synced, tmp_path, date_from="2026-10-24", date_to="2026-10-28")
    assert "Store groups" not in cover(unfiltered)
