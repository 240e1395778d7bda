"""Settings that convert stored figures need no re-dating job: reports convert when read.

A change of the reporting currency, or a rate published after a report was first made, shows in
the very next report, through every path (the month and organization-day caches on PostgreSQL
included): the caches are keyed by the target currency and by the rates' source and epoch.
The settings that *date* stored figures (business-day start, timezone) are re-dated by a job:
tests/locations/test_recalculation.py.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.fx import api as fx_api
from tests.fx.test_rates import published_rates
from tests.reports.conftest import Synced

# Two whole months: on PostgreSQL the reports read them from the month caches.
LONG = {"date_from": "2026-09-01", "date_to": "2026-10-31", "compare": "none"}
USD_DAY = date(2026, 10, 26)  # the scenario's one USD sale (New York, a Monday)
CENT = Decimal("0.01")


def reports(client: TestClient, synced: Synced, **params: Any) -> dict[str, Any]:
    """Summary, by store, by month and by day, as the web app asks for them."""
    headers = synced.owner.headers
    out: dict[str, Any] = {}
    for name, path, extra in (
        ("summary", "summary", {}),
        ("stores", "breakdown", {"by": "location", "sort": "label", "order": "asc"}),
        ("months", "timeseries", {"granularity": "month"}),
        ("days", "timeseries", {"granularity": "day"}),
    ):
        response = client.get(
            f"/api/v1/reports/{path}", params={**LONG, **params, **extra}, headers=headers
        )
        assert response.status_code == 200, response.text
        out[name] = response.json()
    return out


def gross(body: dict[str, Any]) -> dict[str, Any]:
    """The gross sales each report shows, and the rate date it names for the USD day."""
    return {
        "currency": body["summary"]["currency"],
        "summary": body["summary"]["metrics"]["gross_sales"],
        "stores": [r["metrics"]["gross_sales"] for r in body["stores"]["rows"]],
        "months": [p["metrics"]["gross_sales"] for p in body["months"]["points"]],
        "usd_day": next(
            p["metrics"]["gross_sales"]
            for p in body["days"]["points"]
            if p["start"] == USD_DAY.isoformat()
        ),
        "rate_date": body["summary"]["rates"]["dates"].get(USD_DAY.isoformat()),
    }


def test_a_new_reporting_currency_shows_in_the_next_report(
    client: TestClient, synced: Synced
) -> None:
    before = gross(reports(client, synced))
    assert before == gross(reports(client, synced))  # the second time from the caches
    assert before["currency"] == "GBP"
    in_euros = gross(reports(client, synced, currency="EUR"))
    assert in_euros["currency"] == "EUR" and in_euros["summary"] != before["summary"]

    changed = client.patch(
        "/api/v1/organization", json={"reporting_currency": "EUR"}, headers=synced.owner.headers
    )
    assert changed.status_code == 200, changed.text
    assert gross(reports(client, synced)) == in_euros
    for body in reports(client, synced).values():
        assert body["recalculating"] == []


def test_a_rate_published_late_shows_in_the_next_report(
    client: TestClient, db: Session, synced: Synced, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "EXCHANGE_RATE_API_KEY", "test-key")
    published = published_rates(date(2026, 8, 3), USD_DAY)
    # Monday's rates are not out yet: Friday's are used (and named).
    fx_api.store_rates(db, {day: r for day, r in published.items() if day < USD_DAY})
    db.commit()
    friday = USD_DAY - timedelta(days=3)
    first = gross(reports(client, synced))
    assert first == gross(reports(client, synced))  # the second time from the caches
    assert first["rate_date"] == friday.isoformat()

    # Monday's rates arrive: every report converts Monday at them at once.
    fx_api.store_rates(db, {USD_DAY: published[USD_DAY]})
    db.commit()
    after = gross(reports(client, synced))
    assert after["rate_date"] == USD_DAY.isoformat()
    day_rates = published[USD_DAY]
    new_york = (Decimal("100.00") * day_rates["GBP"] / day_rates["USD"]).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    # With London's custom-amount sale that day (6.00 with VAT: 5.00 gross).
    assert after["usd_day"] == str(new_york + Decimal("5.00"))
    assert after["stores"][1] == str(new_york)  # New York
    assert after["summary"] != first["summary"]
    assert after["months"][1] != first["months"][1]
    assert after == gross(reports(client, synced))
