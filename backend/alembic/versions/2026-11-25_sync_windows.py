"""sync windows: a connection's first backfill split into claimable slices

Revision ID: 0008_sync_windows
Revises: 0007_exports
Create Date: 2026-11-25 10:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0008_sync_windows"
down_revision: str | None = "0007_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The raw Square documents (JSONB, ~3 kB an order) are TOASTed compressed; PostgreSQL's default
# pglz made compressing them the largest single cost of writing an order (COPY of 1000 orders:
# 2,500 rows/s with pglz, 4,100 with lz4, 23,600 without the column). lz4 is used where the
# server has it (PostgreSQL 14+ built with lz4); elsewhere the column keeps its default.
RAW_COLUMNS = (("sale_order", "raw"), ("sale_payment", "raw"), ("sale_payment_refund", "raw"))


def _set_compression(method: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    statements = " ".join(
        f"EXECUTE 'ALTER TABLE {table} ALTER COLUMN {column} SET COMPRESSION {method}';"
        for table, column in RAW_COLUMNS
    )
    op.execute(
        "DO $$ BEGIN "
        f"{statements} "
        "EXCEPTION WHEN feature_not_supported OR invalid_parameter_value OR syntax_error THEN "
        f"RAISE NOTICE 'TOAST compression {method} is not available here'; "
        "END $$"
    )


def upgrade() -> None:
    _set_compression("lz4")
    op.create_table(
        "square_sync_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("location_ids", sa.Text(), nullable=False),
        sa.Column("start_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("end_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "pending", "running", "done", name="syncwindowstate", native_enum=False, length=16
            ),
            nullable=False,
        ),
        sa.Column("lease_token", sa.String(length=32), nullable=True),
        sa.Column("lease_until", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("newest_updated_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["square_connection.id"],
            name=op.f("fk_square_sync_window_connection_id_square_connection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_square_sync_window_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_square_sync_window")),
    )
    with op.batch_alter_table("square_sync_window", schema=None) as batch_op:
        batch_op.create_index(
            "ix_square_sync_window_connection_id_state",
            ["connection_id", "state"],
            unique=False,
        )


def downgrade() -> None:
    _set_compression("pglz")
    with op.batch_alter_table("square_sync_window", schema=None) as batch_op:
        batch_op.drop_index("ix_square_sync_window_connection_id_state")
    op.drop_table("square_sync_window")
