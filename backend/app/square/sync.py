"""The sales sync of one Square connection.

A run fetches locations, catalog and team members, then orders (and payments and refunds):
- the first run backfills SYNC_BACKFILL_DAYS of history in windows (30 days of updated_at x up
  to 10 locations), newest first, so recent reports fill in first. The windows are rows
  (square_sync_window) that the run's worker and SYNC_BACKFILL_WORKERS - 1 helper tasks claim
  one at a time under a lease, each page committed with the window's resume point, so the
  backfill is split across workers and a worker that dies is resumed from its last page; the
  incremental checkpoint is set only once every window is done (see "the split backfill");
- later runs fetch what was updated since the last checkpoint minus SYNC_OVERLAP_MINUTES, oldest
  first, moving the checkpoint forward page by page.
Every write is an idempotent upsert keyed by Square ids, committed page by page: running a sync
twice, or overlapping runs, changes nothing; two workers meeting on one order take turns on its
row, and a page that loses a race on a unique key is written again. A lease on the connection row
keeps two runs of one connection apart, on any number of workers and machines.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import queue
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, TypeVar

import psycopg
from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import on_commit, session_scope, utcnow
from app.core.errors import Conflict, NotFound
from app.locations import service as location_service
from app.locations.models import Location
from app.sales import service as sales_service
from app.sales.facts import parse_time
from app.square import flows as square_flows
from app.square import service as square_service
from app.square.client import (
    MAX_LOCATIONS_PER_SEARCH,
    ORDERS_PAGE_LIMIT,
    SquareApi,
    SquareAuthError,
    SquareError,
)
from app.square.models import (
    ConnectionStatus,
    SquareConnection,
    SyncRun,
    SyncRunState,
    SyncWindow,
    SyncWindowState,
)

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKFILL_WINDOW = timedelta(days=30)
# Square-side instants are compared with a margin: the sync never asks for "up to now" exactly,
# so clocks that differ a little (or a simulator's clock) do not hide recent orders.
FUTURE_MARGIN = timedelta(days=1)

Progress = Callable[[SyncRun], None]
# Called with the run id once the backfill's windows are planned, to start more workers on them.
Helpers = Callable[[int], None]


def rfc3339(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


# -- starting runs ----------------------------------------------------------------------------


def start(
    *, db: Session, org_id: int, connection_id: int | None, trigger: str, dispatch: bool = True
) -> list[SyncRun]:
    """Queue a run for one connection (or every active one) and hand it to a worker."""
    if connection_id is not None:
        connections = [square_service.get(db=db, org_id=org_id, connection_id=connection_id)]
    else:
        connections = [
            c
            for c in square_service.list_connections(db=db, org_id=org_id)
            if c.status == ConnectionStatus.active
        ]
    runs = []
    for connection in connections:
        if connection.status != ConnectionStatus.active:
            raise Conflict(
                f"Square connection {connection.id} is {connection.status.value}; "
                "reconnect it first"
            )
        run = SyncRun(org_id=org_id, connection_id=connection.id, trigger=trigger, counts={})
        db.add(run)
        runs.append(run)
    db.flush()
    if dispatch:
        run_ids = [run.id for run in runs]

        def _send() -> None:
            from app.square import tasks

            for run_id in run_ids:
                tasks.run_sync.delay(run_id)

        on_commit(db, _send)
    return runs


def get_run(*, db: Session, org_id: int, run_id: int) -> SyncRun:
    """A sync run of the organization."""
    run: SyncRun | None = db.get(SyncRun, run_id)
    if run is None or run.org_id != org_id:
        raise NotFound("sync run", run_id)
    return run


def schedule_all() -> list[int]:
    """Queue a scheduled run for every active connection (beat, every SYNC_INTERVAL_MINUTES)."""
    with session_scope() as db:
        connections = list(
            db.scalars(
                select(SquareConnection).where(SquareConnection.status == ConnectionStatus.active)
            )
        )
        runs = []
        for connection in connections:
            runs += start(
                db=db, org_id=connection.org_id, connection_id=connection.id, trigger="schedule"
            )
        return [run.id for run in runs]


# -- the lease --------------------------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=get_settings().SYNC_LEASE_SECONDS)


def _acquire(connection_id: int) -> str | None:
    token = uuid.uuid4().hex
    now = utcnow()
    with session_scope() as db:
        result = db.execute(
            update(SquareConnection)
            .where(
                SquareConnection.id == connection_id,
                or_(
                    SquareConnection.sync_lock_until.is_(None),
                    SquareConnection.sync_lock_until < now,
                ),
            )
            .values(sync_lock_token=token, sync_lock_until=now + _lease())
        )
        return token if result.rowcount == 1 else None  # type: ignore[attr-defined]


def _renew(connection_id: int, token: str) -> None:
    with session_scope() as db:
        _renew_in(db, connection_id, token)


def _renew_in(db: Session, connection_id: int, token: str) -> None:
    result = db.execute(
        update(SquareConnection)
        .where(SquareConnection.id == connection_id, SquareConnection.sync_lock_token == token)
        .values(sync_lock_until=utcnow() + _lease())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise SquareError("lost the sync lease of this connection")


def _release(connection_id: int, token: str) -> None:
    with session_scope() as db:
        db.execute(
            update(SquareConnection)
            .where(SquareConnection.id == connection_id, SquareConnection.sync_lock_token == token)
            .values(sync_lock_token=None, sync_lock_until=None)
        )


# -- running ----------------------------------------------------------------------------------


class _Run:
    """State of one run while it executes; every method commits its own unit of work."""

    def __init__(self, run_id: int, progress: Progress | None) -> None:
        self.run_id = run_id
        self.progress = progress
        with session_scope() as db:
            run = db.get(SyncRun, run_id)
            if run is None:
                raise LookupError(f"sync run {run_id} does not exist")
            self.connection_id = run.connection_id
            self.org_id = run.org_id
        self.lease: str | None = None
        self.api: SquareApi | None = None
        self.counts: dict[str, int] = {}
        self.helpers: Helpers | None = None
        self.window_pages = 0  # backfill pages this worker wrote

    def update(self, **values: Any) -> None:
        with session_scope() as db:
            self.update_in(db, **values)

    def update_in(self, db: Session, **values: Any) -> None:
        run = db.get(SyncRun, self.run_id)
        assert run is not None
        for key, value in values.items():
            setattr(run, key, value)
        # Pages and orders are counted in the row itself (every worker of the run adds to them).
        run.counts = {
            **self.counts,
            "pages": run.pages,
            "orders_seen": run.orders_seen,
            "orders_written": run.orders_written,
        }
        if self.progress is not None:
            self.progress(run)

    def add(self, key: str, n: int) -> None:
        self.counts[key] = self.counts.get(key, 0) + n

    def _token_refresher(self) -> str:
        with session_scope() as db:
            connection = db.get(SquareConnection, self.connection_id)
            assert connection is not None
            return square_service.refresh_access_token(db=db, connection=connection)

    def open_api(self) -> SquareApi:
        with session_scope() as db:
            connection = db.get(SquareConnection, self.connection_id)
            assert connection is not None
            token = square_service.access_token(db=db, connection=connection)
        self.api = SquareApi(token, on_token_expired=self._token_refresher)
        return self.api


def run(
    run_id: int,
    *,
    progress: Progress | None = None,
    backfill_days: int | None = None,
    helpers: Helpers | None = None,
) -> SyncRun:
    """Execute a queued run to its end; returns the finished run. `helpers`, when given, is
    called once a backfill's windows are planned, to put more workers on them (`work_windows`)."""
    state = _Run(run_id, progress)
    state.helpers = helpers
    lease = _acquire(state.connection_id)
    if lease is None:
        state.update(
            state=SyncRunState.skipped,
            finished_at=utcnow(),
            error="Another sync of this connection is running",
        )
        return _load(run_id)
    state.lease = lease
    state.update(state=SyncRunState.running, started_at=utcnow(), phase="starting")
    try:
        with session_scope() as db:
            connection = db.get(SquareConnection, state.connection_id)
            assert connection is not None
            if connection.status != ConnectionStatus.active:
                raise SquareAuthError(f"connection is {connection.status.value}")
        api = state.open_api()
        _sync_reference_data(state, api)
        _sync_orders(state, api, backfill_days=backfill_days)
        _sync_payments(state, api)
        with session_scope() as db:
            connection = db.get(SquareConnection, state.connection_id)
            assert connection is not None
            connection.last_sync_at = utcnow()
            connection.last_error = None
        state.update(state=SyncRunState.succeeded, finished_at=utcnow(), phase="done")
    except SquareAuthError as exc:
        with session_scope() as db:
            connection = db.get(SquareConnection, state.connection_id)
            assert connection is not None
            if connection.status == ConnectionStatus.active:
                square_service.mark_needs_reconnect(
                    db=db,
                    connection=connection,
                    reason=f"Square refused access ({exc.code or exc}); reconnect the account",
                )
        state.update(state=SyncRunState.failed, finished_at=utcnow(), error=str(exc))
    except Exception as exc:
        log.exception("sync run %s failed", run_id)
        with session_scope() as db:
            connection = db.get(SquareConnection, state.connection_id)
            assert connection is not None
            connection.last_error = f"Sync failed: {exc}"
        state.update(state=SyncRunState.failed, finished_at=utcnow(), error=str(exc))
    finally:
        if state.api is not None:
            state.api.close()
        _release(state.connection_id, lease)
    return _load(run_id)


def _load(run_id: int) -> SyncRun:
    with session_scope() as db:
        run = db.get(SyncRun, run_id)
        assert run is not None
        db.expunge(run)
        return run


def _sync_reference_data(state: _Run, api: SquareApi) -> None:
    state.update(phase="locations")
    square_locations = api.locations()
    with session_scope() as db:
        location_service.upsert_from_square(
            db=db,
            org_id=state.org_id,
            connection_id=state.connection_id,
            square_locations=square_locations,
        )
    state.add("locations", len(square_locations))
    state.update(phase="catalog")
    catalog = list(api.catalog_objects())
    with session_scope() as db:
        written = sales_service.upsert_catalog(
            db=db, org_id=state.org_id, connection_id=state.connection_id, objects=catalog
        )
    state.add("catalog_items", written["items"])
    state.update(phase="team")
    members = list(api.team_members())
    with session_scope() as db:
        sales_service.upsert_team_members(
            db=db, org_id=state.org_id, connection_id=state.connection_id, members=members
        )
    state.add("team_members", len(members))


def _location_groups(state: _Run) -> tuple[list[list[str]], dict[str, Location]]:
    with session_scope() as db:
        locations = {
            sq: loc
            for sq, loc in location_service.by_square_id(db=db, org_id=state.org_id).items()
            if loc.connection_id == state.connection_id
        }
        for loc in locations.values():
            db.expunge(loc)
    ids = sorted(locations)
    groups = [
        ids[i : i + MAX_LOCATIONS_PER_SEARCH] for i in range(0, len(ids), MAX_LOCATIONS_PER_SEARCH)
    ]
    return groups, locations


def _order_pages(
    api: SquareApi, groups: list[list[str]], start: datetime, end: datetime
) -> Iterator[list[dict[str, Any]]]:
    for group in groups:
        cursor: str | None = None
        while True:
            orders, cursor = api.search_orders(
                location_ids=group,
                updated_from=rfc3339(start),
                updated_to=rfc3339(end),
                cursor=cursor,
            )
            yield orders
            if not cursor:
                break


_DONE = object()


def prefetched(pages: Iterator[T], depth: int = 2) -> Iterator[T]:
    """Iterate `pages` in a background thread, `depth` pages ahead, so fetching and decoding the
    next page overlaps with writing this one. Errors are raised in the consumer."""
    buffer: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for page in pages:
                while not stop.is_set():
                    try:
                        buffer.put(page, timeout=0.5)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            buffer.put(_DONE)
        except BaseException as exc:  # handed to the consumer
            buffer.put(exc)

    thread = threading.Thread(target=produce, name="square-prefetch", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
            del item  # the page is freed once the consumer is done with it
    finally:
        stop.set()
        thread.join(timeout=60)


# Garbage collection while pages flow. A page of 1,000 orders decodes into a few hundred
# thousand dicts and lists, and writing it builds as many rows again: all acyclic, freed by
# reference counting once the page is written. Python's automatic collector, triggered every 700
# allocations, still ran ~33 young collections a page, scanning those objects again as they were
# promoted, and from time to time a full collection of every page held in memory (measured on a
# backfill page: ~30 ms of the writer's ~140 ms of Python per 1,000 orders). While orders are
# synced it is off; one young collection after each page, and a full one every
# FULL_COLLECTION_PAGES pages, free what cycles there are (sessions, tracebacks).
FULL_COLLECTION_PAGES = 50
_gc_lock = threading.Lock()
_gc_users = 0
_gc_was_enabled = True


@contextlib.contextmanager
def _collect_per_page() -> Iterator[Callable[[], None]]:
    """Automatic garbage collection off (in the whole process) until the block ends; the block
    calls the given function after each page. Nests and overlaps across threads."""
    global _gc_users, _gc_was_enabled
    with _gc_lock:
        if _gc_users == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_users += 1
    pages = 0

    def after_page() -> None:
        nonlocal pages
        pages += 1
        gc.collect(2 if pages % FULL_COLLECTION_PAGES == 0 else 1)

    try:
        yield after_page
    finally:
        with _gc_lock:
            _gc_users -= 1
            if _gc_users == 0 and _gc_was_enabled:
                gc.enable()


PAYMENT_FETCHERS = 4


def merged(
    sources: list[tuple[str, Iterator[T]]], *, fetchers: int, depth: int = 8
) -> Iterator[tuple[str, T]]:
    """Iterate several tagged sources at once on `fetchers` threads, yielding (tag, item) as they
    arrive. Errors are raised in the consumer; the rest are stopped."""
    work: queue.Queue[tuple[str, Iterator[T]]] = queue.Queue()
    for source in sources:
        work.put(source)
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                try:
                    tag, items = work.get_nowait()
                except queue.Empty:
                    break
                for item in items:
                    if stop.is_set():
                        return
                    out.put((tag, item))
        except BaseException as exc:  # handed to the consumer
            out.put(exc)
        finally:
            out.put(_DONE)

    threads = [
        threading.Thread(target=fetch, name=f"square-fetch-{i}", daemon=True)
        for i in range(max(1, min(fetchers, len(sources))))
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            item = out.get()
            if item is _DONE:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item
    finally:
        stop.set()
        # Unblock fetchers waiting on a full queue, then let them finish.
        while any(t.is_alive() for t in threads):
            with contextlib.suppress(queue.Empty):
                out.get(timeout=0.1)


# Database errors a page write can meet when several workers write at once: a unique key taken
# by a concurrent insert of the same order or rollup row, a deadlock, SQLite's busy database.
# The page's transaction is rolled back whole and written again (it is idempotent).
_RETRYABLE = (IntegrityError, OperationalError, psycopg.IntegrityError, psycopg.OperationalError)
WRITE_ATTEMPTS = 5


def _write_page(
    state: _Run,
    orders: list[dict[str, Any]],
    locations: dict[str, Location],
    also: Callable[[Session], None] | None = None,
) -> None:
    """Upsert one page of orders and count it in the run, in one transaction (with `also`)."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with session_scope() as db:
                counts = square_flows.write_orders(
                    db=db,
                    org_id=state.org_id,
                    connection_id=state.connection_id,
                    orders=orders,
                    locations=locations,
                )
                db.execute(
                    update(SyncRun)
                    .where(SyncRun.id == state.run_id)
                    .values(
                        pages=SyncRun.pages + 1,
                        orders_seen=SyncRun.orders_seen + counts.seen,
                        orders_written=SyncRun.orders_written + counts.written,
                    )
                )
                if also is not None:
                    also(db)
                if state.lease:
                    _renew_in(db, state.connection_id, state.lease)
                    state.update_in(db)
            break
        except _RETRYABLE as exc:
            if attempt + 1 == WRITE_ATTEMPTS:
                raise
            log.info("sync run %s: page write retried after %s", state.run_id, exc)
            time.sleep(0.05 * (attempt + 1))
    if counts.skipped_unknown_location:
        state.add("orders_unknown_location", counts.skipped_unknown_location)


def _newest(orders: list[dict[str, Any]], newest: datetime | None) -> datetime | None:
    for order in orders:
        updated = parse_time(order.get("updated_at") or order["created_at"])
        newest = updated if newest is None or updated > newest else newest
    return newest


def _fetch_window(
    state: _Run,
    api: SquareApi,
    groups: list[list[str]],
    locations: dict[str, Location],
    start: datetime,
    end: datetime,
) -> datetime | None:
    """Fetch and store every order updated in [start, end); returns the newest updated_at seen."""
    newest: datetime | None = None
    with _collect_per_page() as after_page:
        for orders in prefetched(_order_pages(api, groups, start, end)):
            newest = _newest(orders, newest)
            # The page, the run's progress and the lease renewal commit together.
            _write_page(state, orders, locations)
            del orders
            after_page()
    return newest


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


def _retrying(unit: Callable[[], T]) -> T:
    """Run a unit of work that commits, again if it met another worker's write (see
    _RETRYABLE: on SQLite, a transaction that read before another process committed cannot
    write; it starts over)."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return unit()
        except _RETRYABLE:
            if attempt + 1 == WRITE_ATTEMPTS:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


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


def _sync_orders(state: _Run, api: SquareApi, *, backfill_days: int | None) -> None:
    settings = get_settings()
    groups, locations = _location_groups(state)
    now = utcnow()
    with session_scope() as db:
        connection = db.get(SquareConnection, state.connection_id)
        assert connection is not None
        if connection.backfill_from is None:
            days = backfill_days or settings.SYNC_BACKFILL_DAYS
            connection.backfill_from = now - timedelta(days=days)
            connection.backfill_cursor_at = now + FUTURE_MARGIN
        backfill_complete = connection.backfill_complete
        cursor_at = connection.backfill_cursor_at
        oldest = connection.backfill_from
        checkpoint = connection.orders_synced_until

    if not backfill_complete:
        state.update(phase="backfill")
        assert cursor_at is not None and oldest is not None
        _plan_windows(state, groups, cursor_at, oldest)
        if state.helpers is not None:
            state.helpers(state.run_id)
        _work_windows(state, api, locations, until_all_done=True)
        _analyze(state, every=True)  # the reports plan on the tables as the backfill left them
        with session_scope() as db:
            connection = db.get(SquareConnection, state.connection_id)
            assert connection is not None
            newest = db.scalar(
                select(func.max(SyncWindow.newest_updated_at)).where(
                    SyncWindow.connection_id == state.connection_id
                )
            )
            if newest is not None and (
                connection.orders_synced_until is None or newest > connection.orders_synced_until
            ):
                connection.orders_synced_until = newest
            if connection.orders_synced_until is None:
                connection.orders_synced_until = connection.backfill_from
            connection.backfill_cursor_at = connection.backfill_from
            connection.backfill_complete = True
            db.execute(delete(SyncWindow).where(SyncWindow.connection_id == state.connection_id))
            checkpoint = connection.orders_synced_until

    # Incremental: everything updated since the checkpoint, less the overlap.
    state.update(phase="orders")
    assert checkpoint is not None
    start = checkpoint - timedelta(minutes=settings.SYNC_OVERLAP_MINUTES)
    newest = _fetch_window(state, api, groups, locations, start, utcnow() + FUTURE_MARGIN)
    if newest is not None:
        with session_scope() as db:
            connection = db.get(SquareConnection, state.connection_id)
            assert connection is not None
            if connection.orders_synced_until is None or newest > connection.orders_synced_until:
                connection.orders_synced_until = newest


# Payments and refunds written a transaction. The payments' checkpoint moves only once all are
# written, so a run that stops midway fetches them again (idempotently) however they were
# grouped: a transaction per page of 100 spent more on its commit, lease renewal and statements
# than on the rows.
PAYMENT_BATCH = 1000


def _write_payments(state: _Run, kind: str, rows: list[dict[str, Any]]) -> None:
    with session_scope() as db:
        if kind == "payments":
            sales_service.upsert_payments(
                db=db, org_id=state.org_id, connection_id=state.connection_id, payments=rows
            )
        else:
            sales_service.upsert_payment_refunds(
                db=db, org_id=state.org_id, connection_id=state.connection_id, refunds=rows
            )
        state.add(kind, len(rows))
        if state.lease:
            _renew_in(db, state.connection_id, state.lease)


def _sync_payments(state: _Run, api: SquareApi) -> None:
    """Payments (team member, settled fees) and payment refunds updated since the last run."""
    settings = get_settings()
    state.update(phase="payments")
    groups, _ = _location_groups(state)
    with session_scope() as db:
        connection = db.get(SquareConnection, state.connection_id)
        assert connection is not None
        since = connection.payments_synced_until or connection.backfill_from or utcnow()
        history_start = (connection.backfill_from or since) - timedelta(days=30)
    start = since - timedelta(minutes=settings.SYNC_OVERLAP_MINUTES)
    end = utcnow() + FUTURE_MARGIN
    newest: datetime | None = None
    sources: list[tuple[str, Iterator[list[dict[str, Any]]]]] = []
    for square_location_id in (sq for group in groups for sq in group):
        sources.append(
            (
                "payments",
                api.payments(
                    location_id=square_location_id,
                    updated_from=rfc3339(start),
                    updated_to=rfc3339(end),
                    created_from=rfc3339(history_start),
                ),
            )
        )
        sources.append(
            (
                "refunds",
                api.refunds(
                    location_id=square_location_id,
                    begin_time=rfc3339(start - timedelta(days=7)),
                    end_time=rfc3339(end),
                ),
            )
        )
    # Payments come 100 a page; several locations are fetched at once to keep the writer busy,
    # and PAYMENT_BATCH of them are written a transaction.
    pending: dict[str, list[dict[str, Any]]] = {"payments": [], "refunds": []}
    batches = 0
    for kind, page in merged(sources, fetchers=PAYMENT_FETCHERS):
        pending[kind] += page
        if kind == "payments":
            for payment in page:
                updated = parse_time(payment.get("updated_at") or payment["created_at"])
                newest = updated if newest is None or updated > newest else newest
        if len(pending[kind]) >= PAYMENT_BATCH:
            _write_payments(state, kind, pending[kind])
            pending[kind] = []
            batches += 1
            if batches % ANALYZE_EVERY_PAGES == 0:
                # A thousand payment ids looked up in a table with no statistics are taken
                # for the whole table: each batch read every payment stored before it (a
                # year's backfill: 750 lookups, 248 s; 3.7 s planned on statistics).
                _analyze(state)
    for kind, rows in pending.items():
        if rows:
            _write_payments(state, kind, rows)
    if newest is not None:
        with session_scope() as db:
            connection = db.get(SquareConnection, state.connection_id)
            assert connection is not None
            connection.payments_synced_until = newest
    state.update()
