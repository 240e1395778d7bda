"""Where a sync page's time goes: one writer's CPU per 1,000 orders, Python and PostgreSQL apart.

    python -m bench.page_profile [--stores 20] [--warm 15] [--pages 20] [--cprofile FILE]

Starts the simulator (as bench.sync_bench does), fetches `--warm` + `--pages` SearchOrders pages
of the newest backfill window once, then writes them into a scratch PostgreSQL database the way
a backfill worker does — decode the page, `sync._write_page`, garbage collection once a page —
after `--warm` pages (and an ANALYZE) measures each page: wall time, this thread's CPU (decoding
and writing), the collector's share, the CPU of the database's backends (from /proc, so run it on
the database's machine), and the wall time of each
statement (COPY per table, SQLAlchemy's queries; the unprepared key lookups are not listed). Figures
are per 1,000 orders; medians of the pages beside the totals. Nothing is recorded.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from typing import Any

import orjson


def _fetch_pages(stores: int, count: int) -> tuple[list[dict[str, Any]], list[bytes]]:
    """The simulator's locations and `count` raw pages of the newest backfill window."""
    import httpx

    from bench.common import simulator_account
    from bench.sync_bench import _free_port

    port = _free_port()
    server = subprocess.Popen(
        [
            *(sys.executable, "-m", "square_simulator", "serve", "--port", str(port)),
            *("--seed", "2026", "--accounts", "1", "--locations", str(stores), "--years", "0.2"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        account = simulator_account(base, server)
        from app.core.db import utcnow
        from app.square.client import MAX_LOCATIONS_PER_SEARCH
        from app.square.sync import BACKFILL_WINDOW, FUTURE_MARGIN, rfc3339

        headers = {"Authorization": f"Bearer {account['personal_access_token']}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            locations = client.get("/v2/locations").json()["locations"]
            ids = sorted(loc["id"] for loc in locations)
            end = utcnow() + FUTURE_MARGIN
            window = {"start_at": rfc3339(end - BACKFILL_WINDOW), "end_at": rfc3339(end)}
            pages: list[bytes] = []
            for i in range(0, len(ids), MAX_LOCATIONS_PER_SEARCH):
                cursor = None
                while len(pages) < count:
                    body: dict[str, Any] = {
                        "location_ids": ids[i : i + MAX_LOCATIONS_PER_SEARCH],
                        "query": {
                            "filter": {"date_time_filter": {"updated_at": window}},
                            "sort": {"sort_field": "UPDATED_AT", "sort_order": "DESC"},
                        },
                        "limit": 1000,
                    }
                    if cursor:
                        body["cursor"] = cursor
                    pages.append(client.post("/v2/orders/search", json=body).content)
                    cursor = orjson.loads(pages[-1]).get("cursor")
                    if not cursor:
                        break
        return locations, pages
    finally:
        server.terminate()
        server.wait(timeout=30)


def _statement_timer() -> dict[str, float]:
    """Wall seconds per statement (COPY by table, other statements by their first words)."""
    from sqlalchemy import event

    from app.core import bulk
    from app.core.db import get_engine

    spent: dict[str, float] = defaultdict(float)
    insert_rows = bulk.insert_rows

    def timed_insert_rows(conn: Any, table: str, *args: Any) -> None:
        began = time.perf_counter()
        insert_rows(conn, table, *args)
        spent[f"COPY {table} (payload included)"] += time.perf_counter() - began

    bulk.insert_rows = timed_insert_rows  # type: ignore[assignment]
    engine = get_engine()

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn: Any, *_: Any) -> None:
        conn.info["statement_began"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        spent[" ".join(statement.split())[:60]] += time.perf_counter() - conn.info.pop(
            "statement_began"
        )

    return spent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=20)
    parser.add_argument("--warm", type=int, default=15, help="pages written before measuring")
    parser.add_argument("--pages", type=int, default=20, help="pages measured")
    parser.add_argument("--cprofile", default="", help="write a cProfile of the measured pages")
    args = parser.parse_args(argv)

    from bench.common import drop_postgres, scratch_postgres, use_database

    url, name = scratch_postgres()
    use_database(url)
    try:
        locations, raws = _fetch_pages(args.stores, args.warm + args.pages)
        _measure(locations, raws, args)
    finally:
        from app.core.db import get_engine

        get_engine().dispose()
        drop_postgres(name)
    return 0


def _measure(locations: list[dict[str, Any]], raws: list[bytes], args: Any) -> None:
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import text

    from app.core import crypto
    from app.core.config import BACKEND_DIR
    from app.core.db import get_engine, session_scope
    from app.locations import service as location_service
    from app.organizations import service as org_service
    from app.square import sync
    from app.square.models import SquareConnection
    from bench.common import cpu_seconds

    cfg = Config(str(BACKEND_DIR / "alembic.ini"))
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "head")
    with session_scope() as db:
        org = org_service.create(db=db, name="Profile Retail")
        connection = SquareConnection(
            org_id=org.id, merchant_id="M", scopes="", access_token_enc=crypto.encrypt("-")
        )
        db.add(connection)
        db.flush()
        location_service.upsert_from_square(
            db=db, org_id=org.id, connection_id=connection.id, square_locations=locations
        )
        [run] = sync.start(
            db=db, org_id=org.id, connection_id=connection.id, trigger="cli", dispatch=False
        )
        run_id = run.id
    state = sync._Run(run_id, None)
    _, by_square_id = sync._location_groups(state)
    for raw in raws[: args.warm]:
        sync._write_page(state, orjson.loads(raw)["orders"], by_square_id)
    with session_scope() as db:
        db.execute(text("ANALYZE"))
    with get_engine().connect() as conn:
        pids = list(
            conn.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            )
        )

    collector = [0.0, 0.0]  # seconds, began

    def on_gc(phase: str, _: dict[str, Any]) -> None:
        if phase == "start":
            collector[1] = time.thread_time()
        else:
            collector[0] += time.thread_time() - collector[1]

    spent = _statement_timer()
    profile = cProfile.Profile() if args.cprofile else None
    pages: list[tuple[float, float, float, float, int]] = []  # wall, decode, python, pg, orders
    gc.collect()
    gc.callbacks.append(on_gc)
    with sync._collect_per_page() as after_page:
        for raw in raws[args.warm :]:
            if profile is not None:
                profile.enable()
            wall, cpu, pg = time.perf_counter(), time.thread_time(), cpu_seconds(pids)
            orders = orjson.loads(raw)["orders"]
            decoded = time.thread_time()
            sync._write_page(state, orders, by_square_id)
            count = len(orders)
            del orders
            after_page()
            pages.append(
                (
                    time.perf_counter() - wall,
                    decoded - cpu,
                    time.thread_time() - cpu,
                    cpu_seconds(pids) - pg,
                    count,
                )
            )
            if profile is not None:
                profile.disable()
    gc.callbacks.remove(on_gc)

    orders = sum(page[4] for page in pages)
    per_k = 1e6 / orders  # seconds in total -> ms per 1,000 orders

    def median(i: int) -> float:
        return statistics.median(page[i] / page[4] * 1e6 for page in pages)

    print(
        f"{len(pages)} pages, {orders} orders (after {args.warm} pages), per 1,000 orders:\n"
        f"  wall {sum(p[0] for p in pages) * per_k:.0f} ms (median page {median(0):.0f})\n"
        f"  Python {sum(p[2] for p in pages) * per_k:.0f} ms (median page {median(2):.0f}), "
        f"of which decoding {sum(p[1] for p in pages) * per_k:.0f} ms and garbage collection "
        f"{collector[0] * per_k:.1f} ms\n"
        f"  PostgreSQL backends {sum(p[3] for p in pages) * per_k:.0f} ms "
        f"(median page {median(3):.0f})\n"
        "  statements (wall, Python building COPY payloads included):"
    )
    for statement, seconds in sorted(spent.items(), key=lambda item: -item[1])[:15]:
        print(f"    {seconds * per_k:6.1f} ms  {statement}")
    if profile is not None:
        profile.dump_stats(args.cprofile)


if __name__ == "__main__":
    sys.exit(main())
