"""digests: the organization's timezone, digest subscriptions and the record of each sent

`organization.timezone` (IANA) is where the scheduled digests keep their local hour; until a
person sets it (`timezone_chosen`) it follows the most common timezone of the organization's
stores, Europe/London without stores. Existing organizations take their stores' most common
timezone here.

`digest_subscription` holds a user's daily and weekly digest (one of each at most: hour,
weekday, metrics, league table, on or off); `digest_send` records each digest sent, unique per
subscription and period (a period's digest goes out once); `digest_unsubscribe_token` the digest
of each mail's unsubscribe token; `notification_settings` a user's own alerts e-mail switch.
`mail_message.extra_headers` carries a message's List-Unsubscribe headers (encrypted, erased
once sent, like the bodies).

Revision ID: 0024_digests
Revises: 0023_mail_messages
Create Date: 2026-12-06 21:00:00
"""

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import app.core.db

revision: str = "0024_digests"
down_revision: str | None = "0023_mail_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_TIMEZONE = "Europe/London"


def _at(name: str, nullable: bool = False) -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(name, app.core.db.UTCDateTime(timezone=True), nullable=nullable)


def _follow_store_timezones() -> None:
    """Each organization with stores takes the timezone most of them keep (ties: the first by
    name, as app/locations/service.py's most_common_timezone)."""
    bind = op.get_bind()
    location = sa.table("location", sa.column("org_id", sa.Integer), sa.column("timezone"))
    organization = sa.table("organization", sa.column("id", sa.Integer), sa.column("timezone"))
    counts: dict[int, Counter[str]] = {}
    for org_id, timezone in bind.execute(sa.select(location.c.org_id, location.c.timezone)):
        counts.setdefault(org_id, Counter())[timezone] += 1
    for org_id, counter in counts.items():
        most = max(counter.values())
        chosen = min(tz for tz, n in counter.items() if n == most)
        bind.execute(
            organization.update().where(organization.c.id == org_id).values(timezone=chosen)
        )


def upgrade() -> None:
    # Plain ADD COLUMNs on SQLite too: a batch rebuild of `organization` would drop the table
    # every other table's foreign keys cascade from.
    op.add_column(
        "organization",
        sa.Column(
            "timezone", sa.String(length=64), server_default=DEFAULT_TIMEZONE, nullable=False
        ),
    )
    op.add_column(
        "organization",
        sa.Column("timezone_chosen", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    _follow_store_timezones()
    op.add_column("mail_message", sa.Column("extra_headers", sa.Text(), nullable=True))
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("alerts_email", sa.Boolean(), server_default=sa.true(), nullable=False),
        _at("updated_at"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_notification_settings_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_notification_settings_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_settings")),
    )
    op.create_index(
        op.f("ix_notification_settings_org_id"), "notification_settings", ["org_id"], unique=False
    )
    op.create_table(
        "digest_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column(
            "frequency",
            sa.Enum("daily", "weekly", name="digestfrequency", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("local_hour", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column(
            "metrics",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("include_league", sa.Boolean(), nullable=False),
        _at("created_at"),
        _at("updated_at"),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_digest_subscription_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_digest_subscription_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_subscription")),
        sa.UniqueConstraint(
            "user_id", "frequency", name=op.f("uq_digest_subscription_user_id_frequency")
        ),
    )
    op.create_index(
        op.f("ix_digest_subscription_org_id"), "digest_subscription", ["org_id"], unique=False
    )
    op.create_table(
        "digest_send",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("mail_message_id", sa.Integer(), nullable=True),
        _at("created_at"),
        sa.ForeignKeyConstraint(
            ["mail_message_id"],
            ["mail_message.id"],
            name=op.f("fk_digest_send_mail_message_id_mail_message"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_digest_send_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscription.id"],
            name=op.f("fk_digest_send_subscription_id_digest_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_send")),
        sa.UniqueConstraint(
            "subscription_id",
            "period_start",
            name=op.f("uq_digest_send_subscription_id_period_start"),
        ),
    )
    op.create_index(op.f("ix_digest_send_org_id"), "digest_send", ["org_id"], unique=False)
    op.create_table(
        "digest_unsubscribe_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        _at("created_at"),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["digest_subscription.id"],
            name=op.f("fk_digest_unsubscribe_token_subscription_id_digest_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_digest_unsubscribe_token")),
        sa.UniqueConstraint(
            "token_digest", name=op.f("uq_digest_unsubscribe_token_token_digest")
        ),
    )
    op.create_index(
        op.f("ix_digest_unsubscribe_token_subscription_id"),
        "digest_unsubscribe_token",
        ["subscription_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_digest_unsubscribe_token_subscription_id"), table_name="digest_unsubscribe_token"
    )
    op.drop_table("digest_unsubscribe_token")
    op.drop_index(op.f("ix_digest_send_org_id"), table_name="digest_send")
    op.drop_table("digest_send")
    op.drop_index(op.f("ix_digest_subscription_org_id"), table_name="digest_subscription")
    op.drop_table("digest_subscription")
    op.drop_index(op.f("ix_notification_settings_org_id"), table_name="notification_settings")
    op.drop_table("notification_settings")
    op.drop_column("mail_message", "extra_headers")
    # SQLite >= 3.35 drops a column in place (no rebuild of the table, see upgrade).
    op.drop_column("organization", "timezone_chosen")
    op.drop_column("organization", "timezone")
