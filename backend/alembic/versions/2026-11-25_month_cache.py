"""month cache: day sums converted per location x month, their versions, rate-source epochs

Revision ID: 0009_month_cache
Revises: 0008_sync_windows
Create Date: 2026-11-25 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_month_cache"
down_revision: str | None = "0008_sync_windows"
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
        "rates_epoch",
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("epoch", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_rates_epoch")),
    )
    op.create_table(
        "report_month_version",
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_report_month_version_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("location_id", "month", name=op.f("pk_report_month_version")),
    )
    op.create_table(
        "report_month_day",
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("target", sa.String(length=3), nullable=False),
        sa.Column("rates_key", sa.String(length=64), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        *(sa.Column(name, sa.Numeric(), nullable=False) for name in SUMS),
        sa.Column("rate_days", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_report_month_day_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_report_month_day_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "location_id", "month", "target", "rates_key", name=op.f("pk_report_month_day")
        ),
    )
    op.create_table(
        "report_month_line_set",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("target", sa.String(length=3), nullable=False),
        sa.Column("rates_key", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_report_month_line_set_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "org_id", "month", "target", "rates_key", name=op.f("pk_report_month_line_set")
        ),
    )
    op.create_table(
        "report_month_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("target", sa.String(length=3), nullable=False),
        sa.Column("rates_key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("item_type", sa.String(length=16), nullable=False),
        sa.Column("catalog_object_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("gross", sa.Numeric(), nullable=False),
        sa.Column("discount", sa.Numeric(), nullable=False),
        sa.Column("units", sa.Numeric(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_report_month_line_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_month_line")),
    )
    op.create_index(
        "ix_report_month_line_org_id_target_rates_key_month",
        "report_month_line",
        ["org_id", "target", "rates_key", "month"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_report_month_line_org_id_target_rates_key_month", "report_month_line")
    op.drop_table("report_month_line")
    op.drop_table("report_month_line_set")
    op.drop_table("report_month_day")
    op.drop_table("report_month_version")
    op.drop_table("rates_epoch")
