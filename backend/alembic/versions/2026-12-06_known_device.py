"""auth: known devices, and login_attempt's kind and device for the wider throttle

A browser that has signed in to an account gets a known-device cookie (stored here as a digest);
with it, the owner is not locked out by strangers' failures on the account, only by their own,
which are counted by login_attempt.known_device_id. login_attempt.kind lets the same table throttle
wrong current passwords in PATCH /users/me and sign-ups, each of which costs an Argon2 hash.

Revision ID: 0015_known_device
Revises: 0014_token_version
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core.db import UTCDateTime

revision: str = "0015_known_device"
down_revision: str | None = "0014_token_version"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "known_device",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_known_device_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_known_device")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_known_device_token_digest")),
    )
    with op.batch_alter_table("known_device") as batch_op:
        batch_op.create_index(batch_op.f("ix_known_device_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("login_attempt") as batch_op:
        batch_op.add_column(
            sa.Column(
                "kind",
                sa.Enum(
                    "login",
                    "password_change",
                    "register",
                    name="attemptkind",
                    native_enum=False,
                    length=16,
                ),
                server_default="login",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("known_device_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_login_attempt_known_device_id_known_device"),
            "known_device",
            ["known_device_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("login_attempt") as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_login_attempt_known_device_id_known_device"), type_="foreignkey"
        )
        batch_op.drop_column("known_device_id")
        batch_op.drop_column("kind")
    with op.batch_alter_table("known_device") as batch_op:
        batch_op.drop_index(batch_op.f("ix_known_device_user_id"))
    op.drop_table("known_device")
