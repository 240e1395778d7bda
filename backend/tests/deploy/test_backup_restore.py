"""deploy/backup.sh and deploy/restore.sh round-trip a real PostgreSQL database."""

from __future__ import annotations

import gzip
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import app.models  # noqa: F401  (every table, so relationships resolve)
from app.core.db import Base
from app.locations import service as location_service
from app.locations.schemas import LocationCreate
from app.organizations import service as org_service
from app.users import service as user_service
from app.users.models import Role
from app.users.schemas import UserCreate
from tests.deploy.topology import (
    ADMIN_POSTGRES_URL,
    BACKEND_DIR,
    ROOT,
    VENV_BIN,
    create_database,
    drop_database,
)

BACKUP = ROOT / "deploy" / "backup.sh"
RESTORE = ROOT / "deploy" / "restore.sh"


def libpq_url(url: str) -> str:
    """The plan's form of the URL (postgresql://...), as an operator writes it in backend/.env."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def databases() -> Iterator[tuple[str, str]]:
    source, target = create_database(), create_database()
    try:
        yield source, target
    finally:
        drop_database(source)
        drop_database(target)


def migrate(url: str) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "TELIPORTER_ENV_FILE": "",
        "DEBUG": "true",
        "DATABASE_URL": url,
    }
    subprocess.run(
        [str(VENV_BIN / "alembic"), "upgrade", "head"],
        cwd=BACKEND_DIR,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def fill(engine: Engine) -> None:
    with Session(engine) as db:
        for n in range(3):
            org = org_service.create(db=db, name=f"Retailer {n} — Café & Co")
            for m in range(2):
                user_service.create(
                    db=db,
                    org_id=org.id,
                    user_in=UserCreate(
                        email=f"u{n}-{m}@example.com",
                        full_name=f"Zoë O'Brien {n}{m}",
                        role=Role.owner if m == 0 else Role.manager,
                        password="Correct-Horse-42",
                    ),
                )
            location_service.create(
                db=db,
                org_id=org.id,
                location_in=LocationCreate(
                    name=f"Store {n}", timezone="Europe/London", currency="GBP"
                ),
            )
        db.commit()


def snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (the app's and alembic_version), in a stable order."""
    tables = {table.name: table for table in Base.metadata.sorted_tables}
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            if name in tables:
                rows[name] = sorted(
                    (tuple(r) for r in conn.execute(select(tables[name]))), key=repr
                )
            else:
                rows[name] = sorted(
                    (tuple(r) for r in conn.execute(text(f'SELECT * FROM "{name}"'))),  # noqa: S608
                    key=repr,
                )
    return rows


def run(script: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    return subprocess.run(
        ["bash", str(script), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_backup_then_restore_gives_the_same_rows(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source_url, target_url = databases
    migrate(source_url)
    source = create_engine(source_url)
    target = create_engine(target_url)
    try:
        fill(source)
        before = snapshot(source)
        assert sum(len(rows) for rows in before.values()) >= 3 + 6 + 3

        # DATABASE_URL read from an env file written the way the plan writes backend/.env.
        env_file = tmp_path / ".env"
        env_file.write_text(f"DEBUG=False\nDATABASE_URL={libpq_url(source_url)}\nREDIS_URL=\n")
        out = tmp_path / "backups"
        backup = run(BACKUP, "--env-file", str(env_file), "--out", str(out))
        assert backup.returncode == 0, backup.stderr
        (dump,) = out.glob("backup_*.sql.gz")
        assert dump.stat().st_mode & 0o077 == 0  # readable by its owner only
        assert b"PostgreSQL database dump complete" in gzip.decompress(dump.read_bytes())

        restored = run(RESTORE, str(dump), libpq_url(target_url))
        assert restored.returncode == 0, restored.stderr
        assert snapshot(target) == before

        # The restored database is one the app can migrate and use: it is at head already.
        migrate(target_url)
        assert snapshot(target) == before
    finally:
        source.dispose()
        target.dispose()


def test_restore_refuses_a_database_with_tables_unless_forced(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source_url, target_url = databases
    migrate(source_url)
    migrate(target_url)
    source = create_engine(source_url)
    target = create_engine(target_url)
    try:
        fill(source)
        out = tmp_path / "backups"
        assert run(BACKUP, "--out", str(out), DATABASE_URL=libpq_url(source_url)).returncode == 0
        (dump,) = out.glob("backup_*.sql.gz")
        with Session(target) as db:
            org_service.create(db=db, name="Only in the target")
            db.commit()
        target_before = snapshot(target)

        refused = run(RESTORE, str(dump), libpq_url(target_url))
        assert refused.returncode == 3
        assert "Refusing" in refused.stderr and "--force" in refused.stderr
        assert snapshot(target) == target_before

        forced = run(RESTORE, "--force", str(dump), libpq_url(target_url))
        assert forced.returncode == 0, forced.stderr
        assert snapshot(target) == snapshot(source)
    finally:
        source.dispose()
        target.dispose()


def test_a_truncated_backup_is_refused_and_changes_nothing(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    source_url, target_url = databases
    migrate(source_url)
    out = tmp_path / "backups"
    assert run(BACKUP, "--out", str(out), libpq_url(source_url)).returncode == 0
    (dump,) = out.glob("backup_*.sql.gz")
    cut = tmp_path / "cut.sql"
    whole = gzip.decompress(dump.read_bytes())
    cut.write_bytes(whole[: len(whole) // 2])
    result = run(RESTORE, str(cut), libpq_url(target_url))
    assert result.returncode == 2
    assert "not a complete pg_dump file" in result.stderr
    target = create_engine(target_url)
    try:
        assert snapshot(target) == {}
    finally:
        target.dispose()


def test_backup_keeps_the_newest_n(databases: tuple[str, str], tmp_path: Path) -> None:
    source_url, _ = databases
    out = tmp_path / "backups"
    out.mkdir()
    for day in range(1, 6):
        (out / f"backup_2026010{day}_000000.sql.gz").write_bytes(b"old")
    result = run(BACKUP, "--out", str(out), "--keep", "3", libpq_url(source_url))
    assert result.returncode == 0, result.stderr
    kept = sorted(p.name for p in out.glob("backup_*.sql.gz"))
    assert len(kept) == 3
    assert kept[:2] == ["backup_20260104_000000.sql.gz", "backup_20260105_000000.sql.gz"]


def test_backup_without_a_database_url_says_so(tmp_path: Path) -> None:
    result = run(BACKUP, "--env-file", str(tmp_path / "missing.env"), "--out", str(tmp_path))
    assert result.returncode == 2
    assert "No DATABASE_URL" in result.stderr


def test_restore_is_quiet_unless_verbose(databases: tuple[str, str], tmp_path: Path) -> None:
    source_url, target_url = databases
    migrate(source_url)
    migrate(target_url)
    out = tmp_path / "backups"
    assert run(BACKUP, "--out", str(out), libpq_url(source_url)).returncode == 0
    (dump,) = out.glob("backup_*.sql.gz")

    quiet = run(RESTORE, "--force", str(dump), libpq_url(target_url))
    assert quiet.returncode == 0, quiet.stderr
    assert "NOTICE" not in quiet.stderr and "drop cascades" not in quiet.stderr

    verbose = run(RESTORE, "--force", "--verbose", str(dump), libpq_url(target_url))
    assert verbose.returncode == 0, verbose.stderr
    assert "drop cascades to" in verbose.stderr


def lib_pg_env(url: str) -> dict[str, str]:
    """The PG* variables lib.sh's export_pg_env sets for a DATABASE_URL."""
    script = f'source "{ROOT / "deploy" / "lib.sh"}"; export_pg_env "$1"; env | grep "^PG" || true'
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    result = subprocess.run(
        ["bash", "-c", script, "bash", url],
        env=clean,
        capture_output=True,
        text=True,
        check=True,
    )
    return dict(line.split("=", 1) for line in result.stdout.splitlines())


def test_export_pg_env_decodes_the_password_and_keeps_tls_settings() -> None:
    url = (
        "postgresql://doadmin:p%40ss%3Aw%2Frd%25x%5Cn@db-postgresql-lon1-1.b.db.ondigitalocean.com"
        ":25060/teliporter?sslmode=verify-full&sslrootcert=%2Fopt%2Fteliporter%2Fca.crt"
    )
    assert lib_pg_env(url) == {
        "PGHOST": "db-postgresql-lon1-1.b.db.ondigitalocean.com",
        "PGPORT": "25060",
        "PGUSER": "doadmin",
        "PGPASSWORD": "p@ss:w/rd%x\\n",
        "PGDATABASE": "teliporter",
        "PGSSLMODE": "verify-full",
        "PGSSLROOTCERT": "/opt/teliporter/ca.crt",
    }
    plain = lib_pg_env(
        "postgresql+psycopg://app:a\\tb@127.0.0.1/db?sslmode=verify-full&sslrootcert=/etc/ca.pem"
    )
    assert plain["PGPASSWORD"] == "a\\tb"  # a backslash is kept as it is
    assert (plain["PGSSLMODE"], plain["PGSSLROOTCERT"]) == ("verify-full", "/etc/ca.pem")


def test_backup_and_restore_hand_the_url_tls_settings_to_libpq(
    databases: tuple[str, str], tmp_path: Path
) -> None:
    # The test server has no TLS, so libpq refusing to go on without it shows sslmode arrived.
    source_url, _ = databases
    tls_url = libpq_url(source_url) + "?sslmode=verify-full&sslrootcert=" + str(tmp_path / "ca")
    backup = run(BACKUP, "--out", str(tmp_path / "b"), tls_url)
    assert backup.returncode != 0
    assert "SSL" in backup.stderr
    dump = tmp_path / "dump.sql"
    dump.write_text("-- PostgreSQL database dump complete\n")
    restore = run(RESTORE, str(dump), tls_url)
    assert restore.returncode != 0
    assert "SSL" in restore.stderr


def run_sql(url: str, *statements: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def as_role(url: str, role: str, database: str) -> str:
    """The URL of `url`'s server for another role and database (trust auth: no password)."""
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{role}@{rest.split('@', 1)[1].rsplit('/', 1)[0]}/{database}"


@pytest.fixture
def do_cluster() -> Iterator[tuple[str, str, str]]:
    """DigitalOcean's set-up: doadmin (CREATEDB CREATEROLE, not a superuser) creates the app's
    role and database, so the database, and on PostgreSQL 15 its public schema, are not the app's.
    Yields (the admin's URL to the new database, the app's URL to it, the database's name)."""
    suffix = os.urandom(6).hex()
    admin, app_role, db = f"t{suffix}_doadmin", f"t{suffix}_app", f"t{suffix}_teliporter"
    super_url = ADMIN_POSTGRES_URL
    run_sql(super_url, f'CREATE ROLE "{admin}" LOGIN CREATEDB CREATEROLE NOSUPERUSER')
    try:
        admin_url = as_role(super_url, admin, "postgres")
        run_sql(admin_url, f'CREATE ROLE "{app_role}" LOGIN', f'CREATE DATABASE "{db}"')
        yield as_role(super_url, admin, db), as_role(super_url, app_role, db), db
    finally:
        run_sql(
            super_url,
            f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)',
            f'DROP ROLE IF EXISTS "{app_role}"',
            f'DROP ROLE IF EXISTS "{admin}"',
        )


def test_a_database_made_in_digitaloceans_console_works_once_the_app_role_owns_it(
    do_cluster: tuple[str, str, str], databases: tuple[str, str], tmp_path: Path
) -> None:
    admin_url, app_url, db = do_cluster
    app_role = app_url.split("://", 1)[1].split("@", 1)[0]
    admin_role = admin_url.split("://", 1)[1].split("@", 1)[0]
    with pytest.raises(subprocess.CalledProcessError) as refused:
        migrate(app_url)
    assert b"permission denied for schema public" in refused.value.stderr

    # DEPLOY.md's commands, run as doadmin (who is not a superuser).
    run_sql(admin_url, f'GRANT "{app_role}" TO "{admin_role}"')
    run_sql(admin_url, f'ALTER DATABASE "{db}" OWNER TO "{app_role}"')
    migrate(app_url)

    # A backup restored over the app's now non-empty database, as the app's role.
    source_url, _ = databases
    migrate(source_url)
    source = create_engine(source_url)
    target = create_engine(app_url)
    try:
        fill(source)
        out = tmp_path / "backups"
        assert run(BACKUP, "--out", str(out), libpq_url(source_url)).returncode == 0
        (dump,) = out.glob("backup_*.sql.gz")
        restored = run(RESTORE, "--force", str(dump), libpq_url(app_url))
        assert restored.returncode == 0, restored.stderr
        assert snapshot(target) == snapshot(source)
        migrate(app_url)  # and the app's role can go on migrating it
    finally:
        source.dispose()
        target.dispose()
