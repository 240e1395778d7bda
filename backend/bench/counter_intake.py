"""Benchmark: people-counter intake rate, counts/s accepted through real HTTP.

A 50-store chain's 15-minute counts (96 a store-day) for a few days are pushed to
POST /api/v1/footfall/counts with an organization API key, in batches, to the app under uvicorn
(one process) on loopback, on a scratch PostgreSQL database (or SQLite with --db sqlite). Then the
same counts are sent again (a resend: each replaces itself and changes nothing). The figures are
printed and written to bench/results.json under "counter_intake".

    python -m bench.counter_intake [--db postgres|sqlite] [--stores 50] [--days 7] [--batch 2400]
"""

from __future__ import annotations

import argparse
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bench.common import drop_postgres, record, scratch_postgres, use_database

TIMEZONE = "Europe/London"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _prepare(stores: int) -> tuple[list[int], str]:
    """Migrate the scratch database; an organization, its stores and an API key."""
    from alembic import command
    from alembic.config import Config

    from app.apikeys import service as key_service
    from app.apikeys.schemas import ApiKeyCreate
    from app.core.db import session_scope
    from app.locations import service as location_service
    from app.locations.schemas import LocationCreate
    from app.organizations import service as org_service
    from app.users import service as user_service
    from app.users.models import Role
    from app.users.schemas import UserCreate

    cfg = Config(str(Path(__file__).resolve().parents[1] / "alembic.ini"))
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "head")
    with session_scope() as db:
        org = org_service.create(db=db, name="Bench chain")
        owner, _ = user_service.create(
            db=db,
            org_id=org.id,
            user_in=UserCreate(
                email="owner@bench.example.com",
                full_name="Bench",
                role=Role.owner,
                password=secrets.token_urlsafe(16),  # nobody signs in
            ),
        )
        ids = [
            location_service.create(
                db=db,
                org_id=org.id,
                location_in=LocationCreate(
                    name=f"Store {i:03d}", timezone=TIMEZONE, currency="GBP"
                ),
            ).id
            for i in range(stores)
        ]
        key = key_service.create(db=db, user=owner, key_in=ApiKeyCreate(name="Bench")).key
    return ids, key


def _items(location_ids: list[int], days: int) -> list[dict[str, Any]]:
    """Every store's 96 quarters a day, the `days` days up to three days ago (local time)."""
    zone = ZoneInfo(TIMEZONE)
    last = date.today() - timedelta(days=3)
    items = []
    for d in range(days):
        day = last - timedelta(days=d)
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        for loc in location_ids:
            for q in range(96):
                start = midnight + timedelta(minutes=15 * q)
                # Wall-clock quarters: a clock-change day is skipped by the range above anyway.
                items.append(
                    {
                        "store": {"id": loc},
                        "start": start.isoformat(),
                        "interval": "15min",
                        "count": (loc * 7 + q * 3 + d) % 40,
                    }
                )
    return items


def _push(base: str, key: str, items: list[dict[str, Any]], batch: int) -> tuple[float, int]:
    import httpx

    accepted = 0
    started = time.perf_counter()
    with httpx.Client(base_url=base, timeout=600) as client:
        for i in range(0, len(items), batch):
            response = client.post(
                "/api/v1/footfall/counts",
                json={"counts": items[i : i + batch]},
                headers={"Authorization": f"Bearer {key}"},
            )
            response.raise_for_status()
            body = response.json()
            assert not body["rejected"], body["rejected"][:3]
            accepted += body["accepted"]
    return time.perf_counter() - started, accepted


def _wait(base: str) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{base}/api/v1/health", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--batch", type=int, default=2400)
    args = parser.parse_args()

    name = None
    if args.db == "postgres":
        url, name = scratch_postgres()
    else:
        url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='teliporter-bench-')) / 'bench.sqlite3'}"
    use_database(url)
    # No limit in the way of the measure; counted in the process (no Redis needed).
    os.environ.update(COUNTER_API_MAX_REQUESTS="1000000", REDIS_URL="")
    server: subprocess.Popen[bytes] | None = None
    try:
        location_ids, key = _prepare(args.stores)
        items = _items(location_ids, args.days)
        port = _free_port()
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:app",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=dict(os.environ),
        )
        base = f"http://127.0.0.1:{port}"
        _wait(base)
        print(
            f"counter intake: {len(items):,} 15-minute counts ({args.stores} stores x "
            f"{args.days} days x 96) in batches of {args.batch:,}, real HTTP to uvicorn "
            f"(1 process) on {args.db}"
        )
        figures: dict[str, Any] = {
            "database": args.db,
            "api": "real HTTP to uvicorn (1 process) on loopback",
            "stores": args.stores,
            "days": args.days,
            "counts": len(items),
            "batch": args.batch,
        }
        for label in ("first", "resend"):
            seconds, accepted = _push(base, key, items, args.batch)
            assert accepted == len(items)
            figures[f"{label}_seconds"] = round(seconds, 2)
            figures[f"{label}_counts_per_second"] = round(accepted / seconds)
            print(f"  {label:<7} {seconds:7.2f} s  {accepted / seconds:>10,.0f} counts/s accepted")
        record("counter_intake", figures)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        if name is not None:
            drop_postgres(name)


if __name__ == "__main__":
    main()
