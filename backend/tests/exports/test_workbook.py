"""The workbook, read back by LibreOffice (which recalculates every formula) and by openpyxl,
against the report API's figures for the same filters, on the scenario week: two currencies
(London GBP, New York USD), an itemized return, a custom-amount refund, a gift card, split tenders.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from openpyxl.utils import get_column_letter
from sqlalchemy.orm import Session

from app.exports.tables import NOT_ADDITIVE, metric_label
from app.reports import metrics as m
from square_simulator.testing import RunningSimulator
from tests.exports.helpers import libreoffice_sheets, same
from tests.reports.conftest import Synced, add_usd_sale

REPORTS = "/api/v1/reports"
WEEK = {"date_from": "2026-10-24", "date_to": "2026-10-28"}
# The week after the scenario's, compared with the scenario's week (previous period).
AFTER = {"date_from": "2026-10-29", "date_to": "2026-11-02"}
SHEETS = [
    "Cover",
    "Summary",
    "By day",
    "By store",
    "By group",
    "By item",
    "By category",
    "By team member",
    "By payment method",
    "By hour",
    "By weekday",
    "Item by day",
    "Rates",
]
BREAKDOWNS = {
    "By store": ("location", "Store"),
    "By group": ("group", "Group"),
    "By item": ("item", "Item"),
    "By category": ("category", "Category"),
    "By team member": ("team_member", "Team member"),
    "By payment method": ("payment_method", "Payment method"),
    "By hour": ("hour", "Hour"),
    "By weekday": ("weekday", "Weekday"),
}


def api(client: TestClient, synced: Synced, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{REPORTS}/{path}", params=params, headers=synced.owner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def download(client: TestClient, synced: Synced, tmp_path: Path, **params: Any) -> tuple[Path, str]:
    response = client.get(f"{REPORTS}/export.xlsx", params=params, headers=synced.owner.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    name = disposition.split('filename="', 1)[1].rstrip('"')
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.content)
    return path, name


def data_rows(rows: list[list[str]], first_title: str) -> tuple[list[str], list[list[str]]]:
    """(header, rows below it) of a table whose header starts with `first_title`."""
    for index, row in enumerate(rows):
        if row and row[0] == first_title:
            return row, [r for r in rows[index + 1 :] if any(r)]
    raise AssertionError(f"no header {first_title!r} in {rows[:3]}")


def check_table(
    header: list[str],
    rows: list[list[str]],
    *,
    keys: int,
    expected: dict[tuple[str, ...], dict[str, Any]],
    total: dict[str, Any],
    names: list[str],
) -> None:
    """Each row equals the API's row; the total row's SUMs equal the sum of the API's rows and the
    API's total exactly; its other figures equal the API's."""
    columns = {title: index for index, title in enumerate(header)}
    *body, last = rows
    assert last[0] == "Total"
    assert len(body) == len(expected), (header[0], len(body), len(expected))
    for row in body:
        metrics = expected[tuple(row[:keys])]
        for name in names:
            cell = row[columns[metric_label(name)]]
            assert same(cell, metrics.get(name)), (header[0], row[:keys], name, cell, metrics)
    for name in names:
        cell = last[columns[metric_label(name)]]
        if name in NOT_ADDITIVE:
            assert same(cell, total.get(name)), (header[0], name, cell, total.get(name))
            continue
        added = sum(
            (Decimal(str(r[name])) for r in expected.values() if r.get(name) is not None),
            Decimal(0),
        )
        assert same(cell, added), (header[0], name, cell, added)
        # One total per figure (METRICS.md "Rounding"): the rows add up to the summary's.
        assert same(cell, total.get(name)), (header[0], name, cell, total.get(name))


def days(params: dict[str, str]) -> Iterator[date]:
    day = date.fromisoformat(params["date_from"])
    while day <= date.fromisoformat(params["date_to"]):
        yield day
        day += timedelta(days=1)


def excel_date(cell: str) -> str:
    """A date cell as LibreOffice writes it (ISO text, or the serial number) as an ISO date."""
    if "-" in cell:
        return cell
    return (date(1899, 12, 30) + timedelta(days=int(Decimal(cell)))).isoformat()


@pytest.mark.parametrize(
    ("params", "currency"),
    [
        ({**WEEK, "compare": "previous_year"}, "GBP"),
        ({**WEEK, "compare": "previous_period"}, "USD"),
        ({**AFTER, "compare": "previous_period"}, "GBP"),  # an empty week against the scenario's
    ],
)
def test_every_number_after_libreoffice_recalculates_equals_the_api(
    client: TestClient,
    synced: Synced,
    tmp_path: Path,
    params: dict[str, str],
    currency: str,
) -> None:
    query = {**params, "currency": currency}
    path, name = download(client, synced, tmp_path, **query)
    assert name == f"Teliporter_Scenario_{params['date_from']}_{params['date_to']}_{currency}.xlsx"
    sheets = libreoffice_sheets(path, tmp_path)
    assert set(sheets) == set(SHEETS)

    # Summary: period, comparison and change, metric by metric.
    summary = api(client, synced, "summary", **query)
    header, rows = data_rows(sheets["Summary"], "Metric")
    assert header[:4] == ["Metric", "Period", "Comparison", "Change"]
    by_label = {row[0]: row for row in rows}
    assert len(by_label) == len(m.METRIC_NAMES)
    for metric in m.METRIC_NAMES:
        row = by_label[metric_label(metric)]
        assert same(row[1], summary["metrics"][metric]), metric
        assert same(row[2], summary["comparison"]["metrics"][metric]), metric
        assert same(row[3], summary["change"][metric]), metric

    # By day: the daily series with its comparison, totals against the summary.
    series = api(client, synced, "timeseries", granularity="day", **query)
    header, rows = data_rows(sheets["By day"], "Date")
    points = {(p["start"],): p for p in series["points"]}
    check_table(
        header,
        [[excel_date(r[0]), *r[1:]] if r[0] != "Total" else r for r in rows],
        keys=1,
        expected={key: p["metrics"] for key, p in points.items()},
        total=summary["metrics"],
        names=list(m.METRIC_NAMES),
    )
    compared = header.index("Net sales (comparison)")
    for row in rows[:-1]:
        before = points[(excel_date(row[0]),)]["comparison_metrics"]
        assert same(row[compared], before["net_sales"])

    # Every breakdown, row by row, with its total.
    for sheet, (by, title) in BREAKDOWNS.items():
        body = api(client, synced, "breakdown", by=by, **query)
        header, rows = data_rows(sheets[sheet], title)
        check_table(
            header,
            rows,
            keys=1,
            expected={(r["label"],): r["metrics"] for r in body["rows"]},
            total=body["total"]["metrics"],
            names=[n for n in m.METRIC_NAMES if metric_label(n) in header],
        )

    # Item by day: each date's item breakdown as the API gives it for that date.
    expected: dict[tuple[str, ...], dict[str, Any]] = {}
    for day in days(params):
        one_day = {**query, "date_from": day.isoformat(), "date_to": day.isoformat()}
        one_day["compare"] = "none"
        for r in api(client, synced, "breakdown", by="item", **one_day)["rows"]:
            expected[(day.isoformat(), r["label"])] = r["metrics"]
    header, rows = data_rows(sheets["Item by day"], "Date")
    rows = [[excel_date(r[0]), *r[1:]] if r[0] != "Total" else r for r in rows]
    item_total = api(client, synced, "breakdown", by="item", **query)["total"]["metrics"]
    check_table(
        header, rows, keys=2, expected=expected, total=item_total, names=list(m.LINE_METRICS)
    )


def test_a_finance_ready_workbook(client: TestClient, synced: Synced, tmp_path: Path) -> None:
    path, _ = download(client, synced, tmp_path, **WEEK, compare="previous_year")
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS

    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(min_row=3, values_only=True)}
    assert cover["Organization"] == "Scenario"
    assert cover["Period"] == "2026-10-24 to 2026-10-28 (5 days)"
    assert cover["Comparison"] == "2025-10-25 to 2025-10-29 (previous year)"
    assert cover["Stores"] == "London, New York"
    assert cover["Currency"] == "GBP"
    assert "ECB" in cover["Exchange rates"] and "USD->GBP" in cover["Exchange rates"]
    assert cover["Generated at"].endswith("UTC")

    sheet = book["By store"]
    assert sheet.freeze_panes == "B2"
    # The filter spans the table: the names column and one per metric, header and two stores.
    assert sheet.auto_filter.ref == f"A1:{get_column_letter(1 + len(m.METRIC_NAMES))}3"
    assert all(cell.font.b for cell in sheet[1])
    header = [cell.value for cell in sheet[1]]
    net = header.index("Net sales") + 1
    assert sheet.cell(2, net).data_type == "n"  # real numbers, not text
    assert sheet.cell(2, net).number_format == '"£"#,##0.00;-"£"#,##0.00'
    total = sheet.cell(4, net)
    assert sheet.cell(4, 1).value == "Total"
    assert total.value == f"=SUM({total.column_letter}2:{total.column_letter}3)"
    assert sheet.cell(4, header.index("Conversion rate") + 1).number_format == "0.00%"
    assert sheet.column_dimensions["A"].width >= len("New York")

    with zipfile.ZipFile(path) as archive:
        charts = [n for n in archive.namelist() if n.startswith("xl/charts/chart")]
        assert charts, "no chart"
        chart = archive.read(charts[0]).decode()
        assert "<c:lineChart>" in chart
        # Net sales of each day: its column on "By day" (after Date and Weekday).
        net_column = get_column_letter(3 + m.METRIC_NAMES.index("net_sales"))
        assert (
            "'By day'!$A$2:$A$6" in chart and f"'By day'!${net_column}$2:${net_column}$6" in chart
        )
        assert archive.testzip() is None


def test_the_workbook_names_each_rate_date_and_says_when_the_rates_are_weeks_old(
    client: TestClient,
    db: Session,
    synced: Synced,
    report_simulator: RunningSimulator,
    tmp_path: Path,
) -> None:
    # The week in EUR: London's Sunday sale is converted at Friday 23 October's rate.
    path, _ = download(client, synced, tmp_path, **WEEK, currency="EUR", compare="none")
    book = openpyxl.load_workbook(path)
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(min_row=3, values_only=True)}
    assert cover["Exchange rates"].startswith("ECB (bundled) reference rates; GBP->EUR, USD->EUR")
    assert cover["Rate dates"].startswith(
        "2026-10-23 to 2026-10-28 for the business dates 2026-10-25 to 2026-10-28"
    )
    assert "Rates notice" not in cover
    rows = list(book["Rates"].iter_rows(min_row=4, values_only=True))
    assert rows[0] == ("Business date", "GBP to EUR rate of", "USD to EUR rate of")
    by_date = {r[0].date(): tuple(d.date() if d else None for d in r[1:]) for r in rows[1:]}
    assert by_date[date(2026, 10, 25)] == (date(2026, 10, 23), None)
    assert by_date[date(2026, 10, 26)] == (date(2026, 10, 26), date(2026, 10, 26))
    assert book["Summary"]["A2"].value is None

    # December at the bundled rates, which end on 30 October: the cover and the summary say so.
    add_usd_sale(db, synced, report_simulator, "2026-12-04T19:00:00Z")
    december = {"date_from": "2026-12-01", "date_to": "2026-12-06"}
    path, _ = download(client, synced, tmp_path, **december, compare="none")
    book = openpyxl.load_workbook(path)
    cover = {row[0]: row[1] for row in book["Cover"].iter_rows(min_row=3, values_only=True)}
    notice = (
        "Converted at ECB (bundled) rates of 30 Oct 2026 — the latest available, 35 days older "
        "than 4 Dec 2026: dates after 30 Oct 2026 use that rate."
    )
    assert cover["Rates notice"] == notice
    assert book["Summary"]["A2"].value == notice
    assert book["Rates"]["A3"].value == notice
    rows = list(book["Rates"].iter_rows(min_row=5, values_only=True))
    assert [(r[0].date(), r[1].date()) for r in rows] == [(date(2026, 12, 4), date(2026, 10, 30))]


def test_libreoffice_really_recalculates(tmp_path: Path) -> None:
    # The harness must not read cached results: a formula cached as 99 comes back computed.
    import xlsxwriter

    path = tmp_path / "cached.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Sheet")
    sheet.write_number(0, 0, 1.25)
    sheet.write_number(1, 0, 2.5)
    sheet.write_formula(2, 0, "=SUM(A1:A2)", None, 99)
    book.close()
    assert libreoffice_sheets(path, tmp_path)["Sheet"][2] == ["3.75"]
