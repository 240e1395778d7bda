"""The tenders of a generated order and the refunds of a return against them."""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Callable

from .buckets import GenContext
from .util import JSON, div_round_half_up, money, ms_to_rfc3339

CARD_BRANDS: tuple[tuple[str, float], ...] = (
    ("VISA", 0.55),
    ("MASTERCARD", 0.35),
    ("AMERICAN_EXPRESS", 0.07),
    ("DISCOVER", 0.03),
)
_BRANDS = [b for b, _ in CARD_BRANDS]
_BRAND_CUM = [sum(w for _, w in CARD_BRANDS[: i + 1]) for i in range(len(CARD_BRANDS))]
_BRAND_TOTAL = _BRAND_CUM[-1] + 0.0
_below: Callable[[random.Random, int], int] = random.Random._randbelow  # type: ignore[attr-defined]
# The hot paths below draw with ``rnd._randbelow`` and ``bisect`` exactly as ``choice``,
# ``randint`` and ``choices(cum_weights=...)`` do inside (same draws, same results), without
# their argument handling.


def _tenders(
    rnd: random.Random,
    ctx: GenContext,
    order: JSON,
    uid: int,
    total: int,
    closed_ms: int,
    fees_now: bool,
    allow_split: bool = True,
) -> list[JSON]:
    cur = ctx.loc.currency
    acct = ctx.account
    order_id = order["id"]
    r = rnd.random()
    if allow_split and r < 0.03 and total >= 400:
        first = int(total * rnd.uniform(0.3, 0.7))
        parts = [("CASH" if rnd.random() < 0.5 else "CARD", first), ("CARD", total - first)]
    elif r < 0.23:
        parts = [("CASH", total)]
    elif r < 0.26:
        parts = [("OTHER", total)]
    else:
        parts = [("CARD", total)]
    tenders = []
    for k, (ttype, amt) in enumerate(parts):
        pid = ctx.ids.encode("P", uid, k)
        t: JSON = {
            "id": pid,
            "location_id": ctx.loc.id,
            "transaction_id": order_id,
            "created_at": ms_to_rfc3339(closed_ms),
            "amount_money": money(amt, cur),
            "type": ttype,
            "payment_id": pid,
        }
        if ttype == "CARD":
            brand = _BRANDS[bisect(_BRAND_CUM, rnd.random() * _BRAND_TOTAL, 0, 3)]
            if brand == "DISCOVER" and acct.country != "US":
                brand = "VISA"
            t["card_details"] = {
                "status": "CAPTURED",
                "card": {
                    "card_brand": brand,
                    "last_4": f"{_below(rnd, 10000):04d}",
                    "fingerprint": f"sq-1-{rnd.getrandbits(64):016x}",
                },
                "entry_method": "CONTACTLESS" if rnd.random() < 0.8 else "EMV",
            }
            # Square never charges more than the payment: a tiny split card tender with a
            # fixed fee part is capped at its amount.
            fee = min((amt * acct.fee_bps + 5000) // 10000 + acct.fee_fixed, amt)
            t["_fee"] = fee
            if fees_now:
                t["processing_fee_money"] = money(fee, cur)
        elif ttype == "CASH":
            step = 500 if amt < 2000 else 1000
            tendered = ((amt + step - 1) // step) * step if rnd.random() < 0.8 else amt
            t["cash_details"] = {
                "buyer_tendered_money": money(tendered, cur),
                "change_back_money": money(tendered - amt, cur),
            }
        else:
            t["note"] = "Voucher"
        tenders.append(t)
    return tenders


def _refunds(ctx: GenContext, src: JSON, uid: int, amount: int, t: int, oid: str) -> list[JSON]:
    cur = ctx.loc.currency
    out = []
    left = amount
    tenders = sorted(src.get("tenders") or (), key=lambda x: x["type"] != "CARD")
    for k, tender in enumerate(tenders):
        if left <= 0:
            break
        cap = tender["amount_money"]["amount"]
        amt = min(left, cap)
        left -= amt
        r: JSON = {
            "id": ctx.ids.encode("R", uid, k),
            "location_id": ctx.loc.id,
            "transaction_id": src["id"],
            "tender_id": tender["id"],
            "created_at": ms_to_rfc3339(t),
            "reason": "Returned goods",
            "amount_money": money(amt, cur),
            "status": "APPROVED",
        }
        if tender["type"] == "CARD" and cap:
            fee = tender.get("_fee", 0)
            r["processing_fee_money"] = money(div_round_half_up(fee * amt, cap), cur)
        r["_payment_id"] = tender["payment_id"]
        r["_order_id"] = oid
        r["_at"] = t
        r["_dest"] = {"CARD": "CARD", "CASH": "CASH"}.get(tender["type"], "EXTERNAL")
        out.append(r)
    return out
