"""Tables of the rollups domain.

`RollupHour` / `RollupDay` / `RollupLine` / `RollupOrgLine` / `RollupTender`: the additive sums
every report needs, per location x business date (see app/rollups/service.py).

`MonthVersion`: how fresh each (location, month) is, raised by every change to its rollups or
footfall (app/rollups/freshness.py); the reports' converted caches are valid only at the
current version.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from app.catalog.columns import measure_columns
from app.core.db import Base

Minor = BigInteger
# The catalog's order measures (app/catalog/measures.py), summed, in minor units.
OrderMeasures = measure_columns("RollupMeasures", Minor)
Quantity = Numeric(18, 5)


class RollupHour(OrderMeasures, Base):  # type: ignore[misc,valid-type]
    """Sums per location x currency x business date x local hour."""

    __tablename__ = "rollup_hour"

    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), primary_key=True
    )
    business_date: Mapped[date] = mapped_column(primary_key=True)
    hour: Mapped[int] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    orders: Mapped[int] = mapped_column(Minor)  # counted orders
    transactions: Mapped[int] = mapped_column(Minor)
    units_sold: Mapped[Decimal] = mapped_column(Quantity)
    refund_fees: Mapped[int] = mapped_column(Minor)


class RollupDay(OrderMeasures, Base):  # type: ignore[misc,valid-type]
    """Sums per location x currency x business date (its hours added up)."""

    __tablename__ = "rollup_day"
    __table_args__ = (Index("ix_rollup_day_org_id_business_date", "org_id", "business_date"),)

    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), primary_key=True
    )
    business_date: Mapped[date] = mapped_column(primary_key=True)
    currency: Mapped[str] = mapped_column(String(3), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    orders: Mapped[int] = mapped_column(Minor)
    transactions: Mapped[int] = mapped_column(Minor)
    units_sold: Mapped[Decimal] = mapped_column(Quantity)
    refund_fees: Mapped[int] = mapped_column(Minor)


class RollupLine(Base):
    """Sold and itemized-returned lines (gift cards excluded) per location x date x identity."""

    __tablename__ = "rollup_line"
    __table_args__ = (
        Index("ix_rollup_line_location_id_business_date", "location_id", "business_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    business_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(8))  # sale | return
    item_type: Mapped[str] = mapped_column(String(16))
    catalog_object_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))  # "" when catalog_object_id identifies it
    gross: Mapped[int] = mapped_column(Minor)  # ex-tax gross sales / gross returns
    discount: Mapped[int] = mapped_column(Minor)
    units: Mapped[Decimal] = mapped_column(Quantity)


class RollupOrgLine(Base):
    """`rollup_line` added up over the organization's locations (per currency x date x
    identity): what an item or category breakdown of every store reads, ~stores times fewer
    rows."""

    __tablename__ = "rollup_org_line"
    __table_args__ = (Index("ix_rollup_org_line_org_id_business_date", "org_id", "business_date"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    business_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    kind: Mapped[str] = mapped_column(String(8))
    item_type: Mapped[str] = mapped_column(String(16))
    catalog_object_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    gross: Mapped[int] = mapped_column(Minor)
    discount: Mapped[int] = mapped_column(Minor)
    units: Mapped[Decimal] = mapped_column(Quantity)


class RollupTender(Base):
    """Tenders and the refunds against them per location x date x tender type and card brand."""

    __tablename__ = "rollup_tender"
    __table_args__ = (
        Index("ix_rollup_tender_location_id_business_date", "location_id", "business_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    business_date: Mapped[date]
    currency: Mapped[str] = mapped_column(String(3))
    tender_type: Mapped[str] = mapped_column(String(32))  # UNKNOWN: refund of an unknown tender
    card_brand: Mapped[str | None] = mapped_column(String(32))
    tendered: Mapped[int] = mapped_column(Minor)
    tender_fees: Mapped[int] = mapped_column(Minor)
    refunded: Mapped[int] = mapped_column(Minor)
    refund_fees: Mapped[int] = mapped_column(Minor)


ROLLUPS = (RollupHour, RollupDay, RollupLine, RollupTender)  # per location
ALL_ROLLUPS = (*ROLLUPS, RollupOrgLine)


class MonthVersion(Base):
    """A counter per location x calendar month of business dates, raised in the same
    transaction as every change to the month's rollups (a sync) or footfall; a cached month
    made at an older count is out of date. No row: never changed since the table appeared (0).
    """

    __tablename__ = "report_month_version"

    location_id: Mapped[int] = mapped_column(
        ForeignKey("location.id", ondelete="CASCADE"), primary_key=True
    )
    month: Mapped[date] = mapped_column(primary_key=True)  # the month's first day
    version: Mapped[int] = mapped_column(BigInteger)
