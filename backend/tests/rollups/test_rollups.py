"""The rollups give every report the straight computation's answer (METRICS.md on random data).

Each example starts the simulator with a random seed — its generated history has baskets with
modifiers and discounts, inclusive and additive tax, tips, service charges, split tenders, gift
cards, itemized returns, custom-amount refunds, exchanges, open and cancelled orders and late
edits — for a GBP, an EUR and a USD seller, and syncs all three into one organization with the
real sync (which maintains the rollups). Then, for random report requests, every report read from
the rollups must equal the same report computed straight from the order tables; breakdown rows add
up to the summary; a re-sync changes no figure and leaves the rollups equal to a rebuild from
scratch; an order cancelled after it was synced and a late refund correct the rollups.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.footfall.models import FootfallEntry
from app.locations.models import Location
from app.reports import metrics
from app.reports import service as reports
from app.reports.schemas import BreakdownBy, Compare, Granularity, SortOrder
from app.rollups import service as rollups
from app.sales.models import SaleOrder, SaleTender
from app.scripts import rebuild_rollups
from app.square import flows as square_flows
from app.square.models import SyncRunState
from square_simulator import testing
from square_simulator.testing import RunningSimulator
from tests.factories import make_connection, make_location, make_org
from tests.reports.scenario import _card, _m, _order, _tender
from tests.square.helpers import run_sync

NOW = "2026-10-28T18:00:00Z"
FIRST_DAY = date(2026, 10, 25)  # the simulator's history starts 3.65 days before NOW
LAST_DAY = date(2026, 10, 29)
SLOW = settings(
    max_examples=3,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # each example syncs: no shrinking
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Chain:
    sim: RunningSimulator
    org_id: int
    connection_ids: list[int]
    location_ids: list[int]


@pytest.fixture
def chains(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Session, int], Chain]]:
    """Builds synced chains (one organization each) from simulator seeds; stops them after."""
    started: list[RunningSimulator] = []
    app_settings: Settings = get_settings()
    monkeypatch.setattr(app_settings, "SQUARE_RETRY_BASE_SECONDS", 0.01)

    def build(db: Session, seed: int) -> Chain:
        db.rollback()  # an earlier example may have failed mid-transaction
        sim = testing.start(seed=seed, accounts=3, locations_per_account=1, years=0.01, now=NOW)
        started.append(sim)
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
        assert len(location_ids) == 3
        add_footfall(db, org_id, location_ids, random.Random(seed))
        return Chain(sim, org_id, connection_ids, location_ids)

    yield build
    for sim in started:
        sim.stop()


def add_footfall(db: Session, org_id: int, location_ids: list[int], rng: random.Random) -> None:
    """Random footfall: per location-day a daily count, hourly counts, closed, or nothing."""
    day = FIRST_DAY - timedelta(days=8)
    while day <= LAST_DAY:
        for location_id in location_ids:
            kind = rng.choice(["none", "daily", "hourly", "closed"])
            base = {"org_id": org_id, "location_id": location_id, "entry_date": day}
            if kind == "daily":
                db.add(FootfallEntry(**base, hour=None, count=rng.randint(0, 900), source="manual"))
            elif kind == "closed":
                db.add(FootfallEntry(**base, hour=None, count=None, closed=True, source="manual"))
            elif kind == "hourly":
                for hour in rng.sample(range(8, 20), 4):
                    db.add(FootfallEntry(**base, hour=hour, count=rng.randint(0, 90), source="api"))
        day += timedelta(days=1)
    db.commit()


def sync_all(db: Session, org_id: int, connection_ids: list[int]) -> None:
    for connection_id in connection_ids:
        run = run_sync(db, org_id=org_id, connection_id=connection_id)
        assert run.state == SyncRunState.succeeded, run.error


@dataclass(frozen=True)
class Params:
    date_from: date
    date_to: date
    locations: tuple[int, ...]
    currency: str
    compare: Compare
    lfl: bool


@st.composite
def params(draw: st.DrawFn, location_ids: list[int]) -> Params:
    start = draw(st.dates(FIRST_DAY, LAST_DAY))
    end = draw(st.dates(start, LAST_DAY))
    chosen = draw(st.lists(st.sampled_from(location_ids), min_size=1, max_size=3, unique=True))
    compare = draw(st.sampled_from(list(Compare)))
    return Params(
        start,
        end,
        tuple(sorted(chosen)),
        draw(st.sampled_from(["GBP", "EUR", "USD"])),
        compare,
        draw(st.booleans()) if compare != Compare.none else False,
    )


def request(chain: Chain, p: Params) -> reports.ReportRequest:
    return reports.ReportRequest(
        org_id=chain.org_id,
        date_from=p.date_from,
        date_to=p.date_to,
        location_ids=list(p.locations),
        currency=p.currency,
        compare=p.compare,
        lfl=p.lfl,
    )


def figures(body: Any) -> Any:
    """A report without the rates it used (the rollup path also looks up days with no sales)."""
    data = body.model_dump(mode="json")
    data.pop("rates", None)
    return data


def every_report(db: Session, req: reports.ReportRequest, source: reports.Source) -> dict[str, Any]:
    out: dict[str, Any] = {"summary": figures(reports.summary(db=db, req=req, source=source))}
    for granularity in Granularity:
        out[f"timeseries:{granularity.value}"] = figures(
            reports.timeseries(db=db, req=req, granularity=granularity, source=source)
        )
    for by in BreakdownBy:
        out[f"breakdown:{by.value}"] = figures(
            reports.breakdown(
                db=db, req=req, by=by, sort="key", order=SortOrder.asc, source=source, compared=True
            )
        )
    out["heatmap"] = figures(reports.heatmap(db=db, req=req, source=source))
    return out


def assert_rows_add_up(body: dict[str, Any], summary: dict[str, Any], currency: str) -> None:
    """Rows add up to the summary exactly (METRICS.md "Rounding": posted location-days, finer
    rows split by largest remainder), in every currency."""
    assert body["total"]["metrics"] == summary["metrics"]
    for name, value in summary["metrics"].items():
        shown = [row["metrics"][name] for row in body["rows"] if name in row["metrics"]]
        if not shown or name in metrics.NUMBER_RATIOS + metrics.MONEY_RATIOS:
            continue
        if name == "footfall":
            continue
        total = sum((Decimal(str(v)) for v in shown if v is not None), Decimal(0))
        assert total == Decimal(str(value)), (body["by"], name, currency)


def check_chain(db: Session, chain: Chain, p: Params) -> None:
    req = request(chain, p)
    from_rollups = every_report(db, req, "rollups")
    straight = every_report(db, req, "orders")
    for name, body in straight.items():
        assert from_rollups[name] == body, (name, p)
    summary = from_rollups["summary"]
    assert summary["metrics"]["transactions"] is not None
    for by in BreakdownBy:
        assert_rows_add_up(from_rollups[f"breakdown:{by.value}"], summary, p.currency)


def everything(chain: Chain) -> Params:
    return Params(FIRST_DAY, LAST_DAY, tuple(chain.location_ids), "GBP", Compare.none, False)


def rollup_rows(db: Session, org_id: int) -> dict[str, list[tuple[Any, ...]]]:
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for model in rollups.ALL_ROLLUPS:
        table = model.__table__
        columns = [c for c in table.columns if c.name != "id"]
        rows[model.__tablename__] = sorted(
            (tuple(r) for r in db.execute(select(*columns).where(table.c.org_id == org_id))),
            key=repr,
        )
    return rows


@SLOW
@given(seed=st.integers(1, 100_000), data=st.data())
def test_reports_from_rollups_equal_the_straight_computation(
    db: Session, chains: Callable[[Session, int], Chain], seed: int, data: st.DataObject
) -> None:
    chain = chains(db, seed)
    assert db.scalar(select(SaleOrder.id).where(SaleOrder.org_id == chain.org_id)) is not None
    check_chain(db, chain, everything(chain))
    for _ in range(6):
        check_chain(db, chain, data.draw(params(chain.location_ids)))


@SLOW
@given(seed=st.integers(1, 100_000))
def test_a_resync_changes_no_figure_and_matches_a_rebuild(
    db: Session, chains: Callable[[Session, int], Chain], seed: int
) -> None:
    chain = chains(db, seed)
    req = request(chain, everything(chain))
    before = every_report(db, req, "rollups")
    incremental = rollup_rows(db, chain.org_id)
    assert incremental["rollup_day"], "the sync wrote no rollups"
    # The sync again, then every order written again as if Square had sent it anew.
    sync_all(db, chain.org_id, chain.connection_ids)
    documents: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for connection_id, raw in db.execute(
        select(SaleOrder.connection_id, SaleOrder.raw).where(SaleOrder.org_id == chain.org_id)
    ):
        documents[connection_id].append(raw)
    db.execute(update(SaleOrder).where(SaleOrder.org_id == chain.org_id).values(version=None))
    locations = {
        loc.square_location_id: loc
        for loc in db.scalars(select(Location).where(Location.org_id == chain.org_id))
        if loc.square_location_id
    }
    for connection_id, orders in documents.items():
        counts = square_flows.write_orders(
            db=db,
            org_id=chain.org_id,
            connection_id=connection_id,
            orders=orders,
            locations=locations,
        )
        assert counts.written == len(orders)
    db.commit()
    assert every_report(db, req, "rollups") == before
    assert rollup_rows(db, chain.org_id) == incremental
    # The sync maintained exactly what a rebuild from the order tables gives (the operators'
    # script, on tables emptied first as the migration leaves them).
    for model in rollups.ALL_ROLLUPS:
        db.execute(delete(model).where(model.org_id == chain.org_id))
    db.commit()
    assert rebuild_rollups.main(["--org", str(chain.org_id)]) == 0
    db.expire_all()
    assert rollup_rows(db, chain.org_id) == incremental


@SLOW
@given(seed=st.integers(1, 100_000), data=st.data())
def test_a_cancellation_after_sync_and_a_late_refund_correct_the_rollups(
    db: Session, chains: Callable[[Session, int], Chain], seed: int, data: st.DataObject
) -> None:
    chain = chains(db, seed)
    known = set(db.scalars(select(SaleOrder.id).where(SaleOrder.org_id == chain.org_id)))
    sales = db.scalars(
        select(SaleOrder)
        .where(
            SaleOrder.org_id == chain.org_id,
            SaleOrder.is_transaction.is_(True),
            SaleOrder.source_order_id.is_(None),
            SaleOrder.currency == "GBP",
        )
        .order_by(SaleOrder.id)
    ).all()
    cancelled, refunded = data.draw(
        st.lists(st.sampled_from(sales), min_size=2, max_size=2, unique=True)
    )
    # The cancelled order's own location-day, before.
    pair = (cancelled.location_id, cancelled.business_date)
    assert pair[1] is not None
    day_req = request(
        chain, Params(pair[1], pair[1], (pair[0],), cancelled.currency, Compare.none, False)
    )
    before = reports.summary(db=db, req=day_req).metrics
    tender = db.scalars(select(SaleTender).where(SaleTender.order_id == refunded.id)).first()
    assert tender is not None and tender.square_tender_id
    edit_at = "2026-10-28T18:30:00Z"
    refund_at = "2026-10-29T09:15:00Z"  # a later business date than the sale
    cancel = {
        **cancelled.raw,
        "state": "CANCELED",
        "version": (cancelled.raw.get("version") or 1) + 1,
        "updated_at": edit_at,
    }
    cancel.pop("closed_at", None)
    late = _order(
        f"LATEREFUND{seed}",
        refunded.raw["location_id"],
        "GBP",
        refund_at,
        returns=[
            {
                "uid": "late-return",
                "source_order_id": refunded.square_order_id,
                "return_line_items": [
                    {
                        "uid": "late-line",
                        "quantity": "1",
                        "item_type": "CUSTOM_AMOUNT",
                        "name": "Goodwill",
                        "gross_return_money": _m(150, "GBP"),
                        "total_tax_money": _m(0, "GBP"),
                        "total_money": _m(150, "GBP"),
                    }
                ],
            }
        ],
        refunds=[
            {
                "id": f"LATEREFUND{seed}R",
                "tender_id": tender.square_tender_id,
                "status": "APPROVED",
                "amount_money": _m(150, "GBP"),
                "processing_fee_money": _m(7, "GBP"),
                "created_at": refund_at,
            }
        ],
    )
    chain.sim.import_orders([cancel, late])
    chain.sim.set_time("2026-10-29T12:00:00Z")
    sync_all(db, chain.org_id, chain.connection_ids)
    db.expire_all()

    assert db.scalar(select(SaleOrder.state).where(SaleOrder.id == cancelled.id)) == "CANCELED"
    after = reports.summary(db=db, req=day_req).metrics
    assert after == reports.summary(db=db, req=day_req, source="orders").metrics
    # The moved clock brought new sales too: the day lost exactly the cancelled transaction.
    arrived = db.scalars(
        select(SaleOrder).where(SaleOrder.org_id == chain.org_id, SaleOrder.id.not_in(known))
    ).all()
    late_return = next(o for o in arrived if o.square_order_id == f"LATEREFUND{seed}")
    assert late_return.counted and late_return.business_date == date(2026, 10, 29)
    new_on_day = sum(o.is_transaction for o in arrived if (o.location_id, o.business_date) == pair)
    assert after["transactions"] == int(before["transactions"] or 0) - 1 + new_on_day
    check_chain(db, chain, everything(chain))
    # The rollups equal a rebuild from scratch.
    maintained = rollup_rows(db, chain.org_id)
    rollups.rebuild(db, chain.org_id)
    db.commit()
    assert rollup_rows(db, chain.org_id) == maintained


def test_a_purge_removes_the_connections_figures(
    db: Session, chains: Callable[[Session, int], Chain]
) -> None:
    chain = chains(db, 7)
    req = request(chain, everything(chain))
    square_flows.purge_connection(db=db, org_id=chain.org_id, connection_id=chain.connection_ids[0])
    db.commit()
    assert every_report(db, req, "rollups") == every_report(db, req, "orders")
    for connection_id in chain.connection_ids[1:]:
        square_flows.purge_connection(db=db, org_id=chain.org_id, connection_id=connection_id)
    db.commit()
    assert rollup_rows(db, chain.org_id) == {m.__tablename__: [] for m in rollups.ALL_ROLLUPS}
    assert reports.summary(db=db, req=req).metrics["transactions"] == 0


def test_a_refund_synced_before_its_sale_moves_to_the_sales_payment_method(db: Session) -> None:
    """A backfill runs newest first, so a return reaches the database pages before the sale
    whose card it refunds: rolled up as an unknown tender at first, it must end up under the
    sale's card once the sale arrives, as a rebuild from the order tables has it."""
    org_id = make_org(db)
    connection = make_connection(db, org_id=org_id)
    location = make_location(db, org_id=org_id)
    location.square_location_id, location.connection_id = "LREFUNDFIRST", connection.id
    db.commit()
    sale = _order(
        "O1SALE",
        "LREFUNDFIRST",
        "GBP",
        "2026-10-20T12:00:00Z",
        line_items=[
            {
                "uid": "o1-line",
                "quantity": "1",
                "item_type": "ITEM",
                "name": "Scarf",
                "gross_sales_money": _m(3000, "GBP"),
                "total_money": _m(3000, "GBP"),
            }
        ],
        total_money=_m(3000, "GBP"),
        tenders=[_tender("T1VISA", "CARD", 3000, "GBP", 40, **_card("VISA"))],
    )
    refund = _order(
        "O2RETURN",
        "LREFUNDFIRST",
        "GBP",
        "2026-10-22T12:00:00Z",
        returns=[
            {
                "uid": "o2-return",
                "source_order_id": "O1SALE",
                "return_line_items": [
                    {
                        "uid": "o2-line",
                        "source_line_item_uid": "o1-line",
                        "quantity": "1",
                        "item_type": "ITEM",
                        "name": "Scarf",
                        "gross_return_money": _m(3000, "GBP"),
                        "total_money": _m(3000, "GBP"),
                    }
                ],
            }
        ],
        refunds=[
            {
                "id": "R1REFUND",
                "tender_id": "T1VISA",
                "status": "APPROVED",
                "amount_money": _m(3000, "GBP"),
                "processing_fee_money": _m(-40, "GBP"),
                "created_at": "2026-10-22T12:00:00Z",
            }
        ],
    )

    def refund_rows() -> list[tuple[Any, ...]]:
        return [
            (row.tender_type, row.card_brand, row.refunded)
            for row in db.scalars(
                select(rollups.RollupTender).where(
                    rollups.RollupTender.org_id == org_id,
                    rollups.RollupTender.business_date == date(2026, 10, 22),
                )
            )
        ]

    for page in ([refund], [sale]):  # newest first, a page at a time
        square_flows.write_orders(
            db=db,
            org_id=org_id,
            connection_id=connection.id,
            orders=page,
            locations={"LREFUNDFIRST": location},
        )
        db.commit()
        if page == [refund]:
            assert refund_rows() == [("UNKNOWN", None, 3000)]
    assert refund_rows() == [("CARD", "VISA", 3000)]
    synced = rollup_rows(db, org_id)
    for model in rollups.ALL_ROLLUPS:
        db.execute(delete(model).where(model.org_id == org_id))
    db.commit()
    assert rebuild_rollups.main(["--org", str(org_id)]) == 0
    db.expire_all()
    assert rollup_rows(db, org_id) == synced
