"""square: bind each OAuth state to the browser that started it

The callback needed no session: the state alone chose the organization, so an authorize link an
admin sent to a merchant connected the merchant's Square account to the admin's organization
(RFC 6749 section 10.12). Each state now keeps the digest of a nonce the starting browser holds
in a cookie. States live ten minutes and cannot be bound after the fact, so outstanding ones are
dropped (their holders click Connect again).

Revision ID: 0016_oauth_state_browser
Revises: 0015_known_device
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_oauth_state_browser"
down_revision: str | None = "0015_known_device"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DELETE FROM square_oauth_state")
    # SQLite refuses to add a NOT NULL column without a default, even to an empty table: it
    # rebuilds the table instead.
    recreate = "always" if op.get_bind().dialect.name == "sqlite" else "auto"
    with op.batch_alter_table("square_oauth_state", recreate=recreate) as batch_op:
        batch_op.add_column(sa.Column("browser_digest", sa.String(length=64), nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("square_oauth_state") as batch_op:
        batch_op.drop_column("browser_digest")
