"""The simulator's state: its config, accounts, the clock and generated history."""

from __future__ import annotations

import random
import secrets
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import orjson

from . import generator as g
from .accounts import build_accounts, default_hours
from .clock import Clock
from .model import Account, Location, local_day_of
from .util import JSON, short_id

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


class History:
    """The state ``Simulator`` is built on: config, caches, accounts and generated history.

    Holds all of ``Simulator``'s attributes; ``Queries`` reads them and ``Simulator`` writes."""

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


def _public(order: JSON) -> JSON:
    """Drop the generator's private fields (``_fee``, ``_payment_id``...) from an order."""
    for t in order.get("tenders") or ():
        t.pop("_fee", None)
    if order.get("refunds"):
        order["refunds"] = [g.public_refund(r) for r in order["refunds"]]
    return order
