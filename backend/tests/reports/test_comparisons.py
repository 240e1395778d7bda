"""Aligned comparisons (issue #23): the same dates last month or last year, "so far today" at
the same hour on both sides, differences in points, and footfall compared like with like."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.reports.request import ReportRequest
from app.reports.schemas import Compare
from tests.reports.conftest import Synced
from tests.reports.test_router import footfall, get


def _req(date_from: date, date_to: date, compare: Compare, until: int | None = None) -> Any:
    return ReportRequest(
        org_id=1,
        date_from=date_from,
        date_to=date_to,
        location_ids=[1],
        currency="GBP",
        compare=compare,
        lfl=False,
        until_hour=until,
    )


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # Month to date against the same dates last month.
        ((date(2026, 12, 1), date(2026, 12, 6)), (date(2026, 11, 1), date(2026, 11, 6))),
        # A whole month against the whole month before, however long each is.
        ((date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 2, 1), date(2026, 2, 28))),
        ((date(2026, 2, 1), date(2026, 2, 28)), (date(2026, 1, 1), date(2026, 1, 31))),
        # Past the end of a shorter month: its last day.
        ((date(2026, 3, 29), date(2026, 3, 30)), (date(2026, 2, 28), date(2026, 2, 28))),
        # Across a year's end.
        ((date(2027, 1, 10), date(2027, 1, 16)), (date(2026, 12, 10), date(2026, 12, 16))),
    ],
)
def test_same_dates_last_month(period: tuple[date, date], expected: tuple[date, date]) -> None:
    assert _req(*period, Compare.previous_month).comparison_range() == expected


def test_same_dates_last_year_and_the_weekday_aligned_year() -> None:
    dates = _req(date(2028, 3, 1), date(2028, 3, 31), Compare.previous_year_dates)
    assert dates.comparison_range() == (date(2027, 3, 1), date(2027, 3, 31))
    assert dates.offset == 366  # 2028-02-29 lies between
    leap = _req(date(2028, 2, 1), date(2028, 2, 29), Compare.previous_year_dates)
    assert leap.comparison_range() == (date(2027, 2, 1), date(2027, 2, 28))
    weekdays = _req(date(2028, 3, 1), date(2028, 3, 31), Compare.previous_year)
    window = weekdays.comparison_range()
    assert window is not None and window[0].weekday() == date(2028, 3, 1).weekday()


def test_this_week_so_far_against_the_same_days_last_week() -> None:
    week = _req(date(2026, 12, 7), date(2026, 12, 9), Compare.previous_week)  # Monday..Wednesday
    assert week.comparison_range() == (date(2026, 11, 30), date(2026, 12, 2))
    assert _req(
        date(2026, 12, 7), date(2026, 12, 9), Compare.previous_period
    ).comparison_range() == (
        date(2026, 12, 4),
        date(2026, 12, 6),
    )


def test_a_cut_counts_the_hours_of_each_stores_business_day() -> None:
    req = _req(date(2026, 12, 6), date(2026, 12, 6), Compare.previous_period, until=15)
    assert req.cut_hours(0) == 15  # 00:00..14:59
    assert req.cut_hours(4) == 11  # 04:00..14:59 of a day that starts at 04:00
    late = _req(date(2026, 12, 6), date(2026, 12, 6), Compare.previous_period, until=2)
    assert late.cut_hours(4) == 22  # 04:00 .. 01:59 the next morning
    assert late.cut_hours(2) is None  # a whole business day


def test_same_dates_last_month_through_the_api(client: TestClient, synced: Synced) -> None:
    london = synced.london.id
    october = get(
        client,
        synced,
        "summary",
        date_from="2026-10-24",
        date_to="2026-10-28",
        compare="none",
        location_ids=london,
    )
    november = get(
        client,
        synced,
        "summary",
        date_from="2026-11-24",
        date_to="2026-11-28",
        compare="previous_month",
        location_ids=london,
    )
    comparison = november["comparison"]
    assert (comparison["date_from"], comparison["date_to"]) == ("2026-10-24", "2026-10-28")
    assert comparison["metrics"] == october["metrics"]
    assert november["difference"]["net_sales"] == str(
        Decimal(november["metrics"]["net_sales"]) - Decimal(october["metrics"]["net_sales"])
    )
    days = get(
        client,
        synced,
        "timeseries",
        granularity="day",
        date_from="2026-11-24",
        date_to="2026-11-28",
        compare="previous_month",
        location_ids=london,
    )["points"]
    october_days = get(
        client,
        synced,
        "timeseries",
        granularity="day",
        date_from="2026-10-24",
        date_to="2026-10-28",
        compare="none",
        location_ids=london,
    )["points"]
    # Each date lands on the same date of the month before.
    assert [p["comparison_metrics"] for p in days] == [p["metrics"] for p in october_days]


def test_so_far_today_compares_the_same_hours(client: TestClient, synced: Synced) -> None:
    london = synced.london.id
    day = {"date_from": "2026-10-26", "date_to": "2026-10-26", "location_ids": london}
    hours = get(client, synced, "timeseries", granularity="hour", compare="none", **day)["points"]
    before_two = [p["metrics"] for p in hours if int(p["start"][11:13]) < 14]
    assert sum(p["transactions"] for p in before_two) < sum(
        p["metrics"]["transactions"] for p in hours
    )  # the scenario sells after 14:00 too
    footfall(client, synced, london, "2026-10-26", 200)
    so_far = get(client, synced, "summary", until_hour=14, compare="previous_period", **day)
    assert so_far["until_hour"] == 14
    assert so_far["metrics"]["transactions"] == sum(p["transactions"] for p in before_two)
    assert Decimal(so_far["metrics"]["net_sales"]) == sum(
        Decimal(p["net_sales"]) for p in before_two
    )
    # A day's count covers the whole day: not set against part of its sales.
    assert so_far["coverage"]["days_with_footfall"] == 0
    assert so_far["metrics"]["conversion_rate"] is None
    whole = get(client, synced, "summary", compare="previous_period", **day)
    assert get(client, synced, "summary", until_hour=24, **day)["metrics"] == whole["metrics"]
    # The comparison day (the day before) is cut at the same hour.
    before = get(
        client,
        synced,
        "timeseries",
        granularity="hour",
        compare="none",
        date_from="2026-10-25",
        date_to="2026-10-25",
        location_ids=london,
    )["points"]
    assert so_far["comparison"]["metrics"]["transactions"] == sum(
        p["metrics"]["transactions"] for p in before if int(p["start"][11:13]) < 14
    )


def test_footfall_over_unlike_days_is_not_compared(client: TestClient, synced: Synced) -> None:
    london = synced.london.id
    footfall(client, synced, london, "2026-10-25", 100)  # the comparison: one day
    for day in ("2026-10-30", "2026-10-31", "2026-11-01"):  # the period: three
        footfall(client, synced, london, day, 90)
    body = get(
        client,
        synced,
        "summary",
        date_from="2026-10-29",
        date_to="2026-11-02",
        location_ids=london,
    )
    assert body["comparison_coverage"]["days_with_footfall"] == 1
    assert body["coverage"]["days_with_footfall"] == 3
    assert "1 store-day in the comparison" in body["not_comparable"]["footfall"]
    assert body["change"]["footfall"] == pytest.approx(270 / 100 - 1)  # METRICS.md's change %
    footfall(client, synced, london, "2026-10-29", 100)  # a day each side
    same = get(
        client, synced, "summary", date_from="2026-10-30", date_to="2026-10-30", location_ids=london
    )
    assert same["comparison"]["date_from"] == "2026-10-29"
    assert same["not_comparable"] == {}
    assert same["difference"]["footfall"] == -10


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"until_hour": "0"}, "until_hour"),
        ({"until_hour": "25"}, "until_hour"),
        ({"until_hour": "12", "date_from": "2026-09-01"}, "until_hour"),
        ({"compare": "last_month"}, "compare"),
    ],
)
def test_bad_comparisons_are_a_422_naming_the_field(
    client: TestClient, synced: Synced, params: dict[str, str], field: str
) -> None:
    query = {"date_from": "2026-10-24", "date_to": "2026-10-28", **params}
    response = client.get("/api/v1/reports/summary", params=query, headers=synced.owner.headers)
    assert response.status_code == 422, response.text
    assert field in response.text
