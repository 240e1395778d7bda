"""Rollups: the additive sums every report needs, kept per location x business date.

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

Maintenance, in the caller's transaction, by the flow that writes orders (app/square/flows.py:
a late edit, a cancellation or a refund corrects the rollups in the same transaction as the
orders): an order written for the first time adds its figures to the rows of its dates
(`update_rollups(added=...)`, see app/rollups/addition.py); an order that changed recomputes
every rollup row of the (location, business date) pairs it leaves and arrives on, `affected(...)`
taken before and after the write — delete, then INSERT ... SELECT ... GROUP BY over the order
tables (`refresh`, app/rollups/recompute.py). `rebuild(db)` recomputes everything (`python -m
app.scripts.rebuild_rollups`), e.g. after the migration that created the tables on an existing
database (it leaves them empty). Every write raises the versions of the months it changes
(app/rollups/freshness.py): that is how whatever was computed from them knows it is out of date.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.rollups import freshness
from app.rollups.addition import (
    _LOCATED,
    _ORG_LINE,
    _TENDER,
    NewOrder,
    _add,
    _contributions,
    _original_tenders,
    _stored_pairs,
)
from app.rollups.models import (
    ALL_ROLLUPS,
    ROLLUPS,
    RollupDay,
    RollupHour,
    RollupLine,
    RollupOrgLine,
    RollupTender,
)
from app.rollups.pairs import Pair, affected, connection_pairs, refunds_against
from app.rollups.recompute import _recompute_pairs, rebuild

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


def update_rollups(
    db: Session,
    org_id: int,
    *,
    added: list[NewOrder],
    recompute: Iterable[Pair],
    recompute_tenders: Iterable[Pair] = (),
) -> None:
    """Bring the rollups up to date in the caller's transaction, after the sales write of its
    orders: add what the orders in `added` (new ones) bring, recompute the `recompute` pairs
    from the order tables, and the payment-method rows of the `recompute_tenders` pairs (see
    app/rollups/addition.py)."""
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
    # Every pair written, in key order (what was computed from their months is out of date).
    freshness.touch(
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


def refresh(db: Session, org_id: int, pairs: Iterable[Pair]) -> None:
    """Recompute the rollup rows of these (location, business date) pairs from the order tables,
    in the caller's transaction (rows of a pair left with nothing are removed)."""
    update_rollups(db, org_id, added=[], recompute=pairs)


__all__ = [
    "ALL_ROLLUPS",
    "ROLLUPS",
    "NewOrder",
    "Pair",
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


def day_transactions(
    *, db: Session, org_id: int, location_ids: Iterable[int], date_from: date, date_to: date
) -> dict[tuple[int, date], int]:
    """Transactions per (location, business date) of the range, inclusive (every currency a
    location sold in added up); a day without sales is absent."""
    ids = sorted(set(location_ids))
    if not ids:
        return {}
    rows = db.execute(
        select(RollupDay.location_id, RollupDay.business_date, func.sum(RollupDay.transactions))
        .where(
            RollupDay.org_id == org_id,
            RollupDay.location_id.in_(ids),
            RollupDay.business_date >= date_from,
            RollupDay.business_date <= date_to,
        )
        .group_by(RollupDay.location_id, RollupDay.business_date)
    )
    return {(loc, day): int(total) for loc, day, total in rows if total}
