"""alerts: exception alert rules, quiet hours and the occurrences found

`alert_settings` holds an organization's quiet hours; `alert_rule` a rule of the organization
(scope "org") or a store's override of it (scope: the store's id); `alert_occurrence` each alert
found, once per organization, kind and occurrence key, with when it is due to be mailed (after
quiet hours), when it was mailed and when it closed. The mail kind `alert` needs no change of
`mail_message` (a non-native enum without a check).

Revision ID: 0025_alerts
Revises: 0024_digests
Create Date: 2026-12-06 20:34:05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = "0025_alerts"
down_revision: str | None = "0024_digests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_settings",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("quiet_hours_enabled", sa.Boolean(), nullable=False),
        sa.Column("quiet_from_hour", sa.Integer(), nullable=False),
        sa.Column("quiet_to_hour", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_alert_settings_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_alert_settings")),
    )
    op.create_table(
        "alert_occurrence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "sales_low",
                "sales_high",
                "transactions_low",
                "transactions_high",
                "conversion_low",
                "footfall_missing",
                "square_connection",
                "rates_stale",
                name="alertkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("occurrence_key", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("connection_id", sa.Integer(), nullable=True),
        sa.Column("business_date", sa.Date(), nullable=True),
        sa.Column("summary", sa.String(length=255), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("link_path", sa.String(length=255), nullable=False),
        sa.Column("found_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("closed_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("mail_due_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("mailed_at", app.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["square_connection.id"],
            name=op.f("fk_alert_occurrence_connection_id_square_connection"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_alert_occurrence_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_alert_occurrence_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_occurrence")),
        sa.UniqueConstraint(
            "org_id",
            "kind",
            "occurrence_key",
            name=op.f("uq_alert_occurrence_org_id_kind_occurrence_key"),
        ),
    )
    with op.batch_alter_table("alert_occurrence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_occurrence_connection_id"), ["connection_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alert_occurrence_location_id"), ["location_id"], unique=False
        )
        batch_op.create_index(
            "ix_alert_occurrence_mail_due", ["mailed_at", "mail_due_at"], unique=False
        )
        batch_op.create_index(
            "ix_alert_occurrence_org_id_found_at", ["org_id", "found_at"], unique=False
        )

    op.create_table(
        "alert_rule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "sales_low",
                "sales_high",
                "transactions_low",
                "transactions_high",
                "conversion_low",
                "footfall_missing",
                "square_connection",
                "rates_stale",
                name="alertkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("threshold_percent", sa.Integer(), nullable=True),
        sa.Column("weeks", sa.Integer(), nullable=True),
        sa.Column("by_hour", sa.Integer(), nullable=True),
        sa.Column("floor_percent", sa.Integer(), nullable=True),
        sa.Column("at_hour", sa.Integer(), nullable=True),
        sa.Column("updated_at", app.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_alert_rule_location_id_location"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organization.id"],
            name=op.f("fk_alert_rule_org_id_organization"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rule")),
        sa.UniqueConstraint(
            "org_id", "kind", "scope", name=op.f("uq_alert_rule_org_id_kind_scope")
        ),
    )
    with op.batch_alter_table("alert_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_rule_location_id"), ["location_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_alert_rule_org_id"), ["org_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_rule_org_id"))
        batch_op.drop_index(batch_op.f("ix_alert_rule_location_id"))

    op.drop_table("alert_rule")
    with op.batch_alter_table("alert_occurrence", schema=None) as batch_op:
        batch_op.drop_index("ix_alert_occurrence_org_id_found_at")
        batch_op.drop_index("ix_alert_occurrence_mail_due")
        batch_op.drop_index(batch_op.f("ix_alert_occurrence_location_id"))
        batch_op.drop_index(batch_op.f("ix_alert_occurrence_connection_id"))

    op.drop_table("alert_occurrence")
    op.drop_table("alert_settings")
