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

Maintenance, in the caller's transaction, by the sales upsert (so a late edit, a cancellation or
a refund corrects the rollups in the same transaction as the orders): an order written for the
first time adds its figures to the rows of its dates (`update_rollups(added=...)`, see
"maintenance by addition" below); an order that changed recomputes every rollup row of the
(location, business date) pairs it leaves and arrives on, `affected(...)` taken before and after
the write — delete, then INSERT ... SELECT ... GROUP BY over the order tables (`refresh`).
`rebuild(db)` recomputes everything (`python -m app.scripts.rebuild_rollups`), e.g. after the
migration that created the tables on an existing database (it leaves them empty).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date
from decimal import Decimal
from operator import add
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Numeric,
    String,
    and_,
    bindparam,
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

from app.core import bulk
from app.core.db import Base
from app.locations.models import Location
from app.reports import cache
from app.reports.metrics import ORDER_MONEY
from app.reports.models import CACHED_SUMS
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
            # A tender's location and date are its order's: chosen through the order's
            # (location, date) index. sale_tender has none, and filtering on its own columns
            # read the whole table for each refund that met its tender (a page of a backfill
            # 700 k orders in: 12,600 blocks, ~200 ms).
            SaleOrder.business_date.is_not(None),
            within(SaleOrder.location_id, SaleOrder.business_date),
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
    update_rollups(db, org_id, added=[], recompute=pairs)


def _recompute_tenders(db: Session, org_id: int, within: Within) -> None:
    db.execute(
        delete(RollupTender).where(
            RollupTender.org_id == org_id,
            within(RollupTender.location_id, RollupTender.business_date),
        )
    )
    _insert_tenders(db, org_id, within)


def _recompute_pairs(
    db: Session, org_id: int, pairs: list[Pair], *, tenders_only: bool = False
) -> None:
    for start in range(0, len(pairs), PAIRS_PER_STATEMENT):
        chunk = pairs[start : start + PAIRS_PER_STATEMENT]

        def within(location: Any, day: Any, chunk: list[Pair] = chunk) -> Any:
            return tuple_(location, day).in_(chunk)

        def on_dates(day: Any, dates: list[date] = sorted({d for _, d in chunk})) -> Any:
            return day.in_(dates)

        if tenders_only:
            _recompute_tenders(db, org_id, within)
        else:
            _recompute(db, org_id, within, on_dates)


# -- maintenance by addition --------------------------------------------------------------------
#
# An order written for the first time (nearly every order of a backfill) only adds to the rows of
# its dates: its contributions are summed here, in Python, from the rows the sales upsert has
# just built, and added to the stored rows (or inserted as new rows) — a few statements a page
# instead of re-reading every order of each date it touches. Anything else (an order that
# changed, a refund stored earlier against a tender that only arrives now) recomputes its pairs
# from the order tables. A pair is either recomputed whole or added to, never both.
#
# Concurrent writers: each transaction first raises the month versions of every pair it writes
# (cache.touch, rows locked in key order until it commits), then takes a lock per organization x
# month for the organization-wide lines, so two transactions writing the same pair (or the same
# month of organization lines) run one after the other, and the second one reads and adds to
# what the first committed.

HOUR_SUMS = ("orders", "transactions", *ORDER_MONEY, "units_sold", "refund_fees")
LINE_SUMS = ("gross", "discount", "units")
TENDER_SUMS = ("tendered", "tender_fees", "refunded", "refund_fees")


@dataclass(frozen=True)
class _Target:
    model: Any
    keys: tuple[str, ...]
    sums: tuple[str, ...]
    by_id: bool  # rows have a surrogate id (their keys may be NULL)


_HOUR = _Target(RollupHour, ("location_id", "business_date", "hour", "currency"), HOUR_SUMS, False)
_DAY = _Target(RollupDay, ("location_id", "business_date", "currency"), HOUR_SUMS, False)
_LINE_KEYS = ("currency", "kind", "item_type", "catalog_object_id", "name")
_LINE = _Target(RollupLine, ("location_id", "business_date", *_LINE_KEYS), LINE_SUMS, True)
_ORG_LINE = _Target(RollupOrgLine, ("business_date", *_LINE_KEYS), LINE_SUMS, True)
_TENDER = _Target(
    RollupTender,
    ("location_id", "business_date", "currency", "tender_type", "card_brand"),
    TENDER_SUMS,
    True,
)
_LOCATED = (_HOUR, _DAY, _LINE, _TENDER)
Sums = dict[tuple[Any, ...], list[Any]]


@dataclass
class NewOrder:
    """An order written for the first time: its sale_order row and child rows as inserted."""

    row: dict[str, Any]
    lines: list[dict[str, Any]]
    tenders: list[dict[str, Any]]
    refunds: list[dict[str, Any]]


def _add_to(sums: Sums, key: tuple[Any, ...], values: Iterable[Any]) -> None:
    stored = sums.get(key)
    sums[key] = list(values) if stored is None else list(map(add, stored, values))


def _contributions(
    orders: list[NewOrder], tender_types: dict[str, tuple[str, str | None]]
) -> dict[_Target, Sums]:
    """What these orders add to each rollup, row by row: the same rows and sums as the
    INSERT ... SELECT statements of `_recompute` give for them."""
    out: dict[_Target, Sums] = {target: {} for target in (*_LOCATED, _ORG_LINE)}
    hours, days, lines, org_lines, tenders = (
        out[_HOUR],
        out[_DAY],
        out[_LINE],
        out[_ORG_LINE],
        out[_TENDER],
    )
    zeros = [0] * len(ORDER_MONEY)
    for order in orders:
        row = order.row
        loc, day, currency = row["location_id"], row["business_date"], row["currency"]
        dated = bool(row["counted"]) and day is not None
        if dated:
            values = [
                1,
                1 if row["is_transaction"] else 0,
                *(row[name] for name in ORDER_MONEY),
                row["units_sold"],
                0,
            ]
            _add_to(hours, (loc, day, row["local_hour"] or 0, currency), values)
            _add_to(days, (loc, day, currency), values)
            for line in order.lines:
                if line["item_type"] == "GIFT_CARD" or (
                    line["kind"] != "sale" and line["source_line_item_uid"] is None
                ):
                    continue
                catalog = line["catalog_object_id"]
                identity = (
                    currency,
                    line["kind"],
                    line["item_type"],
                    catalog,
                    "" if catalog is not None else (line["name"] or ""),
                )
                amounts = (line["gross_ex_tax"], line["discount"], line["units"])
                _add_to(lines, (loc, day, *identity), amounts)
                _add_to(org_lines, (day, *identity), amounts)
            for tender in order.tenders:
                _add_to(
                    tenders,
                    (loc, day, currency, tender["tender_type"], tender["card_brand"]),
                    (tender["amount"], tender["processing_fee"], 0, 0),
                )
        for refund in order.refunds:
            if not refund["counted"] or refund["business_date"] is None:
                continue
            kind, brand = tender_types.get(refund["tender_id"] or "", ("UNKNOWN", None))
            refund_day = refund["business_date"]
            fee = refund["processing_fee"]
            values = [0, 0, *zeros, Decimal(0), fee]
            _add_to(
                hours,
                (refund["location_id"], refund_day, refund["local_hour"] or 0, currency),
                values,
            )
            _add_to(days, (refund["location_id"], refund_day, currency), values)
            if dated:
                _add_to(tenders, (loc, day, currency, kind, brand), (0, 0, refund["amount"], 0))
            _add_to(
                tenders, (refund["location_id"], refund_day, currency, kind, brand), (0, 0, 0, fee)
            )
    return out


def _original_tenders(
    db: Session, org_id: int, tender_ids: set[str]
) -> dict[str, tuple[str, str | None]]:
    """(tender type, card brand) of the stored tenders with these Square ids."""
    rows = bulk.by_keys(
        db,
        org_id,
        tender_ids,
        "SELECT square_tender_id, tender_type, card_brand FROM sale_tender"
        " WHERE org_id = %s AND square_tender_id = ANY(CAST(%s AS text[]))",
        lambda ids: select(
            SaleTender.square_tender_id, SaleTender.tender_type, SaleTender.card_brand
        ).where(SaleTender.org_id == org_id, SaleTender.square_tender_id.in_(ids)),
    )
    return {square_id: (kind, brand) for square_id, kind, brand in rows if square_id is not None}


def refunds_against(
    db: Session, org_id: int, tender_ids: Iterable[str], *, besides: set[int]
) -> set[Pair]:
    """The pairs of refunds stored against these tenders, other than the refunds of the orders
    `besides`: written before their tender, they were rolled up under an unknown tender type
    (only their payment-method rows, `rollup_tender`, need recomputing)."""
    rows = bulk.by_keys(
        db,
        org_id,
        tender_ids,
        "SELECT r.order_id, r.location_id, r.business_date, o.location_id, o.business_date"
        " FROM sale_refund r JOIN sale_order o ON o.id = r.order_id"
        " WHERE r.org_id = %s AND r.tender_id = ANY(CAST(%s AS text[]))",
        lambda ids: (
            select(
                SaleRefund.order_id,
                SaleRefund.location_id,
                SaleRefund.business_date,
                SaleOrder.location_id,
                SaleOrder.business_date,
            )
            .join(SaleOrder, SaleOrder.id == SaleRefund.order_id)
            .where(SaleRefund.org_id == org_id, SaleRefund.tender_id.in_(ids))
        ),
    )
    pairs: set[Pair] = set()
    for order_id, refund_loc, refund_day, order_loc, order_day in rows:
        if order_id in besides:
            continue
        if refund_day is not None:
            pairs.add((refund_loc, refund_day))
        if order_day is not None:
            pairs.add((order_loc, order_day))
    return pairs


ORG_MONTH_LOCK = 1 << 62  # advisory lock keys: this bit, the organization, the month


def _lock_org_months(db: Session, org_id: int, dates: Iterable[date]) -> None:
    if db.get_bind().dialect.name != "postgresql":
        return  # SQLite has one writer at a time
    months = sorted({d.year * 12 + d.month - 1 for d in dates})
    for month in months:
        db.execute(
            text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": ORG_MONTH_LOCK | (org_id << 24) | month},
        )


def _stored_pairs(db: Session, org_id: int, pairs: set[Pair]) -> set[Pair]:
    """Which of these pairs have rollup rows already. A pair without a `rollup_day` row has none
    in the other location tables either (every hour, line and tender row comes with an hour row
    of its pair, and a day row sums its hours)."""
    if not pairs:
        return set()
    rows = db.execute(
        select(RollupDay.location_id, RollupDay.business_date)
        .where(
            RollupDay.org_id == org_id,
            RollupDay.location_id.in_(sorted({loc for loc, _ in pairs})),
            RollupDay.business_date.in_(sorted({day for _, day in pairs})),
        )
        .distinct()
    )
    return {(loc, day) for loc, day in rows} & pairs


def _add(
    db: Session, org_id: int, target: _Target, sums: Sums, stored: set[Pair] | None = None
) -> None:
    """Add `sums` to the stored rows with the same keys; insert the others. `stored`: the only
    pairs (of a location table) that may have rows already."""
    if not sums:
        return
    model = target.model
    key_columns = [getattr(model, name) for name in target.keys]
    existing: dict[tuple[Any, ...], Any] = {}
    if target is _ORG_LINE:
        dates = {key[0] for key in sums}
        scope = model.business_date.in_(sorted(dates))
    else:
        pairs = {key[:2] for key in sums}
        if stored is not None:
            pairs &= stored
        # The rows of those locations and dates: a few IN values, whatever the page size.
        scope = and_(
            model.location_id.in_(sorted({loc for loc, _ in pairs})),
            model.business_date.in_(sorted({day for _, day in pairs})),
        )
    if target is _ORG_LINE or pairs:
        found = select(*key_columns, model.id if target.by_id else literal(None)).where(
            model.org_id == org_id, scope
        )
        for *key, row_id in db.execute(found):
            existing[tuple(key)] = row_id if target.by_id else tuple(key)
    fresh = [
        {
            "org_id": org_id,
            **dict(zip(target.keys, key, strict=True)),
            **dict(zip(target.sums, values, strict=True)),
        }
        for key, values in sums.items()
        if key not in existing
    ]
    added = [(existing[key], values) for key, values in sums.items() if key in existing]
    if added:
        _add_to_rows(db, target, added)
    bulk.insert_mapped(db, model, fresh)


def _add_to_rows(db: Session, target: _Target, added: list[tuple[Any, list[Any]]]) -> None:
    model = target.model
    table = model.__table__
    match = ("id",) if target.by_id else target.keys
    conn = db.connection()
    if conn.dialect.name == "postgresql":
        # One statement: the additions as arrays, joined to the rows they add to.
        def array_type(name: str) -> str:
            column_type = table.c[name].type
            if isinstance(column_type, Numeric):
                return "numeric[]"
            if name == "business_date":
                return "date[]"
            if isinstance(column_type, String):
                return "text[]"
            return "bigint[]"

        names = [*match, *target.sums]
        matched = [row_id for row_id, _ in added]
        arrays: list[list[Any]] = (
            [matched] if target.by_id else [list(col) for col in zip(*matched, strict=True)]
        )
        arrays += [list(col) for col in zip(*(values for _, values in added), strict=True)]
        unnest = ", ".join(f"%s::{array_type(name)}" for name in names)
        assignments = ", ".join(f"{name} = t.{name} + d.{name}" for name in target.sums)
        condition = " AND ".join(f"t.{name} = d.{name}" for name in match)
        conn.exec_driver_sql(
            f"UPDATE {table.name} AS t SET {assignments} "  # noqa: S608
            f"FROM unnest({unnest}) AS d({', '.join(names)}) WHERE {condition}",
            tuple(arrays),
        )
        return
    statement = (
        update(table)
        .where(*(table.c[name] == bindparam(f"k_{name}") for name in match))
        .values(
            {
                name: table.c[name] + bindparam(f"s_{name}", type_=table.c[name].type)
                for name in target.sums
            }
        )
    )
    params = []
    for row_id, values in added:
        keys: tuple[Any, ...] = (row_id,) if target.by_id else row_id
        params.append(
            {
                **{f"k_{name}": key for name, key in zip(match, keys, strict=True)},
                **{f"s_{name}": value for name, value in zip(target.sums, values, strict=True)},
            }
        )
    conn.execute(statement, params)


def update_rollups(
    db: Session,
    org_id: int,
    *,
    added: list[NewOrder],
    recompute: Iterable[Pair],
    recompute_tenders: Iterable[Pair] = (),
) -> None:
    """Bring the rollups up to date in the caller's transaction, after the sales upsert wrote
    its rows: add what the orders in `added` (new ones) bring, recompute the `recompute` pairs
    from the order tables, and the payment-method rows of the `recompute_tenders` pairs (see
    "maintenance by addition")."""
    again = sorted({(loc, day) for loc, day in recompute if day is not None})
    skip = set(again)
    tenders_again = sorted({(loc, day) for loc, day in recompute_tenders if day is not None} - skip)
    refund_tenders = {
        refund["tender_id"]
        for order in added
        for refund in order.refunds
        if refund["counted"] and refund["tender_id"]
    }
    contributions = _contributions(added, _original_tenders(db, org_id, refund_tenders))
    located = {
        target: {
            key: values
            for key, values in contributions[target].items()
            if key[:2] not in skip and (target is not _TENDER or key[:2] not in tenders_again)
        }
        for target in _LOCATED
    }
    recomputed_dates = {day for _, day in again}
    org_lines = {
        key: values
        for key, values in contributions[_ORG_LINE].items()
        if key[0] not in recomputed_dates
    }
    # Every pair written, in key order (the converted months cached from them are out of date).
    cache.touch(
        db, [*again, *tenders_again, *(key[:2] for sums in located.values() for key in sums)]
    )
    stored = _stored_pairs(db, org_id, {key[:2] for sums in located.values() for key in sums})
    for target in _LOCATED:
        _add(db, org_id, target, located[target], stored)
    _recompute_pairs(db, org_id, tenders_again, tenders_only=True)
    # Last, as it is held until the transaction ends: other writers of the same months queue.
    _lock_org_months(db, org_id, recomputed_dates | {key[0] for key in org_lines})
    _recompute_pairs(db, org_id, again)  # organization lines of their dates included
    _add(db, org_id, _ORG_LINE, org_lines)


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
        for cached in CACHED_SUMS:
            db.execute(delete(cached).where(cached.org_id == org))
    return org_ids


__all__ = [
    "ALL_ROLLUPS",
    "ROLLUPS",
    "NewOrder",
    "RollupDay",
    "RollupHour",
    "RollupLine",
    "RollupOrgLine",
    "RollupTender",
    "affected",
    "connection_pairs",
    "rebuild",
    "refresh",
    "refunds_against",
    "update_rollups",
]
