"""Re-deriving the gross / discount split of orders stored before inclusive tax had one basis.

Until migration 0019_inclusive_tax_basis a line with inclusive tax was stored with its gross sales
ex-tax but its discount as Square sends it (tax included): a £7.50 toastie (VAT 20 % inclusive)
20 % off was gross £6.50, discount £1.50. `facts.derive` now takes both ex-tax on the same basis
(gross £6.25, discount £1.25, METRICS.md `gross_sales`); the net ex-tax, and so every other figure,
is the same either way. `rederive` brings the stored rows in line from each order's kept Square
document:

- only orders that can have changed are read: those with a line that has a discount and either
  inclusive tax or a discount of its whole gross (a comp, whose inclusive tax is zero);
- `sale_line.gross_ex_tax` / `discount` and `sale_order.gross_sales` / `discounts` are updated
  where they differ;
- the (location, business date) pairs of the counted orders that changed are returned, per
  organization, for the flow that calls this to recompute the rollups of (and retire whatever
  was computed from) them: `app.rollups.flows.rederive_tax_basis`.

Orders are read in batches in id order (an organization may hold millions), each batch in a few
statements; everything happens in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from app.sales.facts import derive
from app.sales.models import SaleLine, SaleOrder

log = logging.getLogger(__name__)

BATCH = 500

# A line whose split can differ between the two bases: discounted, and taxed inclusively (a comp
# has no inclusive tax left to show it, so a line discounted to nothing is read too).
_CANDIDATE = and_(
    SaleLine.discount != 0,
    or_(SaleLine.inclusive_tax != 0, SaleLine.discount == SaleLine.gross_sales_money),
)


@dataclass
class Rederived:
    orders_read: int = 0
    orders_changed: int = 0
    lines_changed: int = 0
    # Orders whose stored lines do not match their document (left as they are).
    orders_skipped: int = 0
    # Per organization, the (location, business date) pairs of the counted orders changed.
    pairs: dict[int, set[tuple[int, date]]] = field(default_factory=lambda: defaultdict(set))


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def _batch(db: Session, order_ids: list[int], out: Rederived) -> None:
    orders = db.execute(
        select(
            SaleOrder.id,
            SaleOrder.org_id,
            SaleOrder.location_id,
            SaleOrder.business_date,
            SaleOrder.counted,
            SaleOrder.gross_sales,
            SaleOrder.discounts,
            SaleOrder.raw,
        ).where(SaleOrder.id.in_(order_ids))
    ).all()
    stored_lines: dict[int, list[Any]] = defaultdict(list)
    for row in db.execute(
        select(
            SaleLine.id,
            SaleLine.order_id,
            SaleLine.kind,
            SaleLine.uid,
            SaleLine.gross_ex_tax,
            SaleLine.discount,
        )
        .where(SaleLine.order_id.in_(order_ids))
        .order_by(SaleLine.order_id, SaleLine.id)
    ):
        stored_lines[row.order_id].append(row)
    line_updates: list[dict[str, int]] = []
    order_updates: list[dict[str, int]] = []
    for order in orders:
        out.orders_read += 1
        facts = derive(order.raw)
        stored = stored_lines[order.id]
        # The lines were written in the order `derive` lists them.
        if [(li.kind, li.uid) for li in facts.lines] != [(s.kind, s.uid) for s in stored]:
            out.orders_skipped += 1  # counted, and logged once at the end
            log.debug("order %s: stored lines differ from its document; not re-derived", order.id)
            continue
        changed = False
        for li, s in zip(facts.lines, stored, strict=True):
            if (li.gross_ex_tax, li.discount) != (s.gross_ex_tax, s.discount):
                line_updates.append(
                    {"b_id": s.id, "b_gross": li.gross_ex_tax, "b_disc": li.discount}
                )
                changed = True
        if (facts.gross_sales, facts.discounts) != (order.gross_sales, order.discounts):
            order_updates.append(
                {"b_id": order.id, "b_gross": facts.gross_sales, "b_disc": facts.discounts}
            )
            changed = True
        if changed:
            out.orders_changed += 1
            if order.counted and order.business_date is not None:
                out.pairs[order.org_id].add((order.location_id, order.business_date))
    lines = _table(SaleLine)
    if line_updates:
        db.connection().execute(
            update(lines)
            .where(lines.c.id == bindparam("b_id"))
            .values(gross_ex_tax=bindparam("b_gross"), discount=bindparam("b_disc")),
            line_updates,
        )
        out.lines_changed += len(line_updates)
    orders_table = _table(SaleOrder)
    if order_updates:
        db.connection().execute(
            update(orders_table)
            .where(orders_table.c.id == bindparam("b_id"))
            .values(gross_sales=bindparam("b_gross"), discounts=bindparam("b_disc")),
            order_updates,
        )


def rederive(db: Session, *, batch: int = BATCH) -> Rederived:
    """Re-derive the ex-tax gross / discount of every stored order that may hold the old split
    (the rollups that sum them are the caller's, see the module docstring)."""
    out = Rederived()
    last = 0
    while True:
        order_ids = list(
            db.scalars(
                select(SaleLine.order_id)
                .where(_CANDIDATE, SaleLine.order_id > last)
                .group_by(SaleLine.order_id)
                .order_by(SaleLine.order_id)
                .limit(batch)
            )
        )
        if not order_ids:
            break
        _batch(db, order_ids, out)
        last = order_ids[-1]
    log.info(
        "inclusive tax basis: %d orders read, %d changed (%d lines)",
        out.orders_read,
        out.orders_changed,
        out.lines_changed,
    )
    if out.orders_skipped:
        # E.g. rows written without their Square document (the chain bench's generator).
        log.warning(
            "inclusive tax basis: %d orders left as they were: their stored lines do not match "
            "their Square document",
            out.orders_skipped,
        )
    return out


__all__ = ["Rederived", "rederive"]
