"""GET /reports/traffic: traffic by hour and weekday x hour over the store-days with hourly counts,
checked against a computation from the pushed counts and each store's own hourly sales."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.locations.models import Location
from app.users.models import Role
from tests.factories import member_of
from tests.reports.conftest import Synced

URL = "/api/v1/reports"
# The scenario's sales: London 25-28 October 2026, New York 26 October.
PERIOD = {"date_from": "2026-10-24", "date_to": "2026-10-29"}
DAYS = [date(2026, 10, 24) + timedelta(days=i) for i in range(6)]
DAILY_ONLY = date(2026, 10, 28)  # London: a whole-day count only (it has a refund that day)

Cell = tuple[int, date, int]  # location, business date, local hour


def get(client: TestClient, headers: dict[str, str], path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{URL}/{path}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def push_counts(client: TestClient, synced: Synced, counts: dict[Cell, int]) -> None:
    """The counts sent as a counter would: hourly intervals through the intake API, with a key."""
    made = client.post(
        "/api/v1/api-keys", json={"name": "Door counters"}, headers=synced.owner.headers
    )
    assert made.status_code == 201, made.text
    zones = {loc.id: ZoneInfo(loc.timezone) for loc in (synced.london, synced.new_york)}
    items = [
        {
            "store": {"id": loc},
            "start": datetime(day.year, day.month, day.day, hour, tzinfo=zones[loc]).isoformat(),
            "interval": "hour",
            "count": n,
        }
        for (loc, day, hour), n in counts.items()
    ]
    response = client.post(
        "/api/v1/footfall/counts",
        json={"counts": items},
        headers={"Authorization": f"Bearer {made.json()['key']}"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": len(items), "rejected": []}


def seed(client: TestClient, synced: Synced) -> dict[Cell, int]:
    """Hourly counts for both stores on most days (not every hour of them), and one London day
    with a whole-day count only."""
    rng = random.Random(25)
    london, new_york = synced.london.id, synced.new_york.id
    hours: dict[tuple[int, date], Iterable[int]] = {
        # London counts from midnight on the 25th (a sale at 00:30) and the 27th, to 21:00; on
        # the 26th 09:00-18:00 but for 14:00, so that day's 14:00 sale is in the hour's sales
        # but not in its conversion (no count for that hour).
        **{(london, d): range(0, 21) for d in (DAYS[1], DAYS[3])},
        (london, DAYS[2]): [h for h in range(9, 18) if h != 14],
        # New York: a day without sales (its footfall counts, its conversion does not) and the
        # day of its sale at 14:00.
        **{(new_york, d): range(9, 18) for d in DAYS[1:3]},
    }
    counts = {
        (loc, day, hour): rng.randint(0, 40) for (loc, day), span in hours.items() for hour in span
    }
    push_counts(client, synced, counts)
    daily = client.post(
        "/api/v1/footfall",
        json={"location_id": london, "date": DAILY_ONLY.isoformat(), "count": 321},
        headers=synced.owner.headers,
    )
    assert daily.status_code in (200, 201), daily.text
    return counts


def hourly_sales(
    client: TestClient, synced: Synced, stores: list[Location]
) -> tuple[dict[Cell, tuple[int, Decimal]], set[tuple[int, date]]]:
    """Each store's transactions and net sales per local hour from its own hourly series, and
    its days with sales data (the summary's coverage, a day at a time)."""
    sales: dict[Cell, tuple[int, Decimal]] = {}
    traded: set[tuple[int, date]] = set()
    for store in stores:
        series = get(
            client,
            synced.owner.headers,
            "timeseries",
            granularity="hour",
            location_ids=store.id,
            **PERIOD,
        )
        for point in series["points"]:
            at = datetime.fromisoformat(point["start"])
            sales[(store.id, at.date(), at.hour)] = (
                point["metrics"]["transactions"],
                Decimal(point["metrics"]["net_sales"]),
            )
        for day in DAYS:
            one = {"date_from": day.isoformat(), "date_to": day.isoformat()}
            summary = get(client, synced.owner.headers, "summary", location_ids=store.id, **one)
            if summary["coverage"]["days_with_sales"]:
                traded.add((store.id, day))
    return sales, traded


def money(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected(
    counts: dict[Cell, int],
    sales: dict[Cell, tuple[int, Decimal]],
    traded: set[tuple[int, date]],
    stores: list[Location],
) -> tuple[dict[int, dict[str, Any]], dict[tuple[int, int], dict[str, Any]]]:
    """By hour and by (weekday, hour), straight from the definitions."""
    ids = {store.id for store in stores}
    used = {(loc, day) for loc, day, _ in counts if loc in ids}
    sums: dict[Any, dict[str, Any]] = defaultdict(
        lambda: {
            "footfall": None,
            "transactions": 0,
            "net": Decimal(0),
            "conv_ff": 0,
            "conv_tx": 0,
            "conv_net": Decimal(0),
        }
    )
    for loc, day in used:
        for hour in range(24):
            cell = (loc, day, hour)
            visitors = counts.get(cell)
            transactions, net = sales.get(cell, (0, Decimal(0)))
            if visitors is None and not transactions and not net:
                continue
            for key in (hour, (day.weekday(), hour)):
                s = sums[key]
                s["transactions"] += transactions
                s["net"] += net
                if visitors is not None:
                    s["footfall"] = (s["footfall"] or 0) + visitors
                    if (loc, day) in traded:
                        s["conv_ff"] += visitors
                        s["conv_tx"] += transactions
                        s["conv_net"] += net

    def figures(s: dict[str, Any]) -> dict[str, Any]:
        ff = s["conv_ff"]
        return {
            "footfall": s["footfall"],
            "transactions": s["transactions"],
            "net_sales": money(s["net"]),
            "conversion_rate": float(round(Decimal(s["conv_tx"]) / ff, 6)) if ff else None,
            "sales_per_visitor": money(s["conv_net"] / ff) if ff else None,
        }

    by_hour = {k: figures(s) for k, s in sums.items() if isinstance(k, int)}
    by_cell = {k: figures(s) for k, s in sums.items() if isinstance(k, tuple)}
    return by_hour, by_cell


@pytest.mark.usefixtures("report_simulator")
def test_traffic_by_hour_and_weekday_equals_the_counts_and_each_stores_hourly_sales(
    client: TestClient, db: Session, synced: Synced
) -> None:
    counts = seed(client, synced)
    stores = [synced.london, synced.new_york]
    sales, traded = hourly_sales(client, synced, stores)
    by_hour, by_cell = expected(counts, sales, traded, stores)

    body = get(client, synced.owner.headers, "traffic", **PERIOD)
    assert body["currency"] == "GBP"
    assert {h["hour"]: h["metrics"] for h in body["by_hour"]} == by_hour
    assert [h["hour"] for h in body["by_hour"]] == sorted(by_hour)
    cells = {(c["weekday"], c["hour"]): c for c in body["by_weekday_hour"]}
    assert {k: c["metrics"] for k, c in cells.items()} == by_cell

    used = {(loc, day) for loc, day, _ in counts}
    assert body["coverage"] == {
        "store_days_used": len(used),
        "store_days_daily_only": 1,
        "store_days_without_sales": len(used - traded),
        "store_hours_estimated": 0,  # no earlier weeks counted: nothing to estimate from
    }
    # The sales of the day with only a whole-day count are in none of the hours.
    assert (synced.london.id, DAILY_ONLY) in traded
    # Average footfall: per store-day of that weekday with hourly counts.
    per_weekday: dict[int, int] = defaultdict(int)
    for _, day in used:
        per_weekday[day.weekday()] += 1
    for (weekday, _), cell in cells.items():
        assert cell["days"] == per_weekday[weekday]
        visitors = cell["metrics"]["footfall"]
        assert cell["average_footfall"] == (
            None if visitors is None else float(round(Decimal(visitors) / per_weekday[weekday], 2))
        )
    # Something real was measured: a conversion, and money converted from New York's dollars.
    assert any(h["conversion_rate"] for h in by_hour.values())
    assert by_hour[14]["net_sales"] != "0.00"

    # One store: its own hours only, and the same figures as computed for it alone.
    london = get(client, synced.owner.headers, "traffic", location_ids=synced.london.id, **PERIOD)
    alone, _ = expected(counts, sales, traded, [synced.london])
    assert {h["hour"]: h["metrics"] for h in london["by_hour"]} == alone


@pytest.mark.usefixtures("report_simulator")
def test_a_manager_sees_only_their_stores_traffic(
    client: TestClient, db: Session, synced: Synced
) -> None:
    counts = seed(client, synced)
    manager = member_of(client, db, org_id=synced.org_id, role=Role.manager)
    granted = client.put(
        f"/api/v1/users/{manager.user.id}/locations",
        json={"location_ids": [synced.new_york.id]},
        headers=synced.owner.headers,
    )
    assert granted.status_code == 200, granted.text
    mine = get(client, manager.headers, "traffic", **PERIOD)
    assert mine["location_ids"] == [synced.new_york.id]
    new_york = {
        (day, hour): n for (loc, day, hour), n in counts.items() if loc == synced.new_york.id
    }
    footfall: dict[int, int] = defaultdict(int)
    for (_, hour), n in new_york.items():
        footfall[hour] += n
    assert {h["hour"]: h["metrics"]["footfall"] for h in mine["by_hour"]} == footfall
    assert mine["coverage"]["store_days_used"] == len({day for day, _ in new_york})
    assert mine["coverage"]["store_days_daily_only"] == 0  # London's is not theirs to see
    refused = client.get(
        f"{URL}/traffic",
        params={**PERIOD, "location_ids": synced.london.id},
        headers=manager.headers,
    )
    assert refused.status_code == 403


@pytest.mark.usefixtures("report_simulator")
def test_a_missing_hour_is_estimated_from_the_same_hour_of_earlier_weeks(
    client: TestClient, db: Session, synced: Synced
) -> None:
    """London's Monday 26 is counted 09:00-18:00 but for 14:00, an hour it took a sale in; the
    three Mondays before were counted at 14:00 too, and at 18:00. `include` counts 14:00 at
    their mean (and its sale in conversion), `leave_out` keeps the counted hours only; both say
    1 store-hour: 18:00 is after the day's last count (closed, or the counter off for the rest
    of the day: not known), so it is not estimated."""
    counts = seed(client, synced)
    london, monday = synced.london.id, DAYS[2]
    assert (london, monday, 14) not in counts and (london, monday, 13) in counts
    earlier = {
        (london, monday - timedelta(weeks=w), hour): 10 * w + hour
        for w in (1, 2, 3)
        for hour in range(9, 19)
    }
    push_counts(client, synced, earlier)
    estimate = int(
        (
            Decimal(sum(earlier[(london, monday - timedelta(weeks=w), 14)] for w in (1, 2, 3))) / 3
        ).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
    stores = [synced.london, synced.new_york]
    sales, traded = hourly_sales(client, synced, stores)
    assert (london, monday) in traded and sales[(london, monday, 14)][0] > 0

    left_out = get(client, synced.owner.headers, "traffic", **PERIOD)
    assert left_out["footfall_estimates"] == "leave_out"
    by_hour, _ = expected(counts, sales, traded, stores)
    assert {h["hour"]: h["metrics"] for h in left_out["by_hour"]} == by_hour
    assert left_out["coverage"]["store_hours_estimated"] == 1
    marked = {h["hour"]: h["footfall_estimated_hours"] for h in left_out["by_hour"]}
    assert marked.pop(14) == 1 and set(marked.values()) == {0}

    included = get(client, synced.owner.headers, "traffic", footfall_estimates="include", **PERIOD)
    assert included["footfall_estimates"] == "include"
    with_estimate, by_cell = expected(
        {**counts, (london, monday, 14): estimate}, sales, traded, stores
    )
    assert {h["hour"]: h["metrics"] for h in included["by_hour"]} == with_estimate
    assert {(c["weekday"], c["hour"]): c["metrics"] for c in included["by_weekday_hour"]} == by_cell
    assert with_estimate[14] != by_hour[14]  # the hour's sale is now in its conversion
    assert included["coverage"]["store_hours_estimated"] == 1
    [cell] = [
        c
        for c in included["by_weekday_hour"]
        if (c["weekday"], c["hour"]) == (monday.weekday(), 14)
    ]
    assert cell["footfall_estimated_hours"] == 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-10-28", "date_to": "2026-10-24"}, "date_to"),
        ({"date_to": "2026-10-24"}, "date_from"),
        ({**PERIOD, "currency": "XYZ"}, "currency"),
        ({**PERIOD, "lfl": "true"}, "lfl"),
        ({**PERIOD, "location_ids": "abc"}, "location_ids"),
        ({**PERIOD, "group_ids": "abc"}, "group_ids"),
    ],
)
def test_bad_traffic_filters_are_a_422_naming_the_field(
    client: TestClient, synced: Synced, params: dict[str, str], field: str
) -> None:
    response = client.get(f"{URL}/traffic", params=params, headers=synced.owner.headers)
    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["detail"]] == [field]
