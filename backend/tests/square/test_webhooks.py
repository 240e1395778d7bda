from __future__ import annotations

import json
import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import session_scope, utcnow
from app.square.models import AnnouncedObject, SquareConnection, SyncRun, WebhookEvent
from square_simulator.webhooks import sign
from tests.factories import make_connection, make_org

KEY = "webhook-signature-key-for-tests"
URL = "http://testserver/api/v1/square/webhooks"


@pytest.fixture(autouse=True)
def webhook_settings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Webhooks configured; the queued fetches are recorded (connection ids), not sent."""
    monkeypatch.setattr(get_settings(), "SQUARE_WEBHOOK_SIGNATURE_KEY", KEY)
    monkeypatch.setattr(get_settings(), "SQUARE_WEBHOOK_NOTIFICATION_URL", URL)
    sent: list[int] = []
    from app.square import tasks

    def record(args: tuple[int], countdown: float) -> None:
        assert countdown == get_settings().SQUARE_WEBHOOK_FETCH_DELAY_SECONDS
        sent.append(args[0])

    monkeypatch.setattr(tasks.fetch_announced, "apply_async", record)
    return sent


def event(
    merchant_id: str,
    event_type: str = "order.updated",
    age_seconds: int = 0,
    data: dict[str, Any] | None = None,
) -> bytes:
    created_at = utcnow() - timedelta(seconds=age_seconds)
    return json.dumps(
        {
            "merchant_id": merchant_id,
            "type": event_type,
            "event_id": str(uuid.uuid4()),
            "created_at": created_at.isoformat().replace("+00:00", "Z"),
            "data": data or {"type": "order_updated", "id": "ORDER1", "object": {}},
        }
    ).encode()


def payment_event(
    merchant_id: str,
    payment_id: str,
    order_id: str,
    updated_at: str = "2026-12-06T10:00:01Z",
    status: str = "COMPLETED",
) -> bytes:
    payment = {
        "id": payment_id,
        "order_id": order_id,
        "location_id": "LOC1",
        "status": status,
        "created_at": "2026-12-06T10:00:00Z",
        "updated_at": updated_at,
        "amount_money": {"amount": 500, "currency": "GBP"},
    }
    data = {"type": "payment", "id": payment_id, "object": {"payment": payment}}
    return event(merchant_id, "payment.updated", data=data)


def post(client: TestClient, body: bytes, signature: str | None) -> tuple[int, dict[str, object]]:
    headers = {"content-type": "application/json"}
    if signature is not None:
        headers["x-square-hmacsha256-signature"] = signature
    response = client.post("/api/v1/square/webhooks", content=body, headers=headers)
    return response.status_code, response.json()


def announced(db: Session) -> list[tuple[int, str, str]]:
    db.expire_all()
    rows = db.execute(
        select(AnnouncedObject.connection_id, AnnouncedObject.kind, AnnouncedObject.square_id)
    )
    return sorted((connection_id, kind, square_id) for connection_id, kind, square_id in rows)


def test_signed_event_queues_a_fetch_of_what_it_announces_for_that_merchant(
    client: TestClient, db: Session, webhook_settings: list[int]
) -> None:
    connection = make_connection(db, org_id=make_org(db), merchant_id="MERCH-A")
    make_connection(db, org_id=make_org(db), merchant_id="MERCH-B")
    body = event("MERCH-A")
    status, answer = post(client, body, sign(KEY, URL, body))
    assert (status, answer) == (200, {"status": "accepted"})
    assert webhook_settings == [connection.id]
    assert announced(db) == [(connection.id, "order", "ORDER1")]
    # A webhook no longer starts a whole sync (catalog, team, every location's orders).
    assert db.scalar(select(SyncRun)) is None


def test_a_burst_of_payment_events_queues_one_fetch_per_connection(
    client: TestClient, db: Session, webhook_settings: list[int]
) -> None:
    connection = make_connection(db, org_id=make_org(db), merchant_id="MERCH-A")
    other_org = make_connection(db, org_id=make_org(db), merchant_id="MERCH-A")
    for n in range(20):
        body = payment_event("MERCH-A", f"PAY{n}", f"ORDER{n % 10}")
        assert post(client, body, sign(KEY, URL, body)) == (200, {"status": "accepted"})
    assert sorted(webhook_settings) == sorted([connection.id, other_org.id])
    rows = announced(db)
    assert len(rows) == 2 * (20 + 10)  # each payment and each order once, per connection
    # A queued fetch that never ran (a worker lost it) does not hold the queue forever.
    db.execute(
        update(SquareConnection)
        .where(SquareConnection.id == connection.id)
        .values(webhook_fetch_at=utcnow() - timedelta(minutes=5))
    )
    db.commit()
    body = payment_event("MERCH-A", "PAY99", "ORDER99")
    post(client, body, sign(KEY, URL, body))
    assert webhook_settings[2:] == [connection.id]


def test_bad_or_missing_signature_is_refused(client: TestClient, db: Session) -> None:
    make_connection(db, org_id=make_org(db), merchant_id="MERCH-A")
    body = event("MERCH-A")
    assert post(client, body, sign("another-key", URL, body))[0] == 401
    assert post(client, body, sign(KEY, "https://elsewhere.example/hook", body))[0] == 401
    assert post(client, body, None)[0] == 401
    tampered = body.replace(b"MERCH-A", b"MERCH-X")
    assert post(client, tampered, sign(KEY, URL, body))[0] == 401
    assert db.scalar(select(SyncRun)) is None


def test_a_payment_announced_again_before_the_fetch_keeps_its_newest_copy(
    client: TestClient, db: Session, webhook_settings: list[int]
) -> None:
    make_connection(db, org_id=make_org(db), merchant_id="MERCH-A")
    newer = ("2026-12-06T10:00:05Z", "COMPLETED")
    older = ("2026-12-06T10:00:00Z", "APPROVED")
    for payment_id, order in (("PAY1", (newer, older)), ("PAY2", (older, newer))):
        for updated_at, status in order:
            body = payment_event("MERCH-A", payment_id, "ORDER1", updated_at, status)
            assert post(client, body, sign(KEY, URL, body))[0] == 200
    db.expire_all()
    rows = db.execute(
        select(AnnouncedObject.square_id, AnnouncedObject.payload).where(
            AnnouncedObject.kind == "payment"
        )
    )
    kept: dict[str, Any] = {str(row[0]): row[1] for row in rows}
    assert {k: v["status"] for k, v in kept.items()} == {"PAY1": "COMPLETED", "PAY2": "COMPLETED"}


def test_replayed_event_is_acknowledged_but_not_acted_on(
    client: TestClient, db: Session, webhook_settings: list[int]
) -> None:
    make_connection(db, org_id=make_org(db), merchant_id="MERCH-A")
    body = event("MERCH-A")
    assert post(client, body, sign(KEY, URL, body))[1]["status"] == "accepted"
    db.execute(delete(AnnouncedObject))  # as if the fetch had run
    db.commit()
    status, answer = post(client, body, sign(KEY, URL, body))
    assert (status, answer["status"]) == (200, "duplicate")
    assert len(webhook_settings) == 1
    assert announced(db) == []


def test_unconfigured_webhooks_answer_503(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "SQUARE_WEBHOOK_SIGNATURE_KEY", "")
    body = event("M")
    assert post(client, body, sign(KEY, URL, body))[0] == 503


def test_a_signed_event_older_than_the_window_is_refused_400_and_not_acted_on(
    client: TestClient, db: Session, webhook_settings: list[int]
) -> None:
    make_connection(db, org_id=make_org(db), merchant_id="MERCH-A")
    assert get_settings().SQUARE_WEBHOOK_MAX_AGE_SECONDS == 300
    for age in (301, 3 * 24 * 3600, -301):  # stale, a replay days later, dated in the future
        body = event("MERCH-A", age_seconds=age)
        status, answer = post(client, body, sign(KEY, URL, body))
        assert status == 400
        assert "created_at" in str(answer["detail"])
    body = event("MERCH-A", age_seconds=240)  # within the window: still taken
    assert post(client, body, sign(KEY, URL, body)) == (200, {"status": "accepted"})
    assert len(webhook_settings) == 1
    assert db.scalar(select(func.count()).select_from(WebhookEvent)) == 1


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[1, 2]",
        b'"event"',
        json.dumps({"type": "order.updated", "created_at": "2026-11-25T10:00:00Z"}).encode(),
        json.dumps({"event_id": "E1", "type": "order.updated"}).encode(),
        json.dumps({"event_id": "E1", "type": "order.updated", "created_at": "yesterday"}).encode(),
        json.dumps({"event_id": "E1", "created_at": "2026-11-25T10:00:00"}).encode(),  # no zone
    ],
)
def test_a_signed_but_malformed_event_answers_400_not_401(
    client: TestClient, db: Session, body: bytes
) -> None:
    status, answer = post(client, body, sign(KEY, URL, body))
    assert status == 400
    assert str(answer["detail"]).startswith("Malformed webhook event")
    assert db.scalar(select(SyncRun)) is None
    assert db.scalar(select(WebhookEvent)) is None


@pytest.mark.parametrize(
    ("event_type", "data", "field"),
    [
        ("payment.created", {"type": "payment", "id": "P1"}, "data.object.payment"),
        ("payment.updated", {"type": "payment", "object": {"payment": {}}}, "payment.id"),
        (
            "refund.created",
            {"type": "refund", "object": {"refund": {"id": "R1"}}},
            "data.object.refund.created_at",
        ),
        ("order.updated", {"type": "order", "object": {}}, "data.id"),
    ],
)
def test_an_announcing_event_without_its_object_answers_400_naming_the_field(
    client: TestClient, db: Session, event_type: str, data: dict[str, Any], field: str
) -> None:
    make_connection(db, org_id=make_org(db), merchant_id="MERCH-A")
    body = event("MERCH-A", event_type, data=data)
    status, answer = post(client, body, sign(KEY, URL, body))
    assert status == 400
    assert field in str(answer["detail"])
    assert announced(db) == []
    assert db.scalar(select(WebhookEvent)) is None


def test_event_ids_past_the_retention_window_are_purged_by_the_beat(db: Session) -> None:
    from app.celery_app import celery_app
    from app.square import tasks

    now = utcnow()
    # An id is needed only while its event could still be accepted: twice the age window.
    for event_id, age in (("OLD", 601), ("RECENT", 599)):
        db.add(
            WebhookEvent(
                event_id=event_id,
                merchant_id="M",
                event_type="order.updated",
                received_at=now - timedelta(seconds=age),
            )
        )
    db.commit()
    tasks.purge_webhook_events()
    with session_scope() as fresh:
        assert list(fresh.scalars(select(WebhookEvent.event_id))) == ["RECENT"]
    entry = celery_app.conf.beat_schedule["square-purge-webhook-events"]
    assert entry["task"] == tasks.purge_webhook_events.name


def test_deliveries_of_one_sale_at_the_same_moment_keep_one_row_each_and_one_fetch(
    db: Session, webhook_settings: list[int]
) -> None:
    """payment.created and payment.updated of a sale arrive together: both name its order."""
    from app.square import webhooks as webhook_service

    connection = make_connection(db, org_id=make_org(db), merchant_id="MERCH-A")
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def deliver(n: int) -> None:
        try:
            payment = {
                "id": "PAY1",
                "order_id": "ORDER1",
                "created_at": "2026-12-06T10:00:00Z",
                "updated_at": f"2026-12-06T10:00:0{n}Z",
                "status": "COMPLETED" if n == 3 else "APPROVED",
            }
            objects = [
                webhook_service.Announced("payment", "PAY1", payment),
                webhook_service.Announced("order", "ORDER1"),
            ]
            barrier.wait()
            with session_scope() as session:
                webhook_service.record(session, connection.id, objects)
                webhook_service.queue_fetch(session, connection.id, 2.0)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert announced(db) == [(connection.id, "order", "ORDER1"), (connection.id, "payment", "PAY1")]
    assert webhook_settings == [connection.id]
    payload = db.scalar(select(AnnouncedObject.payload).where(AnnouncedObject.kind == "payment"))
    assert payload is not None and payload["status"] == "COMPLETED"  # the newest copy kept
