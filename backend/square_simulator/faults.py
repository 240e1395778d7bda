"""Fault injection: per endpoint or global, by probability (seeded) or exact schedule."""

from __future__ import annotations

import fnmatch
import random
import threading
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("rate_limit", "error_500", "error_503", "slow", "drop")


@dataclass
class FaultRule:
    """``path`` is a glob on the request path (``/v2/orders/search``, ``/v2/*``; ``*`` for all).
    With ``count`` set the rule fires on the next ``count`` matching calls and then retires;
    otherwise it fires with ``probability`` on each one."""

    id: int
    kind: str
    path: str = "*"
    method: str | None = None
    probability: float = 1.0
    count: int | None = None
    delay_s: float = 2.0  # for "slow"
    retry_after: int = 1  # seconds, for "rate_limit"
    fired: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Faults:
    def __init__(self, seed: int) -> None:
        self.lock = threading.Lock()
        self.rng = random.Random(f"faults:{seed}")
        self.rules: list[FaultRule] = []
        self._next = 1

    def add(
        self,
        *,
        kind: str,
        path: str = "*",
        method: str | None = None,
        probability: float = 1.0,
        count: int | None = None,
        delay_s: float = 2.0,
        retry_after: int = 1,
    ) -> FaultRule:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
        if not 0.0 <= probability <= 1.0:
            raise ValueError("probability must be within 0..1")
        with self.lock:
            rule = FaultRule(
                self._next,
                kind,
                path,
                method.upper() if method else None,
                probability,
                count,
                delay_s,
                retry_after,
            )
            self._next += 1
            self.rules.append(rule)
            return rule

    def clear(self) -> None:
        with self.lock:
            self.rules.clear()

    def reseed(self, seed: int) -> None:
        with self.lock:
            self.rng = random.Random(f"faults:{seed}")

    def pick(self, method: str, path: str) -> FaultRule | None:
        """The fault to apply to this call, if any (first matching rule wins)."""
        with self.lock:
            for rule in self.rules:
                if rule.method and rule.method != method:
                    continue
                if rule.path != "*" and not fnmatch.fnmatchcase(path, rule.path):
                    continue
                if rule.count is not None:
                    if rule.fired >= rule.count:
                        continue
                elif rule.probability < 1.0 and self.rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                if rule.count is not None and rule.fired >= rule.count:
                    self.rules.remove(rule)
                return rule
            return None
