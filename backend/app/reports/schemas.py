"""Report responses: metrics under their METRICS.md names, money as strings, ratios as numbers."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from app.catalog.breakdowns import BREAKDOWN_NAMES
from app.fx.schemas import RatesUsed
from app.locations.schemas import RecalculationRead

MetricValue = str | int | float | None
MetricValues = dict[str, MetricValue]

# The report's locations whose sales are being re-dated after a change of business-day start or
# timezone (app/locations/recalculation.py): until their job is done, their figures may still
# show some sales on the dates the old setting gave them.
Recalculating = Annotated[
    list[RecalculationRead],
    Field(
        default_factory=list,
        description="The report's locations whose figures are being recalculated after a "
        "settings change (empty when none): until done, some of their sales may be on the dates "
        "the old setting gave them",
    ),
]


# What the footfall marks of a response say (app/footfall/ESTIMATES.md).
ESTIMATED_DAYS = (
    "Store-days (of the period; a row's or point's own) that traded without a footfall entry and "
    "have an estimate from the same weekday of the previous weeks: counted in footfall, "
    "conversion and sales per visitor with footfall_estimates=include, left out otherwise. "
    "Day reads only (0 for hourly figures and for so-far-today reports). Null when not "
    "counted: with footfall_estimates=leave_out over a period longer than 92 days"
)
ESTIMATED_HOURS = (
    "Store-hours (a row's own) without a count on a store-day counted by the hour that have an "
    "estimate from the same weekday's hour of the previous weeks (the hours the store usually "
    "counts): counted in footfall, conversion and sales per visitor with "
    "footfall_estimates=include, left out otherwise. Null when not counted: with "
    "footfall_estimates=leave_out over a period longer than 92 days"
)
FLAGGED_DAYS = (
    "Store-days whose footfall entry is questioned (the footfall grid's unusual_reason: fewer "
    "visitors than transactions, far from the store's usual weekday or the chain's other "
    "stores, a closed day with sales). Day and store rows only; null over a period longer "
    "than 92 days (judged day by day, the marks are for periods read by the day)"
)


# Defaults made by a factory: the generated client's types leave such fields optional, so pages
# and fixtures written before them stay valid.
def _zero() -> int:
    return 0


def _leave_out() -> FootfallEstimates:
    return FootfallEstimates.leave_out


FLAG = "A one-store day's footfall question in words (day series of one store); null otherwise"


class Compare(StrEnum):
    """What a period is compared with (METRICS.md "Comparisons"; app/reports/request.py)."""

    previous_period = "previous_period"  # the same number of days just before
    previous_week = "previous_week"  # 7 days back: this week so far against last week's days
    previous_year = "previous_year"  # 364 days back: the same weekdays a year before
    previous_month = "previous_month"  # the same dates a month before
    previous_year_dates = "previous_year_dates"  # the same dates a year before
    none = "none"


# How the workbook's cover and the web app name each comparison.
COMPARISON_NAMES = {
    Compare.previous_period: "previous period",
    Compare.previous_week: "same days last week",
    Compare.previous_year: "previous year",
    Compare.previous_month: "same dates last month",
    Compare.previous_year_dates: "same dates last year",
}


class FootfallEstimates(StrEnum):
    """Whether estimated store-days (app/footfall/ESTIMATES.md) count in footfall and conversion."""

    include = "include"  # estimated store-days count as if they had their estimate
    leave_out = "leave_out"  # METRICS.md's rule: only store-days with an entry count


class Granularity(StrEnum):
    hour = "hour"
    day = "day"
    week = "week"
    month = "month"


class BreakdownBy(StrEnum):
    """The catalog's breakdowns (app/catalog/breakdowns.py), as the API's `by` values: a
    member per breakdown, in the catalog's order (checked below)."""

    location = "location"
    group = "group"
    item = "item"
    category = "category"
    team_member = "team_member"
    payment_method = "payment_method"
    hour = "hour"
    weekday = "weekday"


if tuple(BreakdownBy) != BREAKDOWN_NAMES:
    raise RuntimeError(f"BreakdownBy must list the catalog's breakdowns: {BREAKDOWN_NAMES}")


class SortOrder(StrEnum):
    asc = "asc"
    desc = "desc"


class Coverage(BaseModel):
    days: int  # calendar days of the period
    location_days: int  # days x locations reported on
    days_with_sales: int  # location-days with counted orders
    days_with_footfall: int  # location-days with a footfall count
    days_used_for_conversion: int  # location-days with both
    days_left_out_of_conversion: int  # location-days with one of the two but not both


class ComparisonPeriod(BaseModel):
    date_from: date
    date_to: date
    metrics: MetricValues
    rates: Literal["actual", "constant"] = Field(
        "actual",
        description="How the comparison's amounts were converted: `actual`, each day at its own "
        "date's rate; `constant` (constant_currency=true), each day at the rate of the period's "
        "date it is compared with",
    )


class SummaryRead(BaseModel):
    currency: str
    date_from: date
    date_to: date
    location_ids: list[int]
    lfl: bool
    until_hour: int | None = Field(
        default=None,
        description="The last day (and the comparison's) counted only up to this "
        "local hour of each store's business day (null: whole days)",
    )
    metrics: MetricValues
    comparison: ComparisonPeriod | None
    change: dict[str, float | None]  # fractions: 0.125 is +12.5 %; null when not defined
    difference: MetricValues = Field(
        default_factory=dict,
        description="Period minus comparison per metric, of the figures as shown: money as "
        "strings; a percent-kind figure (conversion) in points as a fraction (0.021 is "
        "+2.1 points); null without a comparison",
    )
    not_comparable: dict[str, str] = Field(
        default_factory=dict,
        description="Metrics whose change would mislead, with the reason: footfall entered on a "
        "different number of store-days in the two periods, or conversion over less than half "
        "the other period's store-days",
    )
    currency_effect: float | None = Field(
        None,
        description="How much of net sales' change comes from exchange-rate moves: the change at "
        "actual rates minus the change at constant rates, as a fraction (0.047 is 4.7 points); "
        "the same whichever conversion the comparison used. Null without a comparison, when "
        "either change is not defined, or when every store trades in the reporting currency",
    )
    coverage: Coverage
    comparison_coverage: Coverage | None = None
    footfall_estimates: FootfallEstimates = Field(default_factory=_leave_out)
    footfall_estimated_days: int | None = Field(default_factory=_zero, description=ESTIMATED_DAYS)
    rates: RatesUsed
    recalculating: Recalculating


class TimeseriesPoint(BaseModel):
    start: str  # ISO date (day, week's Monday, month's 1st) or local date-time for hours
    metrics: MetricValues
    comparison_metrics: MetricValues | None
    # With a comparison: the change per metric as the summary's (fractions), from the figures
    # as shown; null without one.
    change: dict[str, float | None] | None = None
    footfall_estimated_days: int | None = Field(default_factory=_zero, description=ESTIMATED_DAYS)
    footfall_flagged_days: int | None = Field(default_factory=_zero, description=FLAGGED_DAYS)
    footfall_flag: str | None = Field(None, description=FLAG)


class TimeseriesRead(BaseModel):
    currency: str
    granularity: Granularity
    footfall_estimates: FootfallEstimates = Field(default_factory=_leave_out)
    date_from: date
    date_to: date
    comparison: ComparisonPeriod | None
    points: list[TimeseriesPoint]
    rates: RatesUsed
    recalculating: Recalculating


class BreakdownRow(BaseModel):
    key: str
    label: str
    metrics: MetricValues
    # With a comparison (compare=): the key's figures in the comparison period (null when it
    # had none there) and the change as the summary's, fractions per metric.
    comparison: MetricValues | None = None
    change: dict[str, float | None] | None = None
    footfall_estimated_days: int | None = Field(default_factory=_zero, description=ESTIMATED_DAYS)
    footfall_flagged_days: int | None = Field(default_factory=_zero, description=FLAGGED_DAYS)


class BreakdownTotal(BaseModel):
    metrics: MetricValues
    change: dict[str, float | None] | None = None  # the summary's change, with a comparison


class BreakdownRead(BaseModel):
    currency: str
    by: BreakdownBy
    footfall_estimates: FootfallEstimates = Field(default_factory=_leave_out)
    date_from: date
    date_to: date
    rows: list[BreakdownRow]
    total: BreakdownTotal
    comparison: ComparisonPeriod | None = None  # its dates and total, with compare=
    rates: RatesUsed
    recalculating: Recalculating


class HeatmapCell(BaseModel):
    weekday: int  # 0 Monday .. 6 Sunday, of the business date
    hour: int  # local hour of closed_at
    net_sales: str
    transactions: int


class HeatmapRead(BaseModel):
    currency: str
    date_from: date
    date_to: date
    cells: list[HeatmapCell]
    rates: RatesUsed
    recalculating: Recalculating


class TrafficCoverage(BaseModel):
    store_days_used: int = Field(
        description="Store-days of the period with hourly footfall counts: the figures' days"
    )
    store_days_daily_only: int = Field(
        description="Store-days with only a whole-day count, which cannot be split by hour: "
        "left out of every figure"
    )
    store_days_without_sales: int = Field(
        description="Of the store-days used, those without sales data: their footfall is in "
        "the footfall figures but not in conversion or sales per visitor"
    )
    store_hours_estimated: int | None = Field(default_factory=_zero, description=ESTIMATED_HOURS)


class TrafficHour(BaseModel):
    hour: int  # local clock hour, 0..23
    # footfall, transactions, net_sales (money string), conversion_rate, sales_per_visitor
    metrics: MetricValues
    footfall_estimated_hours: int | None = Field(default_factory=_zero, description=ESTIMATED_HOURS)


class TrafficWeekdayHour(TrafficHour):
    weekday: int  # 0 Monday .. 6 Sunday, of the business date
    days: int = Field(description="Store-days of this weekday with hourly counts")
    average_footfall: float | None = Field(
        description="Footfall per store-day of this weekday with hourly counts (null: none)"
    )


class TrafficRead(BaseModel):
    currency: str
    date_from: date
    date_to: date
    location_ids: list[int]
    lfl: bool
    footfall_estimates: FootfallEstimates = Field(default_factory=_leave_out)
    coverage: TrafficCoverage
    by_hour: list[TrafficHour] = Field(
        description="Each local hour with footfall or sales on the store-days used, in order"
    )
    by_weekday_hour: list[TrafficWeekdayHour] = Field(
        description="The same per weekday and hour (the power hours), Monday 00:00 first"
    )
    rates: RatesUsed
    recalculating: Recalculating
