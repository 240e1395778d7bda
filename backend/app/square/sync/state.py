"""A sync run's state while it executes, the lease that keeps two runs of one connection apart,
and the connection's locations grouped for Square's searches.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import session_scope, utcnow
from app.locations import service as location_service
from app.locations.models import Location
from app.square import service as square_service
from app.square.client import MAX_LOCATIONS_PER_SEARCH, SquareApi, SquareError
from app.square.models import SquareConnection, SyncRun

# Square-side instants are compared with a margin: the sync never asks for "up to now" exactly,
# so clocks that differ a little (or a simulator's clock) do not hide recent orders.
FUTURE_MARGIN = timedelta(days=1)

Progress = Callable[[SyncRun], None]
# Called with the run id once the backfill's windows are planned, to start more workers on them.
Helpers = Callable[[int], None]


def rfc3339(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


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


# -- a run's state --------------------------------------------------------------------------


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
