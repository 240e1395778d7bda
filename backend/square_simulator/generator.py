"""Deterministic order history: one bucket per (location, local day), regenerated on demand.

A bucket's *skeleton* (timestamps, kinds, states of every order of that day) comes from a numpy
RNG seeded by (seed, location, day), so any day regenerates identically and searches can filter
without building orders. An order's *body* comes from a ``random.Random`` seeded by (seed,
location, day, index): only the orders a response needs are built.

Every key of a bucket (created_at, closed_at, updated_at, payment and refund times) lies between
the bucket's local midnight and ``SPAN_MS`` after its end: late edits, offline orders and returns
all land within a week, so a time-range search only has to look at the days that can hold it.
"""

from __future__ import annotations

import hashlib
import random
from bisect import bisect
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from . import pricing
from .model import Account, Location, taxes_for
from .util import JSON, b62decode, b62encode_int, div_round_half_up, money, ms_to_rfc3339

if TYPE_CHECKING:
    from numpy.typing import NDArray

DAY_MS = 86_400_000
MAX_MS = 2**62
SPAN_DAYS = 8
SPAN_MS = SPAN_DAYS * DAY_MS

K_SALE, K_OFFLINE, K_OPEN, K_CANCELED, K_RETURN, K_AMOUNT, K_EXCHANGE = range(7)
S_OPEN, S_COMPLETED, S_CANCELED, S_DRAFT = range(4)
STATE_NAMES = ("OPEN", "COMPLETED", "CANCELED", "DRAFT")
STATE_CODES = {n: i for i, n in enumerate(STATE_NAMES)}

WEEKDAY = (0.9, 0.93, 1.0, 1.05, 1.2, 1.35, 0.8)
MONTH = (0.8, 0.85, 0.95, 1.0, 1.02, 1.05, 1.05, 1.0, 1.0, 1.02, 1.1, 1.35)
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


def pack_uid(gidx: int, day_ord: int, idx: int) -> int:
    return (gidx << 40) | (day_ord << 20) | idx


def unpack_uid(uid: int) -> tuple[int, int, int]:
    return uid >> 40, (uid >> 20) & 0xFFFFF, uid & 0xFFFFF


class IdCodec:
    """Generated ids encode where the object lives, tagged with a keyed hash of the seed, so
    ``GET /v2/orders/{id}`` finds a generated order without an index."""

    def __init__(self, seed: int) -> None:
        key = hashlib.blake2b(str(seed).encode(), digest_size=32).digest()
        self._tag_h = hashlib.blake2b(key=key, digest_size=11)
        self._mask_h = hashlib.blake2b(key=key + b"mask", digest_size=9)
        self._cache: dict[tuple[str, int, int], str] = {}

    def _tag(self, payload: bytes) -> bytes:
        h = self._tag_h.copy()
        h.update(payload)
        return h.digest()

    def _mask(self, tag: bytes) -> bytes:
        h = self._mask_h.copy()
        h.update(tag)
        return h.digest()

    def encode(self, kind: str, uid: int, sub: int = 0) -> str:
        payload = kind.encode() + uid.to_bytes(7, "big") + bytes((sub,))
        h = self._tag_h.copy()
        h.update(payload)
        tag = h.digest()
        m = self._mask_h.copy()
        m.update(tag)
        masked = int.from_bytes(payload, "big") ^ int.from_bytes(m.digest(), "big")
        return b62encode_int((int.from_bytes(tag, "big") << 72) | masked, 27)

    def decode(self, text: str, kind: str) -> tuple[int, int] | None:
        if len(text) != 27:
            return None
        raw = b62decode(text, 20)
        if raw is None:
            return None
        tag, masked = raw[:11], raw[11:]
        payload = bytes(a ^ b for a, b in zip(masked, self._mask(tag), strict=True))
        if payload[:1] != kind.encode() or self._tag(payload) != tag:
            return None
        return int.from_bytes(payload[1:8], "big"), payload[8]


@dataclass
class Bucket:
    """Skeleton of one location's local day. Arrays are aligned by entry index."""

    gidx: int
    day_ord: int
    kind: NDArray[np.int8]
    state: NDArray[np.int8]
    created: NDArray[np.int64]
    closed: NDArray[np.int64]  # 0 when the order is open
    upd1: NDArray[np.int64]  # updated_at of the first visible version
    upd2: NDArray[np.int64]  # updated_at after the late edit, 0 when none
    visible: NDArray[np.int64]  # when the order first exists in the API
    pay_at: NDArray[np.int64]  # created_at of its payments (0: none expected)
    src: NDArray[np.int32]  # for returns: index of the sale they return, else -1
    ret_of: dict[int, int]  # sale index -> index of its return order
    uids: NDArray[np.int64]

    @property
    def n(self) -> int:
        return int(self.kind.shape[0])


def _mix(*parts: int) -> int:
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h ^= p & 0xFFFFFFFFFFFFFFFF
        h = (h * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 31
    return h


def day_rate(loc: Location, day: date, history_start: date) -> float:
    if (day.month, day.day) == (12, 25):
        return 0.0
    years = (day - history_start).days / 365.0
    rate = loc.base_rate * WEEKDAY[day.weekday()] * MONTH[day.month - 1] * (1.0 + 0.06 * years)
    if (day.month, day.day) in ((12, 26), (1, 1)):
        rate *= 0.5
    return rate


def build_bucket(seed: int, loc: Location, day: date, history_start: date) -> Bucket:
    day_ord = day.toordinal()
    rng = np.random.default_rng([seed & 0xFFFFFFFF, loc.gidx, day_ord, 1])
    rate = day_rate(loc, day, history_start)
    hours = loc.hours.get(day.weekday())
    n = int(rng.poisson(rate * rng.uniform(0.85, 1.15))) if (rate > 0 and hours) else 0
    if n == 0 or hours is None:
        return _empty_bucket(loc.gidx, day_ord)
    o_min, c_min = hours
    # Morning rush, lunch peak and a flat background, clipped to opening hours.
    mix = rng.random(n)
    minute = np.where(
        mix < 0.35,
        rng.normal(8.75 * 60, 55, n),
        np.where(mix < 0.7, rng.normal(12.75 * 60, 60, n), rng.uniform(o_min, c_min, n)),
    )
    minute = np.clip(minute, o_min, c_min - 1)
    from .model import local_noon_offset_ms  # local import keeps model free of numpy

    naive_midnight = (day_ord - date(1970, 1, 1).toordinal()) * DAY_MS
    base = naive_midnight - local_noon_offset_ms(loc.tz, day)
    t = np.sort(base + (minute * 60_000).astype(np.int64) + rng.integers(0, 60_000, n))
    r = rng.random(n)
    kind = np.full(n, K_SALE, dtype=np.int8)
    kind[r < 0.015] = K_OFFLINE
    kind[(r >= 0.015) & (r < 0.025)] = K_OPEN
    kind[(r >= 0.025) & (r < 0.035)] = K_CANCELED
    closed = t.copy()
    created = t - rng.integers(20_000, 300_000, n)
    upd1 = closed.copy()
    # An order reaches the API when it is paid (or cancelled), never with a future closed_at.
    visible = closed.copy()
    pay_at = closed.copy()
    is_open = kind == K_OPEN
    closed[is_open] = 0
    visible[is_open] = created[is_open]
    upd1[is_open] = created[is_open]
    pay_at[is_open] = 0
    canc = kind == K_CANCELED
    closed[canc] = created[canc] + rng.integers(60_000, 900_000, int(canc.sum()))
    upd1[canc] = closed[canc]
    visible[canc] = closed[canc]
    pay_at[canc] = 0
    off = kind == K_OFFLINE
    # Offline-mode sales reach Square when the device reconnects: minutes to four days later.
    lag = np.minimum(rng.exponential(0.6 * DAY_MS, n), 4 * DAY_MS).astype(np.int64) + 300_000
    created[off] = closed[off]
    visible[off] = closed[off] + lag[off]
    upd1[off] = visible[off]
    pay_at[off] = visible[off]
    # Late edits (card fees settled, notes added) up to six and a half days after closing.
    upd2 = np.zeros(n, dtype=np.int64)
    edit = (kind == K_SALE) & (rng.random(n) < 0.3)
    elag = np.minimum(rng.exponential(0.8 * DAY_MS, n), 6.5 * DAY_MS).astype(np.int64) + 60_000
    upd2[edit] = closed[edit] + elag[edit]
    # Returns, custom-amount refunds and exchanges of this day's sales, within six days.
    rr = rng.random(n)
    ret_kind = np.where(
        rr < 0.02, K_RETURN, np.where(rr < 0.027, K_AMOUNT, np.where(rr < 0.032, K_EXCHANGE, -1))
    )
    ret_kind[kind != K_SALE] = -1
    srcs = np.nonzero(ret_kind >= 0)[0]
    m = int(srcs.shape[0])
    kinds = [kind]
    states = [np.where(is_open, S_OPEN, np.where(canc, S_CANCELED, S_COMPLETED)).astype(np.int8)]
    ret_of: dict[int, int] = {}
    src_arr = np.full(n + m, -1, dtype=np.int32)
    if m:
        rlag = np.minimum(rng.exponential(1.2 * DAY_MS, m), 6 * DAY_MS).astype(np.int64) + 1_800_000
        rt = closed[srcs] + rlag
        order = np.argsort(rt, kind="stable")
        srcs, rt = srcs[order], rt[order]
        kinds.append(ret_kind[srcs].astype(np.int8))
        states.append(np.full(m, S_COMPLETED, dtype=np.int8))
        created = np.concatenate([created, rt])
        closed = np.concatenate([closed, rt])
        upd1 = np.concatenate([upd1, rt])
        upd2 = np.concatenate([upd2, np.zeros(m, dtype=np.int64)])
        visible = np.concatenate([visible, rt])
        pay_at = np.concatenate([pay_at, rt])
        src_arr[n:] = srcs
        for j, s in enumerate(srcs.tolist()):
            ret_of[int(s)] = n + j
    total = n + m
    uids = (np.int64(loc.gidx) << 40) | (np.int64(day_ord) << 20) | np.arange(total, dtype=np.int64)
    return Bucket(
        loc.gidx,
        day_ord,
        np.concatenate(kinds),
        np.concatenate(states),
        created,
        closed,
        upd1,
        upd2,
        visible,
        pay_at,
        src_arr,
        ret_of,
        uids,
    )


def _empty_bucket(gidx: int, day_ord: int) -> Bucket:
    z = np.zeros(0, dtype=np.int64)
    return Bucket(
        gidx,
        day_ord,
        np.zeros(0, dtype=np.int8),
        np.zeros(0, dtype=np.int8),
        z,
        z,
        z,
        z,
        z,
        z,
        np.zeros(0, dtype=np.int32),
        {},
        z,
    )


# --- bodies ----------------------------------------------------------------------------------


@dataclass
class GenContext:
    seed: int
    ids: IdCodec
    account: Account
    loc: Location
    bucket: Bucket


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


@dataclass
class _Menu:
    """Per-location lookups an order needs, computed once rather than per order."""

    cum_weights: list[float]
    item_taxes: dict[str, list[str]]
    std_taxes: list[str]
    team: list[str]
    mod_lists: dict[str, list[Any]]
    # Prebuilt fields of a line (after its uid) per variation, and of a modifier per modifier:
    # identical in every order of the location, so built once (never mutated).
    var_static: dict[str, JSON]
    mod_static: dict[str, JSON]
    tax_static: dict[str, JSON]


_MENUS: dict[tuple[int, str, int], _Menu] = {}


def _menu(ctx: GenContext) -> _Menu:
    acct, loc = ctx.account, ctx.loc
    key = (id(acct), loc.id, len(acct.locations))
    m = _MENUS.get(key)
    if m is None:
        cat = acct.catalog
        cum: list[float] = []
        tot = 0.0
        for it in cat.items:
            tot += it.weight
            cum.append(tot)
        team = [tm.id for tm in acct.team if loc.id in tm.location_ids] or [acct.team[0].id]
        m = _Menu(
            cum,
            {it.id: [t.id for t in taxes_for(acct, it, loc.id)] for it in cat.items},
            [t.id for t in cat.taxes if t.location_ids is None or loc.id in t.location_ids],
            team,
            {ml[0]: ml[2] for ml in cat.modifier_lists},
            {
                v.id: {
                    "name": it.name,
                    "catalog_object_id": v.id,
                    "catalog_version": cat.updated_at_ms,
                    "variation_name": v.name,
                    "item_type": "ITEM",
                    "base_price_money": money(v.price, loc.currency),
                }
                for it in cat.items
                for v in it.variations
            },
            {
                mod.id: {
                    "catalog_object_id": mod.id,
                    "catalog_version": cat.updated_at_ms,
                    "name": mod.name,
                    "quantity": "1",
                    "base_price_money": money(mod.price, loc.currency),
                }
                for ml in cat.modifier_lists
                for mod in ml[2]
            },
            {
                tx.id: {
                    "uid": f"tx-{tx.id[:10]}",
                    "catalog_object_id": tx.id,
                    "catalog_version": cat.updated_at_ms,
                    "name": tx.name,
                    "type": tx.inclusion,
                    "percentage": tx.percentage,
                    "scope": "LINE_ITEM",
                }
                for tx in cat.taxes
            },
        )
        _MENUS[key] = m
    return m


def _sale_lines(rnd: random.Random, ctx: GenContext, order: JSON, gift_only: bool) -> None:
    acct, loc = ctx.account, ctx.loc
    cur = loc.currency
    cat = acct.catalog
    items = cat.items
    menu = _menu(ctx)
    lines: list[JSON] = []
    taxes: dict[str, JSON] = {}
    oid = order["id"]

    by_uid: dict[str, JSON] = {}
    acc: dict[str, int] = {}  # tax uid -> amount over the lines (no discounts)

    def tax_ref(tax_id: str) -> str:
        tx = taxes.get(tax_id)
        if tx is None:
            tx = taxes[tax_id] = dict(menu.tax_static[tax_id])
            by_uid[tx["uid"]] = tx
        return str(tx["uid"])

    def priced(li: JSON, key: tuple[Any, ...]) -> JSON:
        # Lines are priced as they are made (a memo of identical lines); a line that gets a
        # discount later is priced again with it, below.
        pricing.price_line_memo(li, cur, by_uid, acc, key)
        return li

    n_lines = 0 if gift_only else 1 + min(int(rnd.expovariate(0.8)), 6)
    for j in range(n_lines):
        if rnd.random() < 0.02:
            std = menu.std_taxes
            li: JSON = {
                "uid": f"{oid[:10]}-L{j}",
                "name": "Custom Amount",
                "quantity": "1",
                "item_type": "CUSTOM_AMOUNT",
                "base_price_money": money((2 + _below(rnd, 59)) * 50, cur),
            }
            if std:
                li["applied_taxes"] = [{"uid": f"{oid[:10]}-L{j}-T0", "tax_uid": tax_ref(std[0])}]
            ckey = ("c", li["base_price_money"]["amount"], std[0] if std else None)
            lines.append(priced(li, ckey))
            continue
        cum = menu.cum_weights
        it = items[bisect(cum, rnd.random() * (cum[-1] + 0.0), 0, len(cum) - 1)]
        vs = it.variations
        var = vs[_below(rnd, len(vs))]
        li = {"uid": f"{oid[:10]}-L{j}"}
        li.update(menu.var_static[var.id])
        if var.by_weight:
            li["quantity"] = f"{(150 + _below(rnd, 1051)) / 1000:.3f}"
            li["quantity_unit"] = {
                "measurement_unit": {"weight_unit": "METRIC_KILOGRAM"},
                "precision": 3,
            }
        else:
            li["quantity"] = str(1 if rnd.random() < 0.85 else 2 + _below(rnd, 3))
        mods: list[JSON] = []
        key: tuple[Any, ...] = ("i", var.id, li["quantity"], loc.gidx)
        for ml_id in it.modifier_list_ids:
            if rnd.random() < 0.35:
                ml = menu.mod_lists[ml_id]
                mod = ml[_below(rnd, len(ml))]
                md: JSON = {"uid": f"{li['uid']}-M{len(mods)}"}
                md.update(menu.mod_static[mod.id])
                mods.append(md)
                key += (mod.id,)
        if mods:
            li["modifiers"] = mods
        txs = menu.item_taxes[it.id]
        if txs:
            li["applied_taxes"] = [
                {"uid": f"{li['uid']}-T{k}", "tax_uid": tax_ref(t)} for k, t in enumerate(txs)
            ]
        lines.append(priced(li, key))
    if gift_only or rnd.random() < 0.02:
        gift = rnd.choice((10, 25, 50)) * 100
        lines.append(
            priced(
                {
                    "uid": f"{oid[:10]}-G",
                    "name": "Gift Card",
                    "quantity": "1",
                    "item_type": "GIFT_CARD",
                    "base_price_money": money(gift, cur),
                },
                ("g", gift),
            )
        )
    order["line_items"] = lines
    if taxes:
        order["taxes"] = list(taxes.values())
    discounts: list[JSON] = []
    eligible = [li for li in lines if li.get("item_type") != "GIFT_CARD"]
    r = rnd.random()
    if eligible and r < 0.05:
        d = cat.discounts[0] if r < 0.02 else cat.discounts[2]
        target = rnd.choice(eligible)
        uid = f"dc-{d['id'][:10]}"
        discounts.append(
            {
                "uid": uid,
                "catalog_object_id": d["id"],
                "catalog_version": cat.updated_at_ms,
                "name": d["name"],
                "type": d["type"],
                "percentage": d["percentage"],
                "scope": "LINE_ITEM",
            }
        )
        _unprice(target)
        target["applied_discounts"] = [{"uid": f"{target['uid']}-D0", "discount_uid": uid}]
    if eligible and rnd.random() < 0.04:
        d = cat.discounts[1]
        uid = f"dc-{d['id'][:10]}"
        discounts.append(
            {
                "uid": uid,
                "catalog_object_id": d["id"],
                "catalog_version": cat.updated_at_ms,
                "name": d["name"],
                "type": "FIXED_AMOUNT",
                "amount_money": money(d["amount"], cur),
                "scope": "ORDER",
            }
        )
        for li in eligible:
            if "applied_discounts" not in li:
                _unprice(li)
            li.setdefault("applied_discounts", []).append(
                {"uid": f"{li['uid']}-D1", "discount_uid": uid}
            )
    if discounts:
        order["discounts"] = discounts
        pricing.price_sale_lines(order, cur)
    else:
        for tx in taxes.values():
            tx["applied_money"] = {"amount": acc.get(tx["uid"], 0), "currency": cur}
    if loc.service_charge_pct and eligible and rnd.random() < 0.3:
        order["service_charges"] = [
            {
                "uid": f"{oid[:10]}-SC",
                "name": "Service Charge",
                "percentage": loc.service_charge_pct,
                "calculation_phase": "SUBTOTAL_PHASE",
                "taxable": False,
                "type": "CUSTOM",
                "treatment_type": "APPORTIONED_TREATMENT",
                "scope": "ORDER",
            }
        ]
        pricing.price_service_charges(order, cur)


def _unprice(line: JSON) -> None:
    """Drop a line's totals so that pricing it again puts them after ``applied_discounts``."""
    for k in pricing.LINE_MONEY_KEYS:
        line.pop(k, None)


def _base_order(ctx: GenContext, oid: str) -> JSON:
    return {"id": oid, "location_id": ctx.loc.id, "source": {"name": "Square Point of Sale"}}


def _rnd(ctx: GenContext, idx: int) -> random.Random:
    return random.Random(_mix(ctx.seed, ctx.loc.gidx, ctx.bucket.day_ord, idx))


def gen_order(ctx: GenContext, idx: int, now_ms: int) -> tuple[JSON, JSON]:
    """The order at index ``idx`` of the bucket as it stands at ``now_ms``, and private meta
    (team member, offline time) used for its payments."""
    b = ctx.bucket
    kind = int(b.kind[idx])
    if kind in (K_RETURN, K_AMOUNT, K_EXCHANGE):
        return _gen_return(ctx, idx, kind, now_ms)
    rnd = _rnd(ctx, idx)
    uid = int(b.uids[idx])
    oid = ctx.ids.encode("O", uid)
    order = _base_order(ctx, oid)
    gift_only = kind == K_SALE and rnd.random() < 0.005
    _sale_lines(rnd, ctx, order, gift_only)
    cur = ctx.loc.currency
    created, closed = int(b.created[idx]), int(b.closed[idx])
    upd2 = int(b.upd2[idx])
    edited = bool(upd2) and upd2 <= now_ms
    meta: JSON = {"tm": rnd.choice(_menu(ctx).team), "offline_at": None}
    pre_tip = pricing.sale_total_before_tip(order)
    if kind in (K_OPEN, K_CANCELED):
        pricing.fill_order_totals(order, cur, 0)
        order["state"] = "OPEN" if kind == K_OPEN else "CANCELED"
        order["version"] = 1 if kind == K_OPEN else 2
        order["created_at"] = ms_to_rfc3339(created)
        order["updated_at"] = ms_to_rfc3339(int(b.upd1[idx]))
        if kind == K_CANCELED:
            order["closed_at"] = ms_to_rfc3339(closed)
            order["net_amount_due_money"] = money(0, cur)
        else:
            order["net_amount_due_money"] = dict(order["total_money"])
        return _ordered(order), meta
    card_tip = rnd.random() < ctx.loc.tip_rate
    tenders = _tenders(rnd, ctx, order, uid, pre_tip, closed, fees_now=(not upd2) or edited)
    tip = 0
    if card_tip and tenders and tenders[-1]["type"] == "CARD" and pre_tip > 0:
        tip = div_round_half_up(pre_tip * rnd.choice((10, 15, 18, 20)), 100)
        last = tenders[-1]
        last["tip_money"] = money(tip, cur)
        last["amount_money"] = money(last["amount_money"]["amount"] + tip, cur)
        paid = last["amount_money"]["amount"]
        fee = min((paid * ctx.account.fee_bps + 5000) // 10000 + ctx.account.fee_fixed, paid)
        last["_fee"] = fee
        if "processing_fee_money" in last:
            last["processing_fee_money"] = money(fee, cur)
    pricing.fill_order_totals(order, cur, tip)
    if pre_tip + tip > 0:
        order["tenders"] = tenders
    order["created_at"] = ms_to_rfc3339(created)
    order["closed_at"] = ms_to_rfc3339(closed)
    order["state"] = "COMPLETED"
    order["version"] = 4 if edited else 3
    order["updated_at"] = ms_to_rfc3339(upd2 if edited else int(b.upd1[idx]))
    if edited:
        order["metadata"] = {"edited": "late"}
    order["net_amount_due_money"] = money(0, cur)
    if kind == K_OFFLINE:
        meta["offline_at"] = closed
    return _ordered(order), meta


_KEY_ORDER = (
    "id",
    "location_id",
    "reference_id",
    "source",
    "customer_id",
    "line_items",
    "taxes",
    "discounts",
    "service_charges",
    "returns",
    "return_amounts",
    "net_amounts",
    "tenders",
    "refunds",
    "metadata",
    "created_at",
    "updated_at",
    "closed_at",
    "state",
    "version",
    "total_money",
    "total_tax_money",
    "total_discount_money",
    "total_tip_money",
    "total_service_charge_money",
    "ticket_name",
    "net_amount_due_money",
)


def _ordered(order: JSON) -> JSON:
    out = {k: order[k] for k in _KEY_ORDER if k in order}
    for k, v in order.items():
        if k not in out:
            out[k] = v
    return out


def strip_private(order: JSON) -> JSON:
    for t in order.get("tenders") or ():
        t.pop("_fee", None)
    return order


def _gen_return(ctx: GenContext, idx: int, kind: int, now_ms: int) -> tuple[JSON, JSON]:
    b = ctx.bucket
    src_idx = int(b.src[idx])
    src, src_meta = gen_order(ctx, src_idx, now_ms)
    rnd = _rnd(ctx, idx)
    uid = int(b.uids[idx])
    oid = ctx.ids.encode("O", uid)
    cur = ctx.loc.currency
    t = int(b.created[idx])
    order = _base_order(ctx, oid)
    sale_lines = [li for li in src.get("line_items") or () if li.get("item_type") == "ITEM"]
    meta: JSON = {"tm": src_meta["tm"], "offline_at": None}
    if kind == K_AMOUNT or not sale_lines:
        cap = max(1, src["total_money"]["amount"] - src["total_tip_money"]["amount"])
        amount = max(1, int(cap * rnd.uniform(0.1, 0.5)))
        ret = pricing.build_amount_return(
            src_order_id=src["id"], amount=amount, uid_prefix=f"{oid[:10]}-R", currency=cur
        )
    else:
        line = rnd.choice(sale_lines)
        if "quantity_unit" in line or kind == K_EXCHANGE:
            qty = line["quantity"] if "quantity_unit" in line else "1"
        else:
            qty = str(rnd.randint(1, int(line["quantity"])))
        ret = pricing.build_return(
            src_order=src, picks=[(line, qty)], uid_prefix=f"{oid[:10]}-R", currency=cur
        )
    order["returns"] = [ret]
    if kind == K_EXCHANGE:
        # The customer takes another item of the same kind; the difference is paid or refunded.
        sub: JSON = {"id": oid}
        _sale_lines(rnd, ctx, sub, gift_only=False)
        keep = [li for li in sub["line_items"] if li.get("item_type") == "ITEM"][:1]
        if keep:
            order["line_items"] = keep
            used_t = {a["tax_uid"] for a in keep[0].get("applied_taxes") or ()}
            used_d = {a["discount_uid"] for a in keep[0].get("applied_discounts") or ()}
            if used_t:
                order["taxes"] = [x for x in sub.get("taxes") or () if x["uid"] in used_t]
            if used_d:
                order["discounts"] = [x for x in sub.get("discounts") or () if x["uid"] in used_d]
            pricing.price_sale_lines(order, cur)
    pricing.fill_order_totals(order, cur, 0)
    net = order["net_amounts"]["total_money"]["amount"]
    if net > 0:
        order["tenders"] = _tenders(rnd, ctx, order, uid, net, t, fees_now=True, allow_split=False)
    elif net < 0:
        order["refunds"] = _refunds(ctx, src, uid, -net, t, oid)
    order["created_at"] = ms_to_rfc3339(t)
    order["updated_at"] = ms_to_rfc3339(t)
    order["closed_at"] = ms_to_rfc3339(t)
    order["state"] = "COMPLETED"
    order["version"] = 1
    order["net_amount_due_money"] = money(0, cur)
    return _ordered(order), meta


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


# --- payments and refunds --------------------------------------------------------------------


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


def day_range_for(loc: Location, lo_ms: int, hi_ms: int) -> tuple[int, int]:
    """Local day ordinals whose buckets may hold keys in [lo_ms, hi_ms]."""
    from .model import local_day_of

    first = local_day_of(loc.tz, lo_ms) - timedelta(days=SPAN_DAYS + 1)
    last = local_day_of(loc.tz, hi_ms) + timedelta(days=1)
    return first.toordinal(), last.toordinal()


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
