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


def b62encode(data: bytes, width: int) -> str:
    """Fixed-width base62 of a byte string (so ids have Square's look and length)."""
    n = int.from_bytes(data, "big")
    out = []
    for _ in range(width // 2):
        n, r = divmod(n, 3844)
        out.append(_PAIRS[r])
    if width % 2:
        out.append(_B62[n % 62])
    return "".join(reversed(out))


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


def ms_to_rfc3339(ms: int) -> str:
    """Square writes instants as RFC 3339 UTC with milliseconds: 2024-01-15T10:30:12.345Z."""
    day, rem = divmod(int(ms), 86_400_000)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        prefix = f"{datetime.fromtimestamp(day * 86_400, UTC):%Y-%m-%d}T"
        if len(_DAY_PREFIX) < 100_000:
            _DAY_PREFIX[day] = prefix
    sec, milli = divmod(rem, 1000)
    h, sec = divmod(sec, 3600)
    m, sec = divmod(sec, 60)
    return f"{prefix}{h:02d}:{m:02d}:{sec:02d}.{milli:03d}Z"


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
