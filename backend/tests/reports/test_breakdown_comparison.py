"""Breakdowns with a comparison (compare=): each row's figures in the comparison period are that
key's row in the comparison period's own breakdown, the total is the summary's comparison, and
the current rows stay what they are without one."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.reports.conftest import Synced
from tests.reports.test_router import get

BREAKDOWNS = ["location", "item", "category", "team_member", "payment_method", "hour", "weekday"]
# Tuesday and Wednesday against the Sunday and Monday before (previous period, two days).
PERIOD = {"date_from": "2026-10-27", "date_to": "2026-10-28"}
BEFORE = {"date_from": "2026-10-25", "date_to": "2026-10-26"}
RATIOS = ("average_transaction_value", "units_per_transaction", "conversion_rate")


def _rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in body["rows"]}


@pytest.mark.parametrize("by", BREAKDOWNS)
def test_each_rows_comparison_is_that_keys_row_in_the_comparison_period(
    client: TestClient, synced: Synced, by: str
) -> None:
    compared = get(client, synced, "breakdown", by=by, compare="previous_period", **PERIOD)
    alone = get(client, synced, "breakdown", by=by, compare="none", **PERIOD)
    before = get(client, synced, "breakdown", by=by, compare="none", **BEFORE)
    summary = get(client, synced, "summary", compare="previous_period", **PERIOD)

    assert compared["comparison"]["date_from"] == BEFORE["date_from"]
    assert compared["comparison"]["date_to"] == BEFORE["date_to"]
    assert compared["comparison"]["metrics"] == summary["comparison"]["metrics"]
    assert compared["total"]["metrics"] == summary["metrics"]
    assert compared["total"]["change"] == summary["change"]

    rows, before_rows = _rows(compared), _rows(before)
    # The period's rows are exactly those without a comparison.
    assert [(r["key"], r["metrics"]) for r in compared["rows"]] == [
        (r["key"], r["metrics"]) for r in alone["rows"]
    ]
    assert before_rows, by
    for key, row in rows.items():
        if key not in before_rows:
            assert row["comparison"] is None, (by, key)
            assert set(row["change"].values()) == {None}
            continue
        assert row["comparison"] == before_rows[key]["metrics"], (by, key)
        for name, value in row["metrics"].items():
            previous = row["comparison"][name]
            if value is None or previous is None or Decimal(str(previous)) == 0:
                assert row["change"][name] is None, (by, key, name)
            else:
                # Exactly the summary's rule, on unrounded figures: within a rounding.
                expected = (Decimal(str(value)) - Decimal(str(previous))) / Decimal(str(previous))
                assert abs(Decimal(str(row["change"][name])) - expected) < Decimal("0.01")


def test_without_compare_rows_carry_no_comparison(client: TestClient, synced: Synced) -> None:
    body = get(client, synced, "breakdown", by="location", **PERIOD)
    assert body["comparison"] is None
    assert body["total"]["change"] is None
    assert all(row["comparison"] is None and row["change"] is None for row in body["rows"])


@pytest.mark.parametrize("by", ["location", "item", "hour", "payment_method", "team_member"])
def test_like_for_like_rows_add_up_to_the_like_for_like_summary(
    client: TestClient, synced: Synced, by: str
) -> None:
    # Monday 26th against Saturday 24th (nothing sold: the Monday is left out on both sides) and
    # Tuesday 27th against Sunday 25th (London traded on both).
    period = {"date_from": "2026-10-26", "date_to": "2026-10-27", "compare": "previous_period"}
    body = get(client, synced, "breakdown", by=by, lfl="true", **period)
    summary = get(client, synced, "summary", lfl="true", **period)
    plain = get(client, synced, "summary", **period)
    assert summary["metrics"] != plain["metrics"]
    assert body["comparison"]["metrics"] == summary["comparison"]["metrics"]
    assert body["total"]["metrics"] == summary["metrics"]
    assert body["total"]["change"] == summary["change"]
    money = "total_collected" if by == "payment_method" else "net_sales"
    added = sum((Decimal(str(row["metrics"][money])) for row in body["rows"]), Decimal(0))
    assert abs(added - Decimal(str(summary["metrics"][money]))) <= Decimal("0.005") * len(
        body["rows"]
    )
    # The rows are like-for-like too: the Monday's sales are in none of them.
    unmatched = get(client, synced, "breakdown", by=by, **period)
    assert [(r["key"], r["metrics"]) for r in body["rows"]] != [
        (r["key"], r["metrics"]) for r in unmatched["rows"]
    ]
    if by == "location":
        # New York sold only on the Monday.
        assert [row["label"] for row in body["rows"]] == ["London"]


def test_each_day_of_a_series_carries_the_change_of_its_figures(
    client: TestClient, synced: Synced
) -> None:
    series = get(
        client, synced, "timeseries", granularity="day", compare="previous_period", **PERIOD
    )
    # Tuesday 27th against Sunday 25th; Wednesday 28th against Monday 26th.
    for point in series["points"]:
        for name, value in point["metrics"].items():
            previous = point["comparison_metrics"][name]
            if value is None or previous is None or Decimal(str(previous)) == 0:
                assert point["change"][name] is None, (point["start"], name)
            else:
                expected = (Decimal(str(value)) - Decimal(str(previous))) / Decimal(str(previous))
                assert Decimal(str(point["change"][name])) == round(expected, 6)
    assert any(v is not None for p in series["points"] for v in p["change"].values())
    plain = get(client, synced, "timeseries", granularity="day", **PERIOD)
    assert all(point["change"] is None for point in plain["points"])
