"""Tables of the reports domain.

`MonthDaySums` / `LineDaySet` / `LineDaySums` / `HourDaySums` / `LocationHourSums` / `OrgDaySums`:
the converted caches of app/reports/cache.py, valid at the `MonthVersion`s of
app/rollups/freshness.py (the table lives with the rollups).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.catalog.columns import measure_columns
from app.catalog.measures import ORDER_MONEY
from app.catalog.metrics import NET_SALES
from app.core.db import Base

Amount = Numeric()  # exact: minor units times a conversion factor, unrounded
# The catalog's order measures, converted (app/catalog/columns.py); the hour cache holds them
# posted, with the posted fees in place of tender fees.
ConvertedMeasures = measure_columns("ConvertedMeasures", Amount)
PostedMeasures = measure_columns(
    "PostedMeasures", Amount, extra=("fees",), without=("tender_fees",)
)
# Net sales' terms, posted (what the traffic report's store-hours need).
NetSalesMeasures = measure_columns(
    "NetSalesMeasures", Amount, only=tuple(name for _, name in NET_SALES)
)


class MonthDaySums(ConvertedMeasures, Base):  # type: ignore[misc,valid-type]
    """One location's day sums over one calendar month, converted into `target` at each day's
    rate (`rates_key`: the rate source and its epoch), with conversion's inputs and footfall;
    valid while `version` equals the month's `MonthVersion`."""

    __tablename__ = "report_month_day"

    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(3), primary_key=True)
    rates_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(BigInteger)
    refund_fees: Mapped[Decimal] = mapped_column(Amount)
    conv_net: Mapped[Decimal] = mapped_column(Amount)
    transactions: Mapped[Decimal] = mapped_column(Amount)
    units_sold: Mapped[Decimal] = mapped_column(Amount)
    traded: Mapped[Decimal] = mapped_column(Amount)
    used_days: Mapped[Decimal] = mapped_column(Amount)
    conv_footfall: Mapped[Decimal] = mapped_column(Amount)
    conv_transactions: Mapped[Decimal] = mapped_column(Amount)
    rollup_days: Mapped[Decimal] = mapped_column(Amount)  # day rollup rows added up (0: none)
    # The days converted, for the rates a response names: "EUR:<bits>;USD:<bits>" per currency
    # other than `target`, bit n set when day n+1 of the month has rows in it.
    rate_days: Mapped[str] = mapped_column(Text)
    footfall: Mapped[Decimal] = mapped_column(Amount)  # over the month's counted days
    footfall_days: Mapped[Decimal] = mapped_column(Amount)


MONTH_SALES = (  # MonthDaySums' columns from the day rollups (`engine._day_values` names)
    *ORDER_MONEY,
    "refund_fees",
    "conv_net",
    "transactions",
    "units_sold",
    "traded",
    "used_days",
    "conv_footfall",
    "conv_transactions",
    "rollup_days",
)
MONTH_FOOTFALL = ("footfall", "footfall_days")


class OrgDaySums(ConvertedMeasures, Base):  # type: ignore[misc,valid-type]
    """Every store's day sums of one business date added up, converted into `target` at the
    day's rate (`rates_key`), with conversion's inputs and footfall (`MonthDaySums`' columns);
    valid while `version` equals the sum of the date's month's `MonthVersion`s over the
    organization's locations (versions only grow and locations are never deleted, so any change
    moves the sum)."""

    __tablename__ = "report_org_day"

    # Key in this order: a report reads one organization's range of dates for one target.
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    target: Mapped[str] = mapped_column(String(3), primary_key=True)
    rates_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    business_date: Mapped[date] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    refund_fees: Mapped[Decimal] = mapped_column(Amount)
    conv_net: Mapped[Decimal] = mapped_column(Amount)
    transactions: Mapped[Decimal] = mapped_column(Amount)
    units_sold: Mapped[Decimal] = mapped_column(Amount)
    traded: Mapped[Decimal] = mapped_column(Amount)
    used_days: Mapped[Decimal] = mapped_column(Amount)
    conv_footfall: Mapped[Decimal] = mapped_column(Amount)
    conv_transactions: Mapped[Decimal] = mapped_column(Amount)
    rollup_days: Mapped[Decimal] = mapped_column(Amount)
    footfall: Mapped[Decimal] = mapped_column(Amount)
    footfall_days: Mapped[Decimal] = mapped_column(Amount)
    # The currencies other than `target` that had day rows on the date ("EUR,USD"), for the
    # rates a response names.
    converted: Mapped[str] = mapped_column(Text)
    # The date's metrics as the API shows them in `target` (`metrics.present`), which a day
    # series returns as they are (JSON, not JSONB: the metrics keep their order).
    shown: Mapped[dict[str, Any]] = mapped_column(JSON)


class LineDaySet(Base):
    """Every store's line rows of one month are cached (in `LineDaySums`) for this reporting
    currency, rate source and grouping of lines into rows; valid while `version` equals the sum
    of the month's `MonthVersion`s over the organization's locations (versions only grow, so any
    change moves the sum). The row is also the lock two reports making the same month queue on.
    """

    __tablename__ = "report_line_day_set"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(primary_key=True)
    target: Mapped[str] = mapped_column(String(3), primary_key=True)
    rates_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    # "item:<digest>" / "category:<digest>": the breakdown and the catalog's grouping of lines.
    grouping: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class LineDaySums(Base):
    """Every store's item or category rows of one business date in `target`: each location-day's
    posted gross sales, returns and discounts shared out among the rows by largest remainder
    (METRICS.md "Rounding"), added up over the locations; and, under the grouping's
    "<grouping>/month", each month's rows added up (dated its first day), which long periods
    read for their whole months."""

    __tablename__ = "report_line_day"
    __table_args__ = (
        Index(
            "ix_report_line_day_org_target_key_grouping_date",
            "org_id",
            "target",
            "rates_key",
            "grouping",
            "business_date",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(3))
    rates_key: Mapped[str] = mapped_column(String(64))
    grouping: Mapped[str] = mapped_column(String(64))
    business_date: Mapped[date]
    row_key: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(Text)
    gross_sales: Mapped[Decimal] = mapped_column(Amount)
    returns: Mapped[Decimal] = mapped_column(Amount)
    discounts: Mapped[Decimal] = mapped_column(Amount)
    units: Mapped[Decimal] = mapped_column(Amount)


class HourDaySums(PostedMeasures, Base):  # type: ignore[misc,valid-type]
    """Every store's hours of one business date in `target`: each location-day's posted amounts
    shared out among its hours by largest remainder (METRICS.md "Rounding"), added up over the
    locations; what a heatmap, an hourly series or a breakdown by hour of every store reads.
    Its months are valid as their `LineDaySet` row (grouping "hour") says."""

    __tablename__ = "report_hour_day"
    __table_args__ = (
        Index(
            "ix_report_hour_day_org_target_key_date",
            "org_id",
            "target",
            "rates_key",
            "business_date",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(3))
    rates_key: Mapped[str] = mapped_column(String(64))
    business_date: Mapped[date]
    hour: Mapped[int]
    transactions: Mapped[Decimal] = mapped_column(Amount)
    units_sold: Mapped[Decimal] = mapped_column(Amount)


class LocationHourSums(NetSalesMeasures, Base):  # type: ignore[misc,valid-type]
    """One store's hours of one business date in `target`: the location-day's posted net sales
    terms shared out among its hours by largest remainder (METRICS.md "Rounding"), exactly as
    `HourDaySums` adds them up over the stores, and its transactions; what the traffic report
    joins to each store-hour's footfall (app/reports/traffic.py). Its months are valid as their
    `LineDaySet` row (grouping "location_hour") says. No foreign keys: a year of a 50-store
    chain is ~180,000 rows made in one statement, and each key would check every row (1.4 s
    a key); the app deletes neither organizations nor locations."""

    __tablename__ = "report_location_hour"
    __table_args__ = (
        Index(
            "ix_report_location_hour_org_target_key_date",
            "org_id",
            "target",
            "rates_key",
            "business_date",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int]
    target: Mapped[str] = mapped_column(String(3))
    rates_key: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[int]
    business_date: Mapped[date]
    hour: Mapped[int]
    transactions: Mapped[Decimal] = mapped_column(Amount)


# Every table of converted sums: emptied per rate source when its rates change. (A rebuild of the
# rollups retires them by raising their months' versions instead, app/rollups/freshness.py.)
CACHED_SUMS = (
    MonthDaySums,
    LineDaySums,
    HourDaySums,
    LocationHourSums,
    LineDaySet,
    OrgDaySums,
)
