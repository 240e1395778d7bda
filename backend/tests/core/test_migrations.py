"""One Alembic history for SQLite and PostgreSQL: up, down and up again, matching the models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect

import app.core.models  # noqa: F401
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
