"""sales: compress the raw Square documents with lz4 instead of pglz (PostgreSQL)

Every order a sync writes keeps its Square document (~3 KB of JSON) in sale_order.raw, which
PostgreSQL compresses before storing. With its default, pglz, that compression was the largest
single part of PostgreSQL's time writing a page: copying 1,000 of the simulator's order
documents into a JSONB column took 66 ms with pglz and 44 ms with lz4 (the stored documents
~14 % larger). The column stays JSONB with the same content; only values written from now on
are compressed with lz4 (PostgreSQL reads either). Payments and refunds keep their documents the
same way. A server built without lz4 keeps pglz.

Revision ID: 0013_raw_lz4
Revises: 0012_org_day_cache
Create Date: 2026-12-04 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_raw_lz4"
down_revision: str | None = "0012_org_day_cache"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("sale_order", "sale_payment", "sale_payment_refund")


def _set(method: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table in TABLES:
        # feature_not_supported: a server built without lz4 (it keeps its default).
        op.execute(
            f"DO $$ BEGIN ALTER TABLE {table} ALTER COLUMN raw SET COMPRESSION {method}; "
            "EXCEPTION WHEN feature_not_supported THEN NULL; END $$"
        )


def upgrade() -> None:
    _set("lz4")


def downgrade() -> None:
    _set("pglz")
