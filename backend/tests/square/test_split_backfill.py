"""One connection's backfill split across worker processes: each window of history is fetched by
one worker at a time, a killed worker's window resumes where it stopped, and the database ends
holding exactly Square's orders, each once, with each of its lines and tenders once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.rollups import service as rollups
from app.sales.models import SaleLine, SaleOrder, SaleTender
from app.square import sync
from app.square.models import SyncRun, SyncRunState, SyncWindow, SyncWindowState
from app.square.sync import windows as sync_windows
from square_simulator.testing import RunningSimulator
from tests.rollups.test_rollups import rollup_rows
from tests.square.helpers import assert_same_orders, connect, run_sync, square_orders

BACKEND_DIR = Path(__file__).resolve().parents[2]
PAGE = 20  # orders a page, so that windows take several pages
HELPER = (
    "import sys; from app.square import sync; from app.square.sync import windows; "
    "windows.WINDOW_PAGE_SIZE = int(sys.argv[2]); "
    "print('pages', sync.work_windows(int(sys.argv[1])), flush=True)"
)
MAIN = (
    "import sys; from app.square import sync; from app.square.sync import windows; "
    "windows.WINDOW_PAGE_SIZE = int(sys.argv[2]); "
    "sync.run(int(sys.argv[1]))"
)


def worker_env(**extra: str) -> dict[str, str]:
    settings = get_settings()
    return dict(
        os.environ,
        SQUARE_API_BASE_URL=settings.SQUARE_API_BASE_URL,
        SQUARE_APPLICATION_ID=settings.SQUARE_APPLICATION_ID,
        SQUARE_APPLICATION_SECRET=settings.SQUARE_APPLICATION_SECRET,
        **extra,
    )


def slow_pages(sim: RunningSimulator, delay_s: float) -> None:
    sim.state.faults.add(
        kind="slow",
        path="/v2/orders/search",
        method=None,
        probability=1.0,
        count=None,
        delay_s=delay_s,
        retry_after=1,
    )


def assert_children_once(db: Session, org_id: int, sim: RunningSimulator) -> None:
    """Every order's lines and tenders are stored exactly as many times as Square has them."""
    expected_lines: Counter[str] = Counter()
    expected_tenders: Counter[str] = Counter()
    for order_id, order in square_orders(sim).items():
        expected_lines[order_id] = len(order.get("line_items") or []) + sum(
            len(r.get("return_line_items") or []) for r in order.get("returns") or []
        )
        expected_tenders[order_id] = len(order.get("tenders") or [])
    lines = Counter(
        db.scalars(
            select(SaleOrder.square_order_id)
            .join(SaleLine, SaleLine.order_id == SaleOrder.id)
            .where(SaleOrder.org_id == org_id)
        )
    )
    tenders = Counter(
        db.scalars(
            select(SaleOrder.square_order_id)
            .join(SaleTender, SaleTender.order_id == SaleOrder.id)
            .where(SaleOrder.org_id == org_id)
        )
    )
    assert +lines == +expected_lines
    assert +tenders == +expected_tenders


def test_a_backfill_split_across_two_worker_processes_holds_each_order_once(
    client: TestClient, db: Session, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, connection_id = connect(client, db, simulator)
    org_id = admin.user.org_id
    monkeypatch.setattr(sync_windows, "WINDOW_PAGE_SIZE", PAGE)
    # Slow pages, so the helper process is surely up while windows are still left.
    slow_pages(simulator, 0.15)
    helpers: list[subprocess.Popen[bytes]] = []

    def start_helper(run_id: int) -> None:
        helpers.append(
            subprocess.Popen(
                [sys.executable, "-c", HELPER, str(run_id), str(PAGE)],
                cwd=BACKEND_DIR,
                env=worker_env(),
                stdout=subprocess.PIPE,
            )
        )

    [run] = sync.start(
        db=db, org_id=org_id, connection_id=connection_id, trigger="manual", dispatch=False
    )
    db.commit()
    try:
        finished = sync.run(run.id, helpers=start_helper)
        [helper] = helpers
        output = helper.communicate(timeout=120)[0].decode()
    finally:
        for process in helpers:
            if process.poll() is None:
                process.kill()
    assert finished.state == SyncRunState.succeeded, finished.error
    assert helper.returncode == 0, output
    match = re.search(r"pages (\d+)", output)
    assert match is not None, output
    helper_pages = int(match.group(1))
    # Both processes fetched part of the history.
    assert 0 < helper_pages < finished.pages

    simulator.state.faults.clear()
    db.expire_all()
    count = assert_same_orders(db, org_id, simulator)
    assert finished.orders_written == count
    assert_children_once(db, org_id, simulator)
    # Both processes kept the report rollups in their page transactions, concurrently: they
    # hold exactly what a rebuild from the order tables gives.
    incremental = rollup_rows(db, org_id)
    assert incremental["rollup_day"] and incremental["rollup_org_line"]
    rollups.rebuild(db, org_id)
    db.commit()
    assert rollup_rows(db, org_id) == incremental
    # The backfill is finished: its windows are gone and the next sync is incremental.
    windows = select(SyncWindow).where(SyncWindow.connection_id == connection_id)
    assert db.scalars(windows).all() == []
    again = run_sync(db, org_id=org_id, connection_id=connection_id)
    assert again.state == SyncRunState.succeeded
    assert again.orders_written == 0


def test_a_worker_killed_mid_window_is_resumed_from_its_last_page(
    client: TestClient, db: Session, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, connection_id = connect(client, db, simulator)
    org_id = admin.user.org_id
    monkeypatch.setattr(sync_windows, "WINDOW_PAGE_SIZE", PAGE)
    slow_pages(simulator, 0.3)
    [run] = sync.start(
        db=db, org_id=org_id, connection_id=connection_id, trigger="manual", dispatch=False
    )
    db.commit()
    worker = subprocess.Popen(
        [sys.executable, "-c", MAIN, str(run.id), str(PAGE)],
        cwd=BACKEND_DIR,
        env=worker_env(SYNC_LEASE_SECONDS="2"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )

    def window_in_progress() -> SyncWindow | None:
        db.expire_all()
        return db.scalars(
            select(SyncWindow).where(
                SyncWindow.connection_id == connection_id,
                SyncWindow.state == SyncWindowState.running,
                SyncWindow.cursor.is_not(None),
            )
        ).first()

    try:
        deadline = time.monotonic() + 90
        while window_in_progress() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert window_in_progress() is not None, "the worker never got into a window"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
    half_done = window_in_progress()
    assert half_done is not None and half_done.pages > 0  # killed in the middle of a window
    killed_pages = db.get(SyncRun, run.id).pages  # type: ignore[union-attr]

    simulator.state.faults.clear()
    monkeypatch.setattr(get_settings(), "SYNC_LEASE_SECONDS", 2)
    time.sleep(2.5)  # the dead worker's leases run out
    resumed = run_sync(db, org_id=org_id, connection_id=connection_id)
    assert resumed.state == SyncRunState.succeeded, resumed.error
    db.expire_all()
    assert_same_orders(db, org_id, simulator)
    assert_children_once(db, org_id, simulator)

    # Nothing was fetched twice: the killed worker's pages and the resumed run's add up to the
    # pages of one uninterrupted backfill of the same account (into another organization).
    other, other_connection = connect(client, db, simulator)
    fresh = run_sync(db, org_id=other.user.org_id, connection_id=other_connection)
    assert fresh.state == SyncRunState.succeeded, fresh.error
    assert killed_pages + resumed.pages == fresh.pages
