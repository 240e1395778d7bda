"""Run a Square sync in the foreground, with a progress line: for operators doing a large backfill.

    python -m app.scripts.sync                       # every active connection
    python -m app.scripts.sync --connection 3        # one connection
    python -m app.scripts.sync --connection 3 --backfill-days 1095

The run is the same as a worker's (same checkpoints and lease): stop it at any time and run it
again, and it resumes where it stopped.
"""

from __future__ import annotations

import argparse
import sys
import time

from sqlalchemy import select

from app.core.db import session_scope
from app.square import sync
from app.square.models import ConnectionStatus, SquareConnection, SyncRun, SyncRunState


def _bar(run: SyncRun, started: float) -> str:
    elapsed = max(time.monotonic() - started, 1e-6)
    rate = run.orders_seen / elapsed
    return (
        f"\r[run {run.id}] {run.phase or '':<10} pages {run.pages:>6}  orders {run.orders_seen:>9}"
        f"  written {run.orders_written:>9}  {rate:>8.0f} orders/s  {elapsed:>6.0f}s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--connection", type=int, help="connection id (default: all active)")
    parser.add_argument(
        "--backfill-days",
        type=int,
        help="history to backfill on a connection's first sync (default SYNC_BACKFILL_DAYS)",
    )
    args = parser.parse_args(argv)

    with session_scope() as db:
        query = select(SquareConnection).where(SquareConnection.status == ConnectionStatus.active)
        if args.connection is not None:
            query = select(SquareConnection).where(SquareConnection.id == args.connection)
        connections = list(db.scalars(query))
        if not connections:
            print("No such active connection", file=sys.stderr)
            return 1
        run_ids = []
        for connection in connections:
            runs = sync.start(
                db=db,
                org_id=connection.org_id,
                connection_id=connection.id,
                trigger="cli",
                dispatch=False,
            )
            run_ids += [run.id for run in runs]

    failed = False
    for run_id in run_ids:
        started = time.monotonic()

        def show(run: SyncRun, started: float = started) -> None:
            print(_bar(run, started), end="", file=sys.stderr, flush=True)

        finished = sync.run(run_id, progress=show, backfill_days=args.backfill_days)
        print(_bar(finished, started), file=sys.stderr)
        print(
            f"run {run_id}: {finished.state.value}"
            + (f" ({finished.error})" if finished.error else "")
        )
        failed = failed or finished.state != SyncRunState.succeeded
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
