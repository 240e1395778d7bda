"""Sync runs: queued for a connection (or every active one), then executed phase by phase under
the connection's lease.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import on_commit, session_scope, utcnow
from app.core.errors import Conflict, NotFound
from app.locations import service as location_service
from app.sales import service as sales_service
from app.square import service as square_service
from app.square.client import SquareApi, SquareAuthError
from app.square.models import ConnectionStatus, SquareConnection, SyncRun, SyncRunState, SyncWindow
from app.square.sync.orders import _fetch_window
from app.square.sync.payments import _sync_payments
from app.square.sync.state import (
    FUTURE_MARGIN,
    Helpers,
    Progress,
    _acquire,
    _location_groups,
    _release,
    _Run,
)
from app.square.sync.windows import _analyze, _plan_windows, _work_windows

log = logging.getLogger(__name__)


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
        # A run that will load history goes to the backfill queue's workers; the others (an
        # account whose history is loaded) to the default queue's, which no backfill occupies.
        sends = [
            (run.id, loads_history(connection))
            for run, connection in zip(runs, connections, strict=True)
        ]

        def _send() -> None:
            from app.square import tasks

            for run_id, backfill in sends:
                (tasks.run_backfill if backfill else tasks.run_sync).delay(run_id)

        on_commit(db, _send)
    return runs


def loads_history(connection: SquareConnection) -> bool:
    """A run of this connection starts with (or resumes) the first backfill: minutes of work,
    queued on the backfill queue (app/celery_app.py)."""
    return not connection.backfill_complete


def get_run(*, db: Session, org_id: int, run_id: int) -> SyncRun:
    """A sync run of the organization."""
    run: SyncRun | None = db.get(SyncRun, run_id)
    if run is None or run.org_id != org_id:
        raise NotFound("sync run", run_id)
    return run


def schedule_all() -> list[int]:
    """Queue a scheduled run for every active connection (beat, every SYNC_INTERVAL_MINUTES)
    but those a run is syncing now (its lease is held): a first sync's backfill outlasts many
    intervals, and a run queued behind it would only wait on the backfill queue to be skipped,
    showing the account as queued meanwhile."""
    now = utcnow()
    with session_scope() as db:
        connections = list(
            db.scalars(
                select(SquareConnection).where(
                    SquareConnection.status == ConnectionStatus.active,
                    or_(
                        SquareConnection.sync_lock_until.is_(None),
                        SquareConnection.sync_lock_until < now,
                    ),
                )
            )
        )
        runs = []
        for connection in connections:
            runs += start(
                db=db, org_id=connection.org_id, connection_id=connection.id, trigger="schedule"
            )
        return [run.id for run in runs]


# -- running ----------------------------------------------------------------------------------


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
