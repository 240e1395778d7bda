"""Reading the simulator: order, payment and refund lookups, and the sorted scans behind search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import orjson

from . import generator as g
from .history import History, _public
from .util import JSON


@dataclass
class Hit:
    key: int
    uid: int
    ref: tuple[Any, ...]  # ("g", gidx, day_ord, idx) or ("o", id)


class Queries(History):
    """The reads of ``Simulator``: lookups by id and scans of generated history and the overlay."""

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
