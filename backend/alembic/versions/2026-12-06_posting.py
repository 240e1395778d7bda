"""reports: posted conversion; item and category rows merged by name across accounts

METRICS.md "Rounding" posts each location-day in the reporting currency and shares finer rows
out by largest remainder; item and category rows are one per name across an organization's
Square accounts. The cached sums made before were neither: every report cache is emptied (the
reports make them again), and the organization-wide month cache of line identities gives way to
a day cache of item / category rows (`report_line_day`) and one of hours (`report_hour_day`),
which the largest-remainder split needs.
Catalog items and categories keep Square's `updated_at`, which decides how a merged name is
spelled (filled by the next catalog sync).

Revision ID: 0017_posting
Revises: 0016_oauth_state_browser
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_posting"
down_revision: str | None = "0016_oauth_state_browser"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATETIME = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.drop_index("ix_report_month_line_org_id_target_rates_key_month", "report_month_line")
    op.drop_table("report_month_line")
    op.drop_table("report_month_line_set")
    op.execute("DELETE FROM report_month_day")
    op.execute("DELETE FROM report_org_day")
    with op.batch_alter_table("catalog_item") as batch_op:
        batch_op.add_column(sa.Column("updated_at", DATETIME, nullable=True))
    with op.batch_alter_table("catalog_category") as batch_op:
        batch_op.add_column(sa.Column("updated_at", DATETIME, nullable=True))
    op.create_table(
        "report_line_day_set",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("target", sa.String(length=3), nullable=False),
        sa.Column("rates_key", sa.String(length=64), nullable=False),
        sa.Column("grouping", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_report_line_day_set_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "org_id",
            "month",
            "target",
            "rates_key",
            "grouping",
            name=op.f("pk_report_line_day_set"),
        ),
    )
    op.create_table(
        "report_line_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=3), nullable=False),
        sa.Column("rates_key", sa.String(length=64), nullable=False),
        sa.Column("grouping", sa.String(length=64), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("row_key", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("gross_sales", sa.Numeric(), nullable=False),
        sa.Column("returns", sa.Numeric(), nullable=False),
        sa.Column("discounts", sa.Numeric(), nullable=False),
        sa.Column("units", sa.Numeric(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_report_line_day_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_line_day")),
    )
    op.create_index(
        "ix_report_line_day_org_target_key_grouping_date",
        "report_line_day",
        ["org_id", "target", "rates_key", "grouping", "business_date"],
        unique=False,
    )


    op.create_table(
        "report_hour_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=3), nullable=False),
        sa.Column("rates_key", sa.String(length=64), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        *(sa.Column(name, sa.Numeric(), nullable=False) for name in HOUR_SUMS),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_report_hour_day_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_hour_day")),
    )
    op.create_index(
        "ix_report_hour_day_org_target_key_date",
        "report_hour_day",
        ["org_id", "target", "rates_key", "business_date"],
        unique=False,
    )


HOUR_SUMS = (
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
    "fees",
    "transactions",
    "units_sold",
)


def downgrade() -> None:
    op.drop_index("ix_report_hour_day_org_target_key_date", "report_hour_day")
    op.drop_table("report_hour_day")
    op.drop_index(
        "ix_report_line_day_org_target_key_grouping_date", "report_line_day"
    )
    op.drop_table("report_line_day")
    op.drop_table("report_line_day_set")
    # In place (SQLite >= 3.35): a batch rebuild would drop and recreate the tables.
    op.drop_column("catalog_category", "updated_at")
    op.drop_column("catalog_item", "updated_at")
    op.execute("DELETE FROM report_month_day")
    op.execute("DELETE FROM report_org_day")
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
