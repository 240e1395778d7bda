"""Estimated footfall (app/footfall/ESTIMATES.md) in the reports: `footfall_estimates=include`
counts a traded store-day without an entry at the mean of the same weekday's counts of the
previous 4 weeks; `leave_out` (the default) keeps METRICS.md's figures exactly. Flagged footfall
(app/footfall/rules.py) is marked on the rows it belongs to.

The scenario's London trades on Sun 25, Mon 26, Tue 27, Wed 28 October and Wed 4 November 2026.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.reports.conftest import Synced

SUNDAY, MONDAY, TUESDAY, WEDNESDAY = (date(2026, 10, 25) + timedelta(days=i) for i in range(4))
NEXT_WEDNESDAY = date(2026, 11, 4)
PERIOD = {"date_from": SUNDAY.isoformat(), "date_to": NEXT_WEDNESDAY.isoformat()}
# Monday 26 has no entry: the 4 previous Mondays' counts make its estimate.
MONDAYS = {MONDAY - timedelta(weeks=w): n for w, n in enumerate((100, 111, 120, 131), start=1)}
# Sunday 25 is marked closed (it took a sale: flagged), though 2 previous Sundays are counted.
SUNDAYS = {SUNDAY - timedelta(weeks=1): 80, SUNDAY - timedelta(weeks=2): 82}
# Tuesday 27 has no entry and only 1 previous Tuesday with a count: no estimate.
TUESDAYS = {TUESDAY - timedelta(weeks=1): 70}
# Wednesday 28 is counted; so Wednesday 4 November has 1 previous week only: no estimate.
WEDNESDAY_COUNT = 50


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


ESTIMATE = _half_up(Decimal(sum(MONDAYS.values())) / len(MONDAYS))


def _seed(client: TestClient, synced: Synced) -> None:
    london = synced.london.id
    cells: list[dict[str, Any]] = [
        {"location_id": london, "date": day.isoformat(), "count": n}
        for day, n in {**MONDAYS, **SUNDAYS, **TUESDAYS}.items()
    ]
    cells.append({"location_id": london, "date": SUNDAY.isoformat(), "closed": True})
    cells.append({"location_id": london, "date": WEDNESDAY.isoformat(), "count": WEDNESDAY_COUNT})
    response = client.put(
        "/api/v1/footfall/bulk", json={"entries": cells}, headers=synced.owner.headers
    )
    assert response.status_code == 200, response.text


def _get(client: TestClient, synced: Synced, path: str, **params: Any) -> dict[str, Any]:
    query = {"compare": "none", "location_ids": synced.london.id, **PERIOD, **params}
    response = client.get(
        f"/api/v1/reports/{path}",
        params={k: v for k, v in query.items() if v is not None},
        headers=synced.owner.headers,
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def seeded(client: TestClient, synced: Synced) -> Synced:
    _seed(client, synced)
    return synced


def _days(client: TestClient, synced: Synced, **params: Any) -> dict[str, dict[str, Any]]:
    series = _get(client, synced, "timeseries", granularity="day", **params)
    return {p["start"]: p for p in series["points"]}


def test_leave_out_is_todays_figures_exactly(client: TestClient, seeded: Synced) -> None:
    for path, extra in (
        ("summary", {}),
        ("timeseries", {"granularity": "day"}),
        ("timeseries", {"granularity": "week"}),
        ("breakdown", {"by": "location"}),
        ("breakdown", {"by": "weekday"}),
    ):
        default = _get(client, seeded, path, **extra)
        left_out = _get(client, seeded, path, footfall_estimates="leave_out", **extra)
        assert left_out == default
        assert default["footfall_estimates"] == "leave_out"
    summary = _get(client, seeded, "summary")
    # METRICS.md: only Wednesday 28 is counted (Sunday is closed, the rest unknown).
    assert summary["metrics"]["footfall"] == WEDNESDAY_COUNT
    # What the switch would add is said either way: Monday 26, and nothing else.
    assert summary["footfall_estimated_days"] == 1


def test_include_counts_the_estimated_monday(client: TestClient, seeded: Synced) -> None:
    # Transactions and net sales per day as the reports show them without any footfall.
    by_day = _days(client, seeded)
    monday, wednesday = by_day[MONDAY.isoformat()], by_day[WEDNESDAY.isoformat()]
    assert monday["metrics"]["footfall"] is None  # no entry: unknown by default
    included = _get(client, seeded, "summary", footfall_estimates="include")
    assert included["footfall_estimates"] == "include"
    assert included["footfall_estimated_days"] == 1
    footfall = WEDNESDAY_COUNT + ESTIMATE
    assert included["metrics"]["footfall"] == footfall
    # Conversion's days: Wednesday (counted) and Monday (estimated), both traded.
    transactions = monday["metrics"]["transactions"] + wednesday["metrics"]["transactions"]
    net = Decimal(monday["metrics"]["net_sales"]) + Decimal(wednesday["metrics"]["net_sales"])
    assert included["metrics"]["conversion_rate"] == pytest.approx(
        float(Decimal(transactions) / footfall), abs=1e-6
    )
    assert Decimal(included["metrics"]["sales_per_visitor"]) == (net / footfall).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    # The day series and the store row say the same, and mark the estimated day.
    days = _days(client, seeded, footfall_estimates="include")
    assert days[MONDAY.isoformat()]["metrics"]["footfall"] == ESTIMATE
    assert days[MONDAY.isoformat()]["footfall_estimated_days"] == 1
    assert sum(p["footfall_estimated_days"] for p in days.values()) == 1
    assert days[TUESDAY.isoformat()]["metrics"]["footfall"] is None  # 1 previous week only
    assert days[NEXT_WEDNESDAY.isoformat()]["metrics"]["footfall"] is None
    assert days[SUNDAY.isoformat()]["metrics"]["footfall"] is None  # closed: never estimated
    week = _get(client, seeded, "timeseries", granularity="week", footfall_estimates="include")
    assert sum(p["metrics"]["footfall"] or 0 for p in week["points"]) == footfall
    rows = _get(client, seeded, "breakdown", by="location", footfall_estimates="include")["rows"]
    [row] = rows
    assert row["metrics"]["footfall"] == footfall
    assert row["metrics"]["conversion_rate"] == included["metrics"]["conversion_rate"]
    assert row["footfall_estimated_days"] == 1


def test_every_store_reads_the_caches_then_adds_the_estimates(
    client: TestClient, seeded: Synced
) -> None:
    # Every store (PostgreSQL: the organization's day cache, made by the default read first).
    everyone = {"location_ids": None}
    default = _get(client, seeded, "summary", **everyone)
    london = _get(client, seeded, "summary", footfall_estimates="include")
    for _ in range(2):  # made, then read from the caches
        assert _get(client, seeded, "summary", footfall_estimates="leave_out", **everyone) == (
            default
        )
        included = _get(client, seeded, "summary", footfall_estimates="include", **everyone)
        # New York has no footfall at all: nothing estimated, nothing used for conversion.
        assert included["metrics"]["footfall"] == WEDNESDAY_COUNT + ESTIMATE
        for name in ("conversion_rate", "sales_per_visitor"):
            assert included["metrics"][name] == london["metrics"][name]
        days = _days(client, seeded, footfall_estimates="include", **everyone)
        assert days[MONDAY.isoformat()]["metrics"]["footfall"] == ESTIMATE
        assert _days(client, seeded, **everyone)[MONDAY.isoformat()]["metrics"]["footfall"] is None


def test_flagged_days_are_marked_on_their_rows(client: TestClient, seeded: Synced) -> None:
    days = _days(client, seeded)
    sunday = days[SUNDAY.isoformat()]
    assert sunday["footfall_flagged_days"] == 1
    assert sunday["footfall_flag"] == "Marked closed, but 1 sale was taken that day"
    assert sum(p["footfall_flagged_days"] for p in days.values()) == 1
    [row] = _get(client, seeded, "breakdown", by="location")["rows"]
    assert row["footfall_flagged_days"] == 1


def test_weekday_and_group_rows_are_marked_too(client: TestClient, seeded: Synced) -> None:
    """Every row made of whole store-days says how many of its own are estimated or flagged:
    by weekday, Monday holds the estimated day and Sunday the flagged one; by group, the group
    of the store that has them."""
    weekdays = {
        row["key"]: row
        for row in _get(client, seeded, "breakdown", by="weekday", footfall_estimates="include")[
            "rows"
        ]
    }
    marks = {
        k: (r["footfall_estimated_days"], r["footfall_flagged_days"]) for k, r in weekdays.items()
    }
    assert marks.pop(str(MONDAY.weekday())) == (1, 0)
    assert marks.pop(str(SUNDAY.weekday())) == (0, 1)
    assert set(marks.values()) == {(0, 0)}
    assert weekdays[str(MONDAY.weekday())]["metrics"]["footfall"] == ESTIMATE
    made = client.post(
        "/api/v1/location-groups",
        json={"name": "South", "location_ids": [seeded.london.id]},
        headers=seeded.owner.headers,
    )
    assert made.status_code == 201, made.text
    everyone = {"location_ids": None}
    rows = _get(client, seeded, "breakdown", by="group", **everyone)["rows"]
    marks = {r["label"]: (r["footfall_estimated_days"], r["footfall_flagged_days"]) for r in rows}
    assert marks == {"South": (1, 1), "No group": (0, 0)}


def test_an_unknown_choice_is_refused_naming_it(client: TestClient, seeded: Synced) -> None:
    response = client.get(
        "/api/v1/reports/summary",
        params={**PERIOD, "footfall_estimates": "sometimes"},
        headers=seeded.owner.headers,
    )
    assert response.status_code == 422
    assert "footfall_estimates" in response.text


def test_the_grid_lists_the_estimate_and_how_it_was_made(
    client: TestClient, seeded: Synced
) -> None:
    response = client.get(
        "/api/v1/footfall",
        params={"location_ids": seeded.london.id, **PERIOD},
        headers=seeded.owner.headers,
    )
    assert response.status_code == 200, response.text
    assert response.json()["estimates"] == [
        {
            "location_id": seeded.london.id,
            "date": MONDAY.isoformat(),
            "estimate": ESTIMATE,
            "weeks": 4,
            "basis": "mean of 4 previous Mondays",
        }
    ]


def test_over_a_long_period_the_marks_are_not_counted_unless_estimates_are_asked_for(
    client: TestClient, seeded: Synced
) -> None:
    # 93 days up to the scenario's last day: the same store-days, read over a long period.
    long = {"date_from": (NEXT_WEDNESDAY - timedelta(days=92)).isoformat()}
    left_out = _get(client, seeded, "summary", **long)
    assert left_out["footfall_estimated_days"] is None  # not counted: nothing asked for
    points = _get(client, seeded, "timeseries", granularity="day", **long)["points"]
    assert {(p["footfall_estimated_days"], p["footfall_flagged_days"]) for p in points} == {
        (None, None)
    }
    [row] = _get(client, seeded, "breakdown", by="location", **long)["rows"]
    assert (row["footfall_estimated_days"], row["footfall_flagged_days"]) == (None, None)
    # Asked for, the estimates are counted (and in the figures) whatever the period.
    included = _get(client, seeded, "summary", footfall_estimates="include", **long)
    assert included["footfall_estimated_days"] == 1
    assert included["metrics"]["footfall"] == left_out["metrics"]["footfall"] + ESTIMATE
    [row] = _get(client, seeded, "breakdown", by="location", footfall_estimates="include", **long)[
        "rows"
    ]
    assert (row["footfall_estimated_days"], row["footfall_flagged_days"]) == (1, None)
    # 92 days are still read by the day: counted and judged.
    short = {"date_from": (NEXT_WEDNESDAY - timedelta(days=91)).isoformat()}
    assert _get(client, seeded, "summary", **short)["footfall_estimated_days"] == 1
    [row] = _get(client, seeded, "breakdown", by="location", **short)["rows"]
    assert (row["footfall_estimated_days"], row["footfall_flagged_days"]) == (1, 1)
