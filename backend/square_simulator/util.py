"""Small helpers shared by the simulator: ids, timestamps, rounding, errors."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_B62_INDEX = {c: i for i, c in enumerate(_B62)}
_B32 = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

JSON = dict[str, Any]


_PAIRS = [a + b for a in _B62 for b in _B62]


_P6 = 62**6  # six digits per chunk: the big-number divisions are the slow part


def _b62_27(n: int) -> str:
    """``b62encode_int(n, 27)`` unrolled: every generated id goes through here."""
    p = _PAIRS
    n, r1 = divmod(n, _P6)
    n, r2 = divmod(n, _P6)
    n, r3 = divmod(n, _P6)
    n, r4 = divmod(n, _P6)
    a, b = divmod(n % 238_328, 3844)  # the top three digits
    out = [_B62[a % 62], p[b]]
    for r in (r4, r3, r2, r1):
        a, b = divmod(r, 14_776_336)
        c, d = divmod(b, 3844)
        out.append(p[a])
        out.append(p[c])
        out.append(p[d])
    return "".join(out)


def b62encode_int(n: int, width: int) -> str:
    """Fixed-width base62 of a non-negative integer (its last ``width`` digits)."""
    if width == 27:
        return _b62_27(n)
    pairs = _PAIRS
    out = []
    left = width
    while left >= 6:
        n, r = divmod(n, _P6)
        a, b = divmod(r, 14_776_336)  # 62**4
        c, d = divmod(b, 3844)
        out.append(pairs[a] + pairs[c] + pairs[d])
        left -= 6
    if left:
        r = n % _P6
        a, b = divmod(r, 14_776_336)
        c, d = divmod(b, 3844)
        out.append((pairs[a] + pairs[c] + pairs[d])[6 - left :])
    return "".join(reversed(out))


def b62encode(data: bytes, width: int) -> str:
    """Fixed-width base62 of a byte string (so ids have Square's look and length)."""
    return b62encode_int(int.from_bytes(data, "big"), width)


def b62decode(text: str, nbytes: int) -> bytes | None:
    n = 0
    for c in text:
        v = _B62_INDEX.get(c)
        if v is None:
            return None
        n = n * 62 + v
    if n.bit_length() > nbytes * 8:
        return None
    return n.to_bytes(nbytes, "big")


def short_id(*parts: object, length: int = 13) -> str:
    """Deterministic upper-case id like Square's location and merchant ids."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=32).digest()
    return "".join(_B32[b % 32] for b in digest)[:length]


_DAY_PREFIX: dict[int, str] = {}
_MIN_PREFIX: dict[int, str] = {}
_SEC_MS = [f"{s:02d}.{m:03d}Z" for s in range(60) for m in range(1000)]  # "SS.mmmZ"


def _day_prefix(day: int) -> str:
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = f"{datetime.fromtimestamp(day * 86_400, UTC):%Y-%m-%d}T"
        if len(_DAY_PREFIX) < 100_000:
            _DAY_PREFIX[day] = prefix
    return prefix


def ms_to_rfc3339(ms: int) -> str:
    """Square writes instants as RFC 3339 UTC with milliseconds: 2024-01-15T10:30:12.345Z."""
    minute, rem = divmod(int(ms), 60_000)
    prefix = _MIN_PREFIX.get(minute)
    if prefix is None:
        day, mins = divmod(minute, 1440)
        prefix = f"{_day_prefix(day)}{mins // 60:02d}:{mins % 60:02d}:"
        if len(_MIN_PREFIX) > 200_000:
            _MIN_PREFIX.clear()
        _MIN_PREFIX[minute] = prefix
    return prefix + _SEC_MS[rem]


def parse_rfc3339(text: str) -> int:
    """RFC 3339 (any offset) to epoch milliseconds; raises ValueError when malformed."""
    t = text.strip()
    if t.endswith(("Z", "z")):
        t = t[:-1] + "+00:00"
    dt = datetime.fromisoformat(t)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return round(dt.timestamp() * 1000)


def now_ms_wall() -> int:
    return int(datetime.now(UTC).timestamp() * 1000)


def div_round_half_up(num: int, den: int) -> int:
    """Integer division rounding half away from zero, as Square rounds money."""
    if den < 0:
        num, den = -num, -den
    if num >= 0:
        return (2 * num + den) // (2 * den)
    return -((2 * -num + den) // (2 * den))


_PCT_CACHE: dict[str, tuple[int, int]] = {}


def pct_fraction(pct: str) -> tuple[int, int]:
    """A percentage string such as "8.875" as an exact fraction of 100 (num, den)."""
    hit = _PCT_CACHE.get(pct)
    if hit is None:
        hit = _pct_fraction(pct)
        if len(_PCT_CACHE) < 1000:
            _PCT_CACHE[pct] = hit
    return hit


def _pct_fraction(pct: str) -> tuple[int, int]:
    if "." in pct:
        whole, frac = pct.split(".", 1)
        den = 10 ** len(frac)
        return int(whole or "0") * den + int(frac or "0"), den * 100
    return int(pct), 100


def money(amount: int, currency: str) -> JSON:
    return {"amount": int(amount), "currency": currency}


def error_body(category: str, code: str, detail: str, field: str | None = None) -> JSON:
    err: JSON = {"category": category, "code": code, "detail": detail}
    if field is not None:
        err["field"] = field
    return {"errors": [err]}
