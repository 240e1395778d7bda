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


def use_database(url: str) -> None:
    """Point this process (and the processes it starts) at `url`, with fresh secrets and quiet
    logs, whatever backend/.env says."""
    import secrets

    from cryptography.fernet import Fernet

    os.environ.update(
        TELIPORTER_ENV_FILE="",
        DEBUG="false",
        DATABASE_URL=url,
        LOG_LEVEL="WARNING",
        SECRET_KEY=secrets.token_hex(32),
        ENCRYPTION_KEY=Fernet.generate_key().decode(),
    )


def drop_postgres(name: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def previous(section: str) -> dict[str, Any]:
    """The figures bench/results.json holds for a section from an earlier run ({} if none)."""
    if not RESULTS.exists():
        return {}
    found = json.loads(RESULTS.read_text()).get(section)
    return found if isinstance(found, dict) else {}


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


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (every thread), from /proc; a process that
    has exited counts 0."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(fields[11]) + int(fields[12])
    return total / tick


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on this machine (backends and background workers)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
    return pids


class CpuMeter:
    """CPU seconds spent by groups of processes (the simulator, the sync, PostgreSQL), sampled
    once a second in a thread so that processes which exit meanwhile (a helper worker, its
    database backend) keep what they had spent up to their last sample.

    `groups` maps a name to a function listing the group's current pids."""

    def __init__(self, groups: dict[str, Any], interval: float = 1.0) -> None:
        import threading

        self._groups = groups
        self._latest: dict[str, dict[int, float]] = {name: {} for name in groups}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, args=(interval,), daemon=True)
        self.sample()
        self._thread.start()

    def _loop(self, interval: float) -> None:
        while not self._stop.wait(interval):
            self.sample()

    def sample(self) -> dict[str, float]:
        """Sample now; returns each group's CPU seconds so far (since the processes started)."""
        with self._lock:
            for name, pids in self._groups.items():
                latest = self._latest[name]
                for pid in pids():
                    spent = cpu_seconds([pid])
                    if spent or pid not in latest:
                        latest[pid] = max(spent, latest.get(pid, 0.0))
            return {name: sum(latest.values()) for name, latest in self._latest.items()}

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
