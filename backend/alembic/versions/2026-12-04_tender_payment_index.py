"""sales: drop the index on sale_tender.payment_id

No query looks a tender up by its payment: the team-member breakdown goes from an order's tenders
to their payments (sale_payment's own unique key). Square's payment ids are random, so each
tender written touched a random page of this index: at 700 k orders stored, dropping it cut a
sync page's WAL by a seventh (6.8 to 5.8 MB per 1,000 orders) and its blocks read from outside
shared buffers by two fifths.

Revision ID: 0011_tender_payment_index
Revises: 0010_sales_foreign_keys
Create Date: 2026-12-04 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_tender_payment_index"
down_revision: str | None = "0010_sales_foreign_keys"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_sale_tender_payment_id", table_name="sale_tender")


def downgrade() -> None:
    op.create_index("ix_sale_tender_payment_id", "sale_tender", ["payment_id"])
