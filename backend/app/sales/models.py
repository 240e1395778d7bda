"""Square's sales, normalised for reporting.

Money is integer minor units in the location's currency, as Square sends it. Each order row also
carries the per-order figures of shared/METRICS.md (derived in `app.sales.facts`), so reports sum
columns instead of re-reading Square's documents; the raw Square object is kept beside them so a
corrected definition can be re-derived without fetching history again.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.catalog.columns import measure_columns
from app.core.db import Base, JsonDocument

Minor = BigInteger  # money in minor units
Quantity = Numeric(18, 5)  # Square quantities are decimal strings with up to 5 places


# The catalog's order measures (app/catalog/measures.py), one column each, in minor units.
OrderMeasures = measure_columns("OrderMeasures", Minor)


class SaleOrder(OrderMeasures, Base):  # type: ignore[misc,valid-type]
    __tablename__ = "sale_order"
    __table_args__ = (
        UniqueConstraint("org_id", "square_order_id"),
        Index("ix_sale_order_location_id_business_date", "location_id", "business_date"),
        Index("ix_sale_order_connection_id_updated_at", "connection_id", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # No foreign key to the organization: the location and connection it refers to belong to it.
    org_id: Mapped[int]
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("square_connection.id", ondelete="CASCADE")
    )
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id", ondelete="CASCADE"))
    square_order_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    version: Mapped[int | None]
    currency: Mapped[str] = mapped_column(String(3))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    business_date: Mapped[date | None]  # local business day of closed_at
    local_hour: Mapped[int | None]  # local hour of closed_at
    source_order_id: Mapped[str | None] = mapped_column(String(64))  # for return orders
    team_member_id: Mapped[str | None] = mapped_column(String(64))

    # Per-order figures of METRICS.md (zero for orders that do not count): the measures' columns
    # (OrderMeasures), and these.
    counted: Mapped[bool]  # state COMPLETED
    is_transaction: Mapped[bool]  # counted, with at least one non-gift-card sale line
    net_sales: Mapped[int] = mapped_column(Minor)
    total_collected: Mapped[int] = mapped_column(Minor)
    units_sold: Mapped[Decimal] = mapped_column(Quantity)
    tender_total: Mapped[int] = mapped_column(Minor)

    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class SaleLine(Base):
    """A sold line (`kind` sale) or a returned line (`kind` return) of an order."""

    __tablename__ = "sale_line"
    __table_args__ = (
        Index("ix_sale_line_location_id_business_date", "location_id", "business_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("sale_order.id", ondelete="CASCADE"), index=True
    )
    # The order's own (no foreign keys: the order's cascades them, and checking two more keys
    # per row cost a fifth of PostgreSQL's time writing a sync page).
    org_id: Mapped[int]
    location_id: Mapped[int]
    business_date: Mapped[date | None]
    kind: Mapped[str] = mapped_column(String(8))  # sale | return
    uid: Mapped[str | None] = mapped_column(String(64))
    source_line_item_uid: Mapped[str | None] = mapped_column(String(64))  # returns: itemized
    item_type: Mapped[str] = mapped_column(String(16))  # ITEM, CUSTOM_AMOUNT, GIFT_CARD
    catalog_object_id: Mapped[str | None] = mapped_column(String(64))  # the variation
    name: Mapped[str | None] = mapped_column(String(255))
    variation_name: Mapped[str | None] = mapped_column(String(255))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    units: Mapped[Decimal] = mapped_column(Quantity)  # 1 for a line sold by measure
    gross_sales_money: Mapped[int] = mapped_column(Minor)  # as Square sends it
    inclusive_tax: Mapped[int] = mapped_column(Minor)
    gross_ex_tax: Mapped[int] = mapped_column(Minor)
    discount: Mapped[int] = mapped_column(Minor)
    tax: Mapped[int] = mapped_column(Minor)
    total: Mapped[int] = mapped_column(Minor)


class SaleTender(Base):
    __tablename__ = "sale_tender"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("sale_order.id", ondelete="CASCADE"), index=True
    )
    # The order's own (no foreign keys: the order's cascades them, and checking two more keys
    # per row cost a fifth of PostgreSQL's time writing a sync page).
    org_id: Mapped[int]
    location_id: Mapped[int]
    business_date: Mapped[date | None]
    # Indexed: refunds find the tender they return money to (rollups, payment-method rows).
    square_tender_id: Mapped[str | None] = mapped_column(String(64), index=True)
    tender_type: Mapped[str] = mapped_column(String(32))  # CARD, CASH, OTHER, ...
    card_brand: Mapped[str | None] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(Minor)
    tip: Mapped[int] = mapped_column(Minor)
    processing_fee: Mapped[int] = mapped_column(Minor)
    # Not indexed: nothing looks a tender up by its payment (see 0011_tender_payment_index).
    payment_id: Mapped[str | None] = mapped_column(String(64))


class SaleRefund(Base):
    """Money given back (an order's `refunds[]`), dated by its own created_at."""

    __tablename__ = "sale_refund"
    __table_args__ = (
        UniqueConstraint("org_id", "square_refund_id"),
        Index("ix_sale_refund_location_id_business_date", "location_id", "business_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("sale_order.id", ondelete="CASCADE"), index=True
    )
    # The order's own (no foreign keys: the order's cascades them, and checking two more keys
    # per row cost a fifth of PostgreSQL's time writing a sync page).
    org_id: Mapped[int]
    location_id: Mapped[int]
    square_refund_id: Mapped[str] = mapped_column(String(64))
    tender_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    counted: Mapped[bool]  # APPROVED or PENDING
    amount: Mapped[int] = mapped_column(Minor)
    processing_fee: Mapped[int] = mapped_column(Minor)
    created_at: Mapped[datetime]
    business_date: Mapped[date]
    local_hour: Mapped[int | None]  # local hour of created_at (null: stored before 0005_rollups)


class SalePayment(Base):
    """A Square Payment: who took it (team member) and its fees as Square settles them."""

    __tablename__ = "sale_payment"
    __table_args__ = (UniqueConstraint("org_id", "square_payment_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("square_connection.id", ondelete="CASCADE")
    )
    square_payment_id: Mapped[str] = mapped_column(String(64))
    square_order_id: Mapped[str | None] = mapped_column(String(64), index=True)
    square_location_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    team_member_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(Minor)
    processing_fee: Mapped[int] = mapped_column(Minor)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class SalePaymentRefund(Base):
    """A Square PaymentRefund: who gave the money back (team member)."""

    __tablename__ = "sale_payment_refund"
    __table_args__ = (UniqueConstraint("org_id", "square_refund_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("square_connection.id", ondelete="CASCADE")
    )
    square_refund_id: Mapped[str] = mapped_column(String(64))
    square_payment_id: Mapped[str | None] = mapped_column(String(64))
    square_order_id: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    team_member_id: Mapped[str | None] = mapped_column(String(64))
    amount: Mapped[int] = mapped_column(Minor)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    raw: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class CatalogCategory(Base):
    __tablename__ = "catalog_category"
    __table_args__ = (UniqueConstraint("org_id", "square_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("square_connection.id", ondelete="CASCADE")
    )
    square_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    is_deleted: Mapped[bool] = mapped_column(default=False)
    # Square's CatalogObject.updated_at: across accounts, a name is spelled as the most recently
    # updated object spells it (METRICS.md "Breakdowns").
    updated_at: Mapped[datetime | None]


class CatalogItem(Base):
    __tablename__ = "catalog_item"
    __table_args__ = (UniqueConstraint("org_id", "square_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("square_connection.id", ondelete="CASCADE")
    )
    square_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    # The item's reporting category, else its first category (METRICS.md "Breakdowns").
    category_square_id: Mapped[str | None] = mapped_column(String(64))
    is_deleted: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime | None]  # Square's CatalogObject.updated_at


class CatalogVariation(Base):
    __tablename__ = "catalog_variation"
    __table_args__ = (UniqueConstraint("org_id", "square_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("square_connection.id", ondelete="CASCADE")
    )
    square_id: Mapped[str] = mapped_column(String(64))
    item_square_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(255))
    is_deleted: Mapped[bool] = mapped_column(default=False)


class TeamMember(Base):
    __tablename__ = "team_member"
    __table_args__ = (UniqueConstraint("org_id", "square_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("square_connection.id", ondelete="CASCADE")
    )
    square_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))
