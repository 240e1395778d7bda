"""sales: drop the foreign keys that repeat the order's (organization and location of its lines,
tenders and refunds; the organization of an order)

Each was checked for every row a sync writes (a page of 1,000 orders has ~5,000 child rows):
about a fifth of PostgreSQL's time writing a page. The order's foreign key still cascades a
deleted location's (or connection's) orders to their lines, tenders and refunds, and an order's
location and connection belong to its organization.

Revision ID: 0010_sales_foreign_keys
Revises: 0009_month_cache
Create Date: 2026-11-25 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010_sales_foreign_keys"
down_revision: str | None = "0009_month_cache"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DROPPED = [
    ("sale_order", "org_id", "organization"),
    *(
        (table, column, target)
        for table in ("sale_line", "sale_tender", "sale_refund")
        for column, target in (("org_id", "organization"), ("location_id", "location"))
    ),
]


def upgrade() -> None:
    for table, column, target in DROPPED:
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_{column}_{target}", type_="foreignkey")


def downgrade() -> None:
    for table, column, target in DROPPED:
        with op.batch_alter_table(table) as batch:
            batch.create_foreign_key(
                f"fk_{table}_{column}_{target}", target, [column], ["id"], ondelete="CASCADE"
            )
