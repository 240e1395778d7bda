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

import app.core.models  # noqa: F401  (every table, so relationships resolve)
from app.core.db import Base
from app.locations import service as location_service
from app.locations.schemas import LocationCreate
from app.organizations import service as org_service
from app.users import service as user_service
from app.users.models import Role
from app.users.schemas import UserCreate
from tests.deploy.topology import BACKEND_DIR, ROOT, VENV_BIN, create_database, drop_database

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
