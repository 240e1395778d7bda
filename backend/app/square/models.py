from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Enum, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, JsonDocument, utcnow


class ConnectionStatus(StrEnum):
    active = "active"
    needs_reconnect = (
        "needs_reconnect"  # revoked or invalid grant: syncing stopped until reconnected
    )
    disconnected = "disconnected"


class SquareConnection(Base):
    """One Square seller account connected to an organization with OAuth."""

    __tablename__ = "square_connection"
    __table_args__ = (UniqueConstraint("org_id", "merchant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id"), index=True)
    merchant_id: Mapped[str] = mapped_column(String(64))
    merchant_name: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[ConnectionStatus] = mapped_column(
        Enum(ConnectionStatus, native_enum=False, length=20, validate_strings=True),
        default=ConnectionStatus.active,
    )
    scopes: Mapped[str] = mapped_column(Text, default="")
    # Fernet-encrypted (app.core.crypto); never returned by the API or logged.
    access_token_enc: Mapped[str | None] = mapped_column(Text)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None]
    connected_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_sync_at: Mapped[datetime | None]  # last successful sync
    last_error: Mapped[str | None] = mapped_column(Text)
    # Incremental sync checkpoint: orders updated at/after this instant (minus an overlap) are
    # fetched next time. None until the first backfill has finished.
    orders_synced_until: Mapped[datetime | None]
    # Backfill progress (newest first): history before this instant is still to fetch.
    backfill_cursor_at: Mapped[datetime | None]
    backfill_from: Mapped[datetime | None]
    backfill_complete: Mapped[bool] = mapped_column(default=False)
    payments_synced_until: Mapped[datetime | None]
    # A lease so that two syncs of one connection never run at once, even across machines; it
    # expires by itself if the worker holding it dies.
    sync_lock_token: Mapped[str | None] = mapped_column(String(32))
    sync_lock_until: Mapped[datetime | None]
    # When the fetch of what webhooks announced is due (a task is queued for it); None when no
    # fetch is queued. One queued fetch per connection takes every object announced before it
    # runs (app/square/webhooks.py).
    webhook_fetch_at: Mapped[datetime | None]

    @property
    def scope_list(self) -> list[str]:
        return [s for s in self.scopes.split() if s]


class OAuthState(Base):
    """A single-use, short-lived OAuth `state`, bound to the organization and user who asked and
    to their browser (the digest of a nonce it holds in a cookie)."""

    __tablename__ = "square_oauth_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    state_digest: Mapped[str] = mapped_column(String(64), unique=True)
    browser_digest: Mapped[str] = mapped_column(String(64))
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class SyncRunState(StrEnum):
    queued = "queued"
    running = "running"
    succeeded = "succeeded"
    failed = "failed"
    skipped = "skipped"  # another sync of the connection was running


class SyncRun(Base):
    """One run of the sync of one connection, with its progress and outcome."""

    __tablename__ = "square_sync_run"
    __table_args__ = (
        Index("ix_square_sync_run_connection_id_created_at", "connection_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(
        ForeignKey("organization.id", ondelete="CASCADE"), index=True
    )
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("square_connection.id", ondelete="CASCADE")
    )
    trigger: Mapped[str] = mapped_column(String(16))  # schedule, manual, connect, webhook, cli
    state: Mapped[SyncRunState] = mapped_column(
        Enum(SyncRunState, native_enum=False, length=16, validate_strings=True),
        default=SyncRunState.queued,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    pages: Mapped[int] = mapped_column(default=0)
    orders_seen: Mapped[int] = mapped_column(default=0)
    orders_written: Mapped[int] = mapped_column(default=0)
    phase: Mapped[str | None] = mapped_column(String(32))
    counts: Mapped[dict[str, Any]] = mapped_column(JsonDocument, default=dict)
    error: Mapped[str | None] = mapped_column(Text)


class WebhookEvent(Base):
    """Square webhook events already accepted, so a replayed delivery is refused."""

    __tablename__ = "square_webhook_event"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    merchant_id: Mapped[str | None] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class AnnouncedObject(Base):
    """An order, payment or refund a webhook announced, waiting for the connection's queued
    fetch (app/square/webhooks.py). One row per object: an object announced again before the
    fetch (payment.created then payment.updated) is fetched once. Payments and refunds keep the
    newest object the events carried; orders are fetched from Square by id."""

    __tablename__ = "square_announced_object"

    connection_id: Mapped[int] = mapped_column(
        ForeignKey("square_connection.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # order, payment, refund
    square_id: Mapped[str] = mapped_column(String(192), primary_key=True)
    payload: Mapped[dict[str, Any] | None] = mapped_column(JsonDocument)
    announced_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)  # fetches that did not find the order yet


class SyncWindowState(StrEnum):
    pending = "pending"
    running = "running"  # claimed by a worker, under its lease
    done = "done"


class SyncWindow(Base):
    """One slice of a connection's first backfill: orders updated in [start_at, end_at) at a group
    of locations. The backfill planner writes them; any number of workers claim them one at a
    time with a lease (a dead worker's window is claimed again once its lease runs out, and
    resumes from `cursor`); the incremental checkpoint moves only once every window is done."""

    __tablename__ = "square_sync_window"
    __table_args__ = (Index("ix_square_sync_window_connection_id_state", "connection_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="CASCADE"))
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("square_connection.id", ondelete="CASCADE")
    )
    location_ids: Mapped[str] = mapped_column(Text)  # Square location ids, space-separated
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    state: Mapped[SyncWindowState] = mapped_column(
        Enum(SyncWindowState, native_enum=False, length=16, validate_strings=True),
        default=SyncWindowState.pending,
    )
    lease_token: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[datetime | None]
    # Square's cursor for the next page, saved with each page written (resume point).
    cursor: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int] = mapped_column(default=0)
    orders: Mapped[int] = mapped_column(default=0)
    newest_updated_at: Mapped[datetime | None]  # newest order updated_at seen in the window
    finished_at: Mapped[datetime | None]
