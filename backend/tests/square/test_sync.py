from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from app.sales import service as sales_service
from app.sales.models import SaleLine, SaleOrder, SalePayment, SaleTender
from app.square.models import ConnectionStatus, SquareConnection, SyncRunState
from app.square.sync import payments as sync_payments
from app.square.sync import windows as sync_windows
from square_simulator.testing import RunningSimulator
from tests.square.helpers import (
    assert_same_orders,
    connect,
    create_sale,
    run_sync,
    square_payment_ids,
    stored_orders,
)


def snapshot(db: Session, org_id: int) -> list[tuple[object, ...]]:
    rows = db.execute(
        select(
            SaleOrder.square_order_id,
            SaleOrder.version,
            SaleOrder.state,
            SaleOrder.net_sales,
            SaleOrder.total_collected,
            SaleOrder.business_date,
        )
        .where(SaleOrder.org_id == org_id)
        .order_by(SaleOrder.square_order_id)
    )
    return [tuple(r) for r in rows]


def test_first_sync_holds_exactly_the_simulators_orders_and_a_resync_changes_nothing(
    client: TestClient, db: Session, simulator: RunningSimulator
) -> None:
    admin, connection_id = connect(client, db, simulator)
    org_id = admin.user.org_id
    run = run_sync(db, org_id=org_id, connection_id=connection_id)
    assert run.state == SyncRunState.succeeded, run.error
    count = assert_same_orders(db, org_id, simulator)
    assert count > 100
    assert run.orders_written == count

    # Children and reference data came along.
    def rows(model: type) -> int:
        return db.scalar(select(func.count()).select_from(model)) or 0

    assert rows(SaleLine) > count
    assert rows(SaleTender) > 0
    synced_payments = set(db.scalars(select(SalePayment.square_payment_id)))
    assert synced_payments == square_payment_ids(simulator)
    # Money adds up order by order the way METRICS.md requires.
    for order in stored_orders(db, org_id).values():
        if order.counted:
            refunds = sum(
                r["amount_money"]["amount"]
                for r in order.raw.get("refunds", [])
                if r.get("status") in ("APPROVED", "PENDING")
            )
            assert order.total_collected == order.tender_total - refunds, order.square_order_id

    before = snapshot(db, org_id)
    again = run_sync(db, org_id=org_id, connection_id=connection_id)
    assert again.state == SyncRunState.succeeded
    assert again.orders_written == 0
    assert snapshot(db, org_id) == before

    shown = client.get(f"/api/v1/square/sync-runs/{run.id}", headers=admin.headers).json()
    assert shown["state"] == "succeeded"
    assert shown["orders_written"] == count
    [conn] = client.get("/api/v1/square/connections", headers=admin.headers).json()["items"]
    assert conn["last_sync_at"] is not None
    assert conn["backfill_complete"] is True
    assert conn["latest_run"]["id"] == again.id
    assert conn["latest_run"]["state"] == "succeeded"


def test_live_sale_and_late_completion_are_picked_up_by_the_next_sync(
    client: TestClient, db: Session, simulator: RunningSimulator
) -> None:
    admin, connection_id = connect(client, db, simulator)
    org_id = admin.user.org_id
    open_order = create_sale(simulator, pay=False)
    run_sync(db, org_id=org_id, connection_id=connection_id)
    assert stored_orders(db, org_id)[open_order["id"]].state == "OPEN"
    assert not stored_orders(db, org_id)[open_order["id"]].counted

    sale = create_sale(simulator, amount=2000)
    # The open order is paid later: it completes and now counts.
    headers = {"Authorization": f"Bearer {simulator.token(0)}"}
    paid = httpx.post(
        f"{simulator.base_url}/v2/payments",
        headers=headers,
        json={
            "idempotency_key": "late-1",
            "source_id": "CASH",
            "amount_money": open_order["total_money"],
            "cash_details": {"buyer_supplied_money": open_order["total_money"]},
            "order_id": open_order["id"],
            "autocomplete": True,
        },
    )
    assert paid.status_code == 200, paid.text
    run = run_sync(db, org_id=org_id, connection_id=connection_id)
    assert run.state == SyncRunState.succeeded
    stored = stored_orders(db, org_id)
    assert stored[sale["id"]].state == "COMPLETED"
    assert stored[sale["id"]].gross_sales == 2000
    assert stored[open_order["id"]].state == "COMPLETED"
    assert stored[open_order["id"]].counted
    assert_same_orders(db, org_id, simulator)


def test_expired_access_token_is_refreshed_during_a_sync(
    client: TestClient, db: Session, simulator: RunningSimulator
) -> None:
    simulator.state.oauth.token_lifetime_ms = 60_000
    admin, connection_id = connect(client, db, simulator)
    old = db.get(SquareConnection, connection_id)
    assert old is not None
    old_token = old.access_token_enc
    simulator.advance(120)  # the access token is now expired at Square
    run = run_sync(db, org_id=admin.user.org_id, connection_id=connection_id)
    assert run.state == SyncRunState.succeeded, run.error
    connection = db.get(SquareConnection, connection_id)
    assert connection is not None
    assert connection.access_token_enc != old_token
    assert connection.status == ConnectionStatus.active


def test_revoked_grant_marks_the_connection_for_reconnect_and_stops_syncing(
    client: TestClient, db: Session, simulator: RunningSimulator
) -> None:
    admin, connection_id = connect(client, db, simulator)
    # The seller revokes Teliporter's access (as from their Square dashboard).
    from app.core import crypto

    connection = db.get(SquareConnection, connection_id)
    assert connection is not None and connection.access_token_enc
    revoked = httpx.post(
        f"{simulator.base_url}/oauth2/revoke",
        headers={"Authorization": "Client sq0csp-teliporter-tests-secret"},
        json={
            "client_id": "sq0idp-teliporter-tests",
            "access_token": crypto.decrypt(connection.access_token_enc),
        },
    )
    assert revoked.status_code == 200, revoked.text

    run = run_sync(db, org_id=admin.user.org_id, connection_id=connection_id)
    assert run.state == SyncRunState.failed
    [conn] = client.get("/api/v1/square/connections", headers=admin.headers).json()["items"]
    assert conn["status"] == "needs_reconnect"
    assert "reconnect" in conn["last_error"]
    assert conn["next_sync_at"] is None
    refused = client.post(
        "/api/v1/square/sync", json={"connection_id": connection_id}, headers=admin.headers
    )
    assert refused.status_code == 409
    assert "needs_reconnect" in refused.json()["detail"]


@pytest.mark.postgres  # planner statistics are PostgreSQL's
def test_a_backfill_keeps_the_planners_statistics_of_the_tables_it_fills(
    client: TestClient, db: Session, simulator: RunningSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without statistics PostgreSQL plans the rollup maintenance for the empty tables it last
    saw (where autovacuum is off, or has not come round yet), and a long backfill slows down."""
    monkeypatch.setattr(sales_service, "ANALYZE_MIN_ROWS", 10)
    monkeypatch.setattr(sync_windows, "WINDOW_PAGE_SIZE", 20)
    # Read in the backfill's windows and in the payments phase alike.
    monkeypatch.setattr(sync_windows, "ANALYZE_EVERY_PAGES", 5)
    monkeypatch.setattr(sync_payments, "ANALYZE_EVERY_PAGES", 5)
    admin, connection_id = connect(client, db, simulator)
    run = run_sync(db, org_id=admin.user.org_id, connection_id=connection_id)
    assert run.state == SyncRunState.succeeded, run.error
    db.commit()
    for table in ("sale_order", "sale_line", "rollup_day", "rollup_line"):
        estimated = db.scalar(
            text("SELECT reltuples FROM pg_class WHERE relname = :t"), {"t": table}
        )
        stored = db.scalar(text(f"SELECT count(*) FROM {table}"))  # noqa: S608
        # Taken at the end of the backfill: the incremental pass after it may add a few rows.
        assert stored and abs(estimated - stored) <= 0.1 * stored, (table, estimated, stored)


def test_a_sync_and_the_worker_heartbeat_need_one_connection(
    client: TestClient, db: Session, simulator: RunningSimulator, one_connection: object
) -> None:
    # A worker child with DATABASE_POOL_SIZE=1: backfill (pages fetched ahead in a thread),
    # then an incremental run, each finishing without waiting for a second connection.
    from app.health import tasks as health_tasks

    admin, connection_id = connect(client, db, simulator)
    org_id = admin.user.org_id
    for _ in range(2):
        run = run_sync(db, org_id=org_id, connection_id=connection_id)
        assert run.state == SyncRunState.succeeded, run.error
    health_tasks.heartbeat("one-connection")
