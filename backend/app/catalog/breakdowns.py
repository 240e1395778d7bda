"""Breakdowns: the ways a period's figures are split into rows, declared once.

A breakdown names its grain — the rollup rows it is made of, each posted per location-day and
split by largest remainder (METRICS.md "Rounding") — and the metrics it shows. How each grain is
read, from the rollups or straight from the orders, is `app.reports.breakdowns`; how a row of the
grain is attributed to a group is the breakdown's `group` there, written once for both readers.
The API's `by` values, the workbook's sheets, the CSV tables and the web app's tabs all come from
BREAKDOWNS below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.catalog.metrics import METRIC_NAMES

# day: a location-day's figures; hour: a location-day-hour's; line: item lines; tender: payment
# methods' tenders and refunds; team: orders split by their payments' team members.
Grain = Literal["day", "hour", "line", "tender", "team"]

SALES_COLUMNS = (
    "net_sales",
    "transactions",
    "average_transaction_value",
    "units_per_transaction",
    "units_sold",
    "gross_sales",
    "returns",
    "discounts",
)
# What item and category breakdowns show (METRICS.md "Breakdowns").
LINE_METRICS = ("gross_sales", "returns", "discounts", "net_sales", "units_sold")
# What payment-method rows show; their total_collected adds up to the summary's.
PAYMENT_METRICS = ("total_collected", "fees", "net_total")


@dataclass(frozen=True, kw_only=True)
class Breakdown:
    name: str  # the API's `by`
    label: str  # the web app's tab
    header: str  # the web app's column of group names
    sheet: str  # the workbook's sheet
    sheet_header: str  # the workbook's column of group names
    grain: Grain
    metrics: tuple[str, ...] = METRIC_NAMES  # what the API sends per row
    columns: tuple[str, ...] = SALES_COLUMNS  # what the web app's table shows
    # Rows in their own order (hours, weekdays) rather than by a figure.
    ordinal: bool = False
    # The order of the workbook's sheet and of the CSV: a figure (descending) or "label" (A to Z).
    export_sort: str = "net_sales"
    # Counts can be fractional (a team member's share of a split-tender order).
    fractional_counts: bool = False


BREAKDOWNS: tuple[Breakdown, ...] = (
    Breakdown(
        name="location",
        label="By store",
        header="Store",
        sheet="By store",
        sheet_header="Store",
        grain="day",
        columns=(*SALES_COLUMNS, "footfall", "conversion_rate", "sales_per_visitor"),
        export_sort="label",
    ),
    # Store groups (areas, regions): a store is in at most one, and the stores in none make the
    # "No group" row, so the rows add up to the total; folded from the location-day rows.
    Breakdown(
        name="group",
        label="By group",
        header="Group",
        sheet="By group",
        sheet_header="Group",
        grain="day",
        columns=(*SALES_COLUMNS, "footfall", "conversion_rate", "sales_per_visitor"),
        export_sort="label",
    ),
    Breakdown(
        name="item",
        label="By item",
        header="Item",
        sheet="By item",
        sheet_header="Item",
        grain="line",
        metrics=LINE_METRICS,
        columns=("net_sales", "units_sold", "gross_sales", "returns", "discounts"),
    ),
    Breakdown(
        name="category",
        label="By category",
        header="Category",
        sheet="By category",
        sheet_header="Category",
        grain="line",
        metrics=LINE_METRICS,
        columns=("net_sales", "units_sold", "gross_sales", "returns", "discounts"),
    ),
    Breakdown(
        name="team_member",
        label="By team member",
        header="Team member",
        sheet="By team member",
        sheet_header="Team member",
        grain="team",
        export_sort="label",
        fractional_counts=True,
    ),
    Breakdown(
        name="payment_method",
        label="By payment method",
        header="Payment method",
        sheet="By payment method",
        sheet_header="Payment method",
        grain="tender",
        metrics=PAYMENT_METRICS,
        columns=PAYMENT_METRICS,
        export_sort="total_collected",
    ),
    Breakdown(
        name="hour",
        label="By hour",
        header="Hour",
        sheet="By hour",
        sheet_header="Hour",
        grain="hour",
        ordinal=True,
    ),
    Breakdown(
        name="weekday",
        label="By weekday",
        header="Weekday",
        sheet="By weekday",
        sheet_header="Weekday",
        grain="day",
        ordinal=True,
    ),
)

BY_NAME: dict[str, Breakdown] = {b.name: b for b in BREAKDOWNS}
BREAKDOWN_NAMES: tuple[str, ...] = tuple(b.name for b in BREAKDOWNS)


def breakdown(name: str) -> Breakdown:
    return BY_NAME[name]
