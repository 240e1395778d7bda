from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

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
    return queued


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
