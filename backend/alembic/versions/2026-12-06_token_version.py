"""users: token_version, so a password change revokes the access tokens issued before it

Each access token carries the user's token_version as its `ver` claim; changing the password
raises it, and the current-user dependency refuses a token whose claim is older. A timestamp
compared with the token's `iat` would not do: `iat` has whole seconds, so a token issued in the
same second as the change would survive it.

Revision ID: 0014_token_version
Revises: 0013_raw_lz4
Create Date: 2026-12-06 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_token_version"
down_revision: str | None = "0013_raw_lz4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("user_account") as batch_op:
        batch_op.drop_column("token_version")
