"""Order history skeletons: one bucket per (location, local day), drawn from a numpy RNG seeded by
(seed, location, day), and the ids that say where a generated object lives.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np

from .model import Account, Location
from .util import b62decode, b62encode_int

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


@dataclass
class GenContext:
    seed: int
    ids: IdCodec
    account: Account
    loc: Location
    bucket: Bucket


def day_range_for(loc: Location, lo_ms: int, hi_ms: int) -> tuple[int, int]:
    """Local day ordinals whose buckets may hold keys in [lo_ms, hi_ms]."""
    from .model import local_day_of

    first = local_day_of(loc.tz, lo_ms) - timedelta(days=SPAN_DAYS + 1)
    last = local_day_of(loc.tz, hi_ms) + timedelta(days=1)
    return first.toordinal(), last.toordinal()
