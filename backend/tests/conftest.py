"""Test set-up: a fresh database per run (SQLite or the real PostgreSQL), the real Redis.

`pytest --db sqlite` (default) or `pytest --db postgres`. The database is created before the app
is imported, migrated with Alembic, emptied after every test that used it, and dropped at the end.
A PostgreSQL or Redis that cannot be reached fails the run: it is never a skip.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from cryptography.fernet import Fernet
from hypothesis import settings as hypothesis_settings

if TYPE_CHECKING:
    from fastapi.testclient import TestClient
    from sqlalchemy.orm import Session

BACKEND_DIR = Path(__file__).resolve().parents[1]
ADMIN_POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
# One Redis database per pass, so `make test` can run the SQLite and PostgreSQL passes side by side
# without one's sync locks, queues or flush reaching the other's.
REDIS_DB_BY_KIND = {"postgres": 15, "sqlite": 12}

_state: dict[str, Any] = {}

# Property tests explore new examples on developers' machines; under CI they replay a fixed
# sequence, so a run is reproducible (a failure found locally is fixed, not left to chance).
hypothesis_settings.register_profile("ci", derandomize=True)
if os.environ.get("CI") == "true":
    hypothesis_settings.load_profile("ci")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db", choices=["sqlite", "postgres"], default="sqlite", help="database the app runs on"
    )


def create_postgres_database(prefix: str = "teliporter_test") -> str:
    """Create an empty PostgreSQL database and return its URL (fails loudly when unreachable)."""
    from sqlalchemy import create_engine, text

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    engine = create_engine(ADMIN_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        pytest.exit(f"PostgreSQL is not reachable at {ADMIN_POSTGRES_URL}: {exc}", returncode=3)
    finally:
        engine.dispose()
    return ADMIN_POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    name = url.rsplit("/", 1)[1]
    engine = create_engine(ADMIN_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def _test_redis_url(kind: str) -> str:
    return os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{REDIS_DB_BY_KIND[kind]}")


def _purge_test_redis() -> None:
    """Empty the tests' Redis database: a task left queued (or unacknowledged by a killed worker)
    by an earlier run would otherwise reach this run's workers, which read a new database whose
    ids start again at 1. Unreachable Redis is reported by the tests that need it."""
    import redis

    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(_state["redis_url"], socket_connect_timeout=2).flushdb()


def pytest_configure(config: pytest.Config) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="teliporter-tests-"))
    _state["tmp"] = tmp
    kind = config.getoption("--db")
    _state["kind"] = kind
    _state["redis_url"] = redis_url = _test_redis_url(kind)
    if kind == "postgres":
        url = create_postgres_database()
        _state["pg_url"] = url
        broker, backend = redis_url, redis_url
        _purge_test_redis()
    else:
        url = f"sqlite:///{tmp / 'app.sqlite3'}"
        broker = f"sqla+sqlite:///{tmp / 'broker.sqlite3'}"
        backend = f"db+sqlite:///{tmp / 'results.sqlite3'}"
    # Everything the settings read, set before the app is imported; a developer's .env stays out.
    os.environ.update(
        {
            "TELIPORTER_ENV_FILE": "",
            "DEBUG": "false",
            "DATABASE_URL": url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": secrets.token_hex(32),
            "ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": backend,
            "CORS_ORIGINS": '["http://localhost:5173"]',
            "ALLOW_REGISTRATION": "true",
            "LOG_LEVEL": "WARNING",
            # The suite hashes hundreds of throwaway passwords: argon2id at its cheapest
            # (tests/core/test_config.py checks the production defaults).
            "PASSWORD_HASH_TIME_COST": "1",
            "PASSWORD_HASH_MEMORY_KIB": "1024",
        }
    )
    _start_run_log()


def _start_run_log() -> None:
    """Every record the run logs goes to one file as well, read by tests/test_run_logs.py."""
    import logging

    from tests.log_secrets import RunLog

    handler = RunLog(_state["tmp"] / "run-log.jsonl")
    logging.getLogger().addHandler(handler)
    _state["run_log"] = handler


@pytest.fixture(autouse=True)
def _run_log_attached() -> None:
    """Alembic's env.py (logging.config.fileConfig) and Celery replace the root logger's
    handlers when a test migrates or starts a worker in-process: the run log goes back on before
    every test, so what the next test logs is recorded too."""
    import logging

    root = logging.getLogger()
    if "run_log" in _state and _state["run_log"] not in root.handlers:
        root.addHandler(_state["run_log"])


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Tests marked `postgres` exercise what only PostgreSQL has (its planner, its concurrency,
    # PgBouncer, the contract run): the SQLite pass deselects them, it does not skip them (a
    # skip is kept for what is missing, and under CI=true nothing may be missing).
    if config.getoption("--db") != "postgres":
        chosen = [item for item in items if item.get_closest_marker("postgres") is None]
        config.hook.pytest_deselected(items=[i for i in items if i not in chosen])
        items[:] = chosen
    # The run's log is judged once everything else has logged into it.
    last = [item for item in items if item.nodeid.startswith("tests/test_run_logs.py")]
    items[:] = [item for item in items if item not in last] + last


def pytest_unconfigure(config: pytest.Config) -> None:
    if "pg_url" in _state:
        from app.core.db import get_engine

        get_engine().dispose()
        drop_postgres_database(_state["pg_url"])


@pytest.fixture(scope="session")
def db_kind() -> str:
    return str(_state["kind"])


@pytest.fixture(scope="session")
def migrated_engine() -> Any:
    """The run's database, migrated to head with Alembic (the same path production takes)."""
    from alembic import command
    from alembic.config import Config

    from app.core.db import get_engine

    cfg = Config(str(BACKEND_DIR / "alembic.ini"))
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "head")
    return get_engine()


def empty_all_tables(engine: Any) -> None:
    from sqlalchemy import text

    import app.models  # noqa: F401
    from app.core.db import Base

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))  # noqa: S608


@pytest.fixture
def clean_db(migrated_engine: Any) -> Iterator[Any]:
    yield migrated_engine
    empty_all_tables(migrated_engine)


@pytest.fixture
def db(clean_db: Any) -> Iterator[Session]:
    """A session for arranging and checking data; commits are real (the app sees them)."""
    from app.core.db import get_sessionmaker

    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


@pytest.fixture
def client(clean_db: Any) -> Iterator[TestClient]:
    from fastapi.testclient import TestClient

    from app.main import app

    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def redis_url() -> str:
    import redis

    url = str(_state["redis_url"])
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {url}: {exc}")
    return url


@pytest.fixture
def one_connection(clean_db: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Work outside requests (tasks: session_scope) on a pool of one connection that waits 3 s,
    as a worker child with DATABASE_POOL_SIZE=1, DATABASE_MAX_OVERFLOW=0: a code path that
    needs a second connection while it holds one fails with a pool TimeoutError instead of
    passing. The tests' own sessions and the API keep the run's engine."""
    from sqlalchemy.orm import sessionmaker

    from app.core import db as core_db

    engine = core_db.make_engine(
        str(clean_db.url.render_as_string(hide_password=False)),
        pool_size=1,
        max_overflow=0,
        pool_timeout=3,
    )
    maker = sessionmaker(bind=engine, expire_on_commit=False)
    monkeypatch.setattr(core_db, "get_sessionmaker", lambda: maker)
    try:
        yield engine
    finally:
        engine.dispose()
