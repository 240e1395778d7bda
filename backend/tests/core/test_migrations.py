"""One Alembic history for SQLite and PostgreSQL: up, down and up again, matching the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, select

import app.models  # noqa: F401
from app.core.db import Base, make_engine
from tests.conftest import create_postgres_database, drop_postgres_database

BACKEND_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def scratch_engine(db_kind: str, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of the run's kind, apart from the one the other tests use."""
    if db_kind == "postgres":
        url = create_postgres_database("teliporter_migrations")
        engine = make_engine(url)
        yield engine
        engine.dispose()
        drop_postgres_database(url)
    else:
        engine = make_engine(f"sqlite:///{tmp_path / 'migrations.sqlite3'}")
        yield engine
        engine.dispose()


def run(engine: Engine, verb: str, target: str) -> None:
    cfg = Config(str(BACKEND_DIR / "alembic.ini"))
    cfg.attributes["skip_logging"] = True
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        getattr(command, verb)(cfg, target)


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_upgrade_downgrade_upgrade(scratch_engine: Engine) -> None:
    run(scratch_engine, "upgrade", "head")
    assert tables(scratch_engine) == set(Base.metadata.tables)
    run(scratch_engine, "downgrade", "-1")
    run(scratch_engine, "downgrade", "base")
    assert tables(scratch_engine) == set()
    run(scratch_engine, "upgrade", "head")
    assert tables(scratch_engine) == set(Base.metadata.tables)


def test_migrations_match_the_models(scratch_engine: Engine) -> None:
    run(scratch_engine, "upgrade", "head")
    with scratch_engine.connect() as connection:
        diff = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert diff == [], f"models and migrations differ; write a migration: {diff}"


def test_each_step_down_works_from_head(scratch_engine: Engine) -> None:
    cfg = Config(str(BACKEND_DIR / "alembic.ini"))
    from alembic.script import ScriptDirectory

    revisions = list(ScriptDirectory.from_config(cfg).walk_revisions())
    run(scratch_engine, "upgrade", "head")
    for _ in revisions:
        run(scratch_engine, "downgrade", "-1")
    assert tables(scratch_engine) == set()


def test_engine_helper_accepts_plain_urls() -> None:
    engine = create_engine("sqlite://")
    assert engine.dialect.name == "sqlite"


def test_0017_rederives_old_basis_rows_and_follows_the_first_accounts_currency(
    scratch_engine: Engine,
) -> None:
    """A database synced before 0017: a discounted toastie stored with the old split (gross
    ex-tax, discount tax-included) and organizations without `reporting_currency_chosen`."""
    from sqlalchemy.orm import Session

    from app.locations.models import Location
    from app.organizations.models import Organization
    from app.rollups.models import RollupDay, RollupLine
    from app.sales.models import SaleOrder
    from app.square import flows as square_flows
    from app.square.models import SquareConnection
    from tests.sales.test_tax_basis import as_stored_before, toastie

    run(scratch_engine, "upgrade", "head")
    with Session(scratch_engine) as db:
        shop = Organization(name="Toasties", reporting_currency="GBP")
        us_shop = Organization(name="Diner", reporting_currency="GBP")
        euro_shop = Organization(name="Chose EUR", reporting_currency="EUR")
        db.add_all([shop, us_shop, euro_shop])
        db.flush()
        connections = {}
        for org, currency in ((shop, "GBP"), (us_shop, "USD"), (euro_shop, "USD")):
            connection = SquareConnection(org_id=org.id, merchant_id=f"M{org.id}")
            db.add(connection)
            db.flush()
            connections[org.id] = connection
            db.add(
                Location(
                    org_id=org.id,
                    connection_id=connection.id,
                    square_location_id="LTOASTIE" if org is shop else f"L{org.id}",
                    name="Store",
                    timezone="Europe/London",
                    currency=currency,
                )
            )
        db.flush()
        location = db.scalars(select(Location).where(Location.org_id == shop.id)).one()
        square_flows.write_orders(
            db=db,
            org_id=shop.id,
            connection_id=connections[shop.id].id,
            orders=[toastie("O1", "2026-10-15T12:00:00Z", gross=750, discount=150, vat=100)],
            locations={"LTOASTIE": location},
        )
        db.commit()
        as_stored_before(db, shop.id)
        ids = (shop.id, us_shop.id, euro_shop.id)
    # Back to the schema before the re-derivation, the rows as they were stored then.
    run(scratch_engine, "downgrade", "0018_location_recalculation")
    with Session(scratch_engine) as db:
        # Read by column: the model's later columns (comps, 0021) are not in this schema.
        order = db.execute(select(SaleOrder.gross_sales, SaleOrder.discounts)).one()
        assert (order.gross_sales, order.discounts) == (650, 150)  # the old split

    run(scratch_engine, "upgrade", "head")

    with Session(scratch_engine) as db:
        order = db.scalars(select(SaleOrder)).one()
        assert (order.gross_sales, order.discounts, order.net_sales) == (625, 125, 500)
        day = db.scalars(select(RollupDay)).one()
        assert (day.gross_sales, day.discounts) == (625, 125)
        line = db.scalars(select(RollupLine)).one()
        assert (line.gross, line.discount) == (625, 125)
        orgs = {o.id: o for o in db.scalars(select(Organization))}
        shop_now, us_now, euro_now = (orgs[i] for i in ids)
        assert (shop_now.reporting_currency, shop_now.reporting_currency_chosen) == ("GBP", False)
        # Still at the default with a dollar account connected: it reports in dollars now.
        assert (us_now.reporting_currency, us_now.reporting_currency_chosen) == ("USD", False)
        # Someone chose euros: kept, and kept from now on.
        assert (euro_now.reporting_currency, euro_now.reporting_currency_chosen) == ("EUR", True)


def test_0024_gives_each_organization_its_stores_most_common_timezone(
    scratch_engine: Engine,
) -> None:
    from sqlalchemy.orm import Session

    from app.locations.models import Location
    from app.organizations.models import Organization

    run(scratch_engine, "upgrade", "head")
    with Session(scratch_engine) as db:
        chain = Organization(name="Chain", reporting_currency="USD")
        tie = Organization(name="Tie", reporting_currency="GBP")
        empty = Organization(name="No stores yet", reporting_currency="GBP")
        db.add_all([chain, tie, empty])
        db.flush()
        for org, zones in (
            (chain, ["America/New_York", "America/Chicago", "America/New_York"]),
            (tie, ["Europe/Paris", "Europe/Dublin"]),
        ):
            for n, zone in enumerate(zones):
                db.add(Location(org_id=org.id, name=f"S{n}", timezone=zone, currency="USD"))
        db.commit()
        ids = (chain.id, tie.id, empty.id)
    run(scratch_engine, "downgrade", "0023_mail_messages")
    run(scratch_engine, "upgrade", "head")
    with Session(scratch_engine) as db:
        found = {o.id: o for o in db.scalars(select(Organization))}
        assert [(found[i].timezone, found[i].timezone_chosen) for i in ids] == [
            ("America/New_York", False),
            ("Europe/Dublin", False),  # a tie: the first by name
            ("Europe/London", False),  # no stores: the default
        ]
