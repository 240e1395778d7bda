"""exchange rates

Revision ID: 0006_exchange_rates
Revises: 0005_rollups
Create Date: 2026-11-25 10:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.core.db

revision: str = '0006_exchange_rates'
down_revision: str | None = '0005_rollups'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('exchange_rate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('base', sa.String(length=3), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('rate_date', sa.Date(), nullable=False),
    sa.Column('rate', sa.Numeric(precision=28, scale=12), nullable=False),
    sa.Column('fetched_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rate')),
    sa.UniqueConstraint('source', 'base', 'currency', 'rate_date', name=op.f('uq_exchange_rate_source_base_currency_rate_date'))
    )
    op.create_table('exchange_rate_fetch',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=32), nullable=False),
    sa.Column('endpoint', sa.String(length=64), nullable=False),
    sa.Column('attempted_at', app.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rates_stored', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rate_fetch'))
    )
    with op.batch_alter_table('exchange_rate_fetch', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exchange_rate_fetch_source'), ['source'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('exchange_rate_fetch', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_exchange_rate_fetch_source'))

    op.drop_table('exchange_rate_fetch')
    op.drop_table('exchange_rate')
