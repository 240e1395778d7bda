"""Store groups in the reports: the `group_ids` filter and the by-group breakdown, on the synced
scenario (London in GBP, New York in USD), reported in EUR so every row is converted and posted."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.exports.tables import metric_label
from app.reports import metrics as m
from app.users.models import Role
from tests.exports.helpers import libreoffice_sheets, same
from tests.factories import Member, make_org, member_of
from tests.reports.conftest import Synced

URL = "/api/v1/reports"
WEEK = {"date_from": "2026-10-24", "date_to": "2026-10-28", "currency": "EUR"}
ADDITIVE = [
    "gross_sales",
    "returns",
    "discounts",
    "net_sales",
    "tax",
    "tips",
    "total_collected",
    "fees",
    "net_total",
    "transactions",
    "units_sold",
]


def get(client: TestClient, member: Member, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{URL}/{path}", params=params, headers=member.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def make_group(client: TestClient, synced: Synced, name: str, *location_ids: int) -> int:
    response = client.post(
        "/api/v1/location-groups",
        json={"name": name, "location_ids": list(location_ids)},
        headers=synced.owner.headers,
    )
    assert response.status_code == 201, response.text
    group_id: int = response.json()["id"]
    return group_id


def total(rows: list[dict[str, Any]], name: str) -> Decimal:
    return sum((Decimal(str(r["metrics"][name])) for r in rows), Decimal(0))


def test_by_group_rows_are_their_stores_rows_and_add_up_to_the_summary(
    client: TestClient, synced: Synced
) -> None:
    south = make_group(client, synced, "South", synced.london.id)
    owner = synced.owner
    summary = get(client, owner, "summary", compare="none", **WEEK)["metrics"]
    by_store = {
        r["key"]: r["metrics"]
        for r in get(client, owner, "breakdown", by="location", **WEEK)["rows"]
    }
    body = get(client, owner, "breakdown", by="group", sort="label", order="desc", **WEEK)
    rows = {r["label"]: r for r in body["rows"]}
    assert list(rows) == ["South", "No group"]
    assert rows["South"]["key"] == str(south)
    # A group's row is its stores' rows; the stores in no group make "No group".
    assert rows["South"]["metrics"] == by_store[str(synced.london.id)]
    assert rows["No group"]["metrics"] == by_store[str(synced.new_york.id)]
    assert body["total"]["metrics"] == summary
    for name in ADDITIVE:
        # Exactly, to the minor unit: rows fold posted location-days (METRICS.md "Rounding").
        assert total(body["rows"], name) == Decimal(str(summary[name])), name
    assert Decimal(summary["net_sales"]) > 0

    # Both stores in one group: one row, the summary itself.
    client.patch(
        f"/api/v1/location-groups/{south}",
        json={"location_ids": [synced.london.id, synced.new_york.id]},
        headers=owner.headers,
    )
    one = get(client, owner, "breakdown", by="group", **WEEK)["rows"]
    assert [(r["label"], r["metrics"]["net_sales"]) for r in one] == [
        ("South", summary["net_sales"])
    ]


def test_the_group_filter_reports_the_groups_stores(
    client: TestClient, db: Session, synced: Synced
) -> None:
    south = make_group(client, synced, "South", synced.london.id)
    empty = make_group(client, synced, "Empty")
    owner = synced.owner
    london = get(client, owner, "summary", location_ids=synced.london.id, **WEEK)
    grouped = get(client, owner, "summary", group_ids=south, **WEEK)
    assert grouped["location_ids"] == [synced.london.id]
    assert grouped["metrics"] == london["metrics"]
    # With location_ids too: the stores in both.
    both = get(client, owner, "summary", group_ids=south, location_ids=synced.new_york.id, **WEEK)
    assert both["location_ids"] == []
    assert both["metrics"]["net_sales"] == "0.00"
    assert (
        get(client, owner, "summary", group_ids=f"{south},{empty}", **WEEK)["metrics"]
        == (london["metrics"])
    )
    series = get(client, owner, "timeseries", group_ids=south, **WEEK)
    assert sum(Decimal(p["metrics"]["net_sales"]) for p in series["points"]) == Decimal(
        london["metrics"]["net_sales"]
    )
    # Another organization's group, an unknown one or a malformed id: 422 naming group_ids.
    outsider = member_of(client, db, org_id=make_org(db), role=Role.admin)
    theirs = client.post(
        "/api/v1/location-groups", json={"name": "Theirs"}, headers=outsider.headers
    ).json()["id"]
    for bad in (theirs, 999999, "x"):
        refused = client.get(
            f"{URL}/summary", params={**WEEK, "group_ids": bad}, headers=owner.headers
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["detail"][0]["field"] == "group_ids"
        assert "Theirs" not in refused.text


def test_a_manager_sees_only_their_stores_within_a_group(
    client: TestClient, db: Session, synced: Synced
) -> None:
    both = make_group(client, synced, "Everywhere", synced.london.id, synced.new_york.id)
    only_ny = make_group(client, synced, "America")
    client.patch(
        f"/api/v1/locations/{synced.new_york.id}",
        json={"group_id": only_ny},
        headers=synced.owner.headers,
    )
    client.patch(
        f"/api/v1/location-groups/{both}",
        json={"location_ids": [synced.london.id]},
        headers=synced.owner.headers,
    )
    client.patch(
        f"/api/v1/locations/{synced.new_york.id}",
        json={"group_id": both},
        headers=synced.owner.headers,
    )
    manager = member_of(client, db, org_id=synced.org_id, role=Role.manager)
    client.put(
        f"/api/v1/users/{manager.user.id}/locations",
        json={"location_ids": [synced.london.id]},
        headers=synced.owner.headers,
    )
    london = get(client, synced.owner, "summary", location_ids=synced.london.id, **WEEK)
    mine = get(client, manager, "summary", group_ids=both, **WEEK)
    assert mine["location_ids"] == [synced.london.id]
    assert mine["metrics"] == london["metrics"]
    rows = get(client, manager, "breakdown", by="group", **WEEK)["rows"]
    assert [(r["label"], r["metrics"]["net_sales"]) for r in rows] == [
        ("Everywhere", london["metrics"]["net_sales"])
    ]
    # A group holding none of their stores is not theirs to see.
    refused = client.get(
        f"{URL}/summary", params={**WEEK, "group_ids": only_ny}, headers=manager.headers
    )
    assert refused.status_code == 422
    assert "America" not in refused.text


def test_the_workbook_and_the_csv_have_the_by_group_table_equal_to_the_api(
    client: TestClient, synced: Synced, tmp_path: Path
) -> None:
    make_group(client, synced, "South", synced.london.id)
    owner = synced.owner
    body = get(client, owner, "breakdown", by="group", **WEEK)
    names = list(body["rows"][0]["metrics"])

    csv_text = client.get(
        f"{URL}/export.csv", params={**WEEK, "by": "group"}, headers=owner.headers
    )
    assert csv_text.status_code == 200, csv_text.text
    lines = [line.split(",") for line in csv_text.text.strip().splitlines()]
    assert lines[0] == ["key", "label", *names]
    assert {line[1]: line for line in lines[1:-1]}.keys() == {"South", "No group"}
    for row in body["rows"]:
        line = next(li for li in lines if li[1] == row["label"])
        assert line[2:] == [
            "" if row["metrics"][n] is None else str(row["metrics"][n]) for n in names
        ]

    response = client.get(f"{URL}/export.xlsx", params=WEEK, headers=owner.headers)
    assert response.status_code == 200, response.text
    path = tmp_path / "export.xlsx"
    path.write_bytes(response.content)
    sheet = libreoffice_sheets(path, tmp_path)["By group"]
    start = next(i for i, r in enumerate(sheet) if r and r[0] == "Group")
    header = sheet[start]
    rows = {r[0]: r for r in sheet[start + 1 :] if any(r)}
    assert set(rows) == {"South", "No group", "Total"}
    for row in body["rows"]:
        for name in m.METRIC_NAMES:
            if metric_label(name) in header:
                cell = rows[row["label"]][header.index(metric_label(name))]
                assert same(cell, row["metrics"].get(name)), (row["label"], name, cell)
    for name in ADDITIVE:
        cell = rows["Total"][header.index(metric_label(name))]
        assert same(cell, body["total"]["metrics"][name]), (name, cell)
