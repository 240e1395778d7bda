"""mail: a record per e-mail (`mail_message`) and single-use password reset links

`mail_message` holds each e-mail from queueing to delivery (state, attempts, last error, the
next attempt's time and the worker's hold on it); its bodies are encrypted and erased once sent.
`password_reset_token` keeps the digest of each reset link, its expiry and when it was used.

Revision ID: 0023_mail_messages
Revises: 0022_store_groups
Create Date: 2026-12-06 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0023_mail_messages"
down_revision: str | None = "0022_store_groups"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, app.core.db.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "mail_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("to_address", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "invitation",
                "password_reset",
                "password_changed",
                name="mailkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum("queued", "sent", "failed", name="mailstate", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("message_id", sa.String(length=255), nullable=False),
        sa.Column("text_body", sa.Text(), nullable=True),
        sa.Column("html_body", sa.Text(), nullable=True),
        _at("created_at"),
        _at("updated_at"),
        _at("next_attempt_at", nullable=True),
        _at("claimed_until", nullable=True),
        _at("sent_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_mail_message_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_message")),
        sa.UniqueConstraint("message_id", name=op.f("uq_mail_message_message_id")),
    )
    op.create_index(op.f("ix_mail_message_org_id"), "mail_message", ["org_id"], unique=False)
    op.create_index(
        "ix_mail_message_state_next_attempt_at",
        "mail_message",
        ["state", "next_attempt_at"],
        unique=False,
    )
    op.create_table(
        "password_reset_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        _at("created_at"),
        _at("expires_at"),
        _at("used_at", nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_password_reset_token_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_reset_token")),
        sa.UniqueConstraint("token_digest", name=op.f("uq_password_reset_token_token_digest")),
    )
    op.create_index(
        op.f("ix_password_reset_token_user_id"),
        "password_reset_token",
        ["user_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_password_reset_token_user_id"), table_name="password_reset_token")
    op.drop_table("password_reset_token")
    op.drop_index("ix_mail_message_state_next_attempt_at", table_name="mail_message")
    op.drop_index(op.f("ix_mail_message_org_id"), table_name="mail_message")
    op.drop_table("mail_message")
