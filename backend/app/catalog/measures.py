"""Measures: the additive sums every figure is made of, declared once.

An order measure is a per-order figure of shared/METRICS.md, derived from Square's order by
`app.sales.facts` (an `OrderFacts` attribute of the same name), stored on `sale_order` in minor
units of the order's currency, summed into the hour and day rollups and, converted, into the
report caches. The tables' columns come from this list (`app.catalog.columns`), and so do the
rollups' sums, the caches' columns, posting and the reports' additions: adding an order measure is
a line here, its derivation in `app.sales.facts`, and a migration adding the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Unit = Literal["money", "quantity", "count"]


@dataclass(frozen=True, kw_only=True)
class Measure:
    name: str
    unit: Unit
    source: str  # where the figure comes from, for people (the catalog API shows it)
    # A team-member breakdown gives this measure to the team member of the tender it belongs to
    # (tips, fees), rather than sharing it out over the order's tenders.
    follows_tender: bool = False


ORDER_MEASURES: tuple[Measure, ...] = (
    Measure(
        name="gross_sales",
        unit="money",
        source="Σ non-gift-card line gross_sales_money, ex-tax (METRICS.md gross_sales)",
    ),
    Measure(
        name="returns",
        unit="money",
        source="Σ non-gift-card return line gross_return_money, ex-tax",
    ),
    Measure(
        name="discounts",
        unit="money",
        source="Σ line discounts (ex-tax) - Σ returned line discounts; comps included",
    ),
    Measure(
        name="comps",
        unit="money",
        source="the part of discounts on lines given away whole (a line discounted to nothing, "
        "as a comp is), less the same of itemized returned lines",
    ),
    Measure(name="gift_card_sales", unit="money", source="Σ gift-card line totals"),
    Measure(name="tax", unit="money", source="order total_tax_money - returned tax"),
    Measure(name="additive_tax", unit="money", source="tax of ADDITIVE order taxes"),
    Measure(name="tips", unit="money", source="order total_tip_money", follows_tender=True),
    Measure(name="service_charges", unit="money", source="service charges, ex-tax"),
    Measure(name="refunds_by_amount", unit="money", source="refunds not tied to returned lines"),
    Measure(name="rounding", unit="money", source="cash rounding adjustments"),
    Measure(
        name="tender_fees",
        unit="money",
        source="Σ tender processing_fee, by the order's business date",
        follows_tender=True,
    ),
)

ORDER_MONEY: tuple[str, ...] = tuple(m.name for m in ORDER_MEASURES if m.unit == "money")

# Measures that are not per-order columns but are summed beside them.
OTHER_MEASURES: tuple[Measure, ...] = (
    Measure(
        name="refund_fees",
        unit="money",
        source="Σ counted refund processing_fee, by the refund's business date",
    ),
    Measure(name="transactions", unit="count", source="counted orders with a non-gift-card sale"),
    Measure(name="units_sold", unit="quantity", source="Σ sold units - Σ returned units"),
    Measure(name="footfall", unit="count", source="visitors entered per store and day"),
)

MEASURES: tuple[Measure, ...] = (*ORDER_MEASURES, *OTHER_MEASURES)
