"""The hourly conversion report (GET /reports/traffic) over a year of a chain with hourly counts.

    python -m bench.traffic_bench [--stores 50] [--orders-per-day 20] [--runs 20]

Generates a chain as bench/chain_bench.py does (COPYed into a fresh PostgreSQL database, one year
ending on its END date), builds the rollups, then gives every store-day with sales an hourly
footfall count for each hour with sales (about three visitors per transaction, plus a few),
except one store-day in twenty, which gets a whole-day count only (left out of the report). It
then starts the app under uvicorn and measures over real HTTP the p50/p95 of /reports/traffic
for the last month and year, every store, beside the summary and the sales heatmap (the
existing hourly report) over the same periods: the traffic report's added latency is what a
page showing it costs on top of those. Figures are merged into bench/results.json under
"traffic".
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import timedelta
from typing import Any

from bench.chain_bench import END, _free_port, _generate, _latency, _login, _migrate, _rebuild
from bench.common import drop_postgres, previous, record, scratch_postgres, use_database


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--orders-per-day", type=float, default=20.0)
    parser.add_argument("--runs", type=int, default=20, help="timed requests per report")
    args = parser.parse_args(argv)

    url, pg_name = scratch_postgres()
    use_database(url)
    server: subprocess.Popen[bytes] | None = None
    try:
        first = END - timedelta(days=364)
        t0 = time.perf_counter()
        _migrate()
        org_id, email, password, counts = _generate(args.stores, first, END, args.orders_per_day)
        _rebuild(org_id)
        hourly, daily = _hourly_footfall(org_id)
        prepare_s = time.perf_counter() - t0
        print(
            f"{counts['orders']:,} orders for {args.stores} stores x 365 days, "
            f"{hourly:,} hourly counts and {daily:,} daily-only store-days, in {prepare_s:.0f} s"
        )
        port = _free_port()
        server = subprocess.Popen(
            [
                *(sys.executable, "-m", "uvicorn", "app.main:app"),
                *("--port", str(port), "--log-level", "warning"),
            ],
            env=dict(os.environ),
        )
        base = f"http://127.0.0.1:{port}"
        _wait(base)
        token = _login(base, email, password)
        periods = {"1 month": END - timedelta(days=30), "1 year": first}
        reports = {
            "traffic": "/api/v1/reports/traffic",
            "summary": "/api/v1/reports/summary",
            "heatmap": "/api/v1/reports/heatmap",
        }
        before = previous("traffic").get("reports", {})
        header = (
            f"{'report':10} {'period':8} {'first ms':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'prev p95':>8}"
        )
        print(header)
        print("-" * len(header))
        figures: dict[str, Any] = {
            "stores": args.stores,
            "days": 365,
            "orders": counts["orders"],
            "hourly_counts": hourly,
            "daily_only_store_days": daily,
            "api": "real HTTP to uvicorn (1 process) on loopback, GBP, compare=none, all stores",
            "reports": {},
        }
        for name, path in reports.items():
            for label, start in periods.items():
                params = {
                    "date_from": start.isoformat(),
                    "date_to": END.isoformat(),
                    "compare": "none",
                    "currency": "GBP",
                }
                p50, p95, first_ms = _latency(base, path, params, token, args.runs)
                earlier = before.get(f"{name} / {label}", {}).get("p95_ms")
                print(
                    f"{name:10} {label:8} {first_ms:8.1f} {p50:8.1f} {p95:8.1f} "
                    f"{'' if earlier is None else f'{earlier:.1f}':>8}"
                )
                figures["reports"][f"{name} / {label}"] = {
                    "first_ms": round(first_ms, 1),
                    "p50_ms": round(p50, 1),
                    "p95_ms": round(p95, 1),
                }
        record("traffic", figures)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        from app.core.db import get_engine

        get_engine().dispose()
        drop_postgres(pg_name)
    return 0


def _wait(base: str) -> None:
    """Until the app answers: importing it takes tens of seconds on a loaded machine, longer
    than _login's own minute."""
    import httpx

    deadline = time.monotonic() + 300
    while True:
        try:
            httpx.get(f"{base}/api/v1/health", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _hourly_footfall(org_id: int) -> tuple[int, int]:
    """The generated daily counts replaced by hourly ones made from the hour rollups (one
    store-day in twenty keeps a whole-day count); returns (hourly rows, daily-only days)."""
    from sqlalchemy import text

    from app.core.db import get_engine, session_scope

    daily_only = "(h.location_id + (h.business_date - DATE '2000-01-01')) % 20 = 0"
    with session_scope() as db:
        db.execute(text("DELETE FROM footfall_entry WHERE org_id = :org"), {"org": org_id})
        db.execute(
            text(
                "INSERT INTO footfall_entry (org_id, location_id, entry_date, hour, count, "
                "closed, source, created_at, updated_at) "
                "SELECT h.org_id, h.location_id, h.business_date, "
                f"CASE WHEN {daily_only} THEN NULL ELSE h.hour END, "
                "sum(3 * h.transactions + 2 + h.hour % 5), false, 'api', now(), now() "
                "FROM rollup_hour h WHERE h.org_id = :org "
                f"GROUP BY h.org_id, h.location_id, h.business_date, "
                f"CASE WHEN {daily_only} THEN NULL ELSE h.hour END"
            ),
            {"org": org_id},
        )
        hourly = db.scalar(
            text("SELECT count(*) FROM footfall_entry WHERE org_id = :org AND hour IS NOT NULL"),
            {"org": org_id},
        )
        daily = db.scalar(
            text("SELECT count(*) FROM footfall_entry WHERE org_id = :org AND hour IS NULL"),
            {"org": org_id},
        )
    with get_engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE footfall_entry"))
    return int(hourly or 0), int(daily or 0)


if __name__ == "__main__":
    raise SystemExit(main())
