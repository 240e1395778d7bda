from __future__ import annotations

from datetime import datetime
from typing import Any

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


class ConnectionPage(BaseModel):
    items: list[ConnectionRead]
    total: int


class SyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    connection_id: DbId | None = None


class SyncStarted(BaseModel):
    runs: list[SyncRunRead]
