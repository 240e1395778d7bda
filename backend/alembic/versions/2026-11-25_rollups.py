"""rollups

Revision ID: 0005_rollups
Revises: 0004
Create Date: 2026-11-25 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0005_rollups"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The tables start empty on an existing database: `python -m app.scripts.rebuild_rollups`
    # fills them (and the refunds' local hours) from the order tables.
    with op.batch_alter_table("sale_refund", schema=None) as batch_op:
        batch_op.add_column(sa.Column("local_hour", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_sale_refund_tender_id"), ["tender_id"], unique=False)
    with op.batch_alter_table("sale_tender", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sale_tender_square_tender_id"), ["square_tender_id"], unique=False
        )

    op.create_table(
        "rollup_hour",
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("transactions", sa.BigInteger(), nullable=False),
        sa.Column("gross_sales", sa.BigInteger(), nullable=False),
        sa.Column("returns", sa.BigInteger(), nullable=False),
        sa.Column("discounts", sa.BigInteger(), nullable=False),
        sa.Column("gift_card_sales", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("additive_tax", sa.BigInteger(), nullable=False),
        sa.Column("tips", sa.BigInteger(), nullable=False),
        sa.Column("service_charges", sa.BigInteger(), nullable=False),
        sa.Column("refunds_by_amount", sa.BigInteger(), nullable=False),
        sa.Column("rounding", sa.BigInteger(), nullable=False),
        sa.Column("tender_fees", sa.BigInteger(), nullable=False),
        sa.Column("units_sold", sa.Numeric(precision=18, scale=5), nullable=False),
        sa.Column("refund_fees", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_rollup_hour_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_rollup_hour_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "location_id", "business_date", "hour", "currency", name=op.f("pk_rollup_hour")
        ),
    )
    op.create_table(
        "rollup_day",
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("orders", sa.BigInteger(), nullable=False),
        sa.Column("transactions", sa.BigInteger(), nullable=False),
        sa.Column("gross_sales", sa.BigInteger(), nullable=False),
        sa.Column("returns", sa.BigInteger(), nullable=False),
        sa.Column("discounts", sa.BigInteger(), nullable=False),
        sa.Column("gift_card_sales", sa.BigInteger(), nullable=False),
        sa.Column("tax", sa.BigInteger(), nullable=False),
        sa.Column("additive_tax", sa.BigInteger(), nullable=False),
        sa.Column("tips", sa.BigInteger(), nullable=False),
        sa.Column("service_charges", sa.BigInteger(), nullable=False),
        sa.Column("refunds_by_amount", sa.BigInteger(), nullable=False),
        sa.Column("rounding", sa.BigInteger(), nullable=False),
        sa.Column("tender_fees", sa.BigInteger(), nullable=False),
        sa.Column("units_sold", sa.Numeric(precision=18, scale=5), nullable=False),
        sa.Column("refund_fees", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_rollup_day_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_rollup_day_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "location_id", "business_date", "currency", name=op.f("pk_rollup_day")
        ),
    )
    with op.batch_alter_table("rollup_day", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_day_org_id_business_date", ["org_id", "business_date"], unique=False
        )

    op.create_table(
        "rollup_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("item_type", sa.String(length=16), nullable=False),
        sa.Column("catalog_object_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("units", sa.Numeric(precision=18, scale=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_rollup_line_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_rollup_line_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_line")),
    )
    with op.batch_alter_table("rollup_line", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_line_location_id_business_date",
            ["location_id", "business_date"],
            unique=False,
        )

    op.create_table(
        "rollup_org_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("item_type", sa.String(length=16), nullable=False),
        sa.Column("catalog_object_id", sa.String(length=64), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("gross", sa.BigInteger(), nullable=False),
        sa.Column("discount", sa.BigInteger(), nullable=False),
        sa.Column("units", sa.Numeric(precision=18, scale=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_rollup_org_line_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_org_line")),
    )
    with op.batch_alter_table("rollup_org_line", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_org_line_org_id_business_date", ["org_id", "business_date"], unique=False
        )

    op.create_table(
        "rollup_tender",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tender_type", sa.String(length=32), nullable=False),
        sa.Column("card_brand", sa.String(length=32), nullable=True),
        sa.Column("tendered", sa.BigInteger(), nullable=False),
        sa.Column("tender_fees", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("refund_fees", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_rollup_tender_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_rollup_tender_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_tender")),
    )
    with op.batch_alter_table("rollup_tender", schema=None) as batch_op:
        batch_op.create_index(
            "ix_rollup_tender_location_id_business_date",
            ["location_id", "business_date"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("rollup_tender", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_tender_location_id_business_date")
    op.drop_table("rollup_tender")
    with op.batch_alter_table("rollup_org_line", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_org_line_org_id_business_date")
    op.drop_table("rollup_org_line")
    with op.batch_alter_table("rollup_line", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_line_location_id_business_date")
    op.drop_table("rollup_line")
    with op.batch_alter_table("rollup_day", schema=None) as batch_op:
        batch_op.drop_index("ix_rollup_day_org_id_business_date")
    op.drop_table("rollup_day")
    op.drop_table("rollup_hour")
    with op.batch_alter_table("sale_tender", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sale_tender_square_tender_id"))
    with op.batch_alter_table("sale_refund", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sale_refund_tender_id"))
        batch_op.drop_column("local_hour")
