"""Square webhook notifications: verified, deduplicated, turned into a quick sync."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from square.utils.webhooks_helper import verify_signature

from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import DomainError, Unauthorized
from app.square import sync
from app.square.models import ConnectionStatus, SquareConnection, WebhookEvent

log = logging.getLogger(__name__)

SYNC_EVENTS = frozenset(
    {
        "order.created",
        "order.updated",
        "order.fulfillment.updated",
        "payment.created",
        "payment.updated",
        "refund.created",
        "refund.updated",
    }
)


class WebhookNotConfigured(DomainError):
    status_code = 503


class BadWebhookEvent(DomainError):
    """A delivery signed with our key that cannot be acted on (400: the signature was fine, so
    401 would send an operator after the wrong problem)."""

    status_code = 400


@dataclass
class WebhookOutcome:
    status: str  # accepted | duplicate | ignored
    sync_run_ids: list[int]


def handle(
    *, db: Session, body: bytes, signature: str | None, notification_url: str
) -> WebhookOutcome:
    """Verify a delivery's signature, refuse replays, and queue a sync of the merchant it names."""
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
        return WebhookOutcome("duplicate", [])
    event_type = str(event.get("type") or "")
    merchant_id = event.get("merchant_id")
    db.add(WebhookEvent(event_id=event_id, merchant_id=merchant_id, event_type=event_type))
    db.flush()
    if event_type not in SYNC_EVENTS or not merchant_id:
        return WebhookOutcome("ignored", [])
    connections = db.scalars(
        select(SquareConnection).where(
            SquareConnection.merchant_id == merchant_id,
            SquareConnection.status == ConnectionStatus.active,
        )
    )
    run_ids = []
    for connection in connections:
        runs = sync.start(
            db=db, org_id=connection.org_id, connection_id=connection.id, trigger="webhook"
        )
        run_ids += [run.id for run in runs]
    return WebhookOutcome("accepted", run_ids)


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


def purge_events(*, db: Session) -> int:
    """Forget event ids that could no longer be accepted anyway; returns how many."""
    # An event is taken only within max age of its created_at, and created_at is within max age of
    # its arrival, so a replay can come at most twice max age after the id was stored.
    keep = timedelta(seconds=2 * get_settings().SQUARE_WEBHOOK_MAX_AGE_SECONDS)
    result = db.execute(delete(WebhookEvent).where(WebhookEvent.received_at < utcnow() - keep))
    return int(getattr(result, "rowcount", 0) or 0)
