"""The simulator's store: ``Simulator`` and what the API changed (the overlay) and announced.

Config, accounts and generated history are in ``history``; the reads in ``queries``."""

from __future__ import annotations

import base64
import hashlib
import secrets
from typing import Any

import orjson

from . import generator as g
from .errors import bad_request
from .history import OverlayRec
from .model import Location
from .queries import Queries
from .util import JSON, ms_to_rfc3339, parse_rfc3339


class Simulator(Queries):
    """Everything the HTTP app serves. Thread-safe: one lock around state and generation."""

    # --- the overlay --------------------------------------------------------------------------

    def next_uid(self) -> int:
        self._seq += 1
        return (1 << 62) + self._seq

    def put_order(self, order: JSON, *, event: str | None = None) -> OverlayRec:
        """Store an order as given (import, CreateOrder, UpdateOrder), replacing any copy."""
        with self.lock:
            oid = order["id"]
            loc = self.loc_by_id.get(order.get("location_id", ""))
            if loc is None:
                raise bad_request(
                    f"Location `{order.get('location_id')}` not found.",
                    "location_id",
                    code="NOT_FOUND",
                )
            keys = {
                "created": _ts(order.get("created_at")),
                "updated": _ts(order.get("updated_at") or order.get("created_at")),
                "closed": _ts(order.get("closed_at")),
            }
            prev = self.orders.get(oid)
            dec = self.ids.decode(oid, "O")
            if dec is not None:
                self.shadow_uids.add(dec[0])
            rec = OverlayRec(
                id=oid,
                gidx=loc.gidx,
                uid=prev.uid if prev else self.next_uid(),
                keys=keys,
                state=g.STATE_CODES.get(order.get("state") or "OPEN", 0),
                version=int(order.get("version") or 1),
                body=orjson.dumps(order),
                obj={},
            )
            self.orders[oid] = rec
            if event:
                self.emit(event, loc, "order", order)
            return rec

    def put_payment(self, payment: JSON, *, event: str | None = None) -> None:
        with self.lock:
            loc = self.loc_by_id.get(payment.get("location_id", ""))
            if loc is None:
                raise bad_request("Payment location not found.", "location_id", "NOT_FOUND")
            pid = payment["id"]
            prev = self.payments.get(pid)
            dec = self.ids.decode(pid, "P")
            if dec is not None:
                self.shadow_payments.add(pid)
                self.shadow_pay_uids.add((dec[0] << 2) | dec[1])
            self.payments[pid] = OverlayRec(
                id=pid,
                gidx=loc.gidx,
                uid=prev.uid if prev else self.next_uid(),
                keys=_payment_keys(payment),
                state=0,
                version=1,
                body=orjson.dumps(payment),
                obj={},
            )
            if event:
                self.emit(event, loc, "payment", payment)

    def put_refund(self, refund: JSON, *, event: str | None = None) -> None:
        with self.lock:
            loc = self.loc_by_id.get(refund.get("location_id", ""))
            if loc is None:
                raise bad_request("Refund location not found.", "location_id", "NOT_FOUND")
            rid = refund["id"]
            prev = self.refunds.get(rid)
            self.refunds[rid] = OverlayRec(
                id=rid,
                gidx=loc.gidx,
                uid=prev.uid if prev else self.next_uid(),
                keys={
                    "created": _ts(refund.get("created_at")),
                    "updated": _ts(refund.get("updated_at") or refund.get("created_at")),
                },
                state=0,
                version=1,
                body=orjson.dumps(refund),
                obj={},
            )
            if event:
                self.emit(event, loc, "refund", refund)

    def settle_refunds(self, now: int) -> None:
        """Complete the API refunds whose time has come (PENDING -> COMPLETED / APPROVED)."""
        with self.lock:
            for rid, (due, order_id) in list(self.pending_refunds.items()):
                if due > now:
                    continue
                del self.pending_refunds[rid]
                at = ms_to_rfc3339(due)
                refund = orjson.loads(self.refunds[rid].body)
                refund["status"] = "COMPLETED"
                refund["updated_at"] = at
                self.put_refund(refund, event="refund.updated")
                if order_id and order_id in self.orders:
                    order = orjson.loads(self.orders[order_id].body)
                    for r in order.get("refunds") or ():
                        if r["id"] == rid:
                            r["status"] = "APPROVED"
                    order["updated_at"] = at
                    order["version"] = int(order.get("version", 1)) + 1
                    self.put_order(order, event=self.order_event(order_id, "order.updated"))

    def new_id(self, prefix: str = "") -> str:
        raw = secrets.token_bytes(16)
        return (
            prefix
            + base64.b32encode(hashlib.blake2b(raw, digest_size=15).digest())
            .decode()
            .rstrip("=")[:24]
        )

    def order_event(self, order_id: str, event_type: str) -> str | None:
        """``event_type`` for an order created through CreateOrder, else None: Square publishes
        order.created/order.updated only for those ("Creating an order in the Point of Sale app
        will not publish this event"); till sales and the return orders of refunds are announced
        by their payment.* and refund.* events alone."""
        return event_type if order_id in self.api_order_ids else None

    def emit(self, event_type: str, loc: Location, obj_type: str, obj: JSON) -> None:
        for listener in list(self.listeners):
            listener(event_type, loc.merchant_id, loc.id, obj_type, obj)

    def stats(self) -> JSON:
        return {
            "bucket_cache": len(self.buckets.d),
            "body_cache": len(self.bodies.d),
            "body_cache_bytes": self.bodies.bytes,
            "body_hits": self.bodies.hits,
            "body_misses": self.bodies.misses,
            "overlay_orders": len(self.orders),
            "overlay_payments": len(self.payments),
            "overlay_refunds": len(self.refunds),
        }


def _ts(value: Any) -> int:
    if not value:
        return 0
    try:
        return parse_rfc3339(str(value))
    except ValueError as exc:
        raise bad_request(f"Invalid timestamp `{value}`.") from exc


def _payment_keys(payment: JSON) -> dict[str, int]:
    created = _ts(payment.get("created_at"))
    offline = _ts((payment.get("offline_payment_details") or {}).get("client_created_at"))
    return {
        "created": created,
        "updated": _ts(payment.get("updated_at") or payment.get("created_at")),
        "offline": offline,
        "offline_sort": offline or created,
    }
