"""The estimate rule (app/footfall/ESTIMATES.md) on the scenario's London, which trades on
Sun 25, Mon 26, Tue 27, Wed 28 October and Wed 4 November 2026."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.footfall.estimates import estimates
from tests.reports.conftest import Synced

MONDAY = date(2026, 10, 26)
WEDNESDAY = date(2026, 10, 28)


def _put(client: TestClient, synced: Synced, cells: list[dict[str, Any]]) -> None:
    response = client.put(
        "/api/v1/footfall/bulk", json={"entries": cells}, headers=synced.owner.headers
    )
    assert response.status_code == 200, response.text


def _estimates(db: Session, synced: Synced) -> dict[tuple[int, date], Any]:
    return estimates(
        db=db,
        org_id=synced.org_id,
        location_ids=[synced.london.id, synced.new_york.id],
        date_from=date(2026, 10, 19),
        date_to=date(2026, 11, 8),
    )


def test_hour_counted_weeks_add_up_and_closed_weeks_do_not_count(
    client: TestClient, db: Session, synced: Synced
) -> None:
    london = synced.london.id
    week = timedelta(weeks=1)
    hours = {10: 40, 11: 33}  # Monday 19: counted by the hour
    _put(
        client,
        synced,
        [
            *(
                {"location_id": london, "date": (MONDAY - week).isoformat(), "hour": h, "count": n}
                for h, n in hours.items()
            ),
            {"location_id": london, "date": (MONDAY - 2 * week).isoformat(), "count": 90},
            {"location_id": london, "date": (MONDAY - 3 * week).isoformat(), "closed": True},
            # Five weeks back: outside the 4 weeks.
            {"location_id": london, "date": (MONDAY - 5 * week).isoformat(), "count": 5000},
        ],
    )
    found = _estimates(db, synced)
    counted = [sum(hours.values()), 90]
    expected = int(
        (Decimal(sum(counted)) / len(counted)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    )
    [(key, estimate)] = found.items()
    assert key == (london, MONDAY)
    assert (estimate.count, estimate.weeks) == (expected, 2)
    assert estimate.basis == "mean of 2 previous Mondays"


def test_a_day_with_an_entry_or_without_sales_is_not_estimated(
    client: TestClient, db: Session, synced: Synced
) -> None:
    london = synced.london.id
    week = timedelta(weeks=1)
    previous = [
        {"location_id": london, "date": (day - n * week).isoformat(), "count": 100 + n}
        for day in (MONDAY, WEDNESDAY, MONDAY + timedelta(days=4))  # Friday 30: no sales
        for n in (1, 2)
    ]
    _put(client, synced, previous)
    # Wednesday 4 November has Wednesdays 21 and 14 October among its 4 weeks too.
    next_wednesday = WEDNESDAY + week
    assert set(_estimates(db, synced)) == {
        (london, MONDAY),
        (london, WEDNESDAY),
        (london, next_wednesday),
    }
    # An entry of its own (even a closed day) ends the estimate.
    _put(
        client,
        synced,
        [
            {"location_id": london, "date": MONDAY.isoformat(), "closed": True},
            {"location_id": london, "date": WEDNESDAY.isoformat(), "count": 7},
        ],
    )
    [(key, estimate)] = _estimates(db, synced).items()
    assert key == (london, next_wednesday)
    counts = [7, 101, 102]  # Wednesdays 28, 21 and 14 October
    assert (estimate.count, estimate.weeks) == (round(sum(counts) / 3), 3)
