"""location hours: the traffic report's cache of each store's posted hours

`report_location_hour` keeps, per store, business date and local hour, the location-day's posted
net sales terms shared out among its hours and its transactions, converted per reporting
currency and rate source; valid per month as its `report_line_day_set` row (grouping
"location_hour") says. The traffic report joins it to each store-hour's footfall. No foreign
keys: a year of a 50-store chain is ~180,000 rows, made in one statement, and each key would
check every row (1.4 s a key); the app deletes neither organizations nor locations.

Revision ID: 0027_location_hours
Revises: 0026_counters
Create Date: 2026-12-07 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027_location_hours"
down_revision: str | None = "0026_counters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = ("gross_sales", "returns", "discounts", "transactions")


def upgrade() -> None:
    op.create_table(
        "report_location_hour",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=3), nullable=False),
        sa.Column("rates_key", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Numeric(), nullable=False) for name in SUMS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_location_hour")),
    )
    op.create_index(
        "ix_report_location_hour_org_target_key_date",
        "report_location_hour",
        ["org_id", "target", "rates_key", "business_date"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_report_location_hour_org_target_key_date", table_name="report_location_hour")
    op.drop_table("report_location_hour")
