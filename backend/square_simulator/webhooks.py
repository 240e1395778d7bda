"""Webhook subscriptions and signed deliveries with retries, on a background thread.

Which events fire follows Square: order.created/order.updated only for orders created through
CreateOrder (Square's order.created reference: "Creating an order in the Point of Sale app will
not publish this event"); payment.* and refund.* for every sale and refund, the till's included
(see ``State.tick`` and ``Simulator.order_event``)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import queue
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from .util import JSON, ms_to_rfc3339

EVENT_TYPES = (
    "order.created",
    "order.updated",
    "payment.created",
    "payment.updated",
    "refund.created",
    "refund.updated",
)


def sign(signature_key: str, notification_url: str, body: bytes) -> str:
    """Square's ``x-square-hmacsha256-signature``: base64(HMAC-SHA256(key, url + body))."""
    mac = hmac.new(signature_key.encode(), notification_url.encode() + body, hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


@dataclass
class Subscription:
    id: str
    notification_url: str
    event_types: list[str]
    signature_key: str
    merchant_id: str | None = None  # None: every account
    enabled: bool = True
    name: str = "subscription"

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "name": self.name,
            "enabled": self.enabled,
            "event_types": self.event_types,
            "notification_url": self.notification_url,
            "signature_key": self.signature_key,
            "merchant_id": self.merchant_id,
            "api_version": "2025-08-20",
        }


@dataclass
class Delivery:
    event_id: str
    subscription_id: str
    url: str
    type: str
    body: bytes
    attempts: int = 0
    status: int | None = None
    delivered: bool = False
    next_at: float = 0.0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> JSON:
        return {
            "event_id": self.event_id,
            "subscription_id": self.subscription_id,
            "url": self.url,
            "type": self.type,
            "attempts": self.attempts,
            "status": self.status,
            "delivered": self.delivered,
            "errors": self.errors,
        }


class Webhooks:
    """Queue and deliver events. ``backoff_s`` are the waits before each retry."""

    def __init__(
        self,
        clock_now: Any,
        *,
        backoff_s: tuple[float, ...] = (1, 2, 4, 8, 16),
        timeout_s: float = 5.0,
    ) -> None:
        self.clock_now = clock_now
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.subs: dict[str, Subscription] = {}
        self.deliveries: list[Delivery] = []
        self._q: queue.Queue[Delivery | None] = queue.Queue()
        self._pending: list[Delivery] = []
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self.stopped = self._stop
        self.on_subscribe: Any = None

    def subscribe(
        self,
        *,
        url: str,
        event_types: list[str] | None = None,
        signature_key: str | None = None,
        merchant_id: str | None = None,
        name: str = "subscription",
    ) -> Subscription:
        types = list(event_types or EVENT_TYPES)
        bad = [t for t in types if t not in EVENT_TYPES]
        if bad:
            raise ValueError(f"unsupported event types: {bad}")
        sub = Subscription(
            "wbhk_" + uuid.uuid4().hex[:24],
            url,
            types,
            signature_key or secrets.token_urlsafe(16),
            merchant_id,
            name=name,
        )
        with self._lock:
            self.subs[sub.id] = sub
        self._ensure_thread()
        if self.on_subscribe is not None:
            self.on_subscribe()
        return sub

    def unsubscribe(self, sub_id: str) -> bool:
        with self._lock:
            return self.subs.pop(sub_id, None) is not None

    def emit(
        self, event_type: str, merchant_id: str, location_id: str, obj_type: str, obj: JSON
    ) -> None:
        with self._lock:
            subs = [
                s
                for s in self.subs.values()
                if s.enabled
                and event_type in s.event_types
                and (s.merchant_id is None or s.merchant_id == merchant_id)
            ]
        if not subs:
            return
        created = ms_to_rfc3339(self.clock_now())
        data_obj: JSON
        if obj_type == "order":
            key = "order_created" if event_type == "order.created" else "order_updated"
            inner: JSON = {
                "order_id": obj["id"],
                "version": obj.get("version", 1),
                "location_id": location_id,
                "state": obj.get("state", "OPEN"),
                "created_at": obj.get("created_at"),
            }
            if key == "order_updated":
                inner["updated_at"] = obj.get("updated_at")
            data_obj = {key: inner}
        else:
            data_obj = {obj_type: obj}
        for sub in subs:
            # Square's envelope (api.json's PaymentCreatedEvent and kin): no location_id at
            # the top; the object inside names its location.
            envelope: JSON = {
                "merchant_id": merchant_id,
                "type": event_type,
                "event_id": str(uuid.uuid4()),
                "created_at": created,
                "data": {"type": obj_type, "id": obj["id"], "object": data_obj},
            }
            body = orjson.dumps(envelope)
            d = Delivery(str(envelope["event_id"]), sub.id, sub.notification_url, event_type, body)
            with self._lock:
                self.deliveries.append(d)
            self._q.put(d)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="sq-sim-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._q.put(None)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout_s) as client:
            while not self._stop.is_set():
                wait = 0.2
                if self._pending:
                    wait = max(0.0, min(d.next_at for d in self._pending) - time.monotonic())
                try:
                    item = self._q.get(timeout=min(wait, 0.2))
                    if item is not None:
                        self._pending.append(item)
                except queue.Empty:
                    pass
                now = time.monotonic()
                due = [d for d in self._pending if d.next_at <= now]
                for d in due:
                    self._attempt(client, d)

    def _attempt(self, client: httpx.Client, d: Delivery) -> None:
        sub = self.subs.get(d.subscription_id)
        d.attempts += 1
        try:
            if sub is None:
                raise RuntimeError("subscription removed")
            resp = client.post(
                d.url,
                content=d.body,
                headers={
                    "content-type": "application/json",
                    "x-square-hmacsha256-signature": sign(sub.signature_key, d.url, d.body),
                    "square-environment": "Sandbox",
                    "user-agent": "Square Connect v2",
                },
            )
            d.status = resp.status_code
            ok = 200 <= resp.status_code < 300
            if not ok:
                d.errors.append(f"HTTP {resp.status_code}")
        except Exception as exc:  # any failure is retried, as Square does
            ok = False
            d.errors.append(f"{type(exc).__name__}: {exc}")
        if ok:
            d.delivered = True
            self._pending.remove(d)
        elif d.attempts > len(self.backoff_s):
            self._pending.remove(d)
        else:
            d.next_at = time.monotonic() + self.backoff_s[d.attempts - 1]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Block until every queued delivery has succeeded or given up (for tests)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                busy = any(
                    not d.delivered and d.attempts <= len(self.backoff_s) for d in self.deliveries
                )
            if not busy:
                return True
            time.sleep(0.02)
        return False
