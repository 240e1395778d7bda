"""A week of counters' 15-minute figures for two stores, pushed through the intake with a key,
comes out in the reports and the grid as computed from the counts that were accepted."""

from __future__ import annotations

import io
import random
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.footfall.models import FootfallCount
from tests.factories import make_location, make_org
from tests.reports.conftest import Synced

COUNTS = "/api/v1/footfall/counts"
# The scenario's sales fall on 25-28 October 2026 (London) and 26 October (New York); the week
# also crosses the end of British summer time (25 October, 02:00).
WEEK = [date(2026, 10, 22) + timedelta(days=i) for i in range(7)]
TRADING_HOURS = range(9, 17)  # 09:00-17:00 local, 32 quarters a day


def quarters(location_id: int, timezone: str, day: date) -> list[tuple[int, datetime]]:
    zone = ZoneInfo(timezone)
    return [
        (location_id, datetime(day.year, day.month, day.day, h, m, tzinfo=zone))
        for h in TRADING_HOURS
        for m in (0, 15, 30, 45)
    ]


def item(location_id: int, start: datetime, count: int) -> dict[str, Any]:
    return {
        "store": {"id": location_id},
        "start": start.isoformat(),
        "interval": "15min",
        "count": count,
    }


def push(client: TestClient, key: str, items: list[dict[str, Any]]) -> Any:
    return client.post(COUNTS, json={"counts": items}, headers={"Authorization": f"Bearer {key}"})


def report(client: TestClient, synced: Synced, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/reports/{path}",
        params={"compare": "none", **params},
        headers=synced.owner.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_week_of_pushed_counts_gives_the_reports_footfall_and_conversion(
    client: TestClient,
    db: Session,
    synced: Synced,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    owner = synced.owner.headers
    london, new_york = synced.london, synced.new_york
    outlet = make_location(db, org_id=synced.org_id, name="Outlet")
    rival = make_location(db, org_id=make_org(db, "Rival"), name="Rival")
    made = client.post(
        "/api/v1/api-keys",
        json={"name": "Door counters", "location_ids": [london.id, new_york.id]},
        headers=owner,
    )
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    spare = client.post("/api/v1/api-keys", json={"name": "Old"}, headers=owner).json()

    rng = random.Random(25)
    slots = [
        slot
        for location in (london, new_york)
        for day in WEEK
        for slot in quarters(location.id, location.timezone, day)
    ]
    sent = {slot: rng.randint(0, 40) for slot in slots}
    accepted: dict[tuple[int, datetime], int] = {}

    def apply(items: list[tuple[tuple[int, datetime], int]]) -> None:
        response = push(client, key, [item(loc, start, n) for (loc, start), n in items])
        assert response.status_code == 200, response.text
        assert response.json() == {"accepted": len(items), "rejected": []}
        for slot, n in items:
            accepted[slot] = n

    # The second half of the week first, then the first half late and out of order.
    recent = [(s, n) for s, n in sent.items() if s[1].date() >= WEEK[3]]
    late = [(s, n) for s, n in sent.items() if s[1].date() < WEEK[3]]
    rng.shuffle(late)
    apply(recent)
    apply(late[: len(late) // 2])
    apply(late[len(late) // 2 :])
    # Some sent twice as they were (no doubling), some corrected (the later figure wins).
    apply(rng.sample(recent, 40))
    apply([(s, n + 7) for s, n in rng.sample(late, 30)])

    # A store outside the key's scope and another organization's store: rejected item by item.
    mixed = [
        item(outlet.id, datetime(2026, 10, 26, 10, tzinfo=ZoneInfo("Europe/London")), 99),
        item(london.id, datetime(2026, 10, 26, 10, tzinfo=ZoneInfo("Europe/London")), 5),
        item(rival.id, datetime(2026, 10, 26, 10, tzinfo=ZoneInfo("Europe/London")), 99),
    ]
    response = push(client, key, mixed)
    assert response.status_code == 200
    assert response.json()["accepted"] == 1
    assert [(r["index"], r["field"]) for r in response.json()["rejected"]] == [
        (0, "store.id"),
        (2, "store.id"),
    ]
    accepted[(london.id, datetime(2026, 10, 26, 10, tzinfo=ZoneInfo("Europe/London")))] = 5

    # A revoked key is refused outright, and what it carried writes nothing.
    client.delete(f"/api/v1/api-keys/{spare['id']}", headers=owner)
    refused = push(client, spare["key"], [item(loc, start, 999) for loc, start in slots[:50]])
    assert refused.status_code == 401
    assert db.scalar(select(func.count()).select_from(FootfallCount)) == len(slots)

    # The reference: each store-day's footfall from the accepted counts, by local date.
    footfall: dict[tuple[int, date], int] = defaultdict(int)
    for (loc, start), n in accepted.items():
        footfall[(loc, start.date())] += n

    # The grid shows the same daily figures, written by the API.
    grid = client.get(
        "/api/v1/footfall",
        params={"date_from": WEEK[0].isoformat(), "date_to": WEEK[-1].isoformat()},
        headers=owner,
    )
    assert grid.status_code == 200
    shown: dict[tuple[int, date], int] = defaultdict(int)
    for entry in grid.json()["items"]:
        assert entry["source"] == "api" and entry["hour"] in TRADING_HOURS
        shown[(entry["location_id"], date.fromisoformat(entry["date"]))] += entry["count"]
    assert shown == footfall

    # Each store-day's sales, one day at a time, and whether it has sales data at all.
    stores = {london.id: london, new_york.id: new_york}
    sales: dict[tuple[int, date], tuple[int, Decimal, bool]] = {}
    for loc in stores:
        for day in WEEK:
            body = report(
                client,
                synced,
                "summary",
                location_ids=loc,
                date_from=day.isoformat(),
                date_to=day.isoformat(),
            )
            sales[(loc, day)] = (
                body["metrics"]["transactions"],
                Decimal(body["metrics"]["net_sales"]),
                body["coverage"]["days_with_sales"] == 1,
            )
            assert body["metrics"]["footfall"] == footfall[(loc, day)]

    def expected(locations: list[int]) -> dict[str, Any]:
        # METRICS.md: conversion and sales per visitor over the days with footfall and sales.
        used = [(loc, d) for loc in locations for d in WEEK if sales[(loc, d)][2]]
        visitors = sum(footfall[k] for k in used)
        transactions = sum(sales[k][0] for k in used)
        net = sum((sales[k][1] for k in used), Decimal(0))
        return {
            "footfall": sum(footfall[(loc, d)] for loc in locations for d in WEEK),
            "conversion_rate": float(round(Decimal(transactions) / Decimal(visitors), 6)),
            "sales_per_visitor": str(
                (net / visitors).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            ),
        }

    period = {"date_from": WEEK[0].isoformat(), "date_to": WEEK[-1].isoformat()}
    both = [london.id, new_york.id]
    summary = report(client, synced, "summary", location_ids=",".join(map(str, both)), **period)
    figures = {
        k: summary["metrics"][k] for k in ("footfall", "conversion_rate", "sales_per_visitor")
    }
    assert figures == expected(both)
    assert summary["metrics"]["conversion_rate"] > 0
    assert summary["coverage"]["days_with_footfall"] == 14

    breakdown = report(
        client, synced, "breakdown", by="location", location_ids=",".join(map(str, both)), **period
    )
    rows = {int(row["key"]): row["metrics"] for row in breakdown["rows"]}
    for loc in both:
        got = {k: rows[loc][k] for k in ("footfall", "conversion_rate", "sales_per_visitor")}
        assert got == expected([loc]), stores[loc].name
    assert breakdown["total"]["metrics"]["footfall"] == expected(both)["footfall"]

    # The workbook: the Summary sheet's figures and each store's footfall on "By store".
    monkeypatch.setattr(get_settings(), "EXPORT_DIR", str(tmp_path))
    workbook = client.get(
        "/api/v1/reports/export.xlsx",
        params={"compare": "none", "location_ids": ",".join(map(str, both)), **period},
        headers=owner,
    )
    assert workbook.status_code == 200, workbook.text
    book = openpyxl.load_workbook(io.BytesIO(workbook.content))
    summary_rows = {row[0]: row[1] for row in book["Summary"].iter_rows(values_only=True)}
    whole = expected(both)
    assert summary_rows["Footfall"] == whole["footfall"]
    assert summary_rows["Conversion rate"] == pytest.approx(whole["conversion_rate"], abs=1e-6)
    # The cell holds the posted amount; read back to the penny, it is the API's exactly.
    spv = Decimal(str(summary_rows["Sales per visitor"])).quantize(Decimal("0.01"))
    assert spv == Decimal(whole["sales_per_visitor"])
    by_store = list(book["By store"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(by_store) if row[0] == "Store")
    column = by_store[header].index("Footfall")
    store_rows = {row[0]: row[column] for row in by_store[header + 1 :]}
    for loc in both:
        assert store_rows[stores[loc].name] == expected([loc])["footfall"]
