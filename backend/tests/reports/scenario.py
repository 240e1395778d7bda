"""A hand-built trading week stated as Square objects, imported into the simulator and synced.

London (GBP, Europe/London, VAT 20 % inclusive) and New York (USD, additive sales tax):
- O1  00:30 BST on Sunday 25 Oct 2026, the night UK clocks go back: 2 x item A at 12.00 incl. VAT,
      split tender VISA 14.00 (team member 1, fee 0.25) + cash 10.00 (team member 2);
- O2  Tue 27 Oct: itemized return of 1 x A, refunded to the VISA tender (fee back 0.12) by team
      member 2;
- O3  Wed 28 Oct: custom-amount refund of 5.00 against the cash tender;
- O4  Mon 26 Oct: gift card sale 50.00 (Mastercard, fee 0.50, team member 1);
- O5  Mon 26 Oct: a cancelled order;
- O7  Mon 26 Oct: a custom-amount sale of 6.00 incl. VAT, cash, nobody recorded;
- O6  New York, Mon 26 Oct 14:00 EDT: item B 100.00 less 10.00 discount, 8.875 % additive tax
      7.99, tip 15.00, Amex 112.99 with fee 3.30 (team member 1).
- O8  London, Wed 4 Nov (after the week): 3 x item A at 12.00 incl. VAT (36.00, VAT 6.00),
      split tender VISA 23.00 with a 3.00 tip (team member 1, fee 0.40) + cash 16.00 (team
      member 2): the tip and the fee are the card's; the rest splits 20:16 (amounts less tips).
"""

from __future__ import annotations

from typing import Any

from square_simulator.model import Account


def _m(amount: int, currency: str) -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def _order(
    oid: str,
    location_id: str,
    currency: str,
    at: str,
    *,
    state: str = "COMPLETED",
    **fields: Any,
) -> dict[str, Any]:
    order = {
        "id": oid,
        "location_id": location_id,
        "state": state,
        "version": 4,
        "created_at": at,
        "updated_at": at,
        "line_items": [],
        "taxes": [],
        "tenders": [],
        "net_amounts": {"tax_money": _m(0, currency), "tip_money": _m(0, currency)},
        "total_money": _m(0, currency),
    }
    if state == "COMPLETED":
        order["closed_at"] = at
    order.update(fields)
    return order


def _tender(
    tid: str, kind: str, amount: int, currency: str, fee: int = 0, **extra: Any
) -> dict[str, Any]:
    tender = {
        "id": tid,
        "payment_id": tid,
        "type": kind,
        "amount_money": _m(amount, currency),
        "processing_fee_money": _m(fee, currency),
        **extra,
    }
    return tender


def _card(brand: str) -> dict[str, Any]:
    return {"card_details": {"card": {"card_brand": brand}}}


def _payment(
    pid: str, order_id: str, location_id: str, amount: int, currency: str, at: str, team: str | None
) -> dict[str, Any]:
    payment = {
        "id": pid,
        "order_id": order_id,
        "location_id": location_id,
        "status": "COMPLETED",
        "amount_money": _m(amount, currency),
        "total_money": _m(amount, currency),
        "created_at": at,
        "updated_at": at,
        "processing_fee": [],
    }
    if team:
        payment["team_member_id"] = team
    return payment


def build(
    account: Account,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    london, new_york = account.locations[0].id, account.locations[1].id
    item_a, item_b = account.catalog.items[0], account.catalog.items[1]
    var_a, var_b = item_a.variations[0].id, item_b.variations[0].id
    t1 = account.team[0].id
    t2 = account.team[1].id if len(account.team) > 1 else "TMSCENARIOSECOND"
    vat = [{"uid": "vat", "type": "INCLUSIVE", "name": "VAT"}]

    o1_at = "2026-10-24T23:30:00Z"  # 00:30 BST, 25 October
    o1 = _order(
        "O1SCENARIO",
        london,
        "GBP",
        o1_at,
        taxes=[{**vat[0], "applied_money": _m(400, "GBP")}],
        line_items=[
            {
                "uid": "o1-line",
                "quantity": "2",
                "item_type": "ITEM",
                "catalog_object_id": var_a,
                "name": item_a.name,
                "gross_sales_money": _m(2400, "GBP"),
                "total_discount_money": _m(0, "GBP"),
                "total_tax_money": _m(400, "GBP"),
                "total_money": _m(2400, "GBP"),
                "applied_taxes": [{"tax_uid": "vat", "applied_money": _m(400, "GBP")}],
            }
        ],
        net_amounts={"tax_money": _m(400, "GBP"), "tip_money": _m(0, "GBP")},
        total_money=_m(2400, "GBP"),
        tenders=[
            _tender("P1VISA", "CARD", 1400, "GBP", 25, **_card("VISA")),
            _tender("P2CASH", "CASH", 1000, "GBP"),
        ],
    )
    o2_at = "2026-10-27T10:00:00Z"
    o2 = _order(
        "O2RETURN",
        london,
        "GBP",
        o2_at,
        returns=[
            {
                "uid": "o2-return",
                "source_order_id": "O1SCENARIO",
                "return_line_items": [
                    {
                        "uid": "o2-line",
                        "source_line_item_uid": "o1-line",
                        "quantity": "1",
                        "item_type": "ITEM",
                        "catalog_object_id": var_a,
                        "name": item_a.name,
                        "gross_return_money": _m(1200, "GBP"),
                        "total_discount_money": _m(0, "GBP"),
                        "total_tax_money": _m(200, "GBP"),
                        "total_money": _m(1200, "GBP"),
                        "applied_taxes": [{"tax_uid": "rvat", "applied_money": _m(200, "GBP")}],
                    }
                ],
                "return_taxes": [
                    {"uid": "rvat", "type": "INCLUSIVE", "applied_money": _m(200, "GBP")}
                ],
            }
        ],
        net_amounts={"tax_money": _m(-200, "GBP"), "tip_money": _m(0, "GBP")},
        refunds=[
            {
                "id": "R1REFUND",
                "tender_id": "P1VISA",
                "status": "APPROVED",
                "amount_money": _m(1200, "GBP"),
                "processing_fee_money": _m(12, "GBP"),
                "created_at": o2_at,
            }
        ],
    )
    o3_at = "2026-10-28T15:00:00Z"
    o3 = _order(
        "O3GOODWILL",
        london,
        "GBP",
        o3_at,
        returns=[
            {
                "uid": "o3-return",
                "source_order_id": "O1SCENARIO",
                "return_line_items": [
                    {
                        "uid": "o3-line",
                        "quantity": "1",
                        "item_type": "CUSTOM_AMOUNT",
                        "name": "Goodwill",
                        "gross_return_money": _m(500, "GBP"),
                        "total_tax_money": _m(0, "GBP"),
                        "total_money": _m(500, "GBP"),
                    }
                ],
            }
        ],
        refunds=[
            {
                "id": "R2REFUND",
                "tender_id": "P2CASH",
                "status": "APPROVED",
                "amount_money": _m(500, "GBP"),
                "processing_fee_money": _m(0, "GBP"),
                "created_at": o3_at,
            }
        ],
    )
    o4_at = "2026-10-26T12:00:00Z"
    o4 = _order(
        "O4GIFTCARD",
        london,
        "GBP",
        o4_at,
        line_items=[
            {
                "uid": "o4-line",
                "quantity": "1",
                "item_type": "GIFT_CARD",
                "name": "Gift card",
                "gross_sales_money": _m(5000, "GBP"),
                "total_money": _m(5000, "GBP"),
            }
        ],
        total_money=_m(5000, "GBP"),
        tenders=[_tender("P4MC", "CARD", 5000, "GBP", 50, **_card("MASTERCARD"))],
    )
    o5 = _order(
        "O5CANCELLED",
        london,
        "GBP",
        "2026-10-26T13:00:00Z",
        state="CANCELED",
        line_items=[
            {
                "uid": "o5-line",
                "quantity": "1",
                "item_type": "ITEM",
                "catalog_object_id": var_a,
                "gross_sales_money": _m(999, "GBP"),
                "total_money": _m(999, "GBP"),
            }
        ],
        total_money=_m(999, "GBP"),
    )
    o7_at = "2026-10-26T14:00:00Z"
    o7 = _order(
        "O7CUSTOM",
        london,
        "GBP",
        o7_at,
        taxes=[{**vat[0], "applied_money": _m(100, "GBP")}],
        line_items=[
            {
                "uid": "o7-line",
                "quantity": "1",
                "item_type": "CUSTOM_AMOUNT",
                "name": "Custom amount",
                "gross_sales_money": _m(600, "GBP"),
                "total_tax_money": _m(100, "GBP"),
                "total_money": _m(600, "GBP"),
                "applied_taxes": [{"tax_uid": "vat", "applied_money": _m(100, "GBP")}],
            }
        ],
        net_amounts={"tax_money": _m(100, "GBP"), "tip_money": _m(0, "GBP")},
        total_money=_m(600, "GBP"),
        tenders=[_tender("P7CASH", "CASH", 600, "GBP")],
    )
    o6_at = "2026-10-26T18:00:00Z"  # 14:00 EDT
    o6 = _order(
        "O6NEWYORK",
        new_york,
        "USD",
        o6_at,
        taxes=[{"uid": "ny", "type": "ADDITIVE", "applied_money": _m(799, "USD")}],
        line_items=[
            {
                "uid": "o6-line",
                "quantity": "1",
                "item_type": "ITEM",
                "catalog_object_id": var_b,
                "name": item_b.name,
                "gross_sales_money": _m(10000, "USD"),
                "total_discount_money": _m(1000, "USD"),
                "total_tax_money": _m(799, "USD"),
                "total_money": _m(9799, "USD"),
                "applied_taxes": [{"tax_uid": "ny", "applied_money": _m(799, "USD")}],
            }
        ],
        net_amounts={"tax_money": _m(799, "USD"), "tip_money": _m(1500, "USD")},
        total_money=_m(11299, "USD"),
        tenders=[
            _tender(
                "P6AMEX",
                "CARD",
                11299,
                "USD",
                330,
                tip_money=_m(1500, "USD"),
                **_card("AMERICAN_EXPRESS"),
            )
        ],
    )
    o8_at = "2026-11-04T12:00:00Z"
    o8 = _order(
        "O8SPLITTIP",
        london,
        "GBP",
        o8_at,
        taxes=[{**vat[0], "applied_money": _m(600, "GBP")}],
        line_items=[
            {
                "uid": "o8-line",
                "quantity": "3",
                "item_type": "ITEM",
                "catalog_object_id": var_a,
                "name": item_a.name,
                "gross_sales_money": _m(3600, "GBP"),
                "total_discount_money": _m(0, "GBP"),
                "total_tax_money": _m(600, "GBP"),
                "total_money": _m(3600, "GBP"),
                "applied_taxes": [{"tax_uid": "vat", "applied_money": _m(600, "GBP")}],
            }
        ],
        net_amounts={"tax_money": _m(600, "GBP"), "tip_money": _m(300, "GBP")},
        total_money=_m(3900, "GBP"),
        tenders=[
            _tender("P8VISA", "CARD", 2300, "GBP", 40, tip_money=_m(300, "GBP"), **_card("VISA")),
            _tender("P8CASH", "CASH", 1600, "GBP"),
        ],
    )
    orders = [o1, o2, o3, o4, o5, o6, o7, o8]
    payments = [
        _payment("P1VISA", "O1SCENARIO", london, 1400, "GBP", o1_at, t1),
        _payment("P2CASH", "O1SCENARIO", london, 1000, "GBP", o1_at, t2),
        _payment("P4MC", "O4GIFTCARD", london, 5000, "GBP", o4_at, t1),
        _payment("P7CASH", "O7CUSTOM", london, 600, "GBP", o7_at, None),
        _payment("P6AMEX", "O6NEWYORK", new_york, 11299, "USD", o6_at, t1),
        _payment("P8VISA", "O8SPLITTIP", london, 2300, "GBP", o8_at, t1),
        _payment("P8CASH", "O8SPLITTIP", london, 1600, "GBP", o8_at, t2),
    ]
    refunds = [
        {
            "id": "R1REFUND",
            "payment_id": "P1VISA",
            "order_id": "O2RETURN",
            "location_id": london,
            "status": "COMPLETED",
            "amount_money": _m(1200, "GBP"),
            "created_at": o2_at,
            "updated_at": o2_at,
            "team_member_id": t2,
        }
    ]
    return orders, payments, refunds
