"""Shared plumbing of the benchmarks: a scratch database and the results file."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parents[2] / "bench" / "results.json"
ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def scratch_postgres() -> tuple[str, str]:
    """Create an empty PostgreSQL database; returns (url, name)."""
    from sqlalchemy import create_engine, text

    name = f"teliporter_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return ADMIN_URL.rsplit("/", 1)[0] + f"/{name}", name


def drop_postgres(name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def record(section: str, figures: dict[str, Any]) -> None:
    """Merge one benchmark's figures into bench/results.json."""
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    results[section] = figures
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True, default=str) + "\n")


def simulator_account(base_url: str, server: subprocess.Popen[bytes]) -> dict[str, Any]:
    """The first account of a simulator just started at `base_url`, once it answers (60 s)."""
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            accounts = httpx.get(f"{base_url}/_simulator/accounts").json()
            break
        except httpx.HTTPError:
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the simulator did not start") from None
            time.sleep(0.2)
    account: dict[str, Any] = accounts["accounts"][0] if isinstance(accounts, dict) else accounts[0]
    return account
