"""Orders stored with the old split of inclusive tax (gross ex-tax, discount tax-included) are
brought onto the one ex-tax basis of METRICS.md, with the reports that sum them."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.reports import service as reports
from app.reports.schemas import BreakdownBy, Compare, SortOrder
from app.rollups import flows as rollup_flows
from app.rollups import service as rollups
from app.sales.models import SaleLine, SaleOrder
from app.scripts import rederive_tax_basis
from app.square import flows as square_flows
from tests.factories import make_connection, make_location, make_org
from tests.reports.scenario import _m, _order, _tender
from tests.rollups.test_rollups import rollup_rows

VAT = {"uid": "vat", "type": "INCLUSIVE", "percentage": "20"}


def toastie(oid: str, at: str, *, gross: int, discount: int, vat: int) -> dict[str, Any]:
    """A toastie with VAT 20 % inside its price, `discount` off, paid by card."""
    total = gross - discount
    return _order(
        oid,
        "LTOASTIE",
        "GBP",
        at,
        taxes=[{**VAT, "applied_money": _m(vat, "GBP")}],
        line_items=[
            {
                "uid": f"{oid}-line",
                "quantity": "1",
                "item_type": "ITEM",
                "name": "Toastie",
                "gross_sales_money": _m(gross, "GBP"),
                "total_discount_money": _m(discount, "GBP"),
                "total_tax_money": _m(vat, "GBP"),
                "total_money": _m(total, "GBP"),
                "applied_taxes": [{"tax_uid": "vat", "applied_money": _m(vat, "GBP")}],
            }
        ],
        net_amounts={"tax_money": _m(vat, "GBP"), "tip_money": _m(0, "GBP")},
        total_money=_m(total, "GBP"),
        tenders=[_tender(f"{oid}-T", "CARD", total, "GBP")],
    )


def as_stored_before(db: Session, org_id: int) -> None:
    """Put the organization's rows back on the old basis, as a sync before the change left them:
    gross less the inclusive tax, the discount as Square sends it."""
    db.execute(
        update(SaleLine)
        .where(SaleLine.org_id == org_id)
        .values(gross_ex_tax=SaleLine.gross_sales_money - SaleLine.inclusive_tax)
    )
    for order in db.scalars(select(SaleOrder).where(SaleOrder.org_id == org_id)):
        lines = db.scalars(select(SaleLine).where(SaleLine.order_id == order.id)).all()
        for line in lines:
            [raw] = [
                li
                for li in order.raw.get("line_items") or []
                if li["uid"] == line.uid  # every line here is a sale line
            ]
            line.discount = raw["total_discount_money"]["amount"]
        order.gross_sales = sum(li.gross_ex_tax for li in lines)
        order.discounts = sum(li.discount for li in lines)
    db.flush()
    rollups.rebuild(db, org_id)
    db.commit()


def test_old_basis_rows_are_rederived_with_their_rollups_and_caches(
    db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    org_id = make_org(db)
    connection = make_connection(db, org_id=org_id)
    location = make_location(db, org_id=org_id)
    location.square_location_id, location.connection_id = "LTOASTIE", connection.id
    db.commit()
    orders = [
        # One toastie 20 % off a month, for three months (so long reports read the month cache).
        toastie("O1", "2026-09-15T12:00:00Z", gross=750, discount=150, vat=100),
        toastie("O2", "2026-10-15T12:00:00Z", gross=750, discount=150, vat=100),
        toastie("O3", "2026-11-15T12:00:00Z", gross=750, discount=150, vat=100),
        # A comp: no VAT left to show the rate, taken out at 20 %.
        toastie("O4", "2026-11-16T12:00:00Z", gross=750, discount=750, vat=0),
        # Not discounted: the same on either basis.
        toastie("O5", "2026-11-17T12:00:00Z", gross=600, discount=0, vat=100),
    ]
    square_flows.write_orders(
        db=db,
        org_id=org_id,
        connection_id=connection.id,
        orders=orders,
        locations={"LTOASTIE": location},
    )
    db.commit()
    synced_now = rollup_rows(db, org_id)
    as_stored_before(db, org_id)
    req = reports.ReportRequest(
        org_id=org_id,
        date_from=date(2026, 9, 1),
        date_to=date(2026, 11, 30),
        location_ids=[location.id],
        currency="GBP",
        compare=Compare.none,
        lfl=False,
    )
    before = reports.summary(db=db, req=req).metrics
    assert (before["gross_sales"], before["discounts"], before["net_sales"]) == (
        "32.00",  # 3 x 6.50 + 7.50 + 5.00
        "12.00",  # 3 x 1.50 + 7.50
        "20.00",
    )
    db.commit()

    done = rollup_flows.rederive_tax_basis(db, batch=2)  # several batches
    db.commit()
    assert (done.orders_changed, done.orders_skipped) == (4, 0)

    after = reports.summary(db=db, req=req).metrics
    # 3 x 6.25 + 6.25 + 5.00 gross; 3 x 1.25 + 6.25 discounts; the net as it was.
    assert (after["gross_sales"], after["discounts"], after["net_sales"]) == (
        "30.00",
        "10.00",
        "20.00",
    )
    [item] = reports.breakdown(
        db=db, req=req, by=BreakdownBy.item, sort="key", order=SortOrder.asc
    ).rows
    assert (item.metrics["gross_sales"], item.metrics["discounts"]) == ("30.00", "10.00")
    stored = {
        o.square_order_id: (o.gross_sales, o.discounts, o.net_sales)
        for o in db.scalars(select(SaleOrder).where(SaleOrder.org_id == org_id))
    }
    assert stored == {
        "O1": (625, 125, 500),
        "O2": (625, 125, 500),
        "O3": (625, 125, 500),
        "O4": (625, 625, 0),
        "O5": (500, 0, 500),
    }
    # The rollups are those a sync on the new basis writes.
    assert rollup_rows(db, org_id) == synced_now

    # Run again (as after a deploy, by the script): nothing left to change.
    assert rederive_tax_basis.main([]) == 0
    assert "0 re-derived" in capsys.readouterr().out
