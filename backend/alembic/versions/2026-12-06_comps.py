"""reports: comps, the part of discounts that gave whole lines away

A new order measure (app/catalog/measures.py `comps`): the discount of lines discounted to nothing
(a comped line), less the same of itemized returned lines. Its column is added wherever the
catalog's order measures are columns — sale_order, the hour and day rollups, and the converted
caches — and filled from what is stored: each order's from its lines, each rollup row's from its
orders. The converted caches are emptied (they refill on the next report).

Revision ID: 0021_comps
Revises: 0020_webhook_events
Create Date: 2026-12-06 11:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021_comps"
down_revision: str | None = "0020_webhook_events"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MINOR = ("sale_order", "rollup_hour", "rollup_day")
CONVERTED = ("report_month_day", "report_org_day", "report_hour_day")
CACHES = ("report_month_day", "report_org_day", "report_hour_day", "report_line_day", "report_line_day_set")


def upgrade() -> None:
    for table in CACHES:
        op.execute(f"DELETE FROM {table}")  # noqa: S608
    # Added in place (SQLite's ALTER TABLE ADD COLUMN; a batch rebuild of sale_order would
    # cascade to its lines), NOT NULL with a default so existing rows are valid.
    for table in MINOR:
        op.add_column(
            table, sa.Column("comps", sa.BigInteger(), nullable=False, server_default="0")
        )
    for table in CONVERTED:
        op.add_column(table, sa.Column("comps", sa.Numeric(), nullable=False, server_default="0"))
    # Only rows with comps change (every column starts at 0): the comped lines per order, then
    # those orders per rollup row (UPDATE ... FROM: PostgreSQL, and SQLite 3.33+).
    op.execute(
        """
        UPDATE sale_order SET comps = c.comps
        FROM (
            SELECT l.order_id,
                   SUM(CASE WHEN l.kind = 'sale' THEN l.discount ELSE -l.discount END) AS comps
            FROM sale_line l
            WHERE l.item_type <> 'GIFT_CARD'
              AND l.discount <> 0
              AND l.discount = l.gross_ex_tax
              AND (l.kind = 'sale' OR l.source_line_item_uid IS NOT NULL)
            GROUP BY l.order_id
        ) AS c
        WHERE sale_order.id = c.order_id AND sale_order.counted
        """
    )
    op.execute(
        """
        UPDATE rollup_hour SET comps = c.comps
        FROM (
            SELECT location_id, business_date, COALESCE(local_hour, 0) AS hour, currency,
                   SUM(comps) AS comps
            FROM sale_order
            WHERE counted AND comps <> 0 AND business_date IS NOT NULL
            GROUP BY location_id, business_date, COALESCE(local_hour, 0), currency
        ) AS c
        WHERE rollup_hour.location_id = c.location_id
          AND rollup_hour.business_date = c.business_date
          AND rollup_hour.hour = c.hour
          AND rollup_hour.currency = c.currency
        """
    )
    op.execute(
        """
        UPDATE rollup_day SET comps = c.comps
        FROM (
            SELECT location_id, business_date, currency, SUM(comps) AS comps
            FROM sale_order
            WHERE counted AND comps <> 0 AND business_date IS NOT NULL
            GROUP BY location_id, business_date, currency
        ) AS c
        WHERE rollup_day.location_id = c.location_id
          AND rollup_day.business_date = c.business_date
          AND rollup_day.currency = c.currency
        """
    )
    # The model has no server default (like every other measure column); SQLite keeps it, as
    # it cannot drop one without rebuilding the table.
    if op.get_bind().dialect.name == "postgresql":
        for table in (*MINOR, *CONVERTED):
            op.alter_column(table, "comps", server_default=None)


def downgrade() -> None:
    for table in CACHES:
        op.execute(f"DELETE FROM {table}")  # noqa: S608
    for table in (*MINOR, *CONVERTED):
        op.drop_column(table, "comps")
