"""The engine's connection budget (DATABASE_POOL_*) and PgBouncer mode (DATABASE_PGBOUNCER)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import exc, text
from sqlalchemy.pool import QueuePool

from app.core.config import Settings, get_settings
from app.core.db import engine_for, make_engine

NOWHERE = "postgresql+psycopg://nobody@127.0.0.1:1/none"  # engines connect lazily


def settings_with(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[arg-type]


def test_the_pool_defaults_to_two_connections_a_process_and_no_overflow() -> None:
    pool = engine_for(settings_with(DATABASE_URL=NOWHERE)).pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow, pool._timeout) == (2, 0, 30.0)
    # tests and benches that pass only a URL get the same pool
    bare = make_engine(NOWHERE).pool
    assert isinstance(bare, QueuePool)
    assert (bare.size(), bare._max_overflow, bare._timeout) == (2, 0, 30.0)


def test_the_pool_follows_the_settings() -> None:
    pool = engine_for(
        settings_with(
            DATABASE_URL=NOWHERE,
            DATABASE_POOL_SIZE="5",
            DATABASE_MAX_OVERFLOW="3",
            DATABASE_POOL_TIMEOUT="7.5",
        )
    ).pool
    assert isinstance(pool, QueuePool)
    assert (pool.size(), pool._max_overflow, pool._timeout) == (5, 3, 7.5)


@pytest.mark.postgres  # SQLite has no connection pool budget
def test_a_process_waits_pool_timeout_for_a_connection_then_fails(db_kind: str) -> None:
    engine = engine_for(
        settings_with(
            DATABASE_URL=get_settings().DATABASE_URL,
            DATABASE_POOL_SIZE="1",
            DATABASE_MAX_OVERFLOW="0",
            DATABASE_POOL_TIMEOUT="0.5",
        )
    )
    try:
        with engine.connect():
            started = time.monotonic()
            with pytest.raises(exc.TimeoutError), engine.connect():
                pass
            assert 0.4 < time.monotonic() - started < 5
    finally:
        engine.dispose()


@pytest.mark.postgres  # prepared statements are psycopg's, on PostgreSQL
@pytest.mark.parametrize(("pgbouncer", "threshold"), [("false", 5), ("true", None)])
def test_pgbouncer_mode_turns_prepared_statements_off(
    db_kind: str, pgbouncer: str, threshold: int | None
) -> None:
    engine = engine_for(
        settings_with(DATABASE_URL=get_settings().DATABASE_URL, DATABASE_PGBOUNCER=pgbouncer)
    )
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            assert raw is not None
            assert getattr(raw, "prepare_threshold", "missing") == threshold
            for _ in range(8):  # past psycopg's threshold: prepared unless turned off
                conn.execute(text("SELECT 1 + :one"), {"one": 1})
            prepared = conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar()
            assert (prepared == 0) is (threshold is None)
    finally:
        engine.dispose()


@pytest.mark.parametrize("url", [NOWHERE, "sqlite:///:memory:"])
def test_engines_keep_statement_parameters_out_of_errors_and_logs(url: str) -> None:
    assert make_engine(url).hide_parameters is True
