"""counters: organization API keys and the people-counter intake

`api_key` holds each key's prefix, the sha256 of the key, its scope (store ids) and when it was
last used or revoked. `footfall_count` keeps counters' raw figures (one row per store, start,
interval and direction); `footfall_counter` maps counters' own ids to stores; `footfall_audit`
gets the API key that wrote a change.

Revision ID: 0026_counters
Revises: 0025_alerts
Create Date: 2026-12-06 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0026_counters"
down_revision: str | None = "0025_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, app.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "api_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("location_ids", sa.JSON(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        _at("created_at"),
        _at("last_used_at", nullable=True),
        _at("revoked_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_api_key_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_key_prefix")),
    )
    op.create_index(op.f("ix_api_key_org_id"), "api_key", ["org_id"], unique=False)

    op.create_table(
        "footfall_count",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        _at("start_at"),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("direction", sa.String(length=3), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        _at("received_at"),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_footfall_count_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_footfall_count")),
        sa.UniqueConstraint(
            "location_id",
            "start_at",
            "interval_minutes",
            "direction",
            name="uq_footfall_count_interval",
        ),
    )
    op.create_index(
        "ix_footfall_count_location_day",
        "footfall_count",
        ["location_id", "business_date"],
        unique=False,
    )

    op.create_table(
        "footfall_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("counter_id", sa.String(length=64), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_footfall_counter_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_footfall_counter_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_footfall_counter")),
        sa.UniqueConstraint(
            "org_id", "counter_id", name=op.f("uq_footfall_counter_org_id_counter_id")
        ),
    )
    op.create_index(
        op.f("ix_footfall_counter_location_id"), "footfall_counter", ["location_id"], unique=False
    )

    # Nullable, no default: a plain ADD COLUMN on both databases (no table rebuild).
    op.add_column("footfall_audit", sa.Column("api_key_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("footfall_audit") as batch_op:
        batch_op.drop_column("api_key_id")
    op.drop_index(op.f("ix_footfall_counter_location_id"), table_name="footfall_counter")
    op.drop_table("footfall_counter")
    op.drop_index("ix_footfall_count_location_day", table_name="footfall_count")
    op.drop_table("footfall_count")
    op.drop_index(op.f("ix_api_key_org_id"), table_name="api_key")
    op.drop_table("api_key")
