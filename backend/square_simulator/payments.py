"""Payments API bodies of generated orders (payments, payment refunds) and each bucket's table of
payments, which searches filter on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .bodies import gen_order
from .buckets import K_AMOUNT, K_EXCHANGE, K_OFFLINE, K_RETURN, K_SALE, MAX_MS, GenContext
from .util import JSON, money, ms_to_rfc3339

if TYPE_CHECKING:
    from numpy.typing import NDArray


def payment_updated_ms(created_ms: int, fee_at_ms: int, refund_ms: list[int], now_ms: int) -> int:
    """A generated Payment's ``updated_at`` at ``now_ms``: it moves when its processing fee
    settles (card payments of orders edited late) and when a refund of it is created."""
    upd = created_ms
    if fee_at_ms and fee_at_ms <= now_ms and fee_at_ms > upd:
        upd = fee_at_ms
    for r in refund_ms:
        if r <= now_ms and r > upd:
            upd = r
    return upd


def payment_json(
    order: JSON,
    tender: JSON,
    meta: JSON,
    refunds: list[JSON],
    pay_at_ms: int,
    app_id: str,
    fee_at_ms: int = 0,
) -> JSON:
    """A Payments API ``Payment`` for one tender of an order. ``refunds`` are the order
    refunds (already visible) against this tender; ``fee_at_ms`` is when its processing fee
    settled (0: it was known at once)."""
    cur = tender["amount_money"]["currency"]
    tip = (tender.get("tip_money") or {}).get("amount", 0)
    amt = tender["amount_money"]["amount"]
    refund_ms = [int(r["_at"]) for r in refunds]
    updated = payment_updated_ms(pay_at_ms, fee_at_ms, refund_ms, MAX_MS)
    p: JSON = {
        "id": tender["id"],
        "created_at": ms_to_rfc3339(pay_at_ms),
        "updated_at": ms_to_rfc3339(updated),
        "amount_money": money(amt - tip, cur),
    }
    if tip:
        p["tip_money"] = money(tip, cur)
    p["total_money"] = money(amt, cur)
    p["approved_money"] = money(amt, cur)
    if "processing_fee_money" in tender:
        p["processing_fee"] = [
            {
                "effective_at": p["created_at"],
                "type": "INITIAL",
                "amount_money": dict(tender["processing_fee_money"]),
            }
        ]
    if refunds:
        p["refunded_money"] = money(sum(r["amount_money"]["amount"] for r in refunds), cur)
    p["status"] = "COMPLETED"
    if tender["type"] == "CARD":
        card = tender["card_details"]["card"]
        p["source_type"] = "CARD"
        p["card_details"] = {
            "status": "CAPTURED",
            "card": {
                "card_brand": card["card_brand"],
                "last_4": card["last_4"],
                "exp_month": 1 + int(card["last_4"]) % 12,
                "exp_year": 2030,
                "fingerprint": card["fingerprint"],
                "card_type": "DEBIT",
            },
            "entry_method": tender["card_details"]["entry_method"],
            "cvv_status": "CVV_NOT_CHECKED",
            "avs_status": "AVS_NOT_CHECKED",
            "statement_description": "SQ *SIMULATOR",
            "card_payment_timeline": {
                "authorized_at": p["created_at"],
                "captured_at": p["created_at"],
            },
        }
    elif tender["type"] == "CASH":
        p["source_type"] = "CASH"
        p["cash_details"] = {
            "buyer_supplied_money": dict(tender["cash_details"]["buyer_tendered_money"]),
            "change_back_money": dict(tender["cash_details"]["change_back_money"]),
        }
    else:
        p["source_type"] = "EXTERNAL"
        p["external_details"] = {"type": "OTHER", "source": tender.get("note") or "Other"}
    p["location_id"] = order["location_id"]
    p["order_id"] = order["id"]
    p["employee_id"] = meta["tm"]
    p["team_member_id"] = meta["tm"]
    if refunds:
        p["refund_ids"] = [r["id"] for r in refunds]
    p["receipt_number"] = tender["id"][:4]
    p["receipt_url"] = f"https://squareup.com/receipt/preview/{tender['id']}"
    p["application_details"] = {"square_product": "SQUARE_POS", "application_id": app_id}
    if meta.get("offline_at"):
        p["is_offline_payment"] = True
        p["offline_payment_details"] = {"client_created_at": ms_to_rfc3339(meta["offline_at"])}
    p["version_token"] = "v" + tender["id"][:12]
    return p


def payment_refund_json(refund: JSON, order: JSON, meta: JSON) -> JSON:
    """A Payments API ``PaymentRefund`` for one ``Order.refunds[]`` entry of a return order."""
    pr: JSON = {
        "id": refund["id"],
        "status": "COMPLETED",
        "location_id": refund["location_id"],
        "amount_money": dict(refund["amount_money"]),
        "payment_id": refund.get("_payment_id") or refund.get("tender_id"),
        "order_id": refund.get("_order_id") or order["id"],
        "reason": refund.get("reason"),
        "destination_type": refund.get("_dest"),
        "created_at": refund["created_at"],
        "updated_at": refund["created_at"],
        "team_member_id": meta.get("tm"),
    }
    if refund.get("processing_fee_money"):
        pr["processing_fee"] = [
            {
                "effective_at": refund["created_at"],
                "type": "INITIAL",
                "amount_money": dict(refund["processing_fee_money"]),
            }
        ]
    return {k: v for k, v in pr.items() if v is not None}


def public_refund(refund: JSON) -> JSON:
    return {k: v for k, v in refund.items() if not k.startswith("_")}


@dataclass
class PayTable:
    """The generated Payments of one bucket, one row per tender, with the times that make up
    each payment's ``updated_at`` (independent of the clock; see ``payment_updated_ms``)."""

    idx: NDArray[np.int32]  # index of the order in the bucket
    uid: NDArray[np.int64]  # (order uid << 2) | tender position
    created: NDArray[np.int64]
    fee_at: NDArray[np.int64]  # when the processing fee settled late, else 0
    refund_at: NDArray[np.int64]  # when the (last) refund of this payment was created, else 0
    offline_at: NDArray[np.int64]  # offline_payment_details.client_created_at, else 0

    @property
    def n(self) -> int:
        return int(self.idx.shape[0])

    def updated(self, now: int) -> NDArray[np.int64]:
        upd = self.created.copy()
        fee = np.where((self.fee_at > 0) & (self.fee_at <= now), self.fee_at, 0)
        ref = np.where((self.refund_at > 0) & (self.refund_at <= now), self.refund_at, 0)
        return np.maximum(upd, np.maximum(fee, ref))


PAY_KINDS = (K_SALE, K_OFFLINE, K_EXCHANGE)


def build_pay_table(ctx: GenContext) -> PayTable:
    """Every payment of the bucket's orders (built from their bodies, at their final state)."""
    b = ctx.bucket
    rows: list[tuple[int, int, int, int, int]] = []  # idx, k, created, fee_at, offline_at
    row_of: dict[str, int] = {}
    refund_at: dict[str, int] = {}
    kinds = b.kind.tolist()
    pay_at = b.pay_at.tolist()
    upd2 = b.upd2.tolist()
    uids = b.uids.tolist()
    for i, kind in enumerate(kinds):
        if kind in (K_RETURN, K_AMOUNT, K_EXCHANGE):
            ret, _ = gen_order(ctx, i, MAX_MS)
            for r in ret.get("refunds") or ():
                pid = r["_payment_id"]
                refund_at[pid] = max(refund_at.get(pid, 0), int(r["_at"]))
        if kind not in PAY_KINDS or not pay_at[i]:
            continue
        order, meta = gen_order(ctx, i, MAX_MS)
        for k, t in enumerate(order.get("tenders") or ()):
            fee_at = upd2[i] if (t["type"] == "CARD" and upd2[i]) else 0
            row_of[t["id"]] = len(rows)
            rows.append((i, (uids[i] << 2) | k, pay_at[i], fee_at, meta.get("offline_at") or 0))
    n = len(rows)
    ref = np.zeros(n, dtype=np.int64)
    for pid, at in refund_at.items():
        j = row_of.get(pid)
        if j is not None:
            ref[j] = at
    if not n:
        z = np.zeros(0, dtype=np.int64)
        return PayTable(np.zeros(0, dtype=np.int32), z, z, z, z, z)
    cols = list(zip(*rows, strict=True))
    return PayTable(
        np.array(cols[0], dtype=np.int32),
        np.array(cols[1], dtype=np.int64),
        np.array(cols[2], dtype=np.int64),
        np.array(cols[3], dtype=np.int64),
        ref,
        np.array(cols[4], dtype=np.int64),
    )
