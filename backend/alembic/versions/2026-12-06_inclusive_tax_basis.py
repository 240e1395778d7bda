"""sales: inclusive-tax lines' gross and discount on one basis; organizations: reporting currency
followed from the first Square account until a person chooses it

1. A line with inclusive tax was stored with its gross ex-tax but its discount tax-included (a
   £7.50 toastie, VAT 20 % inclusive, 20 % off: gross £6.50, discount £1.50); METRICS.md now takes
   both ex-tax (£6.25 and £1.25, net £5.00 either way). The stored orders that can differ are
   re-derived from their kept Square documents, with the rollups of their dates and the report
   caches (`app.rollups.flows.rederive_tax_basis`: batched, in this migration's transaction).
   Nothing else changes: net sales and every total are the same on both bases. Downgrading leaves
   the figures on the new basis (the old one was wrong). Orders the previous release syncs between
   this migration and its restart are stored the old way: `python -m
   app.scripts.rederive_tax_basis` after the deploy brings them in line (safe to run again).
2. `organization.reporting_currency_chosen`: false until a person sets the reporting currency;
   until then a new organization reports in the currency of the first Square account it
   connects. Existing organizations: one whose currency is not the default (GBP) was set by a
   person (chosen); one still at the default whose first connected account trades in another
   currency reports in that one from now on, as it would have had it connected today.

Revision ID: 0019_inclusive_tax_basis
Revises: 0018_location_recalculation
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

revision: str = "0019_inclusive_tax_basis"
down_revision: str | None = "0018_location_recalculation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_CURRENCY = "GBP"
# The order measures sale_order and the rollups have at this revision.
MEASURES = (
    "gross_sales",
    "returns",
    "discounts",
    "gift_card_sales",
    "tax",
    "additive_tax",
    "tips",
    "service_charges",
    "refunds_by_amount",
    "rounding",
    "tender_fees",
)

organization = sa.table(
    "organization",
    sa.column("id", sa.Integer()),
    sa.column("reporting_currency", sa.String()),
    sa.column("reporting_currency_chosen", sa.Boolean()),
)
connection = sa.table("square_connection", sa.column("id", sa.Integer()), sa.column("org_id"))
location = sa.table(
    "location",
    sa.column("id", sa.Integer()),
    sa.column("connection_id", sa.Integer()),
    sa.column("currency", sa.String()),
)


def _currencies() -> None:
    from app.organizations.service import REPORTING_CURRENCIES

    bind = op.get_bind()
    bind.execute(
        organization.update()
        .where(organization.c.reporting_currency != DEFAULT_CURRENCY)
        .values(reporting_currency_chosen=True)
    )
    first_connection = (
        sa.select(sa.func.min(connection.c.id))
        .where(connection.c.org_id == organization.c.id)
        .correlate(organization)
        .scalar_subquery()
    )
    first_location = (
        sa.select(location.c.currency)
        .where(location.c.connection_id == first_connection)
        .order_by(location.c.id)
        .limit(1)
        .scalar_subquery()
    )
    rows = bind.execute(
        sa.select(organization.c.id, first_location).where(
            organization.c.reporting_currency == DEFAULT_CURRENCY
        )
    ).all()
    for org_id, currency in rows:
        if currency and currency != DEFAULT_CURRENCY and currency in REPORTING_CURRENCIES:
            bind.execute(
                organization.update()
                .where(organization.c.id == org_id)
                .values(reporting_currency=currency)
            )


def upgrade() -> None:
    # A plain ADD COLUMN on SQLite too: a batch rebuild of `organization` would drop the table
    # every other table's foreign keys cascade from.
    op.add_column(
        "organization",
        sa.Column(
            "reporting_currency_chosen", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    _currencies()

    from app.rollups import flows as rollup_flows
    from app.rollups import recompute

    # The rollups are recomputed for the measures this revision's tables have (later
    # revisions add columns the models already name, e.g. 0021's comps).
    with recompute.measures_as_of(MEASURES):
        rollup_flows.rederive_tax_basis(Session(bind=op.get_bind()))


def downgrade() -> None:
    # SQLite >= 3.35 drops a column in place (no rebuild of the table, see upgrade).
    op.drop_column("organization", "reporting_currency_chosen")
