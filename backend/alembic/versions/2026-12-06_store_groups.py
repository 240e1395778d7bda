"""locations: store groups (areas, regions) and a store's closing date

A chain of 5–50 stores reports by area manager: `location_group` holds an organization's groups
(name unique per organization whatever its case, through `name_key`), and `location.group_id`
puts a store in at most one of them, so a by-group breakdown's rows add up to the total.
Deleting a group ungroups its stores (app/locations/groups.py; `group_id` has no foreign key,
as SQLite could neither add nor drop one on `location` without rebuilding it). `location.closed_on` is the last
trading day of a store that has closed.

Revision ID: 0022_store_groups
Revises: 0021_comps
Create Date: 2026-12-06 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0022_store_groups"
down_revision: str | None = "0021_comps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "location_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("name_key", sa.String(length=120), nullable=False),
        sa.Column("created_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_location_group_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location_group")),
        sa.UniqueConstraint("org_id", "name_key", name=op.f("uq_location_group_org_id_name_key")),
    )
    op.create_index(op.f("ix_location_group_org_id"), "location_group", ["org_id"], unique=False)
    # Added in place rather than by a batch rebuild: on SQLite rebuilding `location` would
    # cascade to every table that references it.
    op.add_column("location", sa.Column("closed_on", sa.Date(), nullable=True))
    # No foreign key (see Location.group_id): added and dropped in place on SQLite too.
    op.add_column("location", sa.Column("group_id", sa.Integer(), nullable=True))
    op.create_index(op.f("ix_location_group_id"), "location", ["group_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_location_group_id"), table_name="location")
    op.drop_column("location", "group_id")
    op.drop_column("location", "closed_on")
    op.drop_index(op.f("ix_location_group_org_id"), table_name="location_group")
    op.drop_table("location_group")
