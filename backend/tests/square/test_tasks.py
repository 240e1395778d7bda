from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import session_scope, utcnow
from app.square import service as square_service
from app.square import sync
from app.square.models import ConnectionStatus, SquareConnection, SyncRun
from square_simulator.testing import RunningSimulator
from tests.factories import make_connection, make_org
from tests.square.helpers import connect


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from app.square import tasks

    queued: list[int] = []
    monkeypatch.setattr(tasks.run_sync, "delay", lambda run_id: queued.append(run_id))
    monkeypatch.setattr(tasks.run_backfill, "delay", lambda run_id: queued.append(run_id))
    return queued


def test_history_goes_to_the_backfill_queue_and_everything_else_to_the_default_one(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection still loading its history is synced by the backfill queue's workers (with
    the helpers that share its windows); a loaded one by the default queue's, which therefore
    never wait behind another account's backfill."""
    from app.celery_app import BACKFILL_QUEUE, DEFAULT_QUEUE, celery_app
    from app.square import tasks

    published: list[tuple[str, str]] = []

    def publish(task: Any) -> Callable[..., None]:
        def delay(*args: Any) -> None:
            # The queue Celery's router gives the task's message (task_routes).
            route = celery_app.amqp.router.route({}, task.name, args, {})
            published.append((task.name, route["queue"].name))

        return delay

    for task in (
        tasks.run_sync,
        tasks.run_backfill,
        tasks.backfill_windows,
        tasks.fetch_announced,
        tasks.recalculate,
    ):
        monkeypatch.setattr(task, "delay", publish(task))
    loading = make_connection(db, org_id=make_org(db))
    loaded = make_connection(db, org_id=make_org(db))
    loaded.backfill_complete = True
    db.commit()
    for connection in (loading, loaded):
        sync.start(db=db, org_id=connection.org_id, connection_id=connection.id, trigger="manual")
        db.commit()
    assert published == [
        ("square.run_backfill", BACKFILL_QUEUE),
        ("square.run_sync", DEFAULT_QUEUE),
    ]
    published.clear()
    monkeypatch.setattr(get_settings(), "SYNC_BACKFILL_WORKERS", 3)
    tasks._start_backfill_helpers(1)
    tasks.fetch_announced.delay(loaded.id)
    tasks.recalculate.delay(1, 1)
    assert published == [
        ("square.backfill_windows", BACKFILL_QUEUE),
        ("square.backfill_windows", BACKFILL_QUEUE),
        ("square.fetch_announced", DEFAULT_QUEUE),
        ("locations.recalculate", DEFAULT_QUEUE),
    ]


def test_the_schedule_queues_every_active_connection_and_no_other(
    db: Session, sent: list[int]
) -> None:
    active = [make_connection(db, org_id=make_org(db)) for _ in range(2)]
    stopped = make_connection(db, org_id=make_org(db))
    stopped.status = ConnectionStatus.needs_reconnect
    db.commit()
    run_ids = sync.schedule_all()
    runs = {r.id: r for r in db.scalars(select(SyncRun))}
    assert sorted(runs[i].connection_id for i in run_ids) == sorted(c.id for c in active)
    assert sorted(sent) == sorted(run_ids)
    assert all(r.trigger == "schedule" for r in runs.values())


def test_the_schedule_leaves_out_a_connection_a_run_is_syncing(
    db: Session, sent: list[int]
) -> None:
    """A first sync holds its connection for many intervals: no scheduled run piles up behind it
    (it would wait on the backfill queue only to be skipped); once the lease is gone, it is
    scheduled again."""
    syncing = make_connection(db, org_id=make_org(db))
    idle = make_connection(db, org_id=make_org(db))
    syncing.sync_lock_token, syncing.sync_lock_until = "held", utcnow() + timedelta(minutes=5)
    db.commit()
    run_ids = sync.schedule_all()
    runs = {r.id: r for r in db.scalars(select(SyncRun))}
    assert [runs[i].connection_id for i in run_ids] == [idle.id]
    # A lease that ran out (its worker died) no longer holds the schedule back.
    syncing.sync_lock_until = utcnow() - timedelta(seconds=1)
    db.commit()
    run_ids = sync.schedule_all()
    db.expire_all()
    runs = {r.id: r for r in db.scalars(select(SyncRun))}
    assert sorted(runs[i].connection_id for i in run_ids) == sorted([syncing.id, idle.id])
    assert sorted(sent) == sorted(runs)


def test_tokens_close_to_expiry_are_refreshed_ahead(
    client: TestClient, db: Session, simulator: RunningSimulator, sent: list[int]
) -> None:
    _, connection_id = connect(client, db, simulator)
    connection = db.get(SquareConnection, connection_id)
    assert connection is not None and connection.token_expires_at is not None
    first_token = connection.access_token_enc
    # Far from expiry: left alone.
    with session_scope() as session:
        assert square_service.refresh_expiring(db=session) == 0
    # Three days from expiry: renewed before it lapses.
    connection.token_expires_at = utcnow() + timedelta(days=3)
    db.commit()
    with session_scope() as session:
        assert square_service.refresh_expiring(db=session) == 1
    db.expire_all()
    renewed = db.get(SquareConnection, connection_id)
    assert renewed is not None
    assert renewed.access_token_enc != first_token
    assert renewed.token_expires_at is not None
    assert renewed.token_expires_at > utcnow() + timedelta(days=20)
