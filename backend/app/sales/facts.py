"""The per-order figures of shared/METRICS.md, derived from a Square `Order` document.

This is the only place that reads Square's money fields; reports sum what it produces. Amounts are
integer minor units of the order's currency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

COUNTED_STATE = "COMPLETED"
COUNTED_REFUND_STATUSES = frozenset({"APPROVED", "PENDING"})
GIFT_CARD = "GIFT_CARD"


def money(obj: dict[str, Any] | None, key: str) -> int:
    value = (obj or {}).get(key) or {}
    return int(value.get("amount") or 0)


def parse_time(value: str) -> datetime:
    """Square's RFC 3339 timestamps (with Z or an offset, with or without fractions)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def business_day(instant: datetime, timezone: str, start_hour: int = 0) -> tuple[date, int]:
    """The local business date and local hour of an instant at a location.

    With a business-day start hour (a bar trading until 03:00 sets 4), the hours before it belong
    to the previous date; the hour itself stays the wall-clock hour.
    """
    local = instant.astimezone(ZoneInfo(timezone))
    business = (local - timedelta(hours=start_hour)).date() if start_hour else local.date()
    return business, local.hour


@dataclass
class LineFacts:
    kind: str  # sale | return
    uid: str | None
    source_line_item_uid: str | None
    item_type: str
    catalog_object_id: str | None
    name: str | None
    variation_name: str | None
    quantity: Decimal
    units: Decimal
    gross_sales_money: int  # as Square sends it (gross_return_money for a returned line)
    inclusive_tax: int  # its inclusive taxes' applied_money
    # Gross and discount ex-tax on the same basis (`ex_tax`): as Square sends them for a line
    # without inclusive tax.
    gross_ex_tax: int
    discount: int
    tax: int
    total: int

    @property
    def is_gift_card(self) -> bool:
        return self.item_type == GIFT_CARD


@dataclass
class TenderFacts:
    square_tender_id: str | None
    tender_type: str
    card_brand: str | None
    amount: int
    tip: int
    processing_fee: int
    payment_id: str | None


@dataclass
class RefundFacts:
    square_refund_id: str
    tender_id: str | None
    status: str
    counted: bool
    amount: int
    processing_fee: int
    created_at: datetime


@dataclass
class OrderFacts:
    counted: bool
    is_transaction: bool
    gross_sales: int = 0
    returns: int = 0
    discounts: int = 0
    comps: int = 0  # the part of discounts on lines given away whole
    gift_card_sales: int = 0
    tax: int = 0
    additive_tax: int = 0
    tips: int = 0
    service_charges: int = 0
    refunds_by_amount: int = 0
    rounding: int = 0
    units_sold: Decimal = Decimal(0)
    tender_total: int = 0
    tender_fees: int = 0
    lines: list[LineFacts] = field(default_factory=list)
    tenders: list[TenderFacts] = field(default_factory=list)
    refunds: list[RefundFacts] = field(default_factory=list)

    @property
    def net_sales(self) -> int:
        return self.gross_sales - self.returns - self.discounts

    @property
    def total_collected(self) -> int:
        return (
            self.net_sales
            + self.tax
            + self.tips
            + self.service_charges
            + self.gift_card_sales
            - self.refunds_by_amount
            + self.rounding
        )

    @property
    def counted_refund_total(self) -> int:
        return sum(r.amount for r in self.refunds if r.counted)


def _units(line: dict[str, Any], quantity: Decimal) -> Decimal:
    # A line sold by measure (2.25 kg) is one unit.
    unit = line.get("quantity_unit") or {}
    return Decimal(1) if unit.get("measurement_unit") else quantity


@dataclass(frozen=True)
class _Tax:
    type: str
    rate: Decimal  # the tax's `percentage` as a fraction (20 % -> 0.2)


def _taxes(taxes: list[dict[str, Any]] | None) -> dict[str, _Tax]:
    """An order's taxes (or a return's `return_taxes`) by uid."""
    out = {}
    for t in taxes or ():
        try:
            rate = Decimal(str(t.get("percentage") or "0")) / 100
        except ArithmeticError:
            rate = Decimal(0)
        out[t.get("uid", "")] = _Tax(t.get("type", ""), rate)
    return out


def _half_up(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator (> 0) rounded half away from zero, in integers (exact)."""
    quotient, remainder = divmod(abs(numerator), denominator)
    if 2 * remainder >= denominator:
        quotient += 1
    return quotient if numerator >= 0 else -quotient


def ex_tax(
    gross: int, discount: int, inclusive_tax: int, inclusive_rate: Decimal
) -> tuple[int, int]:
    """A line's gross and discount ex-tax, on the same basis (METRICS.md `gross_sales`).

    Square computes a line's inclusive tax on its discounted amount: the net ex-tax is
    `gross - discount - inclusive_tax`, and gross ex-tax is the gross scaled by the line's net
    ex-tax / net inc-tax ratio, rounded half-up; the discount ex-tax is what separates the two.
    A line discounted to nothing has no such ratio: its gross is taken out of the tax at the
    line's inclusive rates (Σ of its inclusive taxes' percentages, as a fraction).
    """
    net_ex = gross - discount - inclusive_tax
    net_inc = gross - discount
    if net_inc > 0:
        gross_ex = _divide_half_up(gross * net_ex, net_inc)
    else:
        gross_ex = _half_up(Decimal(gross) / (1 + inclusive_rate))
    return gross_ex, gross_ex - net_ex


def _line(line: dict[str, Any], kind: str, taxes: dict[str, _Tax], gross_key: str) -> LineFacts:
    quantity = Decimal(str(line.get("quantity") or "0"))
    inclusive = 0
    inclusive_rate = Decimal(0)
    has_inclusive = False
    for applied in line.get("applied_taxes") or ():
        tax = taxes.get(applied.get("tax_uid", ""))
        if tax is not None and tax.type == "INCLUSIVE":
            has_inclusive = True
            inclusive += money(applied, "applied_money")
            inclusive_rate += tax.rate
    gross = money(line, gross_key)
    discount = money(line, "total_discount_money")
    # Gross sales are ex-tax everywhere, and the discount on the same basis (METRICS.md
    # gross_sales): a line with inclusive VAT has both taken out of the tax.
    if has_inclusive:
        gross_ex_tax, discount_ex_tax = ex_tax(gross, discount, inclusive, inclusive_rate)
    else:
        gross_ex_tax, discount_ex_tax = gross, discount
    return LineFacts(
        kind=kind,
        uid=line.get("uid"),
        source_line_item_uid=line.get("source_line_item_uid"),
        item_type=line.get("item_type") or "ITEM",
        catalog_object_id=line.get("catalog_object_id"),
        name=line.get("name"),
        variation_name=line.get("variation_name"),
        quantity=quantity,
        units=_units(line, quantity),
        gross_sales_money=gross,
        inclusive_tax=inclusive,
        gross_ex_tax=gross_ex_tax,
        discount=discount_ex_tax,
        tax=money(line, "total_tax_money"),
        total=money(line, "total_money"),
    )


def _service_charge_ex_tax(charge: dict[str, Any]) -> int:
    return money(charge, "total_money") - money(charge, "total_tax_money")


def derive(order: dict[str, Any]) -> OrderFacts:
    """Every per-order figure of METRICS.md for one Square Order document."""
    counted = order.get("state") == COUNTED_STATE
    taxes = _taxes(order.get("taxes"))

    sale_lines = [
        _line(li, "sale", taxes, "gross_sales_money") for li in order.get("line_items") or []
    ]
    return_lines: list[LineFacts] = []
    returned_additive_tax = 0
    returned_service_charges = 0
    returned_rounding = 0
    for ret in order.get("returns") or []:
        return_taxes = _taxes(ret.get("return_taxes"))
        return_lines.extend(
            _line(li, "return", return_taxes, "gross_return_money")
            for li in ret.get("return_line_items") or []
        )
        returned_additive_tax += sum(
            money(t, "applied_money")
            for t in ret.get("return_taxes") or []
            if t.get("type") == "ADDITIVE"
        )
        returned_service_charges += sum(
            _service_charge_ex_tax(c) for c in ret.get("return_service_charges") or []
        )
        returned_rounding += money(ret.get("rounding_adjustment"), "amount_money")

    tenders = [
        TenderFacts(
            square_tender_id=t.get("id"),
            tender_type=t.get("type") or "OTHER",
            card_brand=((t.get("card_details") or {}).get("card") or {}).get("card_brand"),
            amount=money(t, "amount_money"),
            tip=money(t, "tip_money"),
            processing_fee=money(t, "processing_fee_money"),
            payment_id=t.get("payment_id"),
        )
        for t in order.get("tenders") or []
    ]
    refunds = [
        RefundFacts(
            square_refund_id=r["id"],
            tender_id=r.get("tender_id"),
            status=r.get("status") or "PENDING",
            counted=(r.get("status") or "PENDING") in COUNTED_REFUND_STATUSES,
            amount=money(r, "amount_money"),
            processing_fee=money(r, "processing_fee_money"),
            created_at=parse_time(r.get("created_at") or order["created_at"]),
        )
        for r in order.get("refunds") or []
        if r.get("id")
    ]
    facts = OrderFacts(
        counted=counted,
        is_transaction=counted and any(not li.is_gift_card for li in sale_lines),
        lines=sale_lines + return_lines,
        tenders=tenders,
        refunds=refunds,
    )
    if not counted:
        return facts

    # One pass over each kind of line (a dozen generator sums a order cost more than the rest
    # of this function); the sums are those of METRICS.md, added in the lines' order.
    gross = discounts = comps = gift_cards = 0
    units = Decimal(0)
    for li in sale_lines:
        if li.item_type == GIFT_CARD:
            gift_cards += li.total
        else:
            gross += li.gross_ex_tax
            discounts += li.discount
            if li.discount and li.discount == li.gross_ex_tax:  # given away whole: a comp
                comps += li.discount
            units += li.units
    returned = returned_discounts = returned_comps = gift_card_returns = by_amount = 0
    returned_units = Decimal(0)
    for li in return_lines:
        if li.item_type == GIFT_CARD:
            gift_card_returns += li.total
        elif li.source_line_item_uid:  # itemized: the item comes back
            returned += li.gross_ex_tax
            returned_discounts += li.discount
            if li.discount and li.discount == li.gross_ex_tax:
                returned_comps += li.discount
            returned_units += li.units
        else:  # custom-amount refund: money back with no item coming back
            by_amount += li.total
    facts.gross_sales = gross
    facts.returns = returned
    facts.discounts = discounts - returned_discounts
    facts.comps = comps - returned_comps
    facts.gift_card_sales = gift_cards - gift_card_returns
    net_amounts = order.get("net_amounts") or {}
    facts.tax = money(net_amounts, "tax_money")
    facts.tips = money(net_amounts, "tip_money")
    facts.additive_tax = (
        sum(
            money(t, "applied_money")
            for t in order.get("taxes") or []
            if t.get("type") == "ADDITIVE"
        )
        - returned_additive_tax
    )
    facts.service_charges = (
        sum(_service_charge_ex_tax(c) for c in order.get("service_charges") or [])
        - returned_service_charges
    )
    facts.refunds_by_amount = by_amount
    facts.rounding = money(order.get("rounding_adjustment"), "amount_money") - returned_rounding
    facts.units_sold = units - returned_units
    tender_total = tender_fees = 0
    for t in tenders:
        tender_total += t.amount
        tender_fees += t.processing_fee
    facts.tender_total = tender_total
    facts.tender_fees = tender_fees
    return facts
