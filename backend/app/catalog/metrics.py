"""Metrics: what people read, declared once — label, short label, kind, whether up is good, the
line of shared/METRICS.md that defines it, and for the additive ones the measures it adds up.

`app.reports.metrics.compute` derives every additive metric from its `terms`; the API's
`GET /reports/catalog`, the workbook, the CSV and the web app take labels, kinds and directions
from here. An additive money metric over measures is one `Metric(...)` in METRICS below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.catalog.measures import ORDER_MONEY

Kind = Literal["money", "count", "ratio", "percent"]
Term = tuple[int, str]  # (+1 or -1, measure name)


@dataclass(frozen=True, kw_only=True)
class Metric:
    name: str
    label: str
    kind: Kind
    definition: str  # METRICS.md's definition, as written there
    description: str  # what it means, in a retail manager's words
    short_label: str | None = None
    # Whether a rise is good news (green); None where it is neither (tax, rounding).
    up_is_good: bool | None = True
    # Additive metrics: Σ sign x measure. Empty for counts and ratios (app.reports.metrics).
    terms: tuple[Term, ...] = ()
    # Shown in the sales summary (and its workbook sheet); a part of another figure may not be.
    in_summary: bool = True

    @property
    def additive(self) -> bool:
        return bool(self.terms)


def _m(name: str) -> tuple[Term, ...]:
    return ((1, name),)


NET_SALES: tuple[Term, ...] = ((1, "gross_sales"), (-1, "returns"), (-1, "discounts"))
TOTAL_COLLECTED: tuple[Term, ...] = (
    *NET_SALES,
    (1, "tax"),
    (1, "tips"),
    (1, "service_charges"),
    (1, "gift_card_sales"),
    (-1, "refunds_by_amount"),
    (1, "rounding"),
)
FEES: tuple[Term, ...] = ((1, "tender_fees"), (-1, "refund_fees"))

METRICS: tuple[Metric, ...] = (
    Metric(
        name="gross_sales",
        label="Gross sales",
        kind="money",
        terms=_m("gross_sales"),
        definition="Σ line item gross_sales_money, ex-tax everywhere",
        description="What was sold, at full price before discounts, excluding tax.",
    ),
    Metric(
        name="returns",
        label="Returns",
        kind="money",
        up_is_good=False,
        terms=_m("returns"),
        definition="Σ itemized return lines' gross_return_money, ex-tax",
        description="Items customers brought back, at the price they were sold for, excluding "
        "tax. Money given back without an item coming back is a refund by amount instead.",
    ),
    Metric(
        name="discounts",
        label="Discounts & comps",
        kind="money",
        up_is_good=False,
        terms=_m("discounts"),
        definition="Σ line item discount (ex-tax) - Σ itemized return line discount "
        "(discounts and comps, net of returned discounts)",
        description="Money taken off prices by discounts and comps, net of discounts on "
        "returned items.",
    ),
    Metric(
        name="comps",
        label="Comps",
        kind="money",
        up_is_good=False,
        terms=_m("comps"),
        definition="the part of discounts that gave lines away whole: Σ discount (ex-tax) of "
        "lines discounted to nothing - the same of itemized returned lines",
        description="Items given away free (comped); already counted in discounts & comps.",
    ),
    Metric(
        name="net_sales",
        label="Net sales",
        kind="money",
        terms=NET_SALES,
        definition="gross_sales - returns - discounts",
        description="Gross sales less returns and discounts: what the shop earned on goods, "
        "excluding tax, tips and gift cards.",
    ),
    Metric(
        name="gift_card_sales",
        label="Gift card sales",
        kind="money",
        terms=_m("gift_card_sales"),
        definition="Σ GIFT_CARD line total_money - returned gift card lines",
        description="Gift cards sold or topped up (not sales until spent).",
    ),
    Metric(
        name="tax",
        label="Tax",
        kind="money",
        up_is_good=None,
        terms=_m("tax"),
        definition="Σ net_amounts.tax_money (inclusive and additive)",
        description="Tax collected on sales, less tax on returns.",
    ),
    Metric(
        name="additive_tax",
        label="Additive tax",
        kind="money",
        up_is_good=None,
        terms=_m("additive_tax"),
        definition="the part of tax from taxes of type ADDITIVE",
        description="The part of tax added on top of prices (as US sales tax is).",
    ),
    Metric(
        name="tips",
        label="Tips",
        kind="money",
        terms=_m("tips"),
        definition="Σ net_amounts.tip_money",
        description="Tips customers added.",
    ),
    Metric(
        name="service_charges",
        label="Service charges",
        kind="money",
        terms=_m("service_charges"),
        definition="Σ service charge total_money - total_tax_money, net of returned ones",
        description="Service charges added to orders, excluding their tax.",
    ),
    Metric(
        name="refunds_by_amount",
        label="Refunds by amount",
        kind="money",
        up_is_good=False,
        terms=_m("refunds_by_amount"),
        definition="Σ total_money of return lines with no source_line_item_uid",
        description="Money given back without any item coming back (a goodwill or price-match "
        "refund of an amount). Items brought back are returns instead.",
    ),
    Metric(
        name="rounding",
        label="Rounding",
        kind="money",
        up_is_good=None,
        terms=_m("rounding"),
        definition="Σ rounding_adjustment.amount_money of orders - of returns",
        description="Cash rounding of totals.",
    ),
    Metric(
        name="total_collected",
        label="Total collected",
        kind="money",
        terms=TOTAL_COLLECTED,
        definition="net_sales + tax + tips + service_charges + gift_card_sales - "
        "refunds_by_amount + rounding",
        description="All money taken in, less money given back: what the tills and cards "
        "collected.",
    ),
    Metric(
        name="fees",
        label="Fees",
        kind="money",
        up_is_good=False,
        terms=FEES,
        definition="Σ tender processing_fee_money - Σ refund processing_fee_money",
        description="Card processing fees Square charged, less fees returned on refunds.",
    ),
    Metric(
        name="net_total",
        label="Net total",
        kind="money",
        terms=(*TOTAL_COLLECTED, *((-sign, name) for sign, name in FEES)),
        definition="total_collected - fees",
        description="Total collected less Square's card processing fees: the money that "
        "reaches your bank account.",
    ),
    Metric(
        name="transactions",
        label="Transactions",
        kind="count",
        definition="number of counted orders with at least one non-gift-card sale line item",
        description="Sales made (an exchange counts once; a return alone does not count).",
    ),
    Metric(
        name="units_sold",
        label="Units sold",
        kind="count",
        definition="Σ line item quantity - Σ itemized return line quantity",
        description="Items sold less items returned (a weighed line counts as one).",
    ),
    Metric(
        name="average_transaction_value",
        label="Average transaction value",
        short_label="ATV",
        kind="money",
        definition="net_sales ÷ transactions",
        description="The average sale (ATV): net sales divided by transactions, excluding tax "
        "and tips (Square's average sale includes them).",
    ),
    Metric(
        name="units_per_transaction",
        label="Units per transaction",
        short_label="UPT",
        kind="ratio",
        definition="units_sold ÷ transactions",
        description="The average basket (UPT): units sold divided by transactions.",
    ),
    Metric(
        name="footfall",
        label="Footfall",
        kind="count",
        definition="Σ recorded visitor counts; a day with no entry is unknown, not 0",
        description="Visitors counted into the stores, on the days a count was entered.",
    ),
    Metric(
        name="conversion_rate",
        label="Conversion rate",
        short_label="Conversion",
        kind="percent",
        definition="transactions ÷ footfall, over the days with a footfall entry and sales data",
        description="The share of visitors who bought: transactions divided by footfall, only "
        "over the days with both a visitor count and sales.",
    ),
    Metric(
        name="sales_per_visitor",
        label="Sales per visitor",
        kind="money",
        definition="net_sales ÷ footfall, over the same days as conversion_rate",
        description="Net sales divided by footfall: what each visitor was worth, over the days "
        "with both a visitor count and sales.",
    ),
)

BY_NAME: dict[str, Metric] = {metric.name: metric for metric in METRICS}
METRIC_NAMES: tuple[str, ...] = tuple(metric.name for metric in METRICS)
MONEY_METRICS: tuple[str, ...] = tuple(m.name for m in METRICS if m.additive)
RATIOS: tuple[str, ...] = tuple(
    m.name for m in METRICS if not m.additive and m.kind in ("money", "ratio", "percent")
)
MONEY_RATIOS: tuple[str, ...] = tuple(m for m in RATIOS if BY_NAME[m].kind == "money")
NUMBER_RATIOS: tuple[str, ...] = tuple(m for m in RATIOS if BY_NAME[m].kind != "money")
SHOWN_AS_MONEY: frozenset[str] = frozenset(m.name for m in METRICS if m.kind == "money")


def label(name: str, *, short: bool = False) -> str:
    found = BY_NAME.get(name)
    if found is None:
        return name.replace("_", " ").capitalize()
    return (short and found.short_label) or found.label


def _check() -> None:
    known = {*ORDER_MONEY, "refund_fees"}
    for declared in METRICS:
        unknown = {name for _, name in declared.terms} - known
        if unknown:
            raise ValueError(f"metric {declared.name} adds unknown measures {sorted(unknown)}")
        if declared.additive and declared.kind != "money":
            raise ValueError(f"metric {declared.name}: only money metrics are sums of measures")


_check()
