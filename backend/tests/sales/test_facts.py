"""The per-order figures of METRICS.md, from hand-built Square Order documents."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from app.sales.facts import business_day, derive


def m(amount: int, currency: str = "GBP") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def order(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "O1",
        "location_id": "L1",
        "state": "COMPLETED",
        "created_at": "2026-03-02T10:00:00Z",
        "closed_at": "2026-03-02T10:05:00Z",
    }
    return {**base, **fields}


def vat_sale() -> dict[str, Any]:
    """Two lines with 20% VAT inside the prices, a line discount, a tip, card."""
    return order(
        taxes=[{"uid": "vat", "type": "INCLUSIVE", "percentage": "20", "applied_money": m(283)}],
        line_items=[
            {
                "uid": "l1",
                "item_type": "ITEM",
                "quantity": "2",
                "catalog_object_id": "V1",
                "base_price_money": m(600),
                "gross_sales_money": m(1200),
                "total_discount_money": m(0),
                "total_tax_money": m(200),
                "total_money": m(1200),
                "applied_taxes": [{"tax_uid": "vat", "applied_money": m(200)}],
            },
            {
                "uid": "l2",
                "item_type": "ITEM",
                "quantity": "1",
                "catalog_object_id": "V2",
                "base_price_money": m(600),
                "gross_sales_money": m(600),
                "total_discount_money": m(100),
                "total_tax_money": m(83),
                "total_money": m(500),
                "applied_taxes": [{"tax_uid": "vat", "applied_money": m(83)}],
            },
        ],
        net_amounts={
            "total_money": m(1850),
            "tax_money": m(283),
            "tip_money": m(150),
            "discount_money": m(100),
            "service_charge_money": m(0),
        },
        tenders=[
            {
                "id": "T1",
                "type": "CARD",
                "amount_money": m(1850),
                "tip_money": m(150),
                "processing_fee_money": m(50),
                "payment_id": "P1",
                "card_details": {"card": {"card_brand": "VISA"}},
            }
        ],
    )


def test_inclusive_vat_comes_out_of_gross_sales() -> None:
    f = derive(vat_sale())
    assert f.gross_sales == (1200 - 200) + (600 - 83)
    assert f.discounts == 100
    assert f.net_sales == 1517 - 100
    assert f.tax == 283
    assert f.additive_tax == 0
    assert f.tips == 150
    assert f.units_sold == Decimal(3)
    assert f.is_transaction
    assert f.total_collected == f.tender_total == 1850
    assert f.tender_fees == 50
    assert [t.card_brand for t in f.tenders] == ["VISA"]


def test_additive_tax_service_charge_and_cash_rounding() -> None:
    usd = order(
        taxes=[
            {"uid": "st", "type": "ADDITIVE", "percentage": "8.875", "applied_money": m(107, "USD")}
        ],
        line_items=[
            {
                "uid": "l1",
                "item_type": "ITEM",
                "quantity": "1",
                "gross_sales_money": m(1000, "USD"),
                "total_discount_money": m(0, "USD"),
                "total_tax_money": m(89, "USD"),
                "total_money": m(1089, "USD"),
                "applied_taxes": [{"tax_uid": "st", "applied_money": m(89, "USD")}],
            },
        ],
        service_charges=[
            {
                "uid": "sc",
                "name": "Service",
                "applied_money": m(200, "USD"),
                "total_tax_money": m(18, "USD"),
                "total_money": m(218, "USD"),
            }
        ],
        rounding_adjustment={"uid": "r", "amount_money": m(-2, "USD")},
        net_amounts={
            "total_money": m(1305, "USD"),
            "tax_money": m(107, "USD"),
            "tip_money": m(0, "USD"),
        },
        tenders=[{"id": "T1", "type": "CASH", "amount_money": m(1305, "USD")}],
    )
    f = derive(usd)
    assert f.gross_sales == 1000  # additive tax is never inside gross sales
    assert f.tax == f.additive_tax == 107
    assert f.service_charges == 200  # ex-tax; its tax is in `tax`
    assert f.rounding == -2
    assert f.total_collected == f.tender_total == 1305


def test_itemized_return_order() -> None:
    ret = order(
        id="R1",
        line_items=[],
        returns=[
            {
                "uid": "ret",
                "source_order_id": "O1",
                "return_line_items": [
                    {
                        "uid": "rl1",
                        "source_line_item_uid": "l1",
                        "item_type": "ITEM",
                        "quantity": "1",
                        "catalog_object_id": "V1",
                        "gross_return_money": m(600),
                        "total_discount_money": m(0),
                        "total_tax_money": m(100),
                        "total_money": m(600),
                        "applied_taxes": [{"tax_uid": "rvat", "applied_money": m(100)}],
                    },
                ],
                "return_taxes": [
                    {
                        "uid": "rvat",
                        "source_tax_uid": "vat",
                        "type": "INCLUSIVE",
                        "applied_money": m(100),
                    }
                ],
            }
        ],
        return_amounts={"total_money": m(600), "tax_money": m(100)},
        net_amounts={"total_money": m(-600), "tax_money": m(-100), "tip_money": m(0)},
        refunds=[
            {
                "id": "RF1",
                "tender_id": "T1",
                "status": "APPROVED",
                "amount_money": m(600),
                "processing_fee_money": m(-15),
                "created_at": "2026-03-05T09:00:00Z",
            }
        ],
    )
    f = derive(ret)
    assert f.returns == 500
    assert f.net_sales == -500
    assert f.tax == -100
    assert f.units_sold == -1
    assert not f.is_transaction  # a return-only order is not a transaction
    assert f.refunds_by_amount == 0
    assert f.total_collected == f.tender_total - f.counted_refund_total == -600


def test_custom_amount_refund_and_rejected_refunds() -> None:
    ret = order(
        id="R2",
        returns=[
            {
                "uid": "ret",
                "source_order_id": "O1",
                "return_line_items": [
                    {
                        "uid": "rl",
                        "item_type": "CUSTOM_AMOUNT",
                        "quantity": "1",
                        "gross_return_money": m(300),
                        "total_discount_money": m(0),
                        "total_tax_money": m(0),
                        "total_money": m(300),
                    }
                ],
            }
        ],
        net_amounts={"total_money": m(-300), "tax_money": m(0), "tip_money": m(0)},
        refunds=[
            {
                "id": "RF2",
                "status": "APPROVED",
                "amount_money": m(300),
                "created_at": "2026-03-05T09:00:00Z",
            },
            {
                "id": "RF3",
                "status": "REJECTED",
                "amount_money": m(999),
                "created_at": "2026-03-05T09:00:00Z",
            },
        ],
    )
    f = derive(ret)
    assert f.returns == 0  # money back without items coming back is not a return
    assert f.refunds_by_amount == 300
    assert f.counted_refund_total == 300
    assert f.total_collected == -300


def test_gift_card_sale_is_not_a_sale_or_a_transaction() -> None:
    gift = order(
        line_items=[
            {
                "uid": "g",
                "item_type": "GIFT_CARD",
                "quantity": "1",
                "gross_sales_money": m(5000),
                "total_discount_money": m(0),
                "total_tax_money": m(0),
                "total_money": m(5000),
            }
        ],
        net_amounts={"total_money": m(5000), "tax_money": m(0), "tip_money": m(0)},
        tenders=[{"id": "T", "type": "CARD", "amount_money": m(5000)}],
    )
    f = derive(gift)
    assert (f.gross_sales, f.gift_card_sales) == (0, 5000)
    assert f.units_sold == 0
    assert not f.is_transaction
    assert f.total_collected == 5000


def test_line_sold_by_measure_is_one_unit() -> None:
    weighed = order(
        line_items=[
            {
                "uid": "w",
                "item_type": "ITEM",
                "quantity": "2.25",
                "quantity_unit": {
                    "measurement_unit": {"weight_unit": "IMPERIAL_POUND"},
                    "precision": 2,
                },
                "gross_sales_money": m(450),
                "total_discount_money": m(0),
                "total_tax_money": m(0),
                "total_money": m(450),
            }
        ],
        net_amounts={"total_money": m(450), "tax_money": m(0), "tip_money": m(0)},
    )
    f = derive(weighed)
    assert f.units_sold == 1
    assert f.lines[0].quantity == Decimal("2.25")


@pytest.mark.parametrize("state", ["OPEN", "CANCELED", "DRAFT"])
def test_orders_that_do_not_count_contribute_nothing(state: str) -> None:
    f = derive({**vat_sale(), "state": state})
    assert not f.counted and not f.is_transaction
    assert (f.gross_sales, f.net_sales, f.tax, f.tips, f.total_collected) == (0, 0, 0, 0, 0)
    assert len(f.lines) == 2  # the lines are still kept, for when the order completes


@pytest.mark.parametrize(
    ("instant", "tz", "start_hour", "expected"),
    [
        # The night UK clocks go forward (01:00 UTC on 29 March 2026).
        ("2026-03-29T00:30:00+00:00", "Europe/London", 0, (date(2026, 3, 29), 0)),
        ("2026-03-29T01:30:00+00:00", "Europe/London", 0, (date(2026, 3, 29), 2)),
        # A sale at 23:30 local in New York is the 1st there, already the 2nd in UTC.
        ("2026-03-02T04:30:00+00:00", "America/New_York", 0, (date(2026, 3, 1), 23)),
        # A bar whose business day starts at 04:00: 01:30 belongs to the previous date.
        ("2026-03-02T01:30:00+00:00", "Europe/London", 4, (date(2026, 3, 1), 1)),
        ("2026-03-02T04:00:00+00:00", "Europe/London", 4, (date(2026, 3, 2), 4)),
    ],
)
def test_business_day(instant: str, tz: str, start_hour: int, expected: tuple[date, int]) -> None:
    assert business_day(datetime.fromisoformat(instant).astimezone(UTC), tz, start_hour) == expected
