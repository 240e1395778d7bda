"""Reports read through the API after the real sync of hand-built Square orders (scenario.py)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.fx import sources as fx_sources
from app.users.models import Role
from tests.factories import make_org, member_of
from tests.reports.conftest import Synced

URL = "/api/v1/reports"
WEEK = {"date_from": "2026-10-24", "date_to": "2026-10-28"}
USD_DAY = date(2026, 10, 26)


def get(client: TestClient, synced: Synced, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{URL}/{path}", params=params, headers=synced.owner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def usd_to_gbp() -> Decimal:
    _, usd = fx_sources.provider().rate_on_or_before("USD", USD_DAY) or (None, Decimal(0))
    _, gbp = fx_sources.provider().rate_on_or_before("GBP", USD_DAY) or (None, Decimal(0))
    return gbp / usd


def gbp(london_minor: int, usd_minor: int = 0) -> str:
    value = Decimal(london_minor) / 100 + Decimal(usd_minor) / 100 * usd_to_gbp()
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def footfall(client: TestClient, synced: Synced, location_id: int, day: str, count: int) -> None:
    response = client.post(
        "/api/v1/footfall",
        json={"location_id": location_id, "date": day, "count": count},
        headers=synced.owner.headers,
    )
    assert response.status_code == 201, response.text


def test_london_figures_follow_metrics_md(client: TestClient, synced: Synced) -> None:
    body = get(client, synced, "summary", location_ids=synced.london.id, compare="none", **WEEK)
    metrics = body["metrics"]
    assert body["currency"] == "GBP"
    assert metrics["gross_sales"] == "25.00"  # 20.00 ex VAT (O1) + 5.00 (O7); O5 cancelled
    assert metrics["returns"] == "10.00"  # 1 x A ex VAT
    assert metrics["discounts"] == "0.00"
    assert metrics["net_sales"] == "15.00"
    assert metrics["gift_card_sales"] == "50.00"
    assert metrics["tax"] == "3.00"  # 4.00 - 2.00 returned + 1.00
    assert metrics["additive_tax"] == "0.00"
    assert metrics["refunds_by_amount"] == "5.00"
    assert metrics["total_collected"] == "63.00"  # = tenders 80.00 - refunds 17.00
    assert metrics["fees"] == "0.63"  # 0.25 + 0.50 - 0.12 given back
    assert metrics["net_total"] == "62.37"
    assert metrics["transactions"] == 2  # O1, O7: not the gift card, returns or the cancelled
    assert metrics["units_sold"] == 2  # 2 - 1 returned + 1 custom amount
    assert metrics["average_transaction_value"] == "7.50"
    assert metrics["units_per_transaction"] == 1
    assert metrics["footfall"] is None and metrics["conversion_rate"] is None
    assert body["comparison"] is None and body["rates"]["source"] is None


def test_a_sale_at_half_past_midnight_on_the_night_clocks_go_back_is_that_sunday(
    client: TestClient, synced: Synced
) -> None:
    ids = {"location_ids": synced.london.id, "compare": "none"}
    sunday = get(client, synced, "summary", date_from="2026-10-25", date_to="2026-10-25", **ids)
    assert sunday["metrics"]["gross_sales"] == "20.00"
    saturday = get(client, synced, "summary", date_from="2026-10-24", date_to="2026-10-24", **ids)
    assert saturday["metrics"]["transactions"] == 0
    hours = get(client, synced, "breakdown", by="hour", **ids, **WEEK)
    by_hour = {row["key"]: row["metrics"] for row in hours["rows"]}
    assert by_hour["0"]["gross_sales"] == "20.00"
    weekdays = get(client, synced, "breakdown", by="weekday", **ids, **WEEK)
    assert {r["label"]: r["metrics"]["transactions"] for r in weekdays["rows"]}["Sunday"] == 1


def test_two_currencies_convert_into_gbp_at_each_days_rate(
    client: TestClient, synced: Synced
) -> None:
    body = get(client, synced, "summary", compare="none", **WEEK)
    metrics = body["metrics"]
    assert metrics["gross_sales"] == gbp(2500, 10000)
    assert metrics["discounts"] == gbp(0, 1000)
    assert metrics["net_sales"] == gbp(1500, 9000)
    assert metrics["additive_tax"] == gbp(0, 799)
    assert metrics["tips"] == gbp(0, 1500)
    # Posted per location-day (METRICS.md "Rounding"): New York's day posts gross, discounts,
    # tax and tips each rounded, and its total collected is their sum, not 112.99 rounded once.
    assert metrics["total_collected"] == str(
        sum(
            (
                Decimal(gbp(0, n)) * sign
                for n, sign in ((10000, 1), (1000, -1), (799, 1), (1500, 1))
            ),
            Decimal("63.00"),
        )
    )
    assert metrics["fees"] == gbp(63, 330)
    assert metrics["transactions"] == 3
    assert body["rates"]["source"] == "ECB (bundled)"
    assert body["rates"]["pairs"] == ["USD->GBP"]
    assert body["rates"]["dates"] == {"2026-10-26": "2026-10-26"}
    in_usd = get(client, synced, "summary", compare="none", currency="USD", **WEEK)
    assert in_usd["currency"] == "USD"
    ny = get(client, synced, "summary", compare="none", location_ids=synced.new_york.id, **WEEK)
    assert ny["metrics"]["tax"] == gbp(0, 799)
    ny_usd = get(
        client,
        synced,
        "summary",
        compare="none",
        currency="USD",
        location_ids=synced.new_york.id,
        **WEEK,
    )
    assert ny_usd["metrics"]["gross_sales"] == "100.00"
    assert ny_usd["metrics"]["total_collected"] == "112.99"
    assert ny_usd["metrics"]["average_transaction_value"] == "90.00"


def _sum(rows: list[dict[str, Any]], name: str) -> Decimal:
    return sum((Decimal(str(r["metrics"][name])) for r in rows), Decimal(0))


@pytest.mark.parametrize(
    "by",
    ["location", "group", "item", "category", "team_member", "payment_method", "hour", "weekday"],
)
def test_breakdown_rows_add_up_to_the_summary(client: TestClient, synced: Synced, by: str) -> None:
    summary = get(client, synced, "summary", compare="none", **WEEK)["metrics"]
    body = get(client, synced, "breakdown", by=by, **WEEK)
    assert body["total"]["metrics"] == summary
    rows = body["rows"]
    assert rows
    names = set(rows[0]["metrics"])
    for name in names:
        if name in ("average_transaction_value", "units_per_transaction", "conversion_rate"):
            continue
        if name in ("sales_per_visitor", "footfall"):
            continue
        # Each row is rounded on its own: at most half a minor unit each.
        gap = abs(_sum(rows, name) - Decimal(str(summary[name])))
        assert gap <= Decimal("0.005") * len(rows), (by, name, gap)


def test_breakdowns_attribute_as_metrics_md_says(client: TestClient, synced: Synced) -> None:
    london = {"location_ids": synced.london.id, **WEEK}
    methods = get(client, synced, "breakdown", by="payment_method", **london)
    collected = {r["key"]: r["metrics"]["total_collected"] for r in methods["rows"]}
    # Tender amounts less the refunds against that tender.
    assert collected == {"CARD:VISA": "2.00", "CASH": "11.00", "CARD:MASTERCARD": "50.00"}
    assert set(methods["rows"][0]["metrics"]) == {"total_collected", "fees", "net_total"}

    categories = get(client, synced, "breakdown", by="category", **london)
    by_label = {r["label"]: r["metrics"] for r in categories["rows"]}
    assert by_label["Custom amount"] == {
        "gross_sales": "5.00",
        "returns": "0.00",
        "discounts": "0.00",
        "net_sales": "5.00",
        "units_sold": 1,
    }
    [catalog] = [m for label, m in by_label.items() if label != "Custom amount"]
    assert catalog["returns"] == "10.00" and catalog["net_sales"] == "10.00"
    assert catalog["units_sold"] == 1

    team = get(client, synced, "breakdown", by="team_member", sort="label", order="asc", **london)
    net = {r["key"]: r["metrics"]["net_sales"] for r in team["rows"]}
    assert net["unattributed"] == "5.00"  # O7 took no team member
    # O1 split 14:10 between the card's and the cash's team members; the return to the second.
    assert sorted(v for k, v in net.items() if k != "unattributed") == ["-1.67", "11.67"]
    labels = [r["label"] for r in team["rows"]]
    assert labels == sorted(labels, key=str.lower)

    items = get(client, synced, "breakdown", by="item", sort="net_sales", order="desc", **london)
    values = [Decimal(r["metrics"]["net_sales"]) for r in items["rows"]]
    assert values == sorted(values, reverse=True)


def test_team_members_get_their_own_tips_and_whole_transactions(
    client: TestClient, synced: Synced
) -> None:
    """O8: a card tender of 23.00 with a 3.00 tip (team member 1) and 16.00 cash (team member 2)
    for 36.00 incl. VAT (METRICS.md "Breakdowns", by team member)."""
    day = {"date_from": "2026-11-04", "date_to": "2026-11-04", "compare": "none"}
    body = get(client, synced, "breakdown", by="team_member", sort="label", order="asc", **day)
    rows = sorted(body["rows"], key=lambda r: -Decimal(r["metrics"]["net_sales"]))
    card, cash = (r["metrics"] for r in rows)
    # Net 30.00 ex-VAT splits 20:16 by the tenders less their tips: 16.666... and 13.333...
    assert (card["net_sales"], cash["net_sales"]) == ("16.67", "13.33")
    assert (card["tax"], cash["tax"]) == ("3.33", "2.67")  # 6.00 the same way, to the penny
    assert (card["tips"], cash["tips"]) == ("3.00", "0.00")  # the tip is the card's own
    assert (card["fees"], cash["fees"]) == ("0.40", "0.00")
    # Counted whole, for the largest tender's team member: never 0.56 of a transaction.
    assert (card["transactions"], cash["transactions"]) == (1, 0)
    assert (card["units_sold"], cash["units_sold"]) == (3, 0)
    summary = get(client, synced, "summary", **day)["metrics"]
    for name in ("net_sales", "tax", "tips", "total_collected", "fees"):
        assert Decimal(card[name]) + Decimal(cash[name]) == Decimal(summary[name]), name


def test_conversion_uses_only_days_with_footfall_and_sales(
    client: TestClient, synced: Synced
) -> None:
    london = synced.london.id
    footfall(client, synced, london, "2026-10-24", 30)  # no sales that day: left out
    footfall(client, synced, london, "2026-10-25", 100)
    footfall(client, synced, london, "2026-10-26", 50)
    body = get(client, synced, "summary", compare="none", **WEEK)
    metrics, coverage = body["metrics"], body["coverage"]
    assert metrics["footfall"] == 180
    assert metrics["conversion_rate"] == round(2 / 150, 6)  # O1 and O7 over 150 visitors
    assert metrics["sales_per_visitor"] == "0.17"  # 25.00 net sales on those days / 150
    assert coverage["days"] == 5
    assert coverage["location_days"] == 10
    assert coverage["days_with_sales"] == 5  # London 25-28, New York 26
    assert coverage["days_with_footfall"] == 3
    assert coverage["days_used_for_conversion"] == 2
    assert coverage["days_left_out_of_conversion"] == 4


def test_comparison_and_change(client: TestClient, synced: Synced) -> None:
    # The week after compared with the scenario's week: previous_period.
    body = get(
        client,
        synced,
        "summary",
        date_from="2026-10-29",
        date_to="2026-11-02",
        location_ids=synced.london.id,
    )
    assert body["comparison"]["date_from"] == "2026-10-24"
    assert body["comparison"]["metrics"]["net_sales"] == "15.00"
    assert body["metrics"]["net_sales"] == "0.00"
    assert body["change"]["net_sales"] == -1.0
    assert body["change"]["returns"] == -1.0
    year = get(
        client,
        synced,
        "summary",
        compare="previous_year",
        location_ids=synced.london.id,
        **WEEK,
    )
    assert year["comparison"]["date_from"] == "2025-10-25"  # 364 days: Saturday to Saturday
    assert year["change"]["net_sales"] is None  # nothing a year before: no %, not infinity

    series = get(
        client,
        synced,
        "timeseries",
        granularity="day",
        date_from="2026-10-29",
        date_to="2026-11-02",
        compare="previous_period",
        location_ids=synced.london.id,
    )
    assert [p["start"] for p in series["points"]][:2] == ["2026-10-29", "2026-10-30"]
    # 2026-10-30 compares with 2026-10-25 (the period is five days long).
    assert series["points"][1]["comparison_metrics"]["gross_sales"] == "20.00"


def test_timeseries_buckets_add_up(client: TestClient, synced: Synced) -> None:
    summary = get(client, synced, "summary", compare="none", **WEEK)["metrics"]
    for granularity in ("hour", "day", "week", "month"):
        body = get(client, synced, "timeseries", granularity=granularity, **WEEK)
        points = body["points"]
        assert _sum(points, "transactions") == summary["transactions"], granularity
        gap = abs(_sum(points, "net_sales") - Decimal(summary["net_sales"]))
        assert gap <= Decimal("0.005") * len(points), granularity
    weeks = get(client, synced, "timeseries", granularity="week", **WEEK)["points"]
    assert [p["start"] for p in weeks] == ["2026-10-19", "2026-10-26"]  # ISO weeks, Mondays
    assert len(get(client, synced, "timeseries", granularity="hour", **WEEK)["points"]) == 120


def test_heatmap_by_weekday_and_hour(client: TestClient, synced: Synced) -> None:
    body = get(client, synced, "heatmap", location_ids=synced.london.id, **WEEK)
    assert len(body["cells"]) == 7 * 24
    cell = {(c["weekday"], c["hour"]): c for c in body["cells"]}
    assert cell[(6, 0)] == {"weekday": 6, "hour": 0, "net_sales": "20.00", "transactions": 1}


def test_like_for_like_keeps_days_traded_on_both_sides(client: TestClient, synced: Synced) -> None:
    # 2026-10-31..11-04 against the scenario week: no day traded on both sides.
    body = get(
        client,
        synced,
        "summary",
        date_from="2026-10-29",
        date_to="2026-11-02",
        compare="previous_period",
        lfl="true",
    )
    assert body["lfl"] is True
    assert body["comparison"]["metrics"]["net_sales"] == "0.00"


def test_a_manager_sees_only_granted_locations(
    client: TestClient, db: Session, synced: Synced
) -> None:
    manager = member_of(client, db, org_id=synced.org_id, role=Role.manager)
    granted = client.put(
        f"/api/v1/users/{manager.user.id}/locations",
        json={"location_ids": [synced.london.id]},
        headers=synced.owner.headers,
    )
    assert granted.status_code == 200, granted.text
    mine = client.get(f"{URL}/summary", params={**WEEK}, headers=manager.headers)
    assert mine.status_code == 200
    assert mine.json()["location_ids"] == [synced.london.id]
    assert mine.json()["metrics"]["net_sales"] == "15.00"
    refused = client.get(
        f"{URL}/breakdown",
        params={**WEEK, "by": "location", "location_ids": synced.new_york.id},
        headers=manager.headers,
    )
    assert refused.status_code == 403
    # Named by id only: a manager must not learn the names of stores they may not see.
    assert str(synced.new_york.id) in refused.json()["detail"]
    assert "New York" not in refused.json()["detail"]
    other = member_of(client, db, org_id=make_org(db), role=Role.owner)
    foreign = client.get(
        f"{URL}/summary", params={**WEEK, "location_ids": synced.london.id}, headers=other.headers
    )
    assert foreign.status_code == 404


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date_from": "2026-10-28", "date_to": "2026-10-24"}, "date_to"),
        ({"date_from": "2020-01-01", "date_to": "2026-10-24"}, "date_to"),
        ({"date_to": "2026-10-24"}, "date_from"),
        ({**WEEK, "currency": "XYZ"}, "currency"),
        ({**WEEK, "compare": "none", "lfl": "true"}, "lfl"),
        ({**WEEK, "location_ids": "abc"}, "location_ids"),
    ],
)
def test_bad_parameters_are_a_422_naming_the_field(
    client: TestClient, synced: Synced, params: dict[str, str], field: str
) -> None:
    response = client.get(f"{URL}/summary", params=params, headers=synced.owner.headers)
    assert response.status_code == 422, response.text
    assert [d["field"] for d in response.json()["detail"]] == [field]
