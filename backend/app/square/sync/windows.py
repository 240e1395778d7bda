"""The split backfill: the first sync's history cut into windows that workers claim, fetch and
resume from their last page.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.core.db import session_scope, utcnow
from app.locations.models import Location
from app.sales import service as sales_service
from app.square.client import ORDERS_PAGE_LIMIT, SquareApi, SquareError
from app.square.models import (
    ConnectionStatus,
    SquareConnection,
    SyncRun,
    SyncRunState,
    SyncWindow,
    SyncWindowState,
)
from app.square.sync.fetching import _collect_per_page, prefetched
from app.square.sync.orders import _newest, _retrying, _write_page
from app.square.sync.state import _lease, _location_groups, _renew_in, _Run, rfc3339

log = logging.getLogger(__name__)

BACKFILL_WINDOW = timedelta(days=30)


# -- the split backfill -----------------------------------------------------------------------
#
# The first sync's history is cut into windows (BACKFILL_WINDOW of updated_at x a group of up to
# MAX_LOCATIONS_PER_SEARCH locations), written as square_sync_window rows. Workers claim them one
# at a time, newest first, with a compare-and-set on the row (state, lease): the run's own worker,
# and as many helpers (`work_windows`, the `square.backfill_windows` task) as are started. Each page
# is written in one transaction with the window's resume point (Square's cursor) and its lease
# renewal, so a killed worker's window is claimed again when its lease runs out and resumes from
# its last page. Orders are keyed by Square id and a concurrent write of the same order waits for
# the other (row locks) or is retried, so windows never duplicate an order. The run's worker
# finishes the backfill, and moves the incremental checkpoint, only once every window is done.


def _plan_windows(
    state: _Run, groups: list[list[str]], newest_end: datetime, oldest: datetime
) -> None:
    with session_scope() as db:
        planned = db.scalar(
            select(func.count())
            .select_from(SyncWindow)
            .where(SyncWindow.connection_id == state.connection_id)
        )
        if planned:
            return
        for start, end in _windows(newest_end, oldest):
            for group in groups:
                db.add(
                    SyncWindow(
                        org_id=state.org_id,
                        connection_id=state.connection_id,
                        location_ids=" ".join(group),
                        start_at=start,
                        end_at=end,
                        state=SyncWindowState.pending,
                        pages=0,
                        orders=0,
                    )
                )


def _claimable(now: datetime) -> Any:
    return or_(
        SyncWindow.state == SyncWindowState.pending,
        and_(SyncWindow.state == SyncWindowState.running, SyncWindow.lease_until < now),
    )


def _claim(connection_id: int) -> tuple[int, str] | None:
    return _retrying(lambda: _claim_once(connection_id))


def _claim_once(connection_id: int) -> tuple[int, str] | None:
    """Take the newest window nobody holds (or whose holder's lease ran out)."""
    token = uuid.uuid4().hex
    while True:
        now = utcnow()
        with session_scope() as db:
            candidates = db.scalars(
                select(SyncWindow.id)
                .where(SyncWindow.connection_id == connection_id, _claimable(now))
                .order_by(SyncWindow.end_at.desc(), SyncWindow.id)
                .limit(8)
            ).all()
            if not candidates:
                return None
            for window_id in candidates:
                # Compare-and-set: exactly one worker gets each window.
                result = db.execute(
                    update(SyncWindow)
                    .where(SyncWindow.id == window_id, _claimable(now))
                    .values(
                        state=SyncWindowState.running,
                        lease_token=token,
                        lease_until=now + _lease(),
                    )
                )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    return window_id, token
        # Every candidate went to other workers in the meantime: look again.


WINDOW_PAGE_SIZE = ORDERS_PAGE_LIMIT  # orders a page (tests use small pages to get many)


def _window_pages(
    api: SquareApi, location_ids: list[str], start: datetime, end: datetime, cursor: str | None
) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
    """The window's pages from `cursor` on, each with the cursor of the page after it."""
    while True:
        try:
            orders, following = api.search_orders(
                location_ids=location_ids,
                updated_from=rfc3339(start),
                updated_to=rfc3339(end),
                cursor=cursor,
                limit=WINDOW_PAGE_SIZE,
            )
        except SquareError as exc:
            if cursor is None or exc.status != 400:
                raise
            # Square no longer takes the saved cursor: the window starts over (idempotent).
            log.warning("saved cursor refused (%s); the window starts over", exc)
            cursor = None
            continue
        yield orders, following
        if not following:
            return
        cursor = following


class _LeaseLost(SquareError):
    """Another worker took this window over (our lease ran out)."""


def _work_window(
    state: _Run, api: SquareApi, locations: dict[str, Location], window_id: int, token: str
) -> None:
    with session_scope() as db:
        window = db.get(SyncWindow, window_id)
        assert window is not None
        location_ids = window.location_ids.split()
        start, end, cursor = window.start_at, window.end_at, window.cursor
        newest = window.newest_updated_at

    with _collect_per_page() as after_page:
        for orders, following in prefetched(_window_pages(api, location_ids, start, end, cursor)):
            newest = _newest(orders, newest)
            _write_window_page(state, orders, locations, window_id, token, following, newest)
            del orders
            after_page()
            state.window_pages += 1
            if state.window_pages % ANALYZE_EVERY_PAGES == 0:
                _analyze(state)


def _write_window_page(
    state: _Run,
    orders: list[dict[str, Any]],
    locations: dict[str, Location],
    window_id: int,
    token: str,
    following: str | None,
    newest: datetime | None,
) -> None:
    """Write one page of a backfill window with the window's resume point (`following`)."""

    def progress(db: Session) -> None:
        # The last page (no cursor after it) finishes the window in the same transaction.
        last = following is None
        result = db.execute(
            update(SyncWindow)
            .where(SyncWindow.id == window_id, SyncWindow.lease_token == token)
            .values(
                cursor=following,
                pages=SyncWindow.pages + 1,
                orders=SyncWindow.orders + len(orders),
                newest_updated_at=newest,
                state=SyncWindowState.done if last else SyncWindowState.running,
                lease_token=None if last else token,
                lease_until=None if last else utcnow() + _lease(),
                finished_at=utcnow() if last else None,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise _LeaseLost(f"lost the lease of backfill window {window_id}")

    _write_page(state, orders, locations, also=progress)


WINDOW_POLL_SECONDS = 0.5
# A backfill worker checks the tables' statistics this often (a look at pg_stat_user_tables,
# ~1 ms; an ANALYZE only when a table has doubled). Every 25 pages left the first ~50 pages
# of a backfill planned on the statistics of empty tables.
ANALYZE_EVERY_PAGES = 5


def _analyze(state: _Run, *, every: bool = False) -> None:
    """Keep the planner's statistics up with a backfill (see sales_service.analyze_grown_tables);
    a failure here (a concurrent ANALYZE, say) costs the run nothing."""
    try:
        with session_scope() as db:
            grown = sales_service.analyze_grown_tables(db, every=every)
        if grown:
            log.info("sync run %s: analyzed %s", state.run_id, ", ".join(grown))
    except Exception:
        log.warning("sync run %s: ANALYZE failed", state.run_id, exc_info=True)


def _work_windows(
    state: _Run, api: SquareApi, locations: dict[str, Location], *, until_all_done: bool
) -> None:
    """Claim and fetch windows until none is left to claim; with `until_all_done`, then wait for
    the windows other workers hold (taking over any whose lease runs out)."""
    while True:
        claimed = _claim(state.connection_id)
        if claimed is not None:
            try:
                _work_window(state, api, locations, *claimed)
            except _LeaseLost:
                log.warning("sync run %s: %s", state.run_id, "a window was taken over")
            continue
        if not until_all_done:
            return

        def windows_left() -> int:
            with session_scope() as db:
                left = db.scalar(
                    select(func.count())
                    .select_from(SyncWindow)
                    .where(
                        SyncWindow.connection_id == state.connection_id,
                        SyncWindow.state != SyncWindowState.done,
                    )
                )
                if state.lease:
                    _renew_in(db, state.connection_id, state.lease)
                state.update_in(db)
                return left or 0

        if not _retrying(windows_left):
            return
        time.sleep(WINDOW_POLL_SECONDS)


def work_windows(run_id: int) -> int:
    """A helper worker of a run's backfill: fetch windows until none is left to claim; returns
    the pages it wrote. It holds no connection lease: each window has its own."""
    state = _Run(run_id, None)
    with session_scope() as db:
        run = db.get(SyncRun, run_id)
        connection = db.get(SquareConnection, state.connection_id)
        assert run is not None and connection is not None
        if run.state != SyncRunState.running or connection.status != ConnectionStatus.active:
            return 0
    _, locations = _location_groups(state)
    api = state.open_api()
    try:
        _work_windows(state, api, locations, until_all_done=False)
    finally:
        api.close()
    return state.window_pages


def _windows(newest_end: datetime, oldest: datetime) -> Iterator[tuple[datetime, datetime]]:
    end = newest_end
    while end > oldest:
        start = max(oldest, end - BACKFILL_WINDOW)
        yield start, end
        end = start
