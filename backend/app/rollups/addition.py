"""Rollups maintained by addition.

An order written for the first time (nearly every order of a backfill) only adds to the rows of
its dates: its contributions are summed here, in Python, from the rows the sales upsert has
just built, and added to the stored rows (or inserted as new rows) — a few statements a page
instead of re-reading every order of each date it touches. Anything else (an order that
changed, a refund stored earlier against a tender that only arrives now) recomputes its pairs
from the order tables. A pair is either recomputed whole or added to, never both.

Concurrent writers: each transaction first raises the month versions of every pair it writes
(`freshness.touch`, rows locked in key order until it commits), then takes a lock per
organization x month for the organization-wide lines, so two transactions writing the same pair
(or the same month of organization lines) run one after the other, and the second one reads and
adds to what the first committed (`service.update_rollups`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from operator import add
from typing import Any

from sqlalchemy import Numeric, String, and_, bindparam, literal, select, update
from sqlalchemy.orm import Session

from app.catalog.measures import ORDER_MONEY
from app.core import bulk
from app.rollups.models import RollupDay, RollupHour, RollupLine, RollupOrgLine, RollupTender
from app.rollups.pairs import Pair
from app.sales.models import SaleTender

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
# Additions per rollup row key: the values to add to its sums columns, in their order.
Contributions = dict[tuple[Any, ...], list[Any]]


@dataclass
class NewOrder:
    """An order written for the first time: its sale_order row and child rows as inserted."""

    row: dict[str, Any]
    lines: list[dict[str, Any]]
    tenders: list[dict[str, Any]]
    refunds: list[dict[str, Any]]


def _add_to(sums: Contributions, key: tuple[Any, ...], values: Iterable[Any]) -> None:
    stored = sums.get(key)
    sums[key] = list(values) if stored is None else list(map(add, stored, values))


def _contributions(
    orders: list[NewOrder], tender_types: dict[str, tuple[str, str | None]]
) -> dict[_Target, Contributions]:
    """What these orders add to each rollup, row by row: the same rows and sums as the
    INSERT ... SELECT statements of `_recompute` give for them."""
    out: dict[_Target, Contributions] = {target: {} for target in (*_LOCATED, _ORG_LINE)}
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
    db: Session, org_id: int, target: _Target, sums: Contributions, stored: set[Pair] | None = None
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


__all__ = ["NewOrder"]
