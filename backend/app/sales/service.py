"""Writing Square's sales into the normalised tables, idempotently (keyed by Square ids)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from app.catalog.measures import ORDER_MONEY
from app.core import bulk
from app.locations.models import Location
from app.reports import rollups
from app.sales import facts as facts_module
from app.sales.facts import business_day, money, parse_time
from app.sales.models import (
    CatalogCategory,
    CatalogItem,
    CatalogVariation,
    SaleLine,
    SaleOrder,
    SalePayment,
    SalePaymentRefund,
    SaleRefund,
    SaleTender,
    TeamMember,
)


def _allocate_ids(db: Session, model: Any, count: int) -> list[int]:
    """Primary keys for rows about to be copied in (PostgreSQL: straight from the sequence)."""
    table = model.__table__
    # The sequence is looked up once (an InitPlan), not once a row: pg_get_serial_sequence in
    # the select list ran its catalog lookup for each of a page's 1,000 ids (~5 ms; now ~1 ms).
    rows = db.execute(
        text(
            "SELECT nextval(CAST((SELECT pg_get_serial_sequence("  # noqa: S608
            f"'{table.name}', 'id')) AS regclass)) FROM generate_series(1, :n)"
        ),
        {"n": count},
    )
    return [row[0] for row in rows]


@dataclass
class UpsertCounts:
    seen: int = 0
    written: int = 0
    unchanged: int = 0
    skipped_unknown_location: int = 0


def _order_row(
    order: dict[str, Any], location: Location, org_id: int, connection_id: int
) -> tuple[dict[str, Any], facts_module.OrderFacts]:
    facts = facts_module.derive(order)
    closed_at = parse_time(order["closed_at"]) if order.get("closed_at") else None
    business_date = local_hour = None
    if closed_at is not None:
        business_date, local_hour = business_day(
            closed_at, location.timezone, location.business_day_start_hour
        )
    returns = order.get("returns") or []
    currency = ((order.get("total_money") or {}).get("currency")) or location.currency
    row = {
        "org_id": org_id,
        "connection_id": connection_id,
        "location_id": location.id,
        "square_order_id": order["id"],
        "state": order.get("state") or "OPEN",
        "version": order.get("version"),
        "currency": currency,
        "created_at": parse_time(order["created_at"]),
        "updated_at": parse_time(order.get("updated_at") or order["created_at"]),
        "closed_at": closed_at,
        "business_date": business_date,
        "local_hour": local_hour,
        "source_order_id": returns[0].get("source_order_id") if returns else None,
        "team_member_id": None,
        "counted": facts.counted,
        "is_transaction": facts.is_transaction,
        **{name: getattr(facts, name) for name in ORDER_MONEY},
        "net_sales": facts.net_sales,
        "total_collected": facts.total_collected,
        "units_sold": facts.units_sold,
        "tender_total": facts.tender_total,
        "raw": order,
    }
    return row, facts


def _children(
    order_id: int, row: dict[str, Any], facts: facts_module.OrderFacts, location: Location
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    common = {"order_id": order_id, "org_id": row["org_id"], "location_id": row["location_id"]}
    lines = [
        {
            **common,
            "business_date": row["business_date"],
            "kind": li.kind,
            "uid": li.uid,
            "source_line_item_uid": li.source_line_item_uid,
            "item_type": li.item_type,
            "catalog_object_id": li.catalog_object_id,
            "name": (li.name or "")[:255] or None,
            "variation_name": (li.variation_name or "")[:255] or None,
            "quantity": li.quantity,
            "units": li.units,
            "gross_sales_money": li.gross_sales_money,
            "inclusive_tax": li.inclusive_tax,
            "gross_ex_tax": li.gross_ex_tax,
            "discount": li.discount,
            "tax": li.tax,
            "total": li.total,
        }
        for li in facts.lines
    ]
    tenders = [
        {
            **common,
            "business_date": row["business_date"],
            "square_tender_id": t.square_tender_id,
            "tender_type": t.tender_type,
            "card_brand": t.card_brand,
            "amount": t.amount,
            "tip": t.tip,
            "processing_fee": t.processing_fee,
            "payment_id": t.payment_id,
        }
        for t in facts.tenders
    ]
    refunds = []
    for r in facts.refunds:
        # A refund belongs to the business date of its own created_at (METRICS.md).
        refund_date, refund_hour = business_day(
            r.created_at, location.timezone, location.business_day_start_hour
        )
        refunds.append(
            {
                **common,
                "square_refund_id": r.square_refund_id,
                "tender_id": r.tender_id,
                "status": r.status,
                "counted": r.counted,
                "amount": r.amount,
                "processing_fee": r.processing_fee,
                "created_at": r.created_at,
                "business_date": refund_date,
                "local_hour": refund_hour,
            }
        )
    return lines, tenders, refunds


def _stored_orders(
    db: Session, org_id: int, square_ids: list[str]
) -> list[tuple[int, str, int | None, datetime]]:
    """(id, square id, version, updated_at) of the orders already stored.

    On PostgreSQL the rows are locked (in id order, so two writers cannot deadlock on them) until
    the transaction ends: two workers writing pages that hold the same order (split backfill
    windows, overlapping syncs) then take turns, and the second one sees what the first wrote
    instead of deleting and re-adding the same child rows twice."""
    postgres = db.connection().dialect.name == "postgresql"
    rows = bulk.by_keys(
        db,
        org_id,
        square_ids,
        "SELECT id, square_order_id, version, updated_at FROM sale_order"
        " WHERE org_id = %s AND square_order_id = ANY(CAST(%s AS text[]))"
        " ORDER BY id FOR UPDATE",
        lambda ids: select(
            SaleOrder.id, SaleOrder.square_order_id, SaleOrder.version, SaleOrder.updated_at
        ).where(SaleOrder.org_id == org_id, SaleOrder.square_order_id.in_(ids)),
    )
    return [
        (order_id, square_id, version, updated_at.astimezone(UTC) if postgres else updated_at)
        for order_id, square_id, version, updated_at in rows
    ]


def upsert_orders(
    *,
    db: Session,
    org_id: int,
    connection_id: int,
    orders: Iterable[dict[str, Any]],
    locations: dict[str, Location],
) -> UpsertCounts:
    """Write Square orders; an order already stored at the same version is left untouched."""
    counts = UpsertCounts()
    latest: dict[str, dict[str, Any]] = {}
    for order in orders:
        counts.seen += 1
        # The same order twice in one batch (overlapping pages): keep the newest version.
        previous = latest.get(order["id"])
        if previous is None or (order.get("version") or 0) >= (previous.get("version") or 0):
            latest[order["id"]] = order
    if not latest:
        return counts

    stored = {
        square_id: (order_id, version, updated_at)
        for order_id, square_id, version, updated_at in _stored_orders(db, org_id, list(latest))
    }
    new_rows: list[tuple[dict[str, Any], facts_module.OrderFacts, Location]] = []
    changed: list[tuple[int, dict[str, Any], facts_module.OrderFacts, Location]] = []
    for square_id, order in latest.items():
        location = locations.get(order.get("location_id", ""))
        if location is None:
            counts.skipped_unknown_location += 1
            continue
        if square_id in stored:
            order_id, version, stored_updated = stored[square_id]
            updated_at = parse_time(order.get("updated_at") or order["created_at"])
            if version == order.get("version") and stored_updated == updated_at:
                counts.unchanged += 1
                continue
            if stored_updated > updated_at:
                # An older copy of an order we already hold (overlapping syncs): keep ours.
                counts.unchanged += 1
                continue
            row, facts = _order_row(order, location, org_id, connection_id)
            changed.append((order_id, row, facts, location))
        else:
            row, facts = _order_row(order, location, org_id, connection_id)
            new_rows.append((row, facts, location))

    lines: list[dict[str, Any]] = []
    tenders: list[dict[str, Any]] = []
    refunds: list[dict[str, Any]] = []
    changed_ids = [order_id for order_id, *_ in changed]
    # Rollup rows of the dates these orders leave (a late edit may move or cancel one).
    recompute = rollups.affected(db, org_id, changed_ids) if changed_ids else set()
    if changed:
        for table in (SaleLine, SaleTender, SaleRefund):
            db.execute(delete(table).where(table.order_id.in_(changed_ids)))
        for order_id, row, facts, location in changed:
            db.execute(update(SaleOrder).where(SaleOrder.id == order_id).values(**row))
            children = _children(order_id, row, facts, location)
            lines += children[0]
            tenders += children[1]
            refunds += children[2]
    if new_rows and db.connection().dialect.name == "postgresql":
        inserted = _allocate_ids(db, SaleOrder, len(new_rows))
        bulk.insert_mapped(
            db,
            SaleOrder,
            [{"id": i, **row} for i, (row, _, _) in zip(inserted, new_rows, strict=True)],
        )
    elif new_rows:
        inserted = list(
            db.execute(
                insert(SaleOrder).returning(SaleOrder.id, sort_by_parameter_order=True),
                [row for row, _, _ in new_rows],
            ).scalars()
        )
    added: list[rollups.NewOrder] = []
    if new_rows:
        for order_id, (row, facts, location) in zip(inserted, new_rows, strict=True):
            new_lines, new_tenders, new_refunds = _children(order_id, row, facts, location)
            added.append(rollups.NewOrder(row, new_lines, new_tenders, new_refunds))
            lines += new_lines
            tenders += new_tenders
            refunds += new_refunds
    bulk.insert_mapped(db, SaleLine, lines)
    bulk.insert_mapped(db, SaleTender, tenders)
    bulk.insert_mapped(db, SaleRefund, refunds)
    if changed_ids:
        # ... and of the dates they arrive on, in this same transaction.
        recompute |= rollups.affected(db, org_id, changed_ids)
    recompute_tenders: set[rollups.Pair] = set()
    if added:
        # New orders add to their dates' rollups; refunds stored before the tenders they return
        # money to have their payment-method rows recomputed.
        recompute_tenders = rollups.refunds_against(
            db,
            org_id,
            (t["square_tender_id"] for o in added for t in o.tenders if t["square_tender_id"]),
            besides=set(inserted),
        )
    if changed_ids or added:
        rollups.update_rollups(
            db,
            org_id,
            added=added,
            recompute=recompute,
            recompute_tenders=recompute_tenders,
        )
    counts.written = len(changed) + len(new_rows)
    return counts


def _upsert_simple(
    db: Session,
    model: Any,
    org_id: int,
    key: str,
    rows: list[dict[str, Any]],
) -> int:
    """Insert or update rows of a table keyed by (org_id, key); returns rows written."""
    if not rows:
        return 0
    by_key = {row[key]: row for row in rows}
    key_column = getattr(model, key)
    existing: dict[Any, int] = dict(
        bulk.by_keys(
            db,
            org_id,
            by_key,
            f"SELECT {key}, id FROM {model.__table__.name}"  # noqa: S608
            f" WHERE org_id = %s AND {key} = ANY(CAST(%s AS text[]))",
            lambda ids: select(key_column, model.id).where(
                model.org_id == org_id, key_column.in_(ids)
            ),
        )
    )
    fresh = [row for k, row in by_key.items() if k not in existing]
    bulk.insert_mapped(db, model, fresh)
    for k, row in by_key.items():
        if k in existing:
            db.execute(update(model).where(model.id == existing[k]).values(**row))
    return len(by_key)


def _updated_at(obj: dict[str, Any]) -> datetime | None:
    value = obj.get("updated_at")
    return parse_time(value) if value else None


def upsert_catalog(
    *, db: Session, org_id: int, connection_id: int, objects: Iterable[dict[str, Any]]
) -> dict[str, int]:
    """Write catalog items, their variations and categories."""
    categories: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []
    variations: list[dict[str, Any]] = []
    base = {"org_id": org_id, "connection_id": connection_id}
    for obj in objects:
        deleted = bool(obj.get("is_deleted"))
        if obj.get("type") == "CATEGORY":
            data = obj.get("category_data") or {}
            categories.append(
                {
                    **base,
                    "square_id": obj["id"],
                    "name": (data.get("name") or obj["id"])[:255],
                    "is_deleted": deleted,
                    "updated_at": _updated_at(obj),
                }
            )
        elif obj.get("type") == "ITEM":
            data = obj.get("item_data") or {}
            reporting = (data.get("reporting_category") or {}).get("id")
            listed = [c.get("id") for c in data.get("categories") or [] if c.get("id")]
            category = reporting or (listed[0] if listed else data.get("category_id"))
            items.append(
                {
                    **base,
                    "square_id": obj["id"],
                    "name": (data.get("name") or obj["id"])[:255],
                    "category_square_id": category,
                    "is_deleted": deleted,
                    "updated_at": _updated_at(obj),
                }
            )
            for variation in data.get("variations") or []:
                vdata = variation.get("item_variation_data") or {}
                variations.append(
                    {
                        **base,
                        "square_id": variation["id"],
                        "item_square_id": obj["id"],
                        "name": (vdata.get("name") or "")[:255] or None,
                        "is_deleted": deleted or bool(variation.get("is_deleted")),
                    }
                )
    return {
        "categories": _upsert_simple(db, CatalogCategory, org_id, "square_id", categories),
        "items": _upsert_simple(db, CatalogItem, org_id, "square_id", items),
        "variations": _upsert_simple(db, CatalogVariation, org_id, "square_id", variations),
    }


def upsert_team_members(
    *, db: Session, org_id: int, connection_id: int, members: Iterable[dict[str, Any]]
) -> int:
    """Write team members."""
    rows = [
        {
            "org_id": org_id,
            "connection_id": connection_id,
            "square_id": m["id"],
            "name": " ".join(p for p in (m.get("given_name"), m.get("family_name")) if p)[:255]
            or m["id"],
            "status": m.get("status") or "ACTIVE",
        }
        for m in members
    ]
    return _upsert_simple(db, TeamMember, org_id, "square_id", rows)


def upsert_payments(
    *, db: Session, org_id: int, connection_id: int, payments: Iterable[dict[str, Any]]
) -> int:
    """Write payments (team member and settled fees)."""
    rows = [
        {
            "org_id": org_id,
            "connection_id": connection_id,
            "square_payment_id": p["id"],
            "square_order_id": p.get("order_id"),
            "square_location_id": p.get("location_id"),
            "status": p.get("status") or "",
            "team_member_id": p.get("team_member_id") or p.get("employee_id"),
            "amount": money(p, "amount_money"),
            "processing_fee": sum(money(f, "amount_money") for f in p.get("processing_fee") or []),
            "created_at": parse_time(p["created_at"]),
            "updated_at": parse_time(p.get("updated_at") or p["created_at"]),
            "raw": p,
        }
        for p in payments
    ]
    return _upsert_simple(db, SalePayment, org_id, "square_payment_id", rows)


def upsert_payment_refunds(
    *, db: Session, org_id: int, connection_id: int, refunds: Iterable[dict[str, Any]]
) -> int:
    """Write payment refunds (who gave the money back)."""
    rows = [
        {
            "org_id": org_id,
            "connection_id": connection_id,
            "square_refund_id": r["id"],
            "square_payment_id": r.get("payment_id"),
            "square_order_id": r.get("order_id"),
            "status": r.get("status") or "",
            "team_member_id": r.get("team_member_id"),
            "amount": money(r, "amount_money"),
            "created_at": parse_time(r["created_at"]),
            "updated_at": parse_time(r.get("updated_at") or r["created_at"]),
            "raw": r,
        }
        for r in refunds
    ]
    return _upsert_simple(db, SalePaymentRefund, org_id, "square_refund_id", rows)


def purge_connection(*, db: Session, org_id: int, connection_id: int) -> None:
    """Delete everything synced from one connection (disconnect with purge), its figures in the
    report rollups included."""
    touched = rollups.connection_pairs(db, org_id, connection_id)
    order_ids = select(SaleOrder.id).where(
        SaleOrder.org_id == org_id, SaleOrder.connection_id == connection_id
    )
    for child in (SaleLine, SaleTender, SaleRefund):
        db.execute(delete(child).where(child.order_id.in_(order_ids)))
    for model in (
        SaleOrder,
        SalePayment,
        SalePaymentRefund,
        CatalogVariation,
        CatalogItem,
        CatalogCategory,
        TeamMember,
    ):
        db.execute(
            delete(model).where(model.org_id == org_id, model.connection_id == connection_id)
        )
    rollups.refresh(db, org_id, touched)


ANALYZE_MIN_ROWS = 1_000
GROWTH_STATISTICS_TARGET = 10  # PostgreSQL's default is 100 (a sample of 300 x the target)
# Tables a sync fills, whose planner statistics the reports, the rollup maintenance and the
# payments' key lookups rely on.
ANALYZED_TABLES = (
    "sale_order",
    "sale_line",
    "sale_tender",
    "sale_refund",
    "rollup_hour",
    "rollup_day",
    "rollup_line",
    "rollup_org_line",
    "rollup_tender",
    "sale_payment",
    "sale_payment_refund",
)


def analyze_grown_tables(db: Session, *, every: bool = False) -> list[str]:
    """ANALYZE the sales and rollup tables that have about doubled (grown by 1,000 rows at least)
    since their statistics were last taken (`every`: all of them, as at the end of a backfill);
    returns them. PostgreSQL only.

    autovacuum does this on its own, but a backfill grows these tables from nothing to millions
    of rows within minutes, and where autovacuum is off (as on this project's CI machine) the
    planner would go on planning the rollup maintenance for the empty tables it last saw: a
    backfill measured here slowed from ~2,300 to ~1,400 orders/s as its row-estimates went stale.
    Small tables count too: sale_refund grows ~30 times slower than sale_order, and with a
    10,000-row floor it kept the statistics of its first rows for a whole year's backfill, so
    the payment-method rows were recomputed by plans made for a few rows (2-4 s a statement).
    Doubling, not growing by a fifth: an ANALYZE samples 30,000 rows wherever they lie (~1 s for
    sale_order a few hundred thousand orders in, on this machine), and at a fifth the ANALYZEs
    took a fifth of the database's time in a backfill; plans are chosen on orders of magnitude.
    The end of a backfill takes them all, not by the counts of changed rows: those reach the
    statistics views up to seconds after each writer's commit, so its last pages may not show yet.
    """
    if db.connection().dialect.name != "postgresql":
        return []
    if every:
        grown = list(ANALYZED_TABLES)
    else:
        grown = [
            name
            for (name,) in db.execute(
                text(
                    "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(:tables)"
                    " AND n_mod_since_analyze > GREATEST(:least, 0.5 * n_live_tup)"
                    " ORDER BY relname"
                ),
                {"tables": list(ANALYZED_TABLES), "least": ANALYZE_MIN_ROWS},
            )
        ]
        if grown:
            # Mid-backfill, a tenth of the usual sample: the write path's plans need the
            # tables' sizes and rough distributions, not the reports' detail, which the
            # backfill's final ANALYZE (`every`) takes with the usual sample.
            db.execute(text(f"SET LOCAL default_statistics_target = {GROWTH_STATISTICS_TARGET}"))
    if grown:
        db.execute(text(f"ANALYZE {', '.join(grown)}"))
    return grown
