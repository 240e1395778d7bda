"""square: fetch what webhooks announce, one queued fetch per connection

Square announces a sale rung up at the till with payment.* events only (order.* events are
published for orders created through the Orders API). Each announced order, payment and refund is
kept until the connection's queued fetch takes it; the connection records when that fetch is due.

Revision ID: 0020_webhook_events
Revises: 0019_inclusive_tax_basis
Create Date: 2026-12-06 07:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = "0020_webhook_events"
down_revision: str | None = "0019_inclusive_tax_basis"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "square_announced_object",
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("square_id", sa.String(length=192), nullable=False),
        sa.Column(
            "payload",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=True,
        ),
        sa.Column("announced_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["square_connection.id"],
            name=op.f("fk_square_announced_object_connection_id_square_connection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "connection_id", "kind", "square_id", name=op.f("pk_square_announced_object")
        ),
    )
    with op.batch_alter_table("square_connection") as batch_op:
        batch_op.add_column(
            sa.Column("webhook_fetch_at", app.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    # In place (SQLite >= 3.35), not by batch: rebuilding square_connection on SQLite drops the
    # table, and its ON DELETE CASCADE children (every synced order) would go with it.
    op.drop_column("square_connection", "webhook_fetch_at")
    op.drop_table("square_announced_object")
