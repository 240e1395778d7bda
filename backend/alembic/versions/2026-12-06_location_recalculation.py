"""locations: the re-dating of a location's stored sales after a settings change

A change of a location's business-day start (PATCH /locations/{id}) or of its timezone at Square
left every sale already synced on the date the old setting gave it. The job that re-dates them
(app/locations/recalculation.py) keeps its state and progress here, one row per location.

Revision ID: 0018_location_recalculation
Revises: 0017_posting
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0018_location_recalculation"
down_revision: str | None = "0017_posting"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "location_recalculation",
        sa.Column("location_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "queued",
                "running",
                "done",
                "failed",
                name="recalculationstate",
                native_enum=False,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("after_order_id", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("finished_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_location_recalculation_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_location_recalculation_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("location_id", name=op.f("pk_location_recalculation")),
    )
    with op.batch_alter_table("location_recalculation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_location_recalculation_org_id"), ["org_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("location_recalculation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_location_recalculation_org_id"))
    op.drop_table("location_recalculation")
