"""Square webhook notifications: verified, deduplicated, and what they announce fetched at once.

Which events Square sends, and so which this module relies on:
- A sale rung up at the point of sale (Square POS, Register, Terminal) is announced by
  `payment.created` and `payment.updated` (status COMPLETED once taken); the payment names its
  `order_id`. A refund is announced by `refund.created` and `refund.updated` (the refund names its
  order), and `payment.updated` for the payment it gives money back from.
- `order.created` / `order.updated` are published only for orders created with the Orders API.
  Square's reference for order.created: "This event is triggered only by the CreateOrder endpoint
  call. Creating an order in the Point of Sale app will not publish this event"
  (developer.squareup.com/reference/square/orders-api/webhooks/order.created). They are acted on
  like the others, for sellers who also sell through the API.
So the subscription needs payment.created, payment.updated, refund.created and refund.updated
(order.created and order.updated besides, for API orders) - DEPLOY.md.

What happens:
1. `handle` verifies the signature, refuses stale events and replays (event ids are kept), and
   for each active connection of the merchant records the objects the event names
   (`AnnouncedObject`: the order by id; a payment or refund with the object the event carries,
   the newest of them kept). It then queues a fetch for the connection unless one is queued
   already (`SquareConnection.webhook_fetch_at`): the fetch runs
   SQUARE_WEBHOOK_FETCH_DELAY_SECONDS after the first event, so the two payment events of a sale,
   and all the sales of a busy moment, share one fetch and one call to Square.
2. `fetch_announced` (task square.fetch_announced) clears the mark, takes every object announced
   for the connection, fetches the orders with BatchRetrieveOrders (100 ids a call) and upserts
   them with the payments and refunds in one transaction, report rollups included. The upserts
   are the sync's: an order already stored at its version and updated_at is left alone, and a
   payment or refund is not written over by an older copy, so an event that comes twice or out
   of order writes an order once and keeps the newest payment.
3. An order Square does not return yet is asked for again (up to FETCH_ATTEMPTS fetches); a
   fetch that fails is retried after RETRY_SECONDS; an order at a location not synced yet starts
   a sync of the connection (which fetches locations). Whatever a lost, refused or failed event
   announced is fetched by the scheduled sync anyway (every SYNC_INTERVAL_MINUTES).

The queue is rows in the database, so this works the same in the embedded mode (SQLite, the
SQLite broker) and on PostgreSQL with Redis. Claims are deletes: two fetches of one connection
never take the same object, and an object announced again while being fetched stays for the next.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from square.utils.webhooks_helper import verify_signature

from app.core.config import get_settings
from app.core.db import on_commit, session_scope, utcnow
from app.core.errors import DomainError, Unauthorized
from app.locations import service as location_service
from app.locations.models import Location
from app.sales import service as sales_service
from app.sales.facts import parse_time
from app.sales.models import SalePayment, SalePaymentRefund
from app.square import flows as square_flows
from app.square import service as square_service
from app.square import sync
from app.square.client import BATCH_RETRIEVE_LIMIT, SquareApi, SquareAuthError, SquareError
from app.square.models import AnnouncedObject, ConnectionStatus, SquareConnection, WebhookEvent

log = logging.getLogger(__name__)

# The events that announce a sale, a refund or an order change.
ANNOUNCING_EVENTS = frozenset(
    {
        "payment.created",
        "payment.updated",
        "refund.created",
        "refund.updated",
        "order.created",
        "order.updated",
        "order.fulfillment.updated",
    }
)
CLAIM_LIMIT = 500  # objects a fetch takes per transaction
FETCH_ATTEMPTS = 3  # fetches of an order Square does not return yet
RETRY_SECONDS = 15.0
# A fetch still queued this long after it was due is taken to be lost (a worker died holding it):
# the next event queues another.
LOST_AFTER = timedelta(minutes=2)


class WebhookNotConfigured(DomainError):
    status_code = 503


class BadWebhookEvent(DomainError):
    """A delivery signed with our key that cannot be acted on (400: the signature was fine, so
    401 would send an operator after the wrong problem)."""

    status_code = 400


@dataclass
class WebhookOutcome:
    status: str  # accepted | duplicate | ignored
    fetches_queued: list[int] = field(default_factory=list)  # connection ids


@dataclass(frozen=True)
class Announced:
    kind: str  # order | payment | refund
    square_id: str
    payload: dict[str, Any] | None = None


def handle(
    *, db: Session, body: bytes, signature: str | None, notification_url: str
) -> WebhookOutcome:
    """Verify a delivery's signature, refuse replays, and queue a fetch of what it announces."""
    settings = get_settings()
    if not settings.SQUARE_WEBHOOK_SIGNATURE_KEY:
        raise WebhookNotConfigured("Webhooks are not configured (SQUARE_WEBHOOK_SIGNATURE_KEY)")
    url = settings.SQUARE_WEBHOOK_NOTIFICATION_URL or notification_url
    if not signature or not verify_signature(
        request_body=body.decode("utf-8", errors="replace"),
        signature_header=signature,
        signature_key=settings.SQUARE_WEBHOOK_SIGNATURE_KEY,
        notification_url=url,
    ):
        raise Unauthorized("Invalid webhook signature")
    event, event_id, created_at = _parse(body)
    # The signature covers the body, created_at included, but not the time of delivery: a captured
    # delivery stays valid forever. Square retries for up to 3 days; a retry past the window is
    # refused too, and the scheduled sync (every SYNC_INTERVAL_MINUTES) fetches what it announced.
    max_age = settings.SQUARE_WEBHOOK_MAX_AGE_SECONDS
    if abs((utcnow() - created_at).total_seconds()) > max_age:
        raise BadWebhookEvent(
            f"Stale webhook event: created_at {created_at.isoformat()} is more than "
            f"{max_age} seconds from now"
        )

    if db.get(WebhookEvent, event_id) is not None:
        # Square redelivers until it gets a 2xx; a replay is acknowledged but never acted on.
        return WebhookOutcome("duplicate")
    event_type = str(event.get("type") or "")
    merchant_id = event.get("merchant_id")
    objects = announced_objects(event) if event_type in ANNOUNCING_EVENTS else []
    db.add(WebhookEvent(event_id=event_id, merchant_id=merchant_id, event_type=event_type))
    db.flush()
    if not objects or not merchant_id:
        return WebhookOutcome("ignored")
    connection_ids = list(
        db.scalars(
            select(SquareConnection.id)
            .where(
                SquareConnection.merchant_id == merchant_id,
                SquareConnection.status == ConnectionStatus.active,
            )
            .order_by(SquareConnection.id)
        )
    )
    queued = []
    for connection_id in connection_ids:
        record(db, connection_id, objects)
        if queue_fetch(db, connection_id, settings.SQUARE_WEBHOOK_FETCH_DELAY_SECONDS):
            queued.append(connection_id)
    return WebhookOutcome("accepted", queued)


def _parse(body: bytes) -> tuple[dict[str, Any], str, datetime]:
    try:
        event = json.loads(body)
        if not isinstance(event, dict):
            raise TypeError("not an object")
        event_id = str(event["event_id"])
        created_at = datetime.fromisoformat(str(event["created_at"]))
        if created_at.utcoffset() is None:
            raise ValueError("created_at has no time zone")
    except (ValueError, KeyError, TypeError) as exc:
        raise BadWebhookEvent(f"Malformed webhook event: {exc}") from exc
    return event, event_id, created_at


def announced_objects(event: dict[str, Any]) -> list[Announced]:
    """The order, payment or refund an event names (Square's envelope: data.type, data.id and
    data.object.<type>, a full Payment or PaymentRefund for payment.* and refund.*)."""
    kind = str(event["type"]).split(".", 1)[0]
    data = event.get("data")
    if not isinstance(data, dict):
        raise BadWebhookEvent("Malformed webhook event: data is missing")
    if kind == "order":
        if not data.get("id"):
            raise BadWebhookEvent("Malformed webhook event: data.id is missing")
        return [Announced("order", str(data["id"]))]
    inner = data.get("object")
    obj = inner.get(kind) if isinstance(inner, dict) else None
    where = f"data.object.{kind}"
    if not isinstance(obj, dict):
        raise BadWebhookEvent(f"Malformed webhook event: {where} is missing")
    for key in ("id", "created_at"):
        if not obj.get(key):
            raise BadWebhookEvent(f"Malformed webhook event: {where}.{key} is missing")
    try:
        _updated(obj)
    except (TypeError, ValueError) as exc:
        raise BadWebhookEvent(
            f"Malformed webhook event: {where}.updated_at is not a time: {exc}"
        ) from exc
    found = [Announced(kind, str(obj["id"]), obj)]
    if obj.get("order_id"):
        found.append(Announced("order", str(obj["order_id"])))
    return found


def _updated(obj: dict[str, Any]) -> datetime:
    return _utc(parse_time(str(obj.get("updated_at") or obj["created_at"])))


def _utc(instant: datetime) -> datetime:
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


# -- the queue --------------------------------------------------------------------------------


def _insert_ignore(db: Session, values: dict[str, Any]) -> bool:
    """Insert an announced object unless one is there; True when this inserted it."""
    dialect = db.connection().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # RETURNING, not rowcount: the driver's rowcount of an insert is not always the rows written.
    statement = (
        insert(AnnouncedObject)
        .values(**values)
        .on_conflict_do_nothing()
        .returning(AnnouncedObject.square_id)
    )
    return db.execute(statement).first() is not None


def record(db: Session, connection_id: int, objects: list[Announced], attempts: int = 0) -> None:
    """Keep announced objects for the connection's next fetch (one row per object)."""
    now = utcnow()
    for obj in objects:
        key = (
            AnnouncedObject.connection_id == connection_id,
            AnnouncedObject.kind == obj.kind,
            AnnouncedObject.square_id == obj.square_id,
        )
        values = {
            "connection_id": connection_id,
            "kind": obj.kind,
            "square_id": obj.square_id,
            "payload": obj.payload,
            "announced_at": now,
            "attempts": attempts,
        }
        # Two deliveries of one sale (payment.created, payment.updated) meet on its order: the
        # insert that loses waits for the other and then updates the row the other wrote.
        while not _insert_ignore(db, values):
            held = db.execute(select(AnnouncedObject.payload).where(*key).with_for_update()).first()
            if held is None:
                continue  # a fetch took it meanwhile: insert again
            changes: dict[str, Any] = {"announced_at": now, "attempts": attempts}
            stored = held[0]
            if obj.payload is not None and (
                stored is None or _updated(obj.payload) >= _updated(stored)
            ):
                changes["payload"] = obj.payload
            db.execute(update(AnnouncedObject).where(*key).values(**changes))
            break


def queue_fetch(db: Session, connection_id: int, delay: float) -> bool:
    """Queue a fetch of the connection's announced objects in `delay` seconds, unless one is
    queued already; True when this queued one (dispatched once the transaction commits)."""
    now = utcnow()
    # The connection row is locked (PostgreSQL) after the objects are written: a fetch clearing
    # its mark waits for this transaction, and then finds them. (SQLite: the inserts above hold
    # the database's write lock until the commit, with the same effect.)
    due = db.scalar(
        select(SquareConnection.webhook_fetch_at)
        .where(SquareConnection.id == connection_id)
        .with_for_update()
    )
    if due is not None and _utc(due) > now - LOST_AFTER:
        return False
    db.execute(
        update(SquareConnection)
        .where(SquareConnection.id == connection_id)
        .values(webhook_fetch_at=now + timedelta(seconds=delay))
    )

    def _send() -> None:
        from app.square import tasks

        tasks.fetch_announced.apply_async((connection_id,), countdown=delay)

    on_commit(db, _send)
    return True


@dataclass
class FetchOutcome:
    orders_fetched: int = 0
    orders_written: int = 0
    payments: int = 0
    refunds: int = 0
    retried: int = 0  # orders Square did not return yet, asked for again later
    sync_started: bool = False


def fetch_announced(connection_id: int) -> FetchOutcome:
    """Fetch and store everything webhooks announced for a connection (the queued fetch)."""
    outcome = FetchOutcome()
    with session_scope() as db:
        db.execute(
            update(SquareConnection)
            .where(SquareConnection.id == connection_id)
            .values(webhook_fetch_at=None)
        )
    later: list[tuple[Announced, int]] = []  # to ask for again, once this fetch is done
    while True:
        claimed = _claim(connection_id)
        if not claimed:
            break
        if not _apply(connection_id, claimed, outcome, later):
            break
    if later:
        _put_back(connection_id, later, RETRY_SECONDS)
    return outcome


def _claim(connection_id: int) -> list[tuple[Announced, int]]:
    """Take up to CLAIM_LIMIT announced objects (deleting them), with their attempts so far."""
    with session_scope() as db:
        rows = db.execute(
            select(
                AnnouncedObject.kind,
                AnnouncedObject.square_id,
                AnnouncedObject.payload,
                AnnouncedObject.announced_at,
                AnnouncedObject.attempts,
            )
            .where(AnnouncedObject.connection_id == connection_id)
            .order_by(AnnouncedObject.announced_at)
            .limit(CLAIM_LIMIT)
        ).all()
        claimed = []
        for kind, square_id, payload, announced_at, attempts in rows:
            # Taken only as read: an object announced again since stays for the next fetch.
            result = db.execute(
                delete(AnnouncedObject).where(
                    AnnouncedObject.connection_id == connection_id,
                    AnnouncedObject.kind == kind,
                    AnnouncedObject.square_id == square_id,
                    AnnouncedObject.announced_at == announced_at,
                )
            )
            if getattr(result, "rowcount", 0) == 1:
                claimed.append((Announced(kind, square_id, payload), attempts))
        return claimed


def _put_back(connection_id: int, objects: list[tuple[Announced, int]], delay: float) -> None:
    with session_scope() as db:
        for obj, attempts in objects:
            record(db, connection_id, [obj], attempts=attempts)
        queue_fetch(db, connection_id, delay)


def _apply(
    connection_id: int,
    claimed: list[tuple[Announced, int]],
    outcome: FetchOutcome,
    later: list[tuple[Announced, int]],
) -> bool:
    """Fetch the claimed orders and write them with the claimed payments and refunds; what is
    to be asked for again goes to `later`. False when the connection cannot be fetched now."""
    with session_scope() as db:
        connection = db.get(SquareConnection, connection_id)
        if connection is None or connection.status != ConnectionStatus.active:
            return False  # disconnected: nothing to fetch (a reconnect syncs from scratch)
        org_id = connection.org_id
        token = square_service.access_token(db=db, connection=connection)
        locations: dict[str, Location] = {
            sq: loc
            for sq, loc in location_service.by_square_id(db=db, org_id=org_id).items()
            if loc.connection_id == connection_id
        }
        for loc in locations.values():
            db.expunge(loc)

    def refresh() -> str:
        with session_scope() as db:
            held = db.get(SquareConnection, connection_id)
            assert held is not None
            return square_service.refresh_access_token(db=db, connection=held)

    order_ids = [obj.square_id for obj, _ in claimed if obj.kind == "order"]
    orders: list[dict[str, Any]] = []
    api = SquareApi(token, on_token_expired=refresh)
    try:
        for i in range(0, len(order_ids), BATCH_RETRIEVE_LIMIT):
            orders += api.batch_retrieve_orders(order_ids[i : i + BATCH_RETRIEVE_LIMIT])
    except SquareAuthError as exc:
        # The scheduled sync meets the same refusal and asks for a reconnect.
        log.warning("webhook fetch of connection %s refused: %s", connection_id, exc)
        return False
    except SquareError as exc:
        log.warning("webhook fetch of connection %s failed, retried: %s", connection_id, exc)
        later += claimed
        return False
    finally:
        api.close()

    payments = [obj.payload for obj, _ in claimed if obj.kind == "payment" and obj.payload]
    refunds = [obj.payload for obj, _ in claimed if obj.kind == "refund" and obj.payload]
    counts = _write(org_id, connection_id, orders, payments, refunds, locations, outcome)
    outcome.orders_fetched += len(orders)

    found = {order["id"] for order in orders}
    missing = [
        (obj, attempts + 1)
        for obj, attempts in claimed
        if obj.kind == "order" and obj.square_id not in found and attempts + 1 < FETCH_ATTEMPTS
    ]
    # Announced but not served yet (Square is eventually consistent): asked for again.
    outcome.retried += len(missing)
    later += missing
    if counts.skipped_unknown_location and not outcome.sync_started:
        # A store added since the last sync: the sync fetches locations, then its orders.
        with session_scope() as db:
            sync.start(db=db, org_id=org_id, connection_id=connection_id, trigger="webhook")
        outcome.sync_started = True
    return True


def _write(
    org_id: int,
    connection_id: int,
    orders: list[dict[str, Any]],
    payments: list[dict[str, Any]],
    refunds: list[dict[str, Any]],
    locations: dict[str, Location],
    outcome: FetchOutcome,
) -> sales_service.UpsertCounts:
    """Upsert the orders, payments and refunds in one transaction (retried like a sync page)."""
    for attempt in range(sync.WRITE_ATTEMPTS):
        try:
            with session_scope() as db:
                counts = square_flows.write_orders(
                    db=db,
                    org_id=org_id,
                    connection_id=connection_id,
                    orders=orders,
                    locations=locations,
                )
                fresh_payments = _newer(db, SalePayment, "square_payment_id", org_id, payments)
                sales_service.upsert_payments(
                    db=db, org_id=org_id, connection_id=connection_id, payments=fresh_payments
                )
                fresh_refunds = _newer(db, SalePaymentRefund, "square_refund_id", org_id, refunds)
                sales_service.upsert_payment_refunds(
                    db=db, org_id=org_id, connection_id=connection_id, refunds=fresh_refunds
                )
            break
        except sync._RETRYABLE as exc:
            if attempt + 1 == sync.WRITE_ATTEMPTS:
                raise
            log.info("webhook fetch of connection %s: write retried after %s", connection_id, exc)
            time.sleep(0.05 * (attempt + 1))
    outcome.orders_written += counts.written
    outcome.payments += len(fresh_payments)
    outcome.refunds += len(fresh_refunds)
    return counts


def _newer(
    db: Session, model: Any, key: str, org_id: int, objects: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The objects not older than the copy stored (an event that comes late changes nothing)."""
    if not objects:
        return []
    column = getattr(model, key)
    stored = {
        square_id: _utc(updated_at)
        for square_id, updated_at in db.execute(
            select(column, model.updated_at).where(
                model.org_id == org_id, column.in_([o["id"] for o in objects])
            )
        )
    }
    return [o for o in objects if o["id"] not in stored or _updated(o) >= stored[o["id"]]]


def purge_events(*, db: Session) -> int:
    """Forget event ids that could no longer be accepted anyway; returns how many."""
    # An event is taken only within max age of its created_at, and created_at is within max age of
    # its arrival, so a replay can come at most twice max age after the id was stored.
    keep = timedelta(seconds=2 * get_settings().SQUARE_WEBHOOK_MAX_AGE_SECONDS)
    result = db.execute(delete(WebhookEvent).where(WebhookEvent.received_at < utcnow() - keep))
    return int(getattr(result, "rowcount", 0) or 0)
