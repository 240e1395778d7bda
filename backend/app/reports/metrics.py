"""Every metric of shared/METRICS.md, computed in one place from summed, converted inputs.

The reports (and later the Excel export) add up already-converted amounts into `Sums` and call
`compute`; nothing else derives a metric. Sums are additive (two `Sums` can be added), so they can
come from a GROUP BY over the order tables today and from rollup rows tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# Per-order money figures (sale_order columns), declared with the facts that derive them.
from app.sales.facts import ORDER_MONEY as ORDER_MONEY

ZERO = Decimal(0)

MONEY_METRICS = (
    "gross_sales",
    "returns",
    "discounts",
    "net_sales",
    "gift_card_sales",
    "tax",
    "additive_tax",
    "tips",
    "service_charges",
    "refunds_by_amount",
    "rounding",
    "total_collected",
    "fees",
    "net_total",
)
COUNT_METRICS = ("transactions", "units_sold", "footfall")
# Ratios whose numerator is money are shown as money; the others as plain numbers.
MONEY_RATIOS = ("average_transaction_value", "sales_per_visitor")
NUMBER_RATIOS = ("units_per_transaction", "conversion_rate")
METRIC_NAMES = (
    *MONEY_METRICS,
    "transactions",
    "units_sold",
    "average_transaction_value",
    "units_per_transaction",
    "footfall",
    "conversion_rate",
    "sales_per_visitor",
)
# What item and category breakdowns show (METRICS.md "Breakdowns").
LINE_METRICS = ("gross_sales", "returns", "discounts", "net_sales", "units_sold")
# What payment-method rows show; their total_collected adds up to the summary's.
PAYMENT_METRICS = ("total_collected", "fees", "net_total")

# ISO 4217 currencies whose minor unit is not 1/100.
_MINOR_DIGITS = {
    "BIF": 0,
    "CLP": 0,
    "DJF": 0,
    "GNF": 0,
    "ISK": 0,
    "JPY": 0,
    "KMF": 0,
    "KRW": 0,
    "PYG": 0,
    "RWF": 0,
    "UGX": 0,
    "VND": 0,
    "VUV": 0,
    "XAF": 0,
    "XOF": 0,
    "XPF": 0,
    "BHD": 3,
    "IQD": 3,
    "JOD": 3,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "TND": 3,
}

Metrics = dict[str, Decimal | int | None]


def minor_digits(currency: str) -> int:
    """Decimal places of the currency's minor unit (JPY 0, GBP 2, KWD 3)."""
    return _MINOR_DIGITS.get(currency.upper(), 2)


@dataclass
class Sums:
    """Additive inputs of the metrics, in major units of the reporting currency."""

    money: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(ORDER_MONEY, ZERO))
    refund_fees: Decimal = ZERO  # Σ counted refund processing_fee, by the refund's business date
    transactions: Decimal = ZERO  # a whole number except where a team-member split shares one
    units_sold: Decimal = ZERO
    footfall: int | None = None  # None: no day of the set has a count
    # Over the location-days that have both a footfall count and sales (conversion's days).
    conversion_footfall: int = 0
    conversion_transactions: Decimal = ZERO
    conversion_net_sales: Decimal = ZERO
    # Payment-method rows: tender amounts, and counted refunds against them.
    tendered: Decimal = ZERO
    refunded: Decimal = ZERO

    def __iadd__(self, other: Sums) -> Sums:
        money, theirs = self.money, other.money
        for name in ORDER_MONEY:
            money[name] += theirs[name]
        for name in _ADDED:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.footfall is not None:
            self.footfall = (self.footfall or 0) + other.footfall
        return self

    @property
    def net_sales(self) -> Decimal:
        return self.money["gross_sales"] - self.money["returns"] - self.money["discounts"]


# Sums' fields added as numbers (money and footfall have their own rules).
_ADDED = tuple(f.name for f in fields(Sums) if f.name not in ("money", "footfall"))


def _ratio(numerator: Decimal | int, denominator: Decimal | int | None) -> Decimal | None:
    # A zero (or unknown) denominator gives no figure: never 0, never infinity.
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def _whole(value: Decimal) -> Decimal | int:
    return int(value) if value == value.to_integral_value() else value


def compute(sums: Sums) -> Metrics:
    """Every metric of METRICS.md from one set of sums (unrounded; see `present`)."""
    m = sums.money
    net_sales = sums.net_sales
    total_collected = (
        net_sales
        + m["tax"]
        + m["tips"]
        + m["service_charges"]
        + m["gift_card_sales"]
        - m["refunds_by_amount"]
        + m["rounding"]
    )
    fees = m["tender_fees"] - sums.refund_fees
    return {
        "gross_sales": m["gross_sales"],
        "returns": m["returns"],
        "discounts": m["discounts"],
        "net_sales": net_sales,
        "gift_card_sales": m["gift_card_sales"],
        "tax": m["tax"],
        "additive_tax": m["additive_tax"],
        "tips": m["tips"],
        "service_charges": m["service_charges"],
        "refunds_by_amount": m["refunds_by_amount"],
        "rounding": m["rounding"],
        "total_collected": total_collected,
        "fees": fees,
        "net_total": total_collected - fees,
        "transactions": _whole(sums.transactions),
        "units_sold": _whole(sums.units_sold),
        "average_transaction_value": _ratio(net_sales, sums.transactions),
        "units_per_transaction": _ratio(sums.units_sold, sums.transactions),
        "footfall": sums.footfall,
        "conversion_rate": _ratio(sums.conversion_transactions, sums.conversion_footfall),
        "sales_per_visitor": _ratio(sums.conversion_net_sales, sums.conversion_footfall),
    }


def compute_payments(sums: Sums) -> Metrics:
    """A payment method's figures: tender amounts less the counted refunds against them (the
    other side of METRICS.md's total_collected identity), its fees, and the difference."""
    collected = sums.tendered - sums.refunded
    fees = sums.money["tender_fees"] - sums.refund_fees
    return {"total_collected": collected, "fees": fees, "net_total": collected - fees}


def change(current: Metrics, comparison: Metrics | None) -> dict[str, Decimal | None]:
    """(period - comparison) / comparison per metric; None when the comparison is 0 or missing."""
    result: dict[str, Decimal | None] = {}
    for name, value in current.items():
        before = comparison.get(name) if comparison is not None else None
        if value is None or before is None or before == 0:
            result[name] = None
        else:
            result[name] = (Decimal(value) - Decimal(before)) / Decimal(before)
    return result


def _number(value: Decimal | int, places: int = 6) -> int | float:
    if isinstance(value, int):
        return value
    if value == value.to_integral_value():
        return int(value)
    return float(round(value, places))


_SHOWN_AS_MONEY = frozenset((*MONEY_METRICS, *MONEY_RATIOS))


def present(metrics: Metrics, currency: str) -> dict[str, Any]:
    """Metrics as the API shows them: money as strings in the currency's minor unit, the rest
    as numbers, absent figures as null. Rounding happens here and nowhere else."""
    quantum = Decimal(1).scaleb(-minor_digits(currency))
    shown: dict[str, Any] = {}
    for name, value in metrics.items():
        if value is None:
            shown[name] = None
        elif name in _SHOWN_AS_MONEY:
            rounded = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
            # A negated zero (a return's discount of 0) or a tiny negative shows as 0.00.
            shown[name] = str(rounded if rounded else abs(rounded))
        else:
            shown[name] = _number(value)
    return shown


def present_change(values: dict[str, Decimal | None]) -> dict[str, float | None]:
    """Change as a fraction (0.125 is +12.5 %), or null."""
    return {k: None if v is None else float(round(v, 6)) for k, v in values.items()}
