"""Square webhook notifications: verified, deduplicated, turned into a quick sync."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from square.utils.webhooks_helper import verify_signature

from app.core.config import get_settings
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
    try:
        event: dict[str, Any] = json.loads(body)
        event_id = str(event["event_id"])
    except (ValueError, KeyError) as exc:
        raise Unauthorized("Malformed webhook event") from exc

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
