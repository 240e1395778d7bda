"""Sync throughput: a backfill of a many-store account from the simulator into PostgreSQL, beside
the simulator's own serving rate for the same pages.

    python -m bench.sync_bench [--stores 20] [--days 365] [--workers 2] [--sqlite] [--keep]

Prints orders/s for the sync (orders phase, and the whole run with payments) and for the
simulator serving the same SearchOrders pages to a client that only decodes them; both go over
real HTTP on loopback. The backfill is split across `--workers` processes as Celery would split
it (the run's own worker plus helper processes running `sync.work_windows`). Figures are merged
into bench/results.json under "sync", with whether the report rollups were maintained in the
same transactions (they are part of the cost once the sync's page writer, app/square/flows.py,
maintains them).

It also prints where the machine's CPU goes, per 1,000 orders, in the orders phase and in the
payments phase: the simulator's process, the sync's processes (this one and its helpers) and
PostgreSQL's (every server process on the machine, so run it on a quiet one), sampled from /proc
once a second and at each phase change. From the orders phase's total follows the rate the
machine's cores could reach if they were never idle at that cost: the ceiling of the sync's
share of the simulator's rate on this machine (the simulator, the sync and the database share
its cores). `--keep` keeps the synced database for a look at its plans.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--workers", type=int, default=2, help="processes sharing the backfill")
    parser.add_argument("--sqlite", action="store_true", help="use a SQLite file instead")
    parser.add_argument(
        "--keep", action="store_true", help="keep the synced database (its URL is printed)"
    )
    args = parser.parse_args(argv)

    from bench.common import (
        drop_postgres,
        record,
        scratch_postgres,
        simulator_account,
        use_database,
    )

    pg_name = None
    if args.sqlite:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    else:
        url, pg_name = scratch_postgres()
    use_database(url)
    # The simulator runs in its own process, as Square runs on its own servers: it does not share
    # this process's interpreter lock with the sync it is measured beside.

    port = _free_port()
    years = args.days / 365 + 0.02
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "square_simulator",
            "serve",
            "--port",
            str(port),
            "--seed",
            "2026",
            "--accounts",
            "1",
            "--locations",
            str(args.stores),
            "--years",
            f"{years:.3f}",
            "--cache-mb",
            str(max(512, args.days * 12)),  # the whole history: Square serves from its own machines
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        account = simulator_account(base_url, server)
        os.environ["SQUARE_API_BASE_URL"] = base_url
        sim = _Sim(base_url, account)
        figures = _run(sim, args.days, args.stores, url, workers=args.workers, server=server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        from app.core.db import get_engine

        get_engine().dispose()
        if args.keep:
            print(f"kept the synced database: {url}")
        elif pg_name:
            drop_postgres(pg_name)
    record("sync", figures)
    return 0


class _Sim:
    """What the benchmark needs of the simulator it started: its URL and the seller account."""

    def __init__(self, base_url: str, account: dict[str, Any]) -> None:
        self.base_url = base_url
        self.merchant_id = account["merchant_id"]
        self.access_token = account["personal_access_token"]
        self.location_ids = [loc["id"] for loc in account["locations"]]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serving_rate(sim: Any, days: int, server: int) -> tuple[float, int, float]:
    """The simulator alone: every SearchOrders page of the backfill, fetched and decoded.
    Returns orders/s, orders served and the simulator's CPU ms per 1,000 orders."""
    from datetime import timedelta

    import httpx
    import orjson

    from app.core.db import utcnow
    from app.square.sync import rfc3339
    from bench.common import cpu_seconds

    headers = {"Authorization": f"Bearer {sim.access_token}"}
    ids = sim.location_ids
    end = utcnow() + timedelta(days=1)
    start = end - timedelta(days=days + 1)
    total = 0
    began, cpu = time.perf_counter(), cpu_seconds([server])
    with httpx.Client(base_url=sim.base_url, headers=headers, timeout=60) as client:
        for i in range(0, len(ids), 10):
            cursor = None
            while True:
                body: dict[str, Any] = {
                    "location_ids": ids[i : i + 10],
                    "limit": 1000,
                    "query": {
                        "filter": {
                            "date_time_filter": {
                                "updated_at": {"start_at": rfc3339(start), "end_at": rfc3339(end)}
                            }
                        },
                        "sort": {"sort_field": "UPDATED_AT", "sort_order": "DESC"},
                    },
                }
                if cursor:
                    body["cursor"] = cursor
                page = orjson.loads(client.post("/v2/orders/search", json=body).content)
                total += len(page.get("orders", []))
                cursor = page.get("cursor")
                if not cursor:
                    break
    spent = cpu_seconds([server]) - cpu
    return total / (time.perf_counter() - began), total, spent / total * 1e6


HELPER = "import sys; from app.square import sync; sync.work_windows(int(sys.argv[1]))"


def _start_helpers(count: int, started: list[subprocess.Popen[bytes]]) -> Any:
    """The `helpers` hook of sync.run: `count` more processes on the run's backfill windows."""
    from app.core.config import BACKEND_DIR

    def start(run_id: int) -> None:
        for _ in range(count):
            started.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-c",
                        HELPER,
                        str(run_id),
                    ],
                    cwd=BACKEND_DIR,
                    env=dict(os.environ),
                )
            )

    return start


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its finished children (the helpers)."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _run(
    sim: Any, days: int, stores: int, url: str, *, workers: int, server: int
) -> dict[str, Any]:
    from alembic import command
    from alembic.config import Config

    from app.core import crypto
    from app.core.config import BACKEND_DIR
    from app.core.db import session_scope
    from app.organizations import service as org_service
    from app.square import sync
    from app.square.models import SquareConnection
    from bench.common import CpuMeter, postgres_pids

    cfg = Config(str(BACKEND_DIR / "alembic.ini"))
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "head")

    _serving_rate(sim, days, server)
    # Again now that the simulator's caches are warm, as the sync will find them.
    serving_rate, served, serving_cpu = _serving_rate(sim, days, server)

    with session_scope() as db:
        org = org_service.create(db=db, name="Bench Retail")
        connection = SquareConnection(
            org_id=org.id,
            merchant_id=sim.merchant_id,
            scopes="",
            access_token_enc=crypto.encrypt(sim.access_token),
        )
        db.add(connection)
        db.flush()
        [run] = sync.start(
            db=db, org_id=org.id, connection_id=connection.id, trigger="cli", dispatch=False
        )
        run_id = run.id

    helpers: list[subprocess.Popen[bytes]] = []
    # Where the machine's CPU goes while orders are synced: the simulator serving them, the
    # sync's processes (this one and its helpers) and PostgreSQL (every server process).
    meter = CpuMeter(
        {
            "simulator": lambda: [server],
            "sync": lambda: [os.getpid(), *(helper.pid for helper in helpers)],
            "postgres": postgres_pids,
        }
    )
    phases: dict[str, float] = {}
    phase_cpu: dict[str, dict[str, float]] = {}
    current: list[Any] = [None, time.perf_counter(), meter.sample()]  # phase, since, CPU then

    def progress(run: Any) -> None:
        now = time.perf_counter()
        if run.phase != current[0]:
            cpu_now = meter.sample()
            if current[0] is not None:
                phase = str(current[0])
                phases[phase] = phases.get(phase, 0.0) + now - current[1]
                spent = phase_cpu.setdefault(phase, dict.fromkeys(cpu_now, 0.0))
                for group, seconds in cpu_now.items():
                    spent[group] += seconds - current[2][group]
            current[0], current[1], current[2] = run.phase, now, cpu_now

    cpu_before = _cpu_seconds()
    began = time.perf_counter()
    try:
        finished = sync.run(
            run_id,
            progress=progress,
            backfill_days=days,
            helpers=_start_helpers(workers - 1, helpers) if workers > 1 else None,
        )
    finally:
        for helper in helpers:
            try:
                helper.wait(timeout=60)
            except subprocess.TimeoutExpired:
                helper.kill()
                helper.wait()
    total_time = time.perf_counter() - began
    meter.close()
    cpu = _cpu_seconds() - cpu_before
    orders_time = phases.get("backfill", 0) + phases.get("orders", 0)
    orders = finished.orders_seen
    # CPU per 1,000 orders in the orders phases, and the rate the machine's cores could reach
    # at that cost if nothing ever waited: the ceiling the sync's share is bounded by.
    cpu_per_k = {
        group: round(
            sum(phase_cpu.get(p, {}).get(group, 0.0) for p in ("backfill", "orders"))
            / max(orders, 1)
            * 1e6,
            1,
        )
        for group in ("simulator", "sync", "postgres")
    }
    payments_cpu = {
        group: round(seconds / max(orders, 1) * 1e6, 1)
        for group, seconds in phase_cpu.get("payments", {}).items()
    }
    cores = os.cpu_count() or 1
    ceiling = cores * 1e6 / sum(cpu_per_k.values()) if orders and any(cpu_per_k.values()) else 0
    from app.square import flows as square_flows

    figures = {
        "database": url.split(":", 1)[0],
        "stores": stores,
        "days": days,
        "workers": workers,
        "rollups_maintained": hasattr(square_flows, "rollup_service"),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "sync_process_cpu_s": round(cpu, 1),
        "orders": orders,
        "state": finished.state.value,
        "sync_orders_per_s": round(orders / orders_time) if orders_time else None,
        "sync_total_s": round(total_time, 1),
        "sync_orders_per_s_including_payments": round(orders / total_time),
        "simulator_serving_orders_per_s": round(serving_rate),
        "simulator_orders_served": served,
        "simulator_cpu_ms_per_1000_orders_served": round(serving_cpu, 1),
        "orders_phase_cpu_ms_per_1000_orders": cpu_per_k,
        "payments_phase_cpu_ms_per_1000_orders": payments_cpu,
        "cores": cores,
        "cpu_bound_orders_per_s": round(ceiling),
        "cpu_bound_share_of_simulator_rate": round(ceiling / serving_rate, 2),
        "sync_share_of_simulator_rate": round(orders / orders_time / serving_rate, 2)
        if orders_time
        else None,
        "phase_seconds": {k: round(v, 1) for k, v in phases.items()},
    }
    f = figures
    print(
        f"sync backfill ({stores} stores, {days} days, {f['database']}, {workers} worker(s), "
        f"rollups {'maintained' if f['rollups_maintained'] else 'absent'}): {orders} orders\n"
        f"  simulator serving the same pages : {f['simulator_serving_orders_per_s']:>8} orders/s\n"
        f"  sync, orders phase               : {f['sync_orders_per_s']:>8} orders/s "
        f"({f['sync_share_of_simulator_rate']:.0%} of the simulator's rate)\n"
        f"  sync, whole run incl. payments   : "
        f"{f['sync_orders_per_s_including_payments']:>8} orders/s in {f['sync_total_s']} s\n"
        f"  phases (s): {f['phase_seconds']}; load average {f['load_average_1m']} "
        f"on {cores} cores\n"
        f"  CPU per 1,000 orders, orders phase (ms): {cpu_per_k} "
        f"(simulator alone: {f['simulator_cpu_ms_per_1000_orders_served']}); "
        f"payments phase: {payments_cpu}\n"
        f"  {cores} cores fully busy at that cost: {f['cpu_bound_orders_per_s']} orders/s "
        f"({f['cpu_bound_share_of_simulator_rate']:.0%} of the simulator's rate)",
        file=sys.stdout,
    )
    return figures


if __name__ == "__main__":
    sys.exit(main())
