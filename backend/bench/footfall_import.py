"""Benchmark: import a year of hourly footfall for 100 stores (876,000 rows) and print rows/s.

Runs on a scratch database of the kind the run is configured for (PostgreSQL when DATABASE_URL,
from the environment or backend/.env, says so; else a temporary SQLite file), through the real
endpoint: upload, dry run, apply, then the same file again (nothing to change). The scratch database
is migrated, used and dropped; the configured database is never touched. The figures are printed
and merged into the repository's bench/results.json under "footfall_import" and the database kind.

    python bench/footfall_import.py [--db sqlite|postgres] [--stores 100] [--days 365]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

BACKEND_DIR = Path(__file__).resolve().parents[1]
RESULTS = BACKEND_DIR.parent / "bench" / "results.json"  # `make bench` collects figures there


def configured_kind() -> tuple[str, str]:
    """The kind of database the run is configured for, and its URL."""
    os.environ.setdefault("DEBUG", "true")  # reading the settings must not demand secrets
    from app.core.config import Settings, _env_file

    url = Settings(_env_file=_env_file()).DATABASE_URL
    return ("sqlite" if url.startswith("sqlite") else "postgres"), url


def scratch_database(kind: str, configured_url: str) -> tuple[str, Any]:
    """A fresh database URL and a function that drops it."""
    from sqlalchemy import create_engine, text

    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="teliporter-bench-"))
        return f"sqlite:///{folder / 'bench.sqlite3'}", lambda: None
    server = (
        configured_url
        if configured_url.startswith("postgresql")
        else "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    admin_url = server.rsplit("/", 1)[0] + "/postgres"
    name = f"teliporter_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        from app.core.db import get_engine

        get_engine().dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin_url.rsplit("/", 1)[0] + f"/{name}", drop


def build_csv(location_ids: list[int], days: int) -> tuple[str, int]:
    """Hourly counts for every store, the `days` days up to the day before yesterday."""
    last = date.today() - timedelta(days=2)
    dates = [(last - timedelta(days=d)).isoformat() for d in range(days)]
    lines = ["location,date,count,hour"]
    for loc in location_ids:
        for i, day in enumerate(dates):
            lines.extend(f"{loc},{day},{(loc * 7 + i * 3 + h * 5) % 90},{h}" for h in range(24))
    return "\n".join(lines) + "\n", len(lines) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"])
    parser.add_argument("--stores", type=int, default=100)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--results", type=Path, default=RESULTS, help="JSON file to merge into")
    args = parser.parse_args()

    kind, configured_url = configured_kind()
    kind = args.db or kind
    url, drop = scratch_database(kind, configured_url)
    os.environ.update(
        {
            "TELIPORTER_ENV_FILE": "",
            "DEBUG": "false",
            "DATABASE_URL": url,
            "SECRET_KEY": secrets.token_hex(32),
            "ENCRYPTION_KEY": Fernet.generate_key().decode(),
            "LOG_LEVEL": "WARNING",
        }
    )
    try:
        figures = run(kind, args.stores, args.days)
    finally:
        drop()
    results: dict[str, Any] = {}
    if args.results.exists():
        results = json.loads(args.results.read_text())
    results.setdefault("footfall_import", {})[kind] = figures  # one entry per database
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")


def run(kind: str, stores: int, days: int) -> dict[str, Any]:
    from alembic import command
    from alembic.config import Config
    from fastapi.testclient import TestClient

    from app.core.db import session_scope
    from app.locations import service as location_service
    from app.locations.schemas import LocationCreate
    from app.main import app
    from app.organizations import service as org_service
    from app.users import service as user_service
    from app.users.models import Role
    from app.users.schemas import UserCreate

    cfg = Config(str(BACKEND_DIR / "alembic.ini"))
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "head")
    password = "Bench-Password-" + secrets.token_hex(4)
    with session_scope() as db:
        org = org_service.create(db=db, name="Bench retail")
        user_service.create(
            db=db,
            org_id=org.id,
            user_in=UserCreate(
                email="owner@bench.example.com",
                full_name="Bench",
                role=Role.owner,
                password=password,
            ),
        )
        location_ids = [
            location_service.create(
                db=db,
                org_id=org.id,
                location_in=LocationCreate(
                    name=f"Store {i:03d}", timezone="Europe/London", currency="GBP"
                ),
            ).id
            for i in range(stores)
        ]
    text, rows = build_csv(location_ids, days)
    payload = text.encode()
    figures: dict[str, Any] = {
        "database": kind,
        "rows": rows,
        "file_mb": round(len(payload) / 2**20, 1),
    }
    print(f"footfall import: {rows:,} rows ({figures['file_mb']} MB) on {kind}")
    with TestClient(app) as client:
        login = client.post(
            "/api/v1/auth/login", json={"email": "owner@bench.example.com", "password": password}
        )
        login.raise_for_status()
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        for label, dry_run, expect in (
            ("dry_run", True, "created"),
            ("apply", False, "created"),
            ("reimport", False, "unchanged"),
        ):
            started = time.perf_counter()
            response = client.post(
                "/api/v1/footfall/import",
                params={"dry_run": str(dry_run).lower(), "report_limit": 0},
                files={"file": ("footfall.csv", payload, "text/csv")},
                headers=headers,
            )
            seconds = time.perf_counter() - started
            response.raise_for_status()
            assert response.json()[expect] == rows, response.json()
            figures[f"{label}_seconds"] = round(seconds, 2)
            figures[f"{label}_rows_per_second"] = round(rows / seconds)
            print(f"  {label:<9} {seconds:6.2f} s  {rows / seconds:>10,.0f} rows/s")
    return figures


if __name__ == "__main__":
    main()
