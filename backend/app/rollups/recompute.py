"""Rollups recomputed from the order tables: delete, then INSERT ... SELECT ... GROUP BY.

`_recompute_pairs` recomputes the rows of some (location, business date) pairs (an order that
changed, a purge); `rebuild` every rollup of an organization (`python -m
app.scripts.rebuild_rollups`), e.g. after the migration that created the tables on an existing
database (it leaves them empty).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date
from typing import Any

from sqlalchemy import (
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
from sqlalchemy.orm import Session

from app.catalog.measures import ORDER_MONEY
from app.locations.models import Location
from app.rollups import freshness
from app.rollups.models import (
    ROLLUPS,
    Minor,
    Quantity,
    RollupDay,
    RollupHour,
    RollupLine,
    RollupOrgLine,
    RollupTender,
)
from app.rollups.pairs import Pair
from app.sales.facts import business_day
from app.sales.models import SaleLine, SaleOrder, SaleRefund, SaleTender

PAIRS_PER_STATEMENT = 400
Within = Callable[[Any, Any], Any]  # (location column, date column) -> where clause


# The order measures the tables have: all of the catalog's, except while a migration runs this
# code against the schema of its own revision, before later measures' columns exist
# (`measures_as_of`).
_MEASURES: ContextVar[tuple[str, ...]] = ContextVar("rollup_measures", default=ORDER_MONEY)


@contextmanager
def measures_as_of(names: tuple[str, ...]) -> Iterator[None]:
    """Recompute only these order measures (a migration's schema) within the block."""
    token = _MEASURES.set(names)
    try:
        yield
    finally:
        _MEASURES.reset(token)


def _zero() -> Any:
    return literal(0, Minor)


def _insert_hours(db: Session, org_id: int, within: Within) -> None:
    measures = _MEASURES.get()
    orders = select(
        SaleOrder.location_id,
        SaleOrder.business_date,
        func.coalesce(SaleOrder.local_hour, 0).label("hour"),
        SaleOrder.currency,
        literal(1, Minor).label("orders"),
        case((SaleOrder.is_transaction, 1), else_=0).label("transactions"),
        *(getattr(SaleOrder, name).label(name) for name in measures),
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
            *(_zero().label(name) for name in measures),
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
    sums = ["orders", "transactions", *measures, "units_sold", "refund_fees"]
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
    measures = _MEASURES.get()
    h = RollupHour
    sums = ["orders", "transactions", *measures, "units_sold", "refund_fees"]
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
        # Everything is recomputed: so is whatever was computed from it (the reports' converted
        # months), when next asked for. First, as the sync's writes do, so that writers of the
        # same months queue behind the rebuild.
        freshness.touch_organization(db, org)
        _backfill_refund_hours(db, org)
        _recompute(db, org, lambda location, day: true(), lambda day: true())
    return org_ids


__all__ = ["rebuild"]
