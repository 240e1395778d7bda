"""org day cache: every store's day sums converted and added up per organization x date

Revision ID: 0012_org_day_cache
Revises: 0011_tender_payment_index
Create Date: 2026-12-04 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_org_day_cache"
down_revision: str | None = "0011_tender_payment_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SUMS = (
    "gross_sales",
    "returns",
    "discounts",
    "gift_card_sales",
    "tax",
    "additive_tax",
    "tips",
    "service_charges",
    "refunds_by_amount",
    "rounding",
    "tender_fees",
    "refund_fees",
    "conv_net",
    "transactions",
    "units_sold",
    "traded",
    "used_days",
    "conv_footfall",
    "conv_transactions",
    "rollup_days",
    "footfall",
    "footfall_days",
)


def upgrade() -> None:
    op.create_table(
        "report_org_day",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=3), nullable=False),
        sa.Column("rates_key", sa.String(length=64), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.Numeric(), nullable=False) for name in SUMS),
        sa.Column("converted", sa.Text(), nullable=False),
        sa.Column("shown", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_report_org_day_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "org_id", "target", "rates_key", "business_date", name=op.f("pk_report_org_day")
        ),
    )


def downgrade() -> None:
    op.drop_table("report_org_day")
