"""The report caches (app/reports/cache.py) never change an answer.

Reports over periods holding whole calendar months read those months' converted sums from the
month cache, and reports on every store read the organization's converted day sums (PostgreSQL):
they must equal the straight computation from the order tables, first when the cache is made,
then when it is read, and again after something changes a month already cached — a late edit
synced from Square, a footfall entry, new exchange rates. On SQLite, which has no cache, the same
reports give the same answers straight from the rollups.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.footfall import grid as grid_service
from app.footfall.models import FootfallEntry
from app.footfall.schemas import FootfallCreate
from app.fx import api as fx_api
from app.fx import sources as fx_sources
from app.locations import recalculation
from app.locations.models import Location, RecalculationState
from app.reports import cache as report_cache
from app.reports import metrics, month_cache
from app.reports import service as reports
from app.reports.models import (
    MONTH_FOOTFALL,
    MONTH_SALES,
    LineDaySums,
    LocationHourSums,
    MonthDaySums,
    OrgDaySums,
)
from app.reports.schemas import BreakdownBy, Compare, Granularity, SortOrder
from app.reports.traffic import traffic
from app.rollups.models import RollupDay
from app.sales.models import CatalogItem, SaleOrder
from app.square import recalculation as redating
from app.users.models import Role
from square_simulator import testing
from square_simulator.testing import RunningSimulator
from tests.factories import make_connection, make_location, make_org, make_user
from tests.rollups.test_rollups import every_report, figures, sync_all

Chain = tuple[int, RunningSimulator, list[int]]  # organization, its Square, its locations
NOW = "2026-10-28T18:00:00Z"
FIRST = date(2026, 8, 20)  # the simulator's history (0.2 years) starts about 2026-08-16
DAY = timedelta(days=1)
LAST = date(2026, 10, 31)  # September and October are whole months of the period


@pytest.fixture
def chain(db: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[Chain]:
    app_settings: Settings = get_settings()
    monkeypatch.setattr(app_settings, "SQUARE_RETRY_BASE_SECONDS", 0.01)
    sim = testing.start(seed=11, accounts=2, locations_per_account=1, years=0.2, now=NOW)
    try:
        monkeypatch.setattr(app_settings, "SQUARE_API_BASE_URL", sim.base_url)
        org_id = make_org(db)
        connection_ids = [
            make_connection(
                db,
                org_id=org_id,
                merchant_id=account.merchant_id,
                access_token=account.personal_access_token,
            ).id
            for account in sim.accounts
        ]
        db.commit()
        sync_all(db, org_id, connection_ids)
        location_ids = sorted(db.scalars(select(Location.id).where(Location.org_id == org_id)))
        rng = random.Random(11)
        day = FIRST
        while day <= LAST:
            for location_id in location_ids:
                if rng.random() < 0.8:
                    db.add(
                        FootfallEntry(
                            org_id=org_id,
                            location_id=location_id,
                            entry_date=day,
                            count=rng.randint(50, 900),
                            source="manual",
                        )
                    )
            day += timedelta(days=1)
        db.commit()
        yield org_id, sim, location_ids
    finally:
        sim.stop()


def req(
    org_id: int,
    location_ids: list[int],
    *,
    currency: str = "GBP",
    compare: Compare = Compare.none,
    date_from: date = FIRST,
    date_to: date = LAST,
) -> reports.ReportRequest:
    return reports.ReportRequest(
        org_id=org_id,
        date_from=date_from,
        date_to=date_to,
        location_ids=location_ids,
        currency=currency,
        compare=compare,
        lfl=False,
    )


def cached_rows(db: Session, org_id: int) -> tuple[int, int, int]:
    days = db.scalar(select(func.count()).where(MonthDaySums.org_id == org_id)) or 0
    lines = db.scalar(select(func.count()).where(LineDaySums.org_id == org_id)) or 0
    org_days = db.scalar(select(func.count()).where(OrgDaySums.org_id == org_id)) or 0
    return int(days), int(lines), int(org_days)


def test_long_periods_from_the_month_cache_equal_the_straight_computation(
    db: Session, db_kind: str, chain: Chain
) -> None:
    org_id, _, location_ids = chain
    assert cached_rows(db, org_id) == (0, 0, 0)
    requests = [
        req(org_id, location_ids),
        req(org_id, location_ids[:1], currency="EUR", compare=Compare.previous_period),
        req(org_id, location_ids, currency="USD", compare=Compare.previous_year),
        req(org_id, location_ids, date_from=date(2026, 9, 1), date_to=date(2026, 10, 31)),
        # Around days already cached: the days before FIRST and November's are not yet.
        req(org_id, location_ids, date_from=date(2026, 8, 10), date_to=date(2026, 11, 3)),
        req(org_id, location_ids, date_from=date(2026, 10, 5), date_to=date(2026, 10, 9)),
    ]
    for request in requests:
        made = every_report(db, request, "rollups")  # makes the cached months
        assert made == every_report(db, request, "orders"), request
        assert every_report(db, request, "rollups") == made  # read back from the cache
        if request.compare == Compare.none:
            # The response names the rate of every day it converted, cached or not.
            converted = db.scalars(
                select(RollupDay.business_date)
                .where(
                    RollupDay.location_id.in_(request.location_ids),
                    RollupDay.currency != request.currency,
                    RollupDay.business_date >= request.date_from,
                    RollupDay.business_date <= request.date_to,
                )
                .distinct()
            )
            named = reports.summary(db=db, req=request).rates.dates
            assert set(named) == {day.isoformat() for day in converted}
            assert named or request is not requests[0]  # the EUR store's days became GBP
    days, lines, org_days = cached_rows(db, org_id)
    if db_kind == "postgres":
        assert days >= 2 * len(location_ids) and lines > 0, "the reports did not use the cache"
        assert org_days >= (date(2026, 11, 3) - date(2026, 8, 10)).days + 1
    else:  # SQLite converts from the rollups every time (and takes no write locks on reads)
        assert (days, lines, org_days) == (0, 0, 0)


def cancel_a_september_sale(db: Session, chain: Chain) -> set[int]:
    """A September sale cancelled at Square after it was synced, then every account synced
    again (the simulator's clock moved on an hour); returns the orders known before."""
    org_id, sim, _ = chain
    sale = db.scalars(
        select(SaleOrder)
        .where(
            SaleOrder.org_id == org_id,
            SaleOrder.is_transaction.is_(True),
            SaleOrder.source_order_id.is_(None),
            SaleOrder.business_date >= date(2026, 9, 1),
            SaleOrder.business_date <= date(2026, 9, 30),
        )
        .order_by(SaleOrder.id)
    ).first()
    assert sale is not None
    known = set(db.scalars(select(SaleOrder.id).where(SaleOrder.org_id == org_id)))
    cancel = {
        **sale.raw,
        "state": "CANCELED",
        "version": (sale.raw.get("version") or 1) + 1,
        "updated_at": "2026-10-28T18:30:00Z",
    }
    cancel.pop("closed_at", None)
    sim.import_orders([cancel])
    sim.set_time("2026-10-28T19:00:00Z")
    sync_all(db, org_id, _connections(db, org_id))
    return known


def test_a_change_to_a_cached_month_shows_in_the_next_report(db: Session, chain: Chain) -> None:
    org_id, _, location_ids = chain
    request = req(org_id, location_ids)
    first = reports.summary(db=db, req=request)
    assert first.metrics["net_sales"] is not None
    reports.summary(db=db, req=replace(request, location_ids=location_ids[:1]))
    db.commit()  # the cached months (and the organization's days) are stored

    # A September sale cancelled at Square after it was synced, then synced again.
    known = cancel_a_september_sale(db, chain)
    db.expire_all()
    after_edit = reports.summary(db=db, req=request)
    assert after_edit.metrics == reports.summary(db=db, req=request, source="orders").metrics
    assert day_series(db, request, "rollups") == day_series(db, request, "orders")
    # The moved clock brought new sales too: the period lost exactly the cancelled one.
    arrived = db.scalars(
        select(SaleOrder).where(SaleOrder.org_id == org_id, SaleOrder.id.not_in(known))
    ).all()
    new = sum(
        o.is_transaction
        and o.counted
        and FIRST <= (o.business_date or FIRST - timedelta(1)) <= LAST
        for o in arrived
    )
    assert after_edit.metrics["transactions"] == int(first.metrics["transactions"] or 0) - 1 + new
    db.commit()

    # Footfall entered for a September day that had none.
    owner = make_user(db, org_id=org_id, role=Role.owner).user
    location_id = location_ids[0]
    known = set(
        db.scalars(select(FootfallEntry.entry_date).where(FootfallEntry.location_id == location_id))
    )
    empty = next(date(2026, 9, d) for d in range(1, 31) if date(2026, 9, d) not in known)
    before_footfall = reports.summary(db=db, req=request).metrics["footfall"]
    grid_service.create(
        db=db,
        user=owner,
        entry_in=FootfallCreate(location_id=location_id, date=empty, count=4321),
    )
    db.commit()
    after_footfall = reports.summary(db=db, req=request)
    assert after_footfall.metrics["footfall"] == int(before_footfall or 0) + 4321
    assert after_footfall.metrics == reports.summary(db=db, req=request, source="orders").metrics
    assert day_series(db, request, "rollups") == day_series(db, request, "orders")


def test_traffic_from_the_store_hour_cache_equals_the_straight_computation(
    db: Session, db_kind: str, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GET /reports/traffic reads each store's posted hours from `LocationHourSums`
    (PostgreSQL): the same figures as splitting the hour rollups each time, for every store and
    for one, and again after a cached month's sales or counts change."""
    org_id, _, location_ids = chain
    # September by the hour: every store-day's whole-day count replaced by hourly ones (some
    # hours without a count), but for one day per store.
    rng = random.Random(7)
    september = [date(2026, 9, d) for d in range(1, 31)]
    db.execute(
        delete(FootfallEntry).where(
            FootfallEntry.org_id == org_id,
            FootfallEntry.entry_date >= september[0],
            FootfallEntry.entry_date <= september[-1],
        )
    )
    for n, location_id in enumerate(location_ids):
        for day in september:
            if day.day == 10 + n:
                db.add(
                    FootfallEntry(
                        org_id=org_id,
                        location_id=location_id,
                        entry_date=day,
                        count=500,
                        source="manual",
                    )
                )
                continue
            for hour in range(7, 22):
                if rng.random() < 0.85:
                    db.add(
                        FootfallEntry(
                            org_id=org_id,
                            location_id=location_id,
                            entry_date=day,
                            hour=hour,
                            count=rng.randint(0, 60),
                            source="api",
                        )
                    )
    db.commit()
    request = req(org_id, location_ids)
    one = replace(request, location_ids=location_ids[:1])

    def straight(r: reports.ReportRequest) -> Any:
        with monkeypatch.context() as patched:
            patched.setattr(report_cache, "enabled", lambda db: False)
            return traffic(db=db, req=r)

    first = traffic(db=db, req=request)
    assert first.coverage.store_days_used == len(location_ids) * 29
    assert first.coverage.store_days_daily_only > 0
    assert first == straight(request)
    assert traffic(db=db, req=one) == straight(one)
    made = db.scalar(select(func.count()).where(LocationHourSums.org_id == org_id)) or 0
    if db_kind == "postgres":
        assert made > 0, "the report did not use the cache"
    else:  # SQLite splits the rollups every time
        assert made == 0
    db.commit()

    cancel_a_september_sale(db, chain)
    db.expire_all()
    after_edit = traffic(db=db, req=request)
    assert after_edit == straight(request)
    assert after_edit.by_hour != first.by_hour  # the cancelled sale left its hour
    db.commit()

    # A count for an hour that had none, on a cached September day of a store with sales.
    owner = make_user(db, org_id=org_id, role=Role.owner).user
    missing = next(
        (location_ids[0], day, hour)
        for day in september
        for hour in range(7, 22)
        if day.day != 10
        and not db.scalar(
            select(func.count()).where(
                FootfallEntry.location_id == location_ids[0],
                FootfallEntry.entry_date == day,
                FootfallEntry.hour == hour,
            )
        )
    )
    grid_service.create(
        db=db,
        user=owner,
        entry_in=FootfallCreate(
            location_id=missing[0], date=missing[1], hour=missing[2], count=777
        ),
    )
    db.commit()
    after_count = traffic(db=db, req=request)
    assert after_count == straight(request)
    visitors = {h.hour: h.metrics["footfall"] for h in after_count.by_hour}
    before = {h.hour: h.metrics["footfall"] for h in after_edit.by_hour}
    assert visitors[missing[2]] == int(before.get(missing[2]) or 0) + 777


def test_a_period_ending_mid_month_reads_that_month_whole_only_when_its_other_days_are_empty(
    db: Session, db_kind: str, chain: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    org_id, _, location_ids = chain
    # Nothing after NOW's date: no footfall entered ahead (the fixture has some to LAST).
    db.execute(
        delete(FootfallEntry).where(
            FootfallEntry.org_id == org_id, FootfallEntry.entry_date > date(2026, 10, 28)
        )
    )
    db.commit()
    served: list[bool] = []
    whole_edge_month = month_cache._whole_edge_month

    def spy(*args: object, **kwargs: object) -> object:
        found = whole_edge_month(*args, **kwargs)  # type: ignore[arg-type]
        served.append(found is not None)
        return found

    monkeypatch.setattr(month_cache, "_whole_edge_month", spy)
    august = date(2026, 8, 1)  # August and September are the period's whole months
    # October cached whole (with August and September).
    every_report(db, req(org_id, location_ids, date_from=august), "rollups")
    db.commit()
    # The 28th had sales: a period ending on the 27th cannot take October whole.
    to_27th = req(org_id, location_ids, date_from=august, date_to=date(2026, 10, 27))
    assert every_report(db, to_27th, "rollups") == every_report(db, to_27th, "orders")
    assert not any(served)
    # Ending on the 28th (today), the rest of October is empty: October serves whole, the first
    # request reading its days (it was cached by then), to the same figures.
    to_today = req(org_id, location_ids, date_from=august, date_to=date(2026, 10, 28))
    expected = every_report(db, to_today, "orders")
    assert every_report(db, to_today, "rollups") == expected
    assert every_report(db, to_today, "rollups") == expected
    if db_kind == "postgres":
        assert any(served)
    else:
        assert served == []  # SQLite has no month cache


def day_series(db: Session, request: reports.ReportRequest, source: reports.Source) -> object:
    return figures(
        reports.timeseries(db=db, req=request, granularity=Granularity.day, source=source)
    )


def _connections(db: Session, org_id: int) -> list[int]:
    from app.square.models import SquareConnection

    return list(db.scalars(select(SquareConnection.id).where(SquareConnection.org_id == org_id)))


def test_new_exchange_rates_retire_what_was_converted_with_the_old(
    db: Session,
) -> None:
    before = fx_sources.CachedRates(db).cache_key()
    org_id = make_org(db)
    location = make_location(db, org_id=org_id)
    zero = Decimal(0)
    db.add(
        MonthDaySums(
            location_id=location.id,
            month=date(2026, 9, 1),
            target="GBP",
            rates_key=before,
            org_id=org_id,
            version=0,
            rate_days="",
            **dict.fromkeys((*MONTH_SALES, *MONTH_FOOTFALL), zero),
        )
    )
    db.flush()
    db.add(
        OrgDaySums(
            org_id=org_id,
            target="GBP",
            rates_key=before,
            business_date=date(2026, 9, 1),
            version=0,
            converted="",
            shown={},
            **dict.fromkeys((*MONTH_SALES, *MONTH_FOOTFALL), zero),
        )
    )
    db.flush()
    fx_api.store_rates(db, {date(2026, 9, 1): {"USD": Decimal("1.1"), "GBP": Decimal("0.85")}})
    assert fx_sources.CachedRates(db).cache_key() != before
    # What was converted with the old rates is gone, not only passed over.
    assert db.scalar(select(func.count()).where(MonthDaySums.org_id == org_id)) == 0
    assert db.scalar(select(func.count()).where(OrgDaySums.org_id == org_id)) == 0
    db.rollback()


# --- posting: every shown figure adds up (METRICS.md "Rounding") -------------------------------
ADDITIVE = (*metrics.MONEY_METRICS, "transactions", "units_sold")


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _sum_rows(rows: list[dict[str, Any]], name: str) -> Decimal:
    return sum((_d(r["metrics"][name]) for r in rows if r["metrics"].get(name) is not None), _Z)


_Z = Decimal(0)


@pytest.mark.parametrize("currency", ["GBP", "EUR", "USD"])
def test_every_breakdown_series_and_store_adds_up_to_the_summary_exactly(
    db: Session, chain: Chain, currency: str
) -> None:
    """Two stores in two currencies, reported in GBP, EUR and USD: every breakdown's rows, the
    day series, the months and the stores add up to the summary to the minor unit — made, then
    read back from the caches (PostgreSQL)."""
    org_id, _, location_ids = chain
    assert len({loc.currency for loc in db.scalars(select(Location))}) == 2
    request = req(org_id, location_ids, currency=currency)
    for _attempt in ("made", "cached"):
        assert_adds_up(db, request)


def test_still_adds_up_after_a_business_day_start_change(db: Session, chain: Chain) -> None:
    """A store's business day made to start at 04:00: its late sales move to the day before
    (the re-dating job), and every figure still adds up, in a converted currency."""
    org_id, _, location_ids = chain
    request = req(org_id, location_ids, currency="EUR")
    assert_adds_up(db, request)
    before = figures(reports.summary(db=db, req=request))["metrics"]
    location = db.get(Location, location_ids[0])
    assert location is not None
    location.business_day_start_hour = 4
    job = recalculation.request(db=db, location=location, reason="test", dispatch=False)
    db.commit()
    assert redating.run(location.id, job.generation) == RecalculationState.done
    db.expire_all()
    assert db.scalar(
        select(func.count()).where(
            SaleOrder.location_id == location.id,
            SaleOrder.counted.is_(True),
            func.extract("hour", SaleOrder.closed_at) < 3,  # closed before 04:00 local (BST/GMT)
        )
    ), "the chain should have sales in the small hours"
    assert_adds_up(db, request)
    after = figures(reports.summary(db=db, req=request))["metrics"]
    assert after["transactions"] == before["transactions"]  # moved between days, none lost


def assert_adds_up(db: Session, request: reports.ReportRequest) -> None:
    summary = figures(reports.summary(db=db, req=request))["metrics"]
    for by in BreakdownBy:
        body = figures(
            reports.breakdown(db=db, req=request, by=by, sort="key", order=SortOrder.asc)
        )
        assert body["total"]["metrics"] == summary, by
        shown = {
            BreakdownBy.item: metrics.LINE_METRICS,
            BreakdownBy.category: metrics.LINE_METRICS,
            BreakdownBy.payment_method: metrics.PAYMENT_METRICS,
        }.get(by, ADDITIVE)
        for name in shown:
            assert _sum_rows(body["rows"], name) == _d(summary[name]), (by, name)
    stores = figures(
        reports.breakdown(
            db=db, req=request, by=BreakdownBy.location, sort="key", order=SortOrder.asc
        )
    )["rows"]
    for row in stores:
        one = replace(request, location_ids=[int(row["key"])], currencies=None)
        alone = figures(reports.summary(db=db, req=one))["metrics"]
        assert {n: alone[n] for n in ADDITIVE} == {n: row["metrics"][n] for n in ADDITIVE}
    days = figures(reports.timeseries(db=db, req=request, granularity=Granularity.day))
    months = figures(reports.timeseries(db=db, req=request, granularity=Granularity.month))
    for name in ADDITIVE:
        assert _sum_rows(days["points"], name) == _d(summary[name]), name
        for month in months["points"]:
            in_month = [p for p in days["points"] if p["start"][:7] == month["start"][:7]]
            assert _sum_rows(in_month, name) == _d(month["metrics"][name]), (month, name)
    cells = figures(reports.heatmap(db=db, req=request))["cells"]
    assert sum((_d(c["net_sales"]) for c in cells), _Z) == _d(summary["net_sales"])


def test_converted_figures_are_each_location_days_amounts_posted(db: Session, chain: Chain) -> None:
    """Recomputed from the stored orders as METRICS.md says: each location-day's amount
    converted at that date's rate (through EUR, the last rate on or before it), rounded half-up
    to the minor unit, then added up."""
    org_id, _, location_ids = chain
    provider = fx_sources.provider()

    def per_eur(currency: str, day: date) -> Decimal:
        if currency == "EUR":
            return Decimal(1)
        found = provider.rate_on_or_before(currency, day)
        assert found is not None
        return found[1]

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
            SaleOrder.business_date >= FIRST,
            SaleOrder.business_date <= LAST,
        )
        .group_by(SaleOrder.location_id, SaleOrder.business_date, SaleOrder.currency)
    ).all()
    cent = Decimal("0.01")
    for target in ("GBP", "EUR", "USD"):
        expected = {"gross_sales": _Z, "tax": _Z, "tips": _Z}
        for _, day, currency, *amounts in rows:
            assert day is not None
            rate = per_eur(target, day) / per_eur(currency, day)
            for name, amount in zip(expected, amounts, strict=True):
                value = (Decimal(amount) / 100 * rate).quantize(cent, rounding=ROUND_HALF_UP)
                expected[name] += value
        shown = figures(reports.summary(db=db, req=req(org_id, location_ids, currency=target)))
        assert {n: shown["metrics"][n] for n in expected} == {
            n: str(v) for n, v in expected.items()
        }, target


def test_items_and_categories_of_two_accounts_are_one_row_per_name(
    db: Session, chain: Chain
) -> None:
    """The chain's two Square accounts sell the same menu: "Latte" sold under both is one row,
    as is its category; selecting one store still shows its own figures (METRICS.md
    "Breakdowns")."""
    org_id, _, location_ids = chain
    names = db.scalars(select(CatalogItem.name)).all()
    shared = {n.casefold() for n in names if sum(x.casefold() == n.casefold() for x in names) > 1}
    assert shared, "both accounts should sell some items of the same name"
    request = req(org_id, location_ids)
    summary = figures(reports.summary(db=db, req=request))["metrics"]
    for by in (BreakdownBy.item, BreakdownBy.category):
        for _attempt in ("made", "cached"):
            rows = figures(
                reports.breakdown(db=db, req=request, by=by, sort="key", order=SortOrder.asc)
            )["rows"]
            labels = [r["label"].casefold() for r in rows]
            assert len(labels) == len(set(labels)), (by, labels)
            assert _sum_rows(rows, "net_sales") == _d(summary["net_sales"])
    items = figures(
        reports.breakdown(db=db, req=request, by=BreakdownBy.item, sort="key", order=SortOrder.asc)
    )["rows"]
    per_store = [
        figures(
            reports.breakdown(
                db=db,
                req=replace(request, location_ids=[loc], currencies=None),
                by=BreakdownBy.item,
                sort="key",
                order=SortOrder.asc,
            )
        )["rows"]
        for loc in location_ids
    ]
    both = [r for r in items if r["label"].casefold() in shared]
    assert both
    for row in both:
        units = [
            sum(r["metrics"]["units_sold"] for r in rows if r["key"] == row["key"])
            for rows in per_store
        ]
        assert all(units) and sum(units) == row["metrics"]["units_sold"], row["label"]
