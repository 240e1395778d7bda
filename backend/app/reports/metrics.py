"""Every metric of shared/METRICS.md, computed in one place from summed, converted inputs.

Which metrics there are, their measures and how the additive ones add up are declared in the
catalog (app/catalog); this module sums measures and derives the counts and ratios.

The reports (and later the Excel export) add up already-converted amounts into `Sums` and call
`compute`; nothing else derives a metric. Sums are additive (two `Sums` can be added), so they can
come from a GROUP BY over the order tables today and from rollup rows tomorrow.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.catalog.breakdowns import LINE_METRICS, PAYMENT_METRICS
from app.catalog.measures import ORDER_MONEY
from app.catalog.metrics import (
    METRIC_NAMES,
    METRICS,
    MONEY_METRICS,
    MONEY_RATIOS,
    NET_SALES,
    NUMBER_RATIOS,
    SHOWN_AS_MONEY,
)
from app.fx.currency import minor_digits

# The catalog's name lists, for the modules that read them from here.
__all__ = [
    "LINE_METRICS",
    "METRIC_NAMES",
    "MONEY_METRICS",
    "MONEY_RATIOS",
    "NUMBER_RATIOS",
    "ORDER_MONEY",
    "PAYMENT_METRICS",
    "Metrics",
    "Sums",
    "change",
    "compute",
    "compute_payments",
    "measure_values",
    "minor_digits",
    "present",
    "present_change",
]

ZERO = Decimal(0)


Metrics = dict[str, Decimal | int | None]


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
        return _added(NET_SALES, self.money)


# Sums' fields added as numbers (money and footfall have their own rules).
_ADDED = tuple(f.name for f in fields(Sums) if f.name not in ("money", "footfall"))


def _ratio(numerator: Decimal | int, denominator: Decimal | int | None) -> Decimal | None:
    # A zero (or unknown) denominator gives no figure: never 0, never infinity.
    if not denominator:
        return None
    return Decimal(numerator) / Decimal(denominator)


def _whole(value: Decimal) -> Decimal | int:
    return int(value) if value == value.to_integral_value() else value


def measure_values(sums: Sums) -> dict[str, Decimal]:
    """The summed measures the additive metrics are made of, by name."""
    return {**sums.money, "refund_fees": sums.refund_fees}


def _added(terms: tuple[tuple[int, str], ...], measures: dict[str, Decimal]) -> Decimal:
    total = ZERO
    for sign, name in terms:
        total = total + measures[name] if sign > 0 else total - measures[name]
    return total


# Made once: each metric in the catalog's order as (name, its one measure when it is exactly
# that measure, its terms). `compute` runs per row of every breakdown and per day of a series,
# so it does not walk the catalog's dataclasses on each call.
_PLAN: tuple[tuple[str, str | None, tuple[tuple[int, str], ...]], ...] = tuple(
    (
        metric.name,
        metric.terms[0][1] if len(metric.terms) == 1 and metric.terms[0][0] > 0 else None,
        metric.terms,
    )
    for metric in METRICS
)


def compute(sums: Sums) -> Metrics:
    """Every metric of METRICS.md from one set of sums (unrounded; see `present`): the additive
    ones by their catalog terms, the counts and ratios here."""
    measures = measure_values(sums)
    net_sales = _added(NET_SALES, measures)
    derived: Metrics = {
        "transactions": _whole(sums.transactions),
        "units_sold": _whole(sums.units_sold),
        "average_transaction_value": _ratio(net_sales, sums.transactions),
        "units_per_transaction": _ratio(sums.units_sold, sums.transactions),
        "footfall": sums.footfall,
        "conversion_rate": _ratio(sums.conversion_transactions, sums.conversion_footfall),
        "sales_per_visitor": _ratio(sums.conversion_net_sales, sums.conversion_footfall),
    }
    out: Metrics = {}
    for name, single, terms in _PLAN:
        if single is not None:
            out[name] = measures[single]
        elif terms:
            out[name] = _added(terms, measures)
        else:
            out[name] = derived[name]
    return out


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


def present(metrics: Metrics, currency: str) -> dict[str, Any]:
    """Metrics as the API shows them: money as strings in the currency's minor unit, the rest
    as numbers, absent figures as null. Rounding happens here and nowhere else."""
    quantum = Decimal(1).scaleb(-minor_digits(currency))
    shown: dict[str, Any] = {}
    for name, value in metrics.items():
        if value is None:
            shown[name] = None
        elif name in SHOWN_AS_MONEY:
            rounded = Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)
            # A negated zero (a return's discount of 0) or a tiny negative shows as 0.00.
            shown[name] = str(rounded if rounded else abs(rounded))
        else:
            shown[name] = _number(value)
    return shown


def present_change(values: dict[str, Decimal | None]) -> dict[str, float | None]:
    """Change as a fraction (0.125 is +12.5 %), or null."""
    return {k: None if v is None else float(round(v, 6)) for k, v in values.items()}


def present_difference(shown: dict[str, Any], comparison: dict[str, Any] | None) -> dict[str, Any]:
    """Period minus comparison per metric, from the figures as shown (so a page's "+£0.25"
    is the difference of the two figures it shows): money as strings, the rest as numbers — a
    percent-kind figure's difference is in points as a fraction (0.021 is +2.1 points); null
    where either side is absent."""
    result: dict[str, Any] = {}
    for name, value in shown.items():
        before = None if comparison is None else comparison.get(name)
        if value is None or before is None:
            result[name] = None
        elif name in SHOWN_AS_MONEY:
            result[name] = str(Decimal(value) - Decimal(before))
        else:
            result[name] = _number(Decimal(str(value)) - Decimal(str(before)))
    return result
