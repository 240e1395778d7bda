"""Report rollups: the additive sums every report needs, kept per location x business date.

A report over three years of a 50-store chain reads these tables (tens of thousands of rows), not
the order tables (millions). Each table holds exactly the additive inputs of `metrics.Sums` for
one (location, business date) and a finer key, in minor units of the order's currency (amounts are
converted per date at read time, so a rollup never depends on the reporting currency):

- `rollup_hour`: per local hour of closed_at — the per-order money columns (`ORDER_MONEY`),
  counted orders, transactions, units, and counted refund fees by the refund's own date and hour;
- `rollup_day`: the same per date (the sum of its hours), what day-level reports read;
- `rollup_line`: per sold / itemized-returned line identity (item type, variation, or the name of
  a line without one; sale or return): ex-tax gross, discount, units; `rollup_org_line` holds
  the same added up over the organization's locations (per currency x date x identity), which
  an item or category breakdown of every store reads;
- `rollup_tender`: per tender type and card brand: tender amounts and fees by the order's date,
  refunds against them by the return order's date, refund fees by the refund's own date.

Team-member figures are not rolled up: they split each order by its payments' team members,
which sync separately; that breakdown still reads the order tables.

Maintenance: `refresh(db, org_id, pairs)` recomputes every rollup row of the given (location,
business date) pairs from the order tables — delete, then INSERT ... SELECT ... GROUP BY — in the
caller's transaction. The sales upsert calls it with `affected(...)` of the orders it wrote,
taken before (old dates) and after (new dates) the write, so a late edit, a cancellation or a
refund corrects the rollups in the same transaction as the orders. `rebuild(db)` recomputes
everything (`python -m app.scripts.rebuild_rollups`), e.g. after the migration that created the
tables on an existing database (it leaves them empty).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Numeric,
    String,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    tuple_,
    union_all,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.core.db import Base
from app.locations.models import Location
from app.reports import cache
from app.reports.metrics import ORDER_MONEY
from app.reports.models import MonthDaySums, MonthLineSet, MonthLineSums
from app.sales.facts import business_day
from app.sales.models import SaleLine, SaleOrder, SaleRefund, SaleTender

Pair = tuple[int, date]  # (location id, business date)


def _pairs(rows: Iterable[Any]) -> set[Pair]:
    return {(location_id, day) for location_id, day in rows if day is not None}


Minor = BigInteger
Quantity = Numeric(18, 5)
PAIRS_PER_STATEMENT = 400


class RollupHour(Base):
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
    gross_sales: Mapped[int] = mapped_column(Minor)
    returns: Mapped[int] = mapped_column(Minor)
    discounts: Mapped[int] = mapped_column(Minor)
    gift_card_sales: Mapped[int] = mapped_column(Minor)
    tax: Mapped[int] = mapped_column(Minor)
    additive_tax: Mapped[int] = mapped_column(Minor)
    tips: Mapped[int] = mapped_column(Minor)
    service_charges: Mapped[int] = mapped_column(Minor)
    refunds_by_amount: Mapped[int] = mapped_column(Minor)
    rounding: Mapped[int] = mapped_column(Minor)
    tender_fees: Mapped[int] = mapped_column(Minor)
    units_sold: Mapped[Decimal] = mapped_column(Quantity)
    refund_fees: Mapped[int] = mapped_column(Minor)


class RollupDay(Base):
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
    gross_sales: Mapped[int] = mapped_column(Minor)
    returns: Mapped[int] = mapped_column(Minor)
    discounts: Mapped[int] = mapped_column(Minor)
    gift_card_sales: Mapped[int] = mapped_column(Minor)
    tax: Mapped[int] = mapped_column(Minor)
    additive_tax: Mapped[int] = mapped_column(Minor)
    tips: Mapped[int] = mapped_column(Minor)
    service_charges: Mapped[int] = mapped_column(Minor)
    refunds_by_amount: Mapped[int] = mapped_column(Minor)
    rounding: Mapped[int] = mapped_column(Minor)
    tender_fees: Mapped[int] = mapped_column(Minor)
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
Within = Callable[[Any, Any], Any]  # (location column, date column) -> where clause


def _zero() -> Any:
    return literal(0, Minor)


def _insert_hours(db: Session, org_id: int, within: Within) -> None:
    orders = select(
        SaleOrder.location_id,
        SaleOrder.business_date,
        func.coalesce(SaleOrder.local_hour, 0).label("hour"),
        SaleOrder.currency,
        literal(1, Minor).label("orders"),
        case((SaleOrder.is_transaction, 1), else_=0).label("transactions"),
        *(getattr(SaleOrder, name).label(name) for name in ORDER_MONEY),
        SaleOrder.units_sold.label("units_sold"),
        _zero().label("refund_fees"),
    ).where(
        SaleOrder.org_id == org_id,
        SaleOrder.counted.is_(True),
        SaleOrder.business_date.is_not(None),
        within(SaleOrder.location_id, SaleOrder.business_date),
    )
    refunds = (
        select(
            SaleRefund.location_id,
            SaleRefund.business_date,
            func.coalesce(SaleRefund.local_hour, 0).label("hour"),
            SaleOrder.currency,
            _zero().label("orders"),
            _zero().label("transactions"),
            *(_zero().label(name) for name in ORDER_MONEY),
            literal(0, Quantity).label("units_sold"),
            SaleRefund.processing_fee.label("refund_fees"),
        )
        .join(SaleOrder, SaleOrder.id == SaleRefund.order_id)
        .where(
            SaleRefund.org_id == org_id,
            SaleRefund.counted.is_(True),
            within(SaleRefund.location_id, SaleRefund.business_date),
        )
    )
    both = union_all(orders, refunds).subquery()
    keys = [both.c.location_id, both.c.business_date, both.c.hour, both.c.currency]
    sums = ["orders", "transactions", *ORDER_MONEY, "units_sold", "refund_fees"]
    db.execute(
        insert(RollupHour).from_select(
            ["location_id", "business_date", "hour", "currency", "org_id", *sums],
            select(
                *keys,
                literal(org_id).label("org_id"),
                *(func.sum(both.c[name]) for name in sums),
            ).group_by(*keys),
        )
    )


def _insert_days(db: Session, org_id: int, within: Within) -> None:
    h = RollupHour
    sums = ["orders", "transactions", *ORDER_MONEY, "units_sold", "refund_fees"]
    keys = [h.location_id, h.business_date, h.currency]
    db.execute(
        insert(RollupDay).from_select(
            ["location_id", "business_date", "currency", "org_id", *sums],
            select(*keys, literal(org_id).label("org_id"), *(func.sum(getattr(h, n)) for n in sums))
            .where(h.org_id == org_id, within(h.location_id, h.business_date))
            .group_by(*keys),
        )
    )


def _insert_lines(db: Session, org_id: int, within: Within) -> None:
    name = case((SaleLine.catalog_object_id.is_(None), func.coalesce(SaleLine.name, "")), else_="")
    keys = [
        SaleLine.location_id,
        SaleLine.business_date,
        SaleOrder.currency,
        SaleLine.kind,
        SaleLine.item_type,
        SaleLine.catalog_object_id,
        name,
    ]
    db.execute(
        insert(RollupLine).from_select(
            [
                "location_id",
                "business_date",
                "currency",
                "kind",
                "item_type",
                "catalog_object_id",
                "name",
                "org_id",
                "gross",
                "discount",
                "units",
            ],
            select(
                *keys,
                literal(org_id).label("org_id"),
                func.sum(SaleLine.gross_ex_tax),
                func.sum(SaleLine.discount),
                func.sum(SaleLine.units),
            )
            .join(SaleOrder, SaleOrder.id == SaleLine.order_id)
            .where(
                SaleLine.org_id == org_id,
                SaleLine.business_date.is_not(None),
                SaleOrder.counted.is_(True),
                SaleLine.item_type != "GIFT_CARD",
                or_(SaleLine.kind == "sale", SaleLine.source_line_item_uid.is_not(None)),
                within(SaleLine.location_id, SaleLine.business_date),
            )
            .group_by(*keys),
        )
    )


def _insert_tenders(db: Session, org_id: int, within: Within) -> None:
    tenders = (
        select(
            SaleTender.location_id,
            SaleTender.business_date,
            SaleOrder.currency,
            SaleTender.tender_type,
            SaleTender.card_brand,
            SaleTender.amount.label("tendered"),
            SaleTender.processing_fee.label("tender_fees"),
            _zero().label("refunded"),
            _zero().label("refund_fees"),
        )
        .join(SaleOrder, SaleOrder.id == SaleTender.order_id)
        .where(
            SaleTender.org_id == org_id,
            SaleOrder.counted.is_(True),
            SaleTender.business_date.is_not(None),
            within(SaleTender.location_id, SaleTender.business_date),
        )
    )
    original = (
        select(SaleTender.square_tender_id, SaleTender.tender_type, SaleTender.card_brand)
        .where(SaleTender.org_id == org_id, SaleTender.square_tender_id.is_not(None))
        .subquery()
    )
    refund_type = func.coalesce(original.c.tender_type, "UNKNOWN")
    # A refund's amount belongs to its (return) order's date, so payment-method rows add up to
    # total_collected for the same orders; its fee to its own date, as `fees`.
    refunded = (
        select(
            SaleOrder.location_id,
            SaleOrder.business_date,
            SaleOrder.currency,
            refund_type.label("tender_type"),
            original.c.card_brand,
            _zero().label("tendered"),
            _zero().label("tender_fees"),
            SaleRefund.amount.label("refunded"),
            _zero().label("refund_fees"),
        )
        .join(SaleOrder, SaleOrder.id == SaleRefund.order_id)
        .outerjoin(original, original.c.square_tender_id == SaleRefund.tender_id)
        .where(
            SaleRefund.org_id == org_id,
            SaleRefund.counted.is_(True),
            SaleOrder.counted.is_(True),
            SaleOrder.business_date.is_not(None),
            within(SaleOrder.location_id, SaleOrder.business_date),
        )
    )
    refund_fees = (
        select(
            SaleRefund.location_id,
            SaleRefund.business_date,
            SaleOrder.currency,
            refund_type.label("tender_type"),
            original.c.card_brand,
            _zero().label("tendered"),
            _zero().label("tender_fees"),
            _zero().label("refunded"),
            SaleRefund.processing_fee.label("refund_fees"),
        )
        .join(SaleOrder, SaleOrder.id == SaleRefund.order_id)
        .outerjoin(original, original.c.square_tender_id == SaleRefund.tender_id)
        .where(
            SaleRefund.org_id == org_id,
            SaleRefund.counted.is_(True),
            within(SaleRefund.location_id, SaleRefund.business_date),
        )
    )
    parts = union_all(tenders, refunded, refund_fees).subquery()
    keys = [
        parts.c.location_id,
        parts.c.business_date,
        parts.c.currency,
        parts.c.tender_type,
        parts.c.card_brand,
    ]
    sums = ["tendered", "tender_fees", "refunded", "refund_fees"]
    db.execute(
        insert(RollupTender).from_select(
            [
                "location_id",
                "business_date",
                "currency",
                "tender_type",
                "card_brand",
                "org_id",
                *sums,
            ],
            select(
                *keys, literal(org_id).label("org_id"), *(func.sum(parts.c[n]) for n in sums)
            ).group_by(*keys),
        )
    )


def _insert_org_lines(db: Session, org_id: int, on_dates: Callable[[Any], Any]) -> None:
    r = RollupLine
    keys = [r.business_date, r.currency, r.kind, r.item_type, r.catalog_object_id, r.name]
    db.execute(
        insert(RollupOrgLine).from_select(
            [
                "business_date",
                "currency",
                "kind",
                "item_type",
                "catalog_object_id",
                "name",
                "org_id",
                "gross",
                "discount",
                "units",
            ],
            select(
                *keys,
                literal(org_id).label("org_id"),
                func.sum(r.gross),
                func.sum(r.discount),
                func.sum(r.units),
            )
            .where(r.org_id == org_id, on_dates(r.business_date))
            .group_by(*keys),
        )
    )


def _recompute(db: Session, org_id: int, within: Within, on_dates: Callable[[Any], Any]) -> None:
    for model in ROLLUPS:
        db.execute(
            delete(model).where(
                model.org_id == org_id, within(model.location_id, model.business_date)
            )
        )
    _insert_hours(db, org_id, within)
    _insert_days(db, org_id, within)  # reads the hours just written
    _insert_lines(db, org_id, within)
    _insert_tenders(db, org_id, within)
    # The organization-wide lines of the same dates, from the location lines just written.
    db.execute(
        delete(RollupOrgLine).where(
            RollupOrgLine.org_id == org_id, on_dates(RollupOrgLine.business_date)
        )
    )
    _insert_org_lines(db, org_id, on_dates)


def refresh(db: Session, org_id: int, pairs: Iterable[Pair]) -> None:
    """Recompute the rollup rows of these (location, business date) pairs from the order tables,
    in the caller's transaction (rows of a pair left with nothing are removed)."""
    wanted = sorted({(loc, day) for loc, day in pairs if day is not None})
    cache.touch(db, wanted)  # the converted months cached from these rows are out of date
    for start in range(0, len(wanted), PAIRS_PER_STATEMENT):
        chunk = wanted[start : start + PAIRS_PER_STATEMENT]

        def within(location: Any, day: Any, chunk: list[Pair] = chunk) -> Any:
            return tuple_(location, day).in_(chunk)

        def on_dates(day: Any, dates: list[date] = sorted({d for _, d in chunk})) -> Any:
            return day.in_(dates)

        _recompute(db, org_id, within, on_dates)


def affected(db: Session, org_id: int, order_ids: Iterable[int]) -> set[Pair]:
    """The (location, business date) pairs whose rollups depend on these orders as stored now:
    the orders' own dates, their refunds' dates, and the dates of refunds made against their
    tenders (whose payment method the tenders name)."""
    ids = sorted(set(order_ids))
    pairs: set[Pair] = set()
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        orders = select(SaleOrder.location_id, SaleOrder.business_date).where(
            SaleOrder.id.in_(chunk)
        )
        pairs.update(_pairs(db.execute(orders)))
        refunds = select(SaleRefund.location_id, SaleRefund.business_date).where(
            SaleRefund.order_id.in_(chunk)
        )
        pairs.update(_pairs(db.execute(refunds)))
        tender_ids = (
            select(SaleTender.square_tender_id)
            .where(SaleTender.order_id.in_(chunk), SaleTender.square_tender_id.is_not(None))
            .scalar_subquery()
        )
        against = db.execute(
            select(
                SaleRefund.location_id,
                SaleRefund.business_date,
                SaleOrder.location_id,
                SaleOrder.business_date,
            )
            .join(SaleOrder, SaleOrder.id == SaleRefund.order_id)
            .where(SaleRefund.org_id == org_id, SaleRefund.tender_id.in_(tender_ids))
        )
        for refund_loc, refund_day, order_loc, order_day in against:
            pairs.add((refund_loc, refund_day))
            if order_day is not None:
                pairs.add((order_loc, order_day))
    return pairs


def connection_pairs(db: Session, org_id: int, connection_id: int) -> set[Pair]:
    """Every (location, date) pair holding figures of one connection's orders (for a purge)."""
    orders = select(SaleOrder.id).where(
        SaleOrder.org_id == org_id, SaleOrder.connection_id == connection_id
    )
    pairs: set[Pair] = _pairs(
        db.execute(
            select(SaleOrder.location_id, SaleOrder.business_date)
            .where(
                SaleOrder.org_id == org_id,
                SaleOrder.connection_id == connection_id,
                SaleOrder.business_date.is_not(None),
            )
            .distinct()
        )
    )
    refunds = (
        select(SaleRefund.location_id, SaleRefund.business_date)
        .where(SaleRefund.order_id.in_(orders))
        .distinct()
    )
    pairs.update(_pairs(db.execute(refunds)))
    return pairs


def _backfill_refund_hours(db: Session, org_id: int) -> int:
    """Local hours of refunds stored before sale_refund.local_hour existed (one-off)."""
    rows = db.execute(
        select(
            SaleRefund.id,
            SaleRefund.created_at,
            Location.timezone,
            Location.business_day_start_hour,
        )
        .join(Location, Location.id == SaleRefund.location_id)
        .where(SaleRefund.org_id == org_id, SaleRefund.local_hour.is_(None))
    ).all()
    for refund_id, created_at, timezone, start_hour in rows:
        aware = created_at if created_at.tzinfo else created_at.replace(tzinfo=UTC)
        _, hour = business_day(aware, timezone, start_hour)
        db.execute(update(SaleRefund).where(SaleRefund.id == refund_id).values(local_hour=hour))
    return len(rows)


def rebuild(db: Session, org_id: int | None = None) -> list[int]:
    """Recompute every rollup of one organization (or all) from the order tables; returns the
    organizations rebuilt."""
    if org_id is None:
        org_ids = sorted(
            {o for (o,) in db.execute(select(SaleOrder.org_id).distinct())}
            | {o for (o,) in db.execute(select(RollupDay.org_id).distinct())}
        )
    else:
        org_ids = [org_id]
    if db.get_bind().dialect.name == "postgresql":
        # After a bulk load the planner may not know the order tables' sizes yet.
        db.execute(text("ANALYZE sale_order, sale_line, sale_tender, sale_refund"))
    for org in org_ids:
        _backfill_refund_hours(db, org)
        _recompute(db, org, lambda location, day: true(), lambda day: true())
        # Everything was recomputed: so is every converted month, when next asked for.
        for cached in (MonthDaySums, MonthLineSums, MonthLineSet):
            db.execute(delete(cached).where(cached.org_id == org))
    return org_ids


__all__ = [
    "ALL_ROLLUPS",
    "ROLLUPS",
    "RollupDay",
    "RollupHour",
    "RollupLine",
    "RollupOrgLine",
    "RollupTender",
    "affected",
    "connection_pairs",
    "rebuild",
    "refresh",
]
