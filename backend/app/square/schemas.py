from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from app.core.inputs import DbId
from app.square.models import ConnectionStatus, SyncRunState


class AuthorizeUrl(BaseModel):
    authorize_url: str


class SyncRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    connection_id: int
    trigger: str
    state: SyncRunState
    phase: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    pages: int
    orders_seen: int
    orders_written: int
    counts: dict[str, Any]
    error: str | None


class StoreBackfill(BaseModel):
    """One store's share of the first backfill: days of history fetched of how many."""

    location_id: int | None
    name: str
    days_done: int
    days_total: int
    orders_fetched: int
    done: bool


class BackfillProgress(BaseModel):
    """The first backfill of a connection while it runs (its windows, counted)."""

    started_at: datetime | None
    days_total: int
    days_done: int
    # Orders stored so far that the reports count (completed orders, the Orders figure).
    orders_fetched: int
    # Orders the whole history should hold at the rate so far (None before a day is done).
    orders_estimated: int | None
    pages: int
    # From the rate of days fetched so far; None until there is a rate.
    seconds_left: int | None
    # History from this date on is fetched (newest first); figures before it are incomplete.
    complete_from: date | None
    stores: list[StoreBackfill]


SyncActivity = Literal["queued", "backfilling", "syncing", "idle", "paused"]


class SyncState(BaseModel):
    """What the sync of a connection is doing now, in words a person can read."""

    activity: SyncActivity
    # Syncs (of any account) a worker must get through before this connection's queued run: on
    # its queue (first syncs on the backfill queue, the others on the default one).
    queued_behind: int | None
    # The first backfill has not finished yet: figures before `backfill.complete_from` are
    # incomplete.
    history_loading: bool
    backfill: BackfillProgress | None


class SquareStatus(BaseModel):
    """The organization's sync, as the dashboard needs it for its "history loading" notice."""

    history_loading: bool
    # The earliest date from which every connection's history is fetched (None: none yet).
    complete_from: date | None
    connections: int


class ConnectionRead(BaseModel):
    """A connection as the API shows it: never its tokens."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    merchant_id: str
    merchant_name: str | None
    status: ConnectionStatus
    scopes: list[str]
    created_at: datetime
    last_sync_at: datetime | None
    next_sync_at: datetime | None
    last_error: str | None
    backfill_complete: bool
    location_count: int
    latest_run: SyncRunRead | None = None  # the newest run, to follow the first sync's progress
    sync: SyncState


class ConnectionPage(BaseModel):
    items: list[ConnectionRead]
    total: int


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connection_id: DbId | None = None


class SyncStarted(BaseModel):
    runs: list[SyncRunRead]
