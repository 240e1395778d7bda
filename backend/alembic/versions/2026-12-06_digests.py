"""digests: the organization's timezone

`organization.timezone` (IANA) is where the scheduled digests keep their local hour; until a
person sets it (`timezone_chosen`) it follows the most common timezone of the organization's
stores, Europe/London without stores. Existing organizations take their stores' most common
timezone here.

Revision ID: 0024_digests
Revises: 0023_mail_messages
Create Date: 2026-12-06 21:00:00
"""

from collections import Counter
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024_digests"
down_revision: str | None = "0023_mail_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_TIMEZONE = "Europe/London"


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


def downgrade() -> None:
    # SQLite >= 3.35 drops a column in place (no rebuild of the table, see upgrade).
    op.drop_column("organization", "timezone_chosen")
    op.drop_column("organization", "timezone")
