"""What a connection's sync is doing, counted from its runs and its backfill windows: queued
behind how many syncs, days and orders of history fetched of how many, time left at the rate so
far, and whether the history is still loading (the dashboard's notice).

The first backfill's windows (app/square/sync/windows.py) measure the days: each covers a span of
days at a group of stores and is done once its last page is written; they are deleted once the
backfill has finished. Orders fetched are the orders stored so far that the reports count (the
Orders figure: completed orders, METRICS.md), per store, read from the day rollups that each page
of the sync updates in its own transaction: a few hundred rows a store, where counting the order
table itself read every order stored, every 5 s while the page polled. Square gives no count of
orders ahead of a search, so the orders "of how many" are an estimate from the days done so far.

The organization's status (the dashboard's "history loading" notice) reads the windows only.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import utcnow
from app.locations.models import Location
from app.rollups.models import RollupDay
from app.square.models import (
    ConnectionStatus,
    SquareConnection,
    SyncRun,
    SyncRunState,
    SyncWindow,
    SyncWindowState,
)
from app.square.schemas import (
    BackfillProgress,
    SquareStatus,
    StoreBackfill,
    SyncActivity,
    SyncState,
)

DAY = 86400.0


def history_complete(connection: SquareConnection) -> bool:
    """The first sync has finished: the backfill's windows, then the incremental fetch and the
    payments (`backfill_complete` alone is the backfill's checkpoint, set before those)."""
    return connection.backfill_complete and connection.last_sync_at is not None


def _span_days(windows: list[SyncWindow]) -> float:
    return sum((w.end_at - w.start_at).total_seconds() for w in windows) / DAY


def _aware(instant: datetime) -> datetime:
    # SQLite gives back naive datetimes; every instant stored is UTC.
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=utcnow().tzinfo)


def _complete_from(windows: list[SyncWindow], today: date) -> date | None:
    """The first date whose history is fetched in full: windows go newest first, so it is the
    day after the newest end of a window not yet done (None while the newest is not done)."""
    left = [_aware(w.end_at) for w in windows if w.state != SyncWindowState.done]
    if not left:
        return min(_aware(w.start_at) for w in windows).date() if windows else None
    first = max(left).date() + timedelta(days=1)
    return first if first <= today else None


def _backfill(
    db: Session, connection: SquareConnection, running: SyncRun | None
) -> BackfillProgress:
    windows = list(db.scalars(select(SyncWindow).where(SyncWindow.connection_id == connection.id)))
    now = utcnow()
    if not windows:
        # Not planned yet (the run is queued or fetching the stores first), or every window done
        # and deleted while the run fetches what came since and the payments.
        total = get_settings().SYNC_BACKFILL_DAYS
        oldest = connection.backfill_from
        whole = connection.backfill_complete and oldest is not None
        stores: list[StoreBackfill] = []
        if whole and oldest is not None:
            total = max(round((now - _aware(oldest)).total_seconds() / DAY), 1)
            stores = _stored(db, connection, total)
        fetched = sum(s.orders_fetched for s in stores)
        return BackfillProgress(
            started_at=running.started_at if running else None,
            days_total=total,
            days_done=total if whole else 0,
            orders_fetched=fetched,
            orders_estimated=fetched if whole else None,
            pages=running.pages if whole and running else 0,
            seconds_left=0 if whole else None,
            complete_from=_aware(oldest).date() if whole and oldest is not None else None,
            stores=stores,
        )
    oldest = min(_aware(w.start_at) for w in windows)
    # The newest window ends a margin past the instant it was planned (FUTURE_MARGIN): count the
    # days up to now, in proportion.
    newest = max(_aware(w.end_at) for w in windows)
    span = max((min(newest, now) - oldest).total_seconds() / DAY, 1.0)
    scale = span / max(_span_days(windows) / _groups(windows), 1e-9)

    def done_days(ws: list[SyncWindow]) -> float:
        return _span_days([w for w in ws if w.state == SyncWindowState.done]) * scale

    groups = _groups(windows)
    days_done = min(done_days(windows) / groups, span)
    # Orders stored per store so far (a window counts the orders of its group of stores).
    stored = _stored_orders(db, connection)
    orders = sum(stored.values())
    estimated = round(orders * span / days_done) if days_done >= 1 else None
    seconds_left = None
    if running is not None and running.started_at is not None and days_done >= 1:
        elapsed = (now - _aware(running.started_at)).total_seconds()
        seconds_left = round(elapsed * (span - days_done) / days_done)
    stores = []
    for location in db.scalars(
        select(Location)
        .where(Location.connection_id == connection.id)
        .order_by(Location.name, Location.id)
    ):
        own = [w for w in windows if location.square_location_id in w.location_ids.split()]
        if not own:
            continue
        store_done = min(done_days(own), span)
        stores.append(
            StoreBackfill(
                location_id=location.id,
                name=location.name,
                days_done=round(store_done),
                days_total=round(span),
                orders_fetched=stored.get(location.id, 0),
                done=all(w.state == SyncWindowState.done for w in own),
            )
        )
    return BackfillProgress(
        started_at=running.started_at if running else None,
        days_total=round(span),
        days_done=round(days_done),
        orders_fetched=orders,
        orders_estimated=max(estimated, orders) if estimated is not None else None,
        pages=sum(w.pages for w in windows),
        seconds_left=seconds_left,
        complete_from=_complete_from(windows, now.date()),
        stores=stores,
    )


def _stored_orders(db: Session, connection: SquareConnection) -> dict[int, int]:
    """Orders stored from the connection so far that the reports count, per store id: the
    day rollups' sums (one primary-key range a store), not a count over the order table."""
    stores = select(Location.id).where(Location.connection_id == connection.id)
    rows = db.execute(
        select(RollupDay.location_id, func.sum(RollupDay.orders))
        .where(RollupDay.location_id.in_(stores))
        .group_by(RollupDay.location_id)
    )
    return {row[0]: int(row[1] or 0) for row in rows}


def _stored(db: Session, connection: SquareConnection, days: int) -> list[StoreBackfill]:
    """Every store's history fetched in full (its windows are gone): the orders it holds."""
    counts = _stored_orders(db, connection)
    return [
        StoreBackfill(
            location_id=location.id,
            name=location.name,
            days_done=days,
            days_total=days,
            orders_fetched=counts.get(location.id, 0),
            done=True,
        )
        for location in db.scalars(
            select(Location)
            .where(Location.connection_id == connection.id)
            .order_by(Location.name, Location.id)
        )
    ]


def _groups(windows: list[SyncWindow]) -> int:
    return max(len({w.location_ids for w in windows}), 1)


def _queued_behind(db: Session, run: SyncRun, connection: SquareConnection) -> int:
    """Runs of other connections (any organization) that a worker takes before this one: those
    running and those queued before it, on the same queue (a run of a connection still loading
    its history is on the backfill queue, the others on the default one: sync.loads_history).
    Only a count leaves the organization."""
    ahead = db.scalar(
        select(func.count())
        .select_from(SyncRun)
        .join(SquareConnection, SquareConnection.id == SyncRun.connection_id)
        .where(
            SyncRun.connection_id != run.connection_id,
            SyncRun.state.in_((SyncRunState.queued, SyncRunState.running)),
            SyncRun.id < run.id,
            SquareConnection.backfill_complete == connection.backfill_complete,
        )
    )
    return ahead or 0


def sync_state(*, db: Session, connection: SquareConnection, latest: SyncRun | None) -> SyncState:
    """What the connection's sync is doing now, with the first backfill's progress."""
    complete = history_complete(connection)
    activity: SyncActivity = "idle"
    queued_behind = None
    running = latest if latest is not None and latest.state == SyncRunState.running else None
    if connection.status != ConnectionStatus.active:
        activity = "paused"
    elif latest is not None and latest.state == SyncRunState.queued:
        activity = "queued"
        queued_behind = _queued_behind(db, latest, connection)
    elif running is not None:
        activity = "syncing" if complete else "backfilling"
    loading = not complete and connection.status != ConnectionStatus.disconnected
    return SyncState(
        activity=activity,
        queued_behind=queued_behind,
        history_loading=loading,
        backfill=_backfill(db, connection, running) if loading else None,
    )


def _whole_from(db: Session, connection: SquareConnection) -> date | None:
    """The first date from which the connection's history is fetched in full (as the backfill's
    `complete_from`), from its windows alone."""
    windows = list(db.scalars(select(SyncWindow).where(SyncWindow.connection_id == connection.id)))
    if windows:
        return _complete_from(windows, utcnow().date())
    oldest = connection.backfill_from
    return _aware(oldest).date() if connection.backfill_complete and oldest is not None else None


def org_status(*, db: Session, org_id: int) -> SquareStatus:
    """Whether any connection's history is still loading, and from which date it is whole."""
    connections = list(
        db.scalars(
            select(SquareConnection).where(
                SquareConnection.org_id == org_id,
                SquareConnection.status != ConnectionStatus.disconnected,
            )
        )
    )
    loading = [c for c in connections if not history_complete(c)]
    complete_from: date | None = None
    for connection in loading:
        whole_from = _whole_from(db, connection)
        if whole_from is None:
            complete_from = None
            break
        complete_from = max(complete_from or whole_from, whole_from)
    return SquareStatus(
        history_loading=bool(loading),
        complete_from=complete_from if loading else None,
        connections=len(connections),
    )
