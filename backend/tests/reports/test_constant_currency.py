"""Constant-currency comparisons (`constant_currency=true`).

A chain whose two Square accounts trade in two currencies, reported in a third or in one of
theirs: at constant currency the comparison's amounts are converted at the rates of the period's
dates they are compared with, so a change is sales growth, not currency moves. The period's own
figures never change, a store trading in the reporting currency sees no difference at all, the
rows still add up, and the converted caches (PostgreSQL) never hand one conversion's sums to the
other.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.fx import epoch as fx_epoch
from app.fx import sources as fx_sources
from app.locations.models import Location
from app.reports import cache as reports_cache
from app.reports import service as reports
from app.reports.models import MonthDaySums, OrgDaySums
from app.reports.schemas import Compare, Granularity
from app.sales.models import SaleOrder
from app.users.models import Role
from tests.factories import member_of
from tests.reports import test_month_cache
from tests.reports.test_month_cache import ADDITIVE, Chain, _d, _sum_rows
from tests.rollups.test_rollups import figures

chain = test_month_cache.chain  # the fixture: two accounts, two currencies, Aug-Oct 2026

PERIOD = (date(2026, 10, 1), date(2026, 10, 27))  # compared with 4-30 Sep (previous period)
OFFSET = 27
CENT = Decimal("0.01")


def req(
    org_id: int, location_ids: list[int], currency: str, *, constant: bool
) -> reports.ReportRequest:
    return reports.ReportRequest(
        org_id=org_id,
        date_from=PERIOD[0],
        date_to=PERIOD[1],
        location_ids=location_ids,
        currency=currency,
        compare=Compare.previous_period,
        lfl=False,
        constant_currency=constant,
    )


def _per_eur(currency: str, day: date) -> Decimal:
    if currency == "EUR":
        return Decimal(1)
    found = fx_sources.provider().rate_on_or_before(currency, day)
    assert found is not None
    return found[1]


def _expected_comparison(
    db: Session, org_id: int, target: str, *, rates_shift: int
) -> dict[str, str]:
    """The comparison's gross sales, tax and tips recomputed from the stored orders: each
    location-day's amount converted at the rate of the date `rates_shift` days later, rounded
    half-up to the cent, then added up."""
    first, last = PERIOD[0] - timedelta(days=OFFSET), PERIOD[1] - timedelta(days=OFFSET)
    rows = db.execute(
        select(
            SaleOrder.location_id,
            SaleOrder.business_date,
            SaleOrder.currency,
            func.sum(SaleOrder.gross_sales),
            func.sum(SaleOrder.tax),
            func.sum(SaleOrder.tips),
        )
        .where(
            SaleOrder.org_id == org_id,
            SaleOrder.counted.is_(True),
            SaleOrder.business_date >= first,
            SaleOrder.business_date <= last,
        )
        .group_by(SaleOrder.location_id, SaleOrder.business_date, SaleOrder.currency)
    ).all()
    expected = {"gross_sales": Decimal(0), "tax": Decimal(0), "tips": Decimal(0)}
    for _, day, currency, *amounts in rows:
        at = day + timedelta(days=rates_shift)
        rate = _per_eur(target, at) / _per_eur(currency, at)
        for name, amount in zip(expected, amounts, strict=True):
            expected[name] += (Decimal(amount) / 100 * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    return {name: str(value) for name, value in expected.items()}


def _picked(metrics: dict[str, Any]) -> dict[str, Any]:
    return {n: metrics[n] for n in ("gross_sales", "tax", "tips")}


@pytest.mark.parametrize("target", ["GBP", "USD"])
def test_the_comparison_at_constant_currency_is_converted_at_the_periods_rates(
    db: Session, chain: Chain, target: str
) -> None:
    """The comparison at constant rates is its local amounts at the compared dates' rates; at
    actual rates at its own dates'; the period's figures are the same either way."""
    org_id, _, location_ids = chain
    currencies = {loc.currency for loc in db.scalars(select(Location))}
    assert len(currencies) == 2 and "USD" not in currencies
    constant = figures(reports.summary(db=db, req=req(org_id, location_ids, target, constant=True)))
    actual = figures(reports.summary(db=db, req=req(org_id, location_ids, target, constant=False)))
    assert constant["comparison"]["rates"] == "constant"
    assert actual["comparison"]["rates"] == "actual"
    assert _picked(constant["comparison"]["metrics"]) == _expected_comparison(
        db, org_id, target, rates_shift=OFFSET
    )
    assert _picked(actual["comparison"]["metrics"]) == _expected_comparison(
        db, org_id, target, rates_shift=0
    )
    assert constant["comparison"]["metrics"] != actual["comparison"]["metrics"]
    assert constant["metrics"] == actual["metrics"]
    # The part of the change that is currency moves, the same whichever way it is asked.
    effect = actual["change"]["net_sales"] - constant["change"]["net_sales"]
    assert actual["currency_effect"] == pytest.approx(effect, abs=2e-6)
    assert constant["currency_effect"] == actual["currency_effect"]
    assert actual["currency_effect"] != 0


def test_rows_add_up_and_the_rollups_agree_with_the_orders(db: Session, chain: Chain) -> None:
    """At constant currency the day, hour and month series' comparison points add up to the
    summary's comparison, and the rollups' answer equals the one computed from the orders."""
    org_id, _, location_ids = chain
    for ids in (location_ids, location_ids[:1]):
        request = req(org_id, ids, "EUR", constant=True)
        summary = figures(reports.summary(db=db, req=request))
        assert summary == figures(reports.summary(db=db, req=request, source="orders"))
        before = summary["comparison"]["metrics"]
        for granularity in (Granularity.day, Granularity.hour, Granularity.month):
            series = figures(reports.timeseries(db=db, req=request, granularity=granularity))
            assert series == figures(
                reports.timeseries(db=db, req=request, granularity=granularity, source="orders")
            ), granularity
            shown = series["comparison"]["metrics"]
            assert {n: shown[n] for n in ADDITIVE} == {n: before[n] for n in ADDITIVE}
            points = [{"metrics": p["comparison_metrics"]} for p in series["points"]]
            for name in ADDITIVE:
                assert _sum_rows(points, name) == _d(before[name]), (granularity, name)


def test_a_store_in_the_reporting_currency_sees_no_difference(db: Session, chain: Chain) -> None:
    org_id, _, location_ids = chain
    location = db.get(Location, location_ids[0])
    assert location is not None
    constant = req(org_id, location_ids[:1], location.currency, constant=True)
    actual = replace(constant, constant_currency=False)
    for make in (
        lambda r: reports.summary(db=db, req=r),
        lambda r: reports.timeseries(db=db, req=r, granularity=Granularity.day),
    ):
        one, other = figures(make(constant)), figures(make(actual))
        assert one["comparison"].pop("rates") == "constant"
        assert other["comparison"].pop("rates") == "actual"
        assert one == other
    assert figures(reports.summary(db=db, req=actual))["currency_effect"] is None


def test_the_caches_keep_each_conversion_apart(db: Session, chain: Chain) -> None:
    """A constant-currency report first (the caches empty), then the usual one, then both again:
    each equals its straight computation from the orders (PostgreSQL fills and reads the
    caches; SQLite reads the rollups each time)."""
    org_id, _, location_ids = chain
    constant = req(org_id, location_ids, "GBP", constant=True)
    actual = replace(constant, constant_currency=False)
    expected = {}
    for request in (constant, actual):
        expected[request.constant_currency] = (
            figures(reports.summary(db=db, req=request, source="orders")),
            figures(
                reports.timeseries(db=db, req=request, granularity=Granularity.day, source="orders")
            ),
        )
    for request in (constant, actual, constant, actual):
        got = (
            figures(reports.summary(db=db, req=request)),
            figures(reports.timeseries(db=db, req=request, granularity=Granularity.day)),
        )
        assert got == expected[request.constant_currency], request.constant_currency


def test_the_api_takes_the_option_with_a_comparison_only(
    client: TestClient, db: Session, chain: Chain
) -> None:
    org_id, _, _ = chain
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    client.headers.update(owner.headers)
    period = {"date_from": PERIOD[0].isoformat(), "date_to": PERIOD[1].isoformat()}
    for path, extra in (
        ("summary", {}),
        ("timeseries", {}),
        ("breakdown", {"by": "location"}),
        ("heatmap", {}),
        ("export.csv", {}),
    ):
        bad = client.get(
            f"/api/v1/reports/{path}",
            params={**period, **extra, "compare": "none", "constant_currency": "true"},
        )
        assert bad.status_code == 422, path
        assert "constant_currency" in bad.text
    ok = client.get(
        "/api/v1/reports/summary",
        params={**period, "currency": "USD", "constant_currency": "true"},
    )
    assert ok.status_code == 200, ok.text
    assert ok.json()["comparison"]["rates"] == "constant"
    assert isinstance(ok.json()["currency_effect"], float)
    # The export's summary table has the API's constant-currency comparison.
    csv = client.get(
        "/api/v1/reports/export.csv",
        params={**period, "currency": "USD", "constant_currency": "true", "by": "summary"},
    )
    assert csv.status_code == 200, csv.text
    rows = {line.split(",")[0]: line.split(",") for line in csv.text.splitlines()}
    assert rows["net_sales"][2] == ok.json()["comparison"]["metrics"]["net_sales"]
    assert rows["gross_sales"][2] == ok.json()["comparison"]["metrics"]["gross_sales"]
    export = client.post(
        "/api/v1/reports/exports",
        json={**period, "compare": "none", "constant_currency": True},
    )
    assert export.status_code == 422
    assert "constant_currency" in export.text


def _shifted_rows(db: Session, model: Any, org_id: int, shift: int) -> int:
    count = db.scalar(
        select(func.count()).where(model.org_id == org_id, model.rates_key.endswith(f"@+{shift}d"))
    )
    return int(count or 0)


def test_the_comparison_at_the_periods_rates_is_cached_under_its_own_key(
    db: Session, chain: Chain
) -> None:
    """Every summary of a multi-currency chain with a comparison reads the comparison at the
    other conversion too (`currency_effect`): on PostgreSQL the converted caches keep it, under
    the shifted converter's key, for every store (the organization's days) and for a few stores
    over whole months (the month cache); each answer equals the straight computation."""
    org_id, _, location_ids = chain
    every = req(org_id, location_ids, "GBP", constant=False)
    # Two whole months against the same dates a month before (Sep-Oct against Aug-Sep, at the
    # rates of 31 days later), for the store not in pounds: its months come from the month cache.
    abroad = db.scalar(
        select(Location.id).where(Location.id.in_(location_ids), Location.currency != "GBP")
    )
    assert abroad is not None
    months = replace(
        every,
        date_from=date(2026, 9, 1),
        date_to=date(2026, 10, 31),
        location_ids=[abroad],
        compare=Compare.previous_month,
    )
    cached = reports_cache.enabled(db)
    for request in (every, months):
        expected = figures(reports.summary(db=db, req=request, source="orders"))
        assert expected["currency_effect"] is not None, request
        for _ in range(2):  # the first fills the caches, the second reads them
            assert figures(reports.summary(db=db, req=request)) == expected
            constant = replace(request, constant_currency=True)
            assert figures(reports.summary(db=db, req=constant)) == figures(
                reports.summary(db=db, req=constant, source="orders")
            )
    # The organization's days of the comparison (4-30 Sep), converted at 1-27 Oct's rates.
    org_days = _shifted_rows(db, OrgDaySums, org_id, OFFSET)
    assert org_days == (27 if cached else 0)
    month_rows = _shifted_rows(db, MonthDaySums, org_id, 31)
    assert month_rows == (2 if cached else 0)  # August and September, one store
    if not cached:
        return
    # New rates of their source retire them, as they do the sums converted at each date's own
    # rate (the keys read "posted:<source>:...").
    key = db.scalar(select(OrgDaySums.rates_key).where(OrgDaySums.org_id == org_id).limit(1))
    assert key is not None and key.startswith("posted:")
    fx_epoch.bump_rates_epoch(db, key.split(":")[1])
    assert _shifted_rows(db, OrgDaySums, org_id, OFFSET) == 0
    assert _shifted_rows(db, MonthDaySums, org_id, 31) == 0
