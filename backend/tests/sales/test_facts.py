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
    # l1: 1200 - 200 VAT. l2 sells for 500 with 83 VAT: 417 net ex-tax, gross 600 x 417 / 500 =
    # 500.4 -> 500 ex-tax, so its discount is 83 ex-tax (METRICS.md gross_sales).
    assert f.gross_sales == 1000 + 500
    assert f.discounts == 83
    assert f.net_sales == 1417
    assert f.tax == 283
    assert f.additive_tax == 0
    assert f.tips == 150
    assert f.units_sold == Decimal(3)
    assert f.is_transaction
    assert f.total_collected == f.tender_total == 1850
    assert f.tender_fees == 50
    assert [t.card_brand for t in f.tenders] == ["VISA"]


VAT = {"uid": "vat", "type": "INCLUSIVE", "percentage": "20"}


def vat_line(
    uid: str, gross: int, discount: int, vat: int, *, quantity: str = "1", **extra: Any
) -> dict[str, Any]:
    """A line with 20 % VAT inside its price, as Square prices it (the VAT is computed on the
    discounted amount)."""
    return {
        "uid": uid,
        "item_type": "ITEM",
        "quantity": quantity,
        "gross_sales_money": m(gross),
        "total_discount_money": m(discount),
        "total_tax_money": m(vat),
        "total_money": m(gross - discount),
        "applied_taxes": [{"tax_uid": "vat", "applied_money": m(vat)}],
        **extra,
    }


def paid(*lines: dict[str, Any], taxes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A completed order of these lines, paid in full by card."""
    total = sum(li["total_money"]["amount"] for li in lines)
    tax = sum(li["total_tax_money"]["amount"] for li in lines)
    return order(
        taxes=taxes or [{**VAT, "applied_money": m(tax)}],
        line_items=list(lines),
        net_amounts={"total_money": m(total), "tax_money": m(tax), "tip_money": m(0)},
        tenders=[{"id": "T1", "type": "CARD", "amount_money": m(total)}],
    )


def test_discounted_inclusive_line_has_gross_and_discount_on_one_basis() -> None:
    # METRICS.md's toastie: £7.50 with VAT 20 % inside, 20 % off, sells for £6.00 with £1.00 VAT.
    f = derive(paid(vat_line("toastie", 750, 150, 100)))
    [line] = f.lines
    assert (line.gross_ex_tax, line.discount) == (625, 125)
    assert (f.gross_sales, f.discounts, f.net_sales) == (625, 125, 500)
    assert f.tax == 100
    # Stored as Square sends them, beside the ex-tax pair.
    assert (line.gross_sales_money, line.inclusive_tax) == (750, 100)
    assert f.total_collected == f.tender_total == 600


def test_quantity_two_is_scaled_the_same_way() -> None:
    f = derive(paid(vat_line("toasties", 1500, 300, 200, quantity="2")))
    assert (f.gross_sales, f.discounts, f.net_sales) == (1250, 250, 1000)
    assert f.units_sold == 2
    assert f.total_collected == f.tender_total == 1200


def test_comped_inclusive_line_is_taken_out_of_the_tax_at_its_rate() -> None:
    # Discounted to nothing: no VAT was charged, so the ratio is the line's rate (20 %).
    f = derive(paid(vat_line("comp", 750, 750, 0)))
    assert (f.gross_sales, f.discounts, f.net_sales) == (625, 625, 0)
    assert f.total_collected == f.tender_total == 0


def test_comps_are_the_discounts_of_lines_given_away_whole() -> None:
    # A comped toastie (discounted to nothing) beside one 20 % off: both are discounts, only
    # the first is a comp; comps stay inside discounts, so net sales are unchanged.
    f = derive(paid(vat_line("comp", 750, 750, 0), vat_line("toastie", 750, 150, 100)))
    assert (f.gross_sales, f.discounts, f.net_sales) == (1250, 750, 500)
    assert f.comps == 625
    # No line given away: no comps.
    assert derive(paid(vat_line("toastie", 750, 150, 100))).comps == 0


def test_comped_line_with_two_inclusive_taxes_adds_their_rates() -> None:
    taxes = [
        {"uid": "a", "type": "INCLUSIVE", "percentage": "13.5", "applied_money": m(0)},
        {"uid": "b", "type": "INCLUSIVE", "percentage": "1.5", "applied_money": m(0)},
    ]
    line = {
        **vat_line("comp", 1150, 1150, 0),
        "applied_taxes": [
            {"tax_uid": "a", "applied_money": m(0)},
            {"tax_uid": "b", "applied_money": m(0)},
        ],
    }
    f = derive(paid(line, taxes=taxes))
    assert (f.gross_sales, f.discounts) == (1000, 1000)  # 1150 / 1.15


@pytest.mark.parametrize(
    ("gross", "discount", "vat", "expected"),
    [
        # 300 x 167 / 200 = 250.5: half-up to 251 (not to the even 250); discount 251 - 167.
        (300, 100, 33, (251, 84)),
        # 250 x 167 / 200 = 208.75 -> 209.
        (250, 50, 33, (209, 42)),
        # 700 x 467 / 560 = 583.75 -> 584; 700 x 333 / 400 = 582.75 -> 583.
        (700, 140, 93, (584, 117)),
        (700, 300, 67, (583, 250)),
        # Comped: 1251 / 1.2 = 1042.5 -> 1043 (half-up); 1249 / 1.2 = 1040.83 -> 1041.
        (1251, 1251, 0, (1043, 1043)),
        (1249, 1249, 0, (1041, 1041)),
    ],
)
def test_ex_tax_gross_is_rounded_half_up(
    gross: int, discount: int, vat: int, expected: tuple[int, int]
) -> None:
    f = derive(paid(vat_line("l", gross, discount, vat)))
    assert (f.gross_sales, f.discounts) == expected
    assert f.net_sales == gross - discount - vat  # the net ex-tax is never rounded


def test_inclusive_and_additive_lines_in_one_order() -> None:
    # A UK till with a US-style additive levy on one item: only the inclusive line is scaled.
    taxes = [
        {**VAT, "applied_money": m(150)},
        {"uid": "levy", "type": "ADDITIVE", "percentage": "5", "applied_money": m(45)},
    ]
    additive = {
        "uid": "a",
        "item_type": "ITEM",
        "quantity": "1",
        "gross_sales_money": m(1000),
        "total_discount_money": m(100),
        "total_tax_money": m(45),
        "total_money": m(945),
        "applied_taxes": [{"tax_uid": "levy", "applied_money": m(45)}],
    }
    f = derive(paid(vat_line("i", 1000, 100, 150), additive, taxes=taxes))
    inclusive_line, additive_line = f.lines
    # 1000 x 750 / 900 = 833.33 -> 833; discount 83.
    assert (inclusive_line.gross_ex_tax, inclusive_line.discount) == (833, 83)
    assert (additive_line.gross_ex_tax, additive_line.discount) == (1000, 100)
    assert (f.gross_sales, f.discounts, f.net_sales) == (1833, 183, 1650)
    assert (f.tax, f.additive_tax) == (195, 45)
    assert f.total_collected == f.tender_total == 900 + 945


def test_return_of_a_discounted_inclusive_line() -> None:
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
                        "source_line_item_uid": "toastie",
                        "item_type": "ITEM",
                        "quantity": "1",
                        "gross_return_money": m(750),
                        "total_discount_money": m(150),
                        "total_tax_money": m(100),
                        "total_money": m(600),
                        "applied_taxes": [{"tax_uid": "rvat", "applied_money": m(100)}],
                    }
                ],
                "return_taxes": [
                    {
                        "uid": "rvat",
                        "source_tax_uid": "vat",
                        "type": "INCLUSIVE",
                        "percentage": "20",
                        "applied_money": m(100),
                    }
                ],
            }
        ],
        net_amounts={"total_money": m(-600), "tax_money": m(-100), "tip_money": m(0)},
        refunds=[
            {
                "id": "RF1",
                "tender_id": "T1",
                "status": "APPROVED",
                "amount_money": m(600),
                "created_at": "2026-03-05T09:00:00Z",
            }
        ],
    )
    f = derive(ret)
    [line] = f.lines
    assert (line.gross_ex_tax, line.discount) == (625, 125)
    # The returned discount comes off the discounts, on the same basis as the returned gross.
    assert (f.returns, f.discounts, f.net_sales) == (625, -125, -500)
    assert f.total_collected == f.tender_total - f.counted_refund_total == -600


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
