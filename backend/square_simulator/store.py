"""The simulator's state: accounts, the clock, generated history, and what the API changed."""

from __future__ import annotations

import base64
import hashlib
import random
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
import orjson

from . import generator as g
from .clock import Clock
from .model import Account, Location, build_accounts, default_hours, local_day_of
from .util import JSON, ms_to_rfc3339, parse_rfc3339, short_id

MAX_TIME = 2**62


@dataclass
class SimConfig:
    seed: int = 42
    years: float = 3.0
    accounts: int = 3
    locations_per_account: int = 3
    start_ms: int | None = None  # the clock's initial time; default: wall time
    frozen: bool = False
    token_lifetime_s: int = 30 * 86_400
    refresh_lifetime_s: int = 90 * 86_400
    cache_mb: int = 128
    bucket_cache: int = 16_384
    public_url: str = "http://127.0.0.1:8100"
    # After serving a SearchOrders page, build the next page's orders in a background thread
    # while the client is busy with this one.
    prefetch: bool = False


@dataclass
class OverlayRec:
    """An order, payment or refund stored as given (imported or written through the API)."""

    id: str
    gidx: int
    uid: int
    keys: dict[str, int]  # created / updated / closed / pay / refund -> ms (0: none)
    state: int
    version: int
    body: bytes
    obj: JSON


class ApiError(Exception):
    """A Square error response: status and the first error's fields."""

    def __init__(
        self,
        status: int,
        category: str,
        code: str,
        detail: str,
        field: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.category = category
        self.code = code
        self.detail = detail
        self.field = field
        self.headers = headers or {}


def bad_request(detail: str, field: str | None = None, code: str = "INVALID_VALUE") -> ApiError:
    return ApiError(400, "INVALID_REQUEST_ERROR", code, detail, field)


def not_found(detail: str) -> ApiError:
    return ApiError(404, "INVALID_REQUEST_ERROR", "NOT_FOUND", detail)


class LRU:
    def __init__(self, max_items: int = 0, max_bytes: int = 0) -> None:
        self.d: OrderedDict[Any, Any] = OrderedDict()
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    def get(self, key: Any) -> Any:
        v = self.d.get(key)
        if v is None:
            self.misses += 1
            return None
        self.hits += 1
        self.d.move_to_end(key)
        return v

    def put(self, key: Any, value: Any, size: int = 0) -> None:
        if key in self.d:
            return
        self.d[key] = value
        self.bytes += size
        while (self.max_items and len(self.d) > self.max_items) or (
            self.max_bytes and self.bytes > self.max_bytes and len(self.d) > 1
        ):
            _, old = self.d.popitem(last=False)
            if isinstance(old, bytes | bytearray):
                self.bytes -= len(old)

    def clear(self) -> None:
        self.d.clear()
        self.bytes = 0


@dataclass
class Hit:
    key: int
    uid: int
    ref: tuple[Any, ...]  # ("g", gidx, day_ord, idx) or ("o", id)


class Simulator:
    """Everything the HTTP app serves. Thread-safe: one lock around state and generation."""

    def __init__(self, config: SimConfig | None = None) -> None:
        self.config = config or SimConfig()
        self.lock = threading.RLock()
        self.clock = Clock(self.config.start_ms, frozen=self.config.frozen)
        start = self.clock.now()
        hs = datetime.fromtimestamp(start / 1000, UTC).date() - timedelta(
            days=round(self.config.years * 365)
        )
        self.history_start: date = hs
        self.ids = g.IdCodec(self.config.seed)
        self.accounts: list[Account] = build_accounts(
            seed=self.config.seed,
            n_accounts=self.config.accounts,
            locations_per_account=self.config.locations_per_account,
            history_start_ms=int(
                datetime(hs.year, hs.month, hs.day, tzinfo=UTC).timestamp() * 1000
            ),
        )
        self.app_id = "sq0idp-" + short_id("app", self.config.seed, length=22)
        self._index()
        self.buckets = LRU(max_items=self.config.bucket_cache)
        # Payment tables (one per bucket, built from order bodies) for ListPayments.
        self.pay_tables = LRU(max_items=max(64, self.config.bucket_cache // 4))
        self.bodies = LRU(max_bytes=self.config.cache_mb * 1024 * 1024)
        self.orders: dict[str, OverlayRec] = {}
        self.payments: dict[str, OverlayRec] = {}
        self.refunds: dict[str, OverlayRec] = {}
        self.shadow_uids: set[int] = set()  # generated orders replaced by an overlay copy
        self.shadow_payments: set[str] = set()
        self.shadow_pay_uids: set[int] = set()  # (order uid << 2) | tender of shadowed payments
        self._seq = 0
        self.idempotency: dict[tuple[str, str], bytes] = {}
        self.pending_refunds: dict[str, tuple[int, str | None]] = {}  # id -> (due, return order)
        self.listeners: list[Any] = []  # callables(event_type, merchant_id, obj_type, obj)
        # Orders created through CreateOrder: the only ones Square announces with order.* events.
        self.api_order_ids: set[str] = set()

    # --- accounts --------------------------------------------------------------------------

    def _index(self) -> None:
        self.loc_by_id: dict[str, Location] = {}
        self.loc_by_gidx: dict[int, Location] = {}
        self.acct_by_loc: dict[str, Account] = {}
        self.acct_by_merchant: dict[str, Account] = {}
        for a in self.accounts:
            self.acct_by_merchant[a.merchant_id] = a
            for loc in a.locations:
                self.loc_by_id[loc.id] = loc
                self.loc_by_gidx[loc.gidx] = loc
                self.acct_by_loc[loc.id] = a

    def add_location(
        self,
        account: Account,
        *,
        name: str,
        timezone: str | None = None,
        generated: bool = False,
        base_rate: float | None = None,
        hours: dict[int, tuple[int, int]] | None = None,
    ) -> Location:
        """A new location; ``generated=True`` gives it a history like the seeded ones."""
        with self.lock:
            gidx = max(self.loc_by_gidx) + 1 if self.loc_by_gidx else 0
            tmpl = account.locations[0] if account.locations else None
            rng = random.Random(f"{self.config.seed}:newloc:{gidx}")
            tz = timezone or (tmpl.timezone if tmpl else "Europe/London")
            loc = Location(
                id="L" + short_id("location", self.config.seed, "new", gidx, name, length=12),
                gidx=gidx,
                merchant_id=account.merchant_id,
                name=name,
                timezone=tz,
                currency=account.currency,
                country=account.country,
                city=tmpl.city if tmpl else "",
                address_line="1 New Street",
                postcode=tmpl.postcode if tmpl else "",
                created_at_ms=self.clock.now(),
                hours=hours or default_hours(rng),
                base_rate=base_rate or rng.uniform(60, 130),
                generated=generated,
                tip_rate=0.45 if account.country == "US" else 0.06,
            )
            if generated:
                loc.created_at_ms = account.created_at_ms
            account.locations.append(loc)
            for tax in account.catalog.taxes:
                if tax.location_ids is not None and tmpl and tmpl.id in tax.location_ids:
                    tax.location_ids.append(loc.id)
            self._index()
            return loc

    def create_account(
        self,
        *,
        business_name: str,
        country: str,
        currency: str,
        locations: list[JSON],
        generated: bool = False,
    ) -> Account:
        """An extra seller account (admin API); its locations have no history unless
        ``generated``."""
        with self.lock:
            idx = len(self.accounts)
            tmpl_i = {"GB": 0, "IE": 1, "US": 2}.get(country, 0)
            base = build_accounts(
                seed=self.config.seed + 7919 * (idx + 1),
                n_accounts=tmpl_i + 1,
                locations_per_account=0,
                history_start_ms=self.accounts[0].created_at_ms if self.accounts else 0,
            )[tmpl_i]
            base.idx = idx
            base.business_name = business_name
            base.currency = currency
            base.country = country
            base.merchant_id = "ML" + short_id("merchant-new", self.config.seed, idx, length=11)
            base.personal_access_token = "EAAAl" + secrets.token_hex(24)
            for tm in base.team:
                tm.location_ids = []
            self.accounts.append(base)
            self._index()
            for spec in locations:
                hours = None
                if spec.get("hours"):
                    hours = {int(k): (int(v[0]), int(v[1])) for k, v in spec["hours"].items()}
                loc = self.add_location(
                    base,
                    name=spec.get("name") or "Store",
                    timezone=spec.get("timezone"),
                    generated=bool(spec.get("generated", generated)),
                    base_rate=spec.get("base_rate"),
                    hours=hours,
                )
                if spec.get("currency"):
                    loc.currency = spec["currency"]
                for tm in base.team:
                    tm.location_ids.append(loc.id)
            return base

    # --- generated history -----------------------------------------------------------------

    def bucket(self, loc: Location, day_ord: int) -> g.Bucket:
        key = (loc.gidx, day_ord)
        b: g.Bucket | None = self.buckets.get(key)
        if b is None:
            b = g.build_bucket(self.config.seed, loc, date.fromordinal(day_ord), self.history_start)
            self.buckets.put(key, b)
        return b

    def _day_bounds(self, loc: Location, now: int) -> tuple[int, int]:
        if not loc.generated:
            return 1, 0
        first = self.history_start.toordinal()
        last = local_day_of(loc.tz, now).toordinal()
        return first, last

    def pay_table(self, loc: Location, b: g.Bucket) -> g.PayTable:
        key = (b.gidx, b.day_ord)
        t: g.PayTable | None = self.pay_tables.get(key)
        if t is None:
            t = g.build_pay_table(self.ctx(loc, b))
            self.pay_tables.put(key, t)
        return t

    def ctx(self, loc: Location, b: g.Bucket) -> g.GenContext:
        return g.GenContext(self.config.seed, self.ids, self.acct_by_loc[loc.id], loc, b)

    def gen_order_obj(self, gidx: int, day_ord: int, idx: int, now: int) -> tuple[JSON, JSON]:
        loc = self.loc_by_gidx[gidx]
        b = self.bucket(loc, day_ord)
        return g.gen_order(self.ctx(loc, b), idx, now)

    def gen_order_bytes(self, gidx: int, day_ord: int, idx: int, now: int) -> bytes:
        loc = self.loc_by_gidx[gidx]
        b = self.bucket(loc, day_ord)
        upd2 = int(b.upd2[idx])
        edited = bool(upd2) and upd2 <= now
        ck = (int(b.uids[idx]), edited)
        data: bytes | None = self.bodies.get(ck)
        if data is None:
            obj, _ = g.gen_order(self.ctx(loc, b), idx, now)
            data = orjson.dumps(_public(obj))
            self.bodies.put(ck, data, len(data))
        return data

    def locate_generated(self, order_id: str) -> tuple[int, int, int] | None:
        dec = self.ids.decode(order_id, "O")
        if dec is None:
            return None
        gidx, day_ord, idx = g.unpack_uid(dec[0])
        loc = self.loc_by_gidx.get(gidx)
        if loc is None:
            return None
        now = self.clock.now()
        first, last = self._day_bounds(loc, now)
        if not first <= day_ord <= last:
            return None
        b = self.bucket(loc, day_ord)
        if idx >= b.n or int(b.visible[idx]) > now or int(b.uids[idx]) in self.shadow_uids:
            return None
        return gidx, day_ord, idx

    # --- reading orders ---------------------------------------------------------------------

    def order_bytes(self, order_id: str) -> tuple[bytes, str] | None:
        """An order's JSON and its location id, or None."""
        with self.lock:
            rec = self.orders.get(order_id)
            if rec is not None:
                return rec.body, self.loc_by_gidx[rec.gidx].id
            where = self.locate_generated(order_id)
            if where is None:
                return None
            return (self.gen_order_bytes(*where, self.clock.now()), self.loc_by_gidx[where[0]].id)

    def order_obj(self, order_id: str) -> JSON | None:
        with self.lock:
            rec = self.orders.get(order_id)
            if rec is not None:
                return orjson.loads(rec.body)  # type: ignore[no-any-return]
            where = self.locate_generated(order_id)
            if where is None:
                return None
            obj, _ = self.gen_order_obj(*where, self.clock.now())
            return _public(obj)

    def scan(
        self,
        coll: str,
        gidxs: list[int],
        field: str,
        asc: bool,
        lo: int,
        hi: int,
        states: set[int] | None,
        limit: int,
        after: tuple[int, int] | None,
        now: int,
        extra: list[tuple[str, int, int]] | None = None,
    ) -> list[Hit]:
        """The next ``limit + 1`` hits in (key, uid) order, over generated and stored data.

        ``field`` is the sort key, ranged by [lo, hi]; ``extra`` are further (field, lo, hi)
        ranges every hit must also satisfy. Walks the time range in windows (growing while
        they come back sparse); each window only reads the buckets of the days that can hold
        its keys (and the extra ranges' keys)."""
        with self.lock:
            return self._scan(
                coll, gidxs, field, asc, lo, hi, states, limit, after, now, extra or []
            )

    def _scan(
        self,
        coll: str,
        gidxs: list[int],
        field: str,
        asc: bool,
        lo: int,
        hi: int,
        states: set[int] | None,
        limit: int,
        after: tuple[int, int] | None,
        now: int,
        extra: list[tuple[str, int, int]],
    ) -> list[Hit]:
        hi = min(hi, now)
        extra = [(f, xlo, min(xhi, now)) for f, xlo, xhi in extra]
        if after is not None:
            if asc:
                lo = max(lo, after[0])
            else:
                hi = min(hi, after[0])
        lo = max(lo, 0)
        if lo > hi:
            return []
        over = self._overlay_sorted(coll, gidxs, field, lo, hi, states, extra)
        locs = [self.loc_by_gidx[x] for x in gidxs if x in self.loc_by_gidx]
        bounds = {loc.gidx: self._day_bounds(loc, now) for loc in locs}
        hist_lo = min(
            (
                datetime(
                    self.history_start.year,
                    self.history_start.month,
                    self.history_start.day,
                    tzinfo=UTC,
                ).timestamp()
                * 1000
                - 2 * g.DAY_MS,
            ),
            default=0,
        )
        if not over:
            lo = max(lo, int(hist_lo))
            if lo > hi:
                return []
        out: list[Hit] = []
        width = g.DAY_MS
        state_arr = np.array(sorted(states), dtype=np.int8) if states is not None else None
        shadow_set = self.shadow_pay_uids if coll == "payments" else self.shadow_uids
        shadow = np.fromiter(shadow_set, dtype=np.int64) if shadow_set else None
        extra_days = [x for x in extra if x[0] in ("created", "updated")]
        w_lo, w_hi = (lo, min(hi, lo + width - 1)) if asc else (max(lo, hi - width + 1), hi)
        while True:
            keys_parts: list[np.ndarray[Any, Any]] = []
            uid_parts: list[np.ndarray[Any, Any]] = []
            for loc in locs:
                first, last = bounds[loc.gidx]
                d0, d1 = g.day_range_for(loc, w_lo, w_hi)
                d0, d1 = max(d0, first), min(d1, last)
                for _f, xlo, xhi in extra_days:
                    x0, x1 = g.day_range_for(loc, max(xlo, 0), xhi)
                    d0, d1 = max(d0, x0), min(d1, x1)
                for d in range(d0, d1 + 1):
                    b = self.bucket(loc, d)
                    if b.n == 0:
                        continue
                    rows: Any = b
                    if coll == "payments":
                        rows = self.pay_table(loc, b)
                        if rows.n == 0:
                            continue
                    k, mask = self._keys(b, rows, coll, field, now)
                    mask &= (k >= w_lo) & (k <= w_hi)
                    for f, xlo, xhi in extra:
                        k2, m2 = self._keys(b, rows, coll, f, now)
                        mask &= m2 & (k2 >= xlo) & (k2 <= xhi)
                    if state_arr is not None:
                        mask &= np.isin(b.state, state_arr)
                    if shadow is not None:
                        mask &= ~np.isin(rows.uid if coll == "payments" else b.uids, shadow)
                    if mask.any():
                        keys_parts.append(k[mask])
                        uid_parts.append((rows.uid if coll == "payments" else b.uids)[mask])
            hits: list[tuple[int, int, tuple[Any, ...]]] = []
            if keys_parts:
                ks = np.concatenate(keys_parts)
                us = np.concatenate(uid_parts)
                if coll == "payments":
                    for kk, uu in zip(ks.tolist(), us.tolist(), strict=True):
                        gi, dd, ii = g.unpack_uid(uu >> 2)
                        hits.append((kk, uu, ("p", gi, dd, ii, uu & 3)))
                else:
                    for kk, uu in zip(ks.tolist(), us.tolist(), strict=True):
                        gi, dd, ii = g.unpack_uid(uu)
                        hits.append((kk, uu, ("g", gi, dd, ii)))
            for rec_key, rec_uid, rec_id in over:
                if w_lo <= rec_key <= w_hi:
                    hits.append((rec_key, rec_uid, ("o", rec_id)))
            hits.sort(key=lambda h: (h[0], h[1]), reverse=not asc)
            for kk, uu, ref in hits:
                if after is not None and (
                    (asc and (kk, uu) <= after) or (not asc and (kk, uu) >= after)
                ):
                    continue
                out.append(Hit(kk, uu, ref))
                if len(out) > limit:
                    return out
            if asc:
                if w_hi >= hi:
                    return out
                if len(hits) < limit // 2:
                    width = min(width * 2, 64 * g.DAY_MS)
                w_lo, w_hi = w_hi + 1, min(hi, w_hi + width)
            else:
                if w_lo <= lo:
                    return out
                if len(hits) < limit // 2:
                    width = min(width * 2, 64 * g.DAY_MS)
                w_lo, w_hi = max(lo, w_lo - width), w_lo - 1
            if not over and not locs:
                return out
            if not over and (w_hi < hist_lo):
                return out

    @staticmethod
    def _keys(
        b: g.Bucket, rows: Any, coll: str, field: str, now: int
    ) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
        """A bucket's keys for ``field`` and the mask of rows that exist at ``now`` and have
        the key. Payments use the bucket's ``PayTable`` rows (one per payment)."""
        if coll == "orders":
            vis = b.visible <= now
            if field == "created":
                return b.created, vis
            if field == "closed":
                return b.closed, vis & (b.closed > 0)
            upd = np.where((b.upd2 > 0) & (b.upd2 <= now), b.upd2, b.upd1)
            return upd, vis
        if coll == "payments":
            t: g.PayTable = rows
            vis = t.created <= now
            if field == "created":
                return t.created, vis
            if field == "updated":
                return t.updated(now), vis
            if field == "offline":  # only offline payments have this key
                return t.offline_at, vis & (t.offline_at > 0)
            # offline_sort: the offline time where there is one, else created_at
            return np.where(t.offline_at > 0, t.offline_at, t.created), vis
        vis = b.visible <= now
        kinds = (b.kind == g.K_RETURN) | (b.kind == g.K_AMOUNT) | (b.kind == g.K_EXCHANGE)
        # Generated refunds are complete when created: updated_at == created_at.
        return b.created, vis & kinds

    def _overlay_sorted(
        self,
        coll: str,
        gidxs: list[int],
        field: str,
        lo: int,
        hi: int,
        states: set[int] | None,
        extra: list[tuple[str, int, int]] | None = None,
    ) -> list[tuple[int, int, str]]:
        src = {"orders": self.orders, "payments": self.payments, "refunds": self.refunds}[coll]
        if not src:
            return []
        want = set(gidxs)
        out = []
        for rec in src.values():
            if rec.gidx not in want:
                continue
            if states is not None and coll == "orders" and rec.state not in states:
                continue
            k = rec.keys.get(field, 0)
            if not k or not lo <= k <= hi:
                continue
            if extra and not all(
                rec.keys.get(f, 0) and xlo <= rec.keys.get(f, 0) <= xhi for f, xlo, xhi in extra
            ):
                continue
            out.append((k, rec.uid, rec.id))
        out.sort()
        return out

    def prefetch_orders(
        self,
        gidxs: list[int],
        field: str,
        asc: bool,
        lo: int,
        hi: int,
        states: set[int] | None,
        limit: int,
        after: tuple[int, int],
        now: int,
    ) -> None:
        """Generate (into the byte cache) the page that follows ``after``."""
        with self.lock:
            hits = self._scan("orders", gidxs, field, asc, lo, hi, states, limit, after, now, [])
            self.hit_bodies(hits[:limit], now)

    def hit_bodies(self, hits: list[Hit], now: int) -> list[bytes]:
        """The JSON of each hit's order, generated (and cached) where missing."""
        with self.lock:
            return [self.hit_order_bytes(h, now) for h in hits]

    def hit_order_bytes(self, hit: Hit, now: int) -> bytes:
        if hit.ref[0] == "o":
            return self.orders[hit.ref[1]].body
        _, gi, dd, ii = hit.ref
        return self.gen_order_bytes(gi, dd, ii, now)

    def hit_entry(self, hit: Hit, now: int) -> JSON:
        if hit.ref[0] == "o":
            rec = self.orders[hit.ref[1]]
            return {
                "order_id": rec.id,
                "version": rec.version,
                "location_id": self.loc_by_gidx[rec.gidx].id,
            }
        _, gi, dd, ii = hit.ref
        loc = self.loc_by_gidx[gi]
        b = self.bucket(loc, dd)
        kind = int(b.kind[ii])
        upd2 = int(b.upd2[ii])
        version = {g.K_OPEN: 1, g.K_CANCELED: 2}.get(kind, 1 if kind >= g.K_RETURN else 3)
        if kind in (g.K_SALE, g.K_OFFLINE) and upd2 and upd2 <= now:
            version = 4
        return {
            "order_id": self.ids.encode("O", int(b.uids[ii])),
            "version": version,
            "location_id": loc.id,
        }

    # --- payments and refunds ----------------------------------------------------------------

    def payments_of_hit(self, hit: Hit, now: int) -> list[JSON]:
        if hit.ref[0] == "o":
            return [orjson.loads(self.payments[hit.ref[1]].body)]
        if hit.ref[0] == "p":  # one generated payment: (order uid << 2) | tender position
            _, gi, dd, ii, k = hit.ref
            pid = self.ids.encode("P", hit.uid >> 2, k)
            return [p for p in self._generated_payments(gi, dd, ii, now) if p["id"] == pid]
        _, gi, dd, ii = hit.ref
        return [
            p
            for p in self._generated_payments(gi, dd, ii, now)
            if p["id"] not in self.shadow_payments
        ]

    def _generated_payments(self, gi: int, dd: int, ii: int, now: int) -> list[JSON]:
        loc = self.loc_by_gidx[gi]
        b = self.bucket(loc, dd)
        ctx = self.ctx(loc, b)
        order, meta = g.gen_order(ctx, ii, now)
        refunds_by_pay: dict[str, list[JSON]] = {}
        ret_idx = b.ret_of.get(ii)
        if ret_idx is not None and int(b.visible[ret_idx]) <= now:
            ret, _ = g.gen_order(ctx, ret_idx, now)
            for r in ret.get("refunds") or ():
                refunds_by_pay.setdefault(r["_payment_id"], []).append(r)
        pay_at = int(b.pay_at[ii])
        upd2 = int(b.upd2[ii])
        fee_at = upd2 if upd2 and upd2 <= now else 0
        return [
            g.payment_json(
                order,
                t,
                meta,
                refunds_by_pay.get(t["id"], []),
                pay_at,
                self.app_id,
                fee_at if t["type"] == "CARD" else 0,
            )
            for t in order.get("tenders") or ()
        ]

    def refunds_of_hit(self, hit: Hit, now: int) -> list[JSON]:
        if hit.ref[0] == "o":
            return [orjson.loads(self.refunds[hit.ref[1]].body)]
        _, gi, dd, ii = hit.ref
        loc = self.loc_by_gidx[gi]
        b = self.bucket(loc, dd)
        order, meta = g.gen_order(self.ctx(loc, b), ii, now)
        return [g.payment_refund_json(r, order, meta) for r in order.get("refunds") or ()]

    def get_payment(self, payment_id: str) -> JSON | None:
        with self.lock:
            rec = self.payments.get(payment_id)
            if rec is not None:
                return orjson.loads(rec.body)  # type: ignore[no-any-return]
            dec = self.ids.decode(payment_id, "P")
            if dec is None:
                return None
            where = self.locate_generated(self.ids.encode("O", dec[0]))
            if where is None:
                return None
            now = self.clock.now()
            b = self.bucket(self.loc_by_gidx[where[0]], where[1])
            if not int(b.pay_at[where[2]]) or int(b.pay_at[where[2]]) > now:
                return None
            for p in self._generated_payments(*where, now):
                if p["id"] == payment_id:
                    return p
            return None

    def get_refund(self, refund_id: str) -> JSON | None:
        with self.lock:
            rec = self.refunds.get(refund_id)
            if rec is not None:
                return orjson.loads(rec.body)  # type: ignore[no-any-return]
            dec = self.ids.decode(refund_id, "R")
            if dec is None:
                return None
            where = self.locate_generated(self.ids.encode("O", dec[0]))
            if where is None:
                return None
            hit = Hit(0, dec[0], ("g", *where))
            for r in self.refunds_of_hit(hit, self.clock.now()):
                if r["id"] == refund_id:
                    return r
            return None

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


def _public(order: JSON) -> JSON:
    """Drop the generator's private fields (``_fee``, ``_payment_id``...) from an order."""
    for t in order.get("tenders") or ():
        t.pop("_fee", None)
    if order.get("refunds"):
        order["refunds"] = [g.public_refund(r) for r in order["refunds"]]
    return order


__all__ = ["ApiError", "Hit", "OverlayRec", "SimConfig", "Simulator"]
