"""The simulator's clock: wall time shifted to a chosen instant, optionally frozen."""

from __future__ import annotations

import threading

from .util import now_ms_wall


class Clock:
    def __init__(self, start_ms: int | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._wall0 = now_ms_wall()
        self._sim0 = self._wall0 if start_ms is None else int(start_ms)
        self.frozen = frozen

    def now(self) -> int:
        """Current simulated time in epoch milliseconds."""
        with self._lock:
            if self.frozen:
                return self._sim0
            return self._sim0 + (now_ms_wall() - self._wall0)

    def set(self, ms: int, *, frozen: bool | None = None) -> None:
        with self._lock:
            self._wall0 = now_ms_wall()
            self._sim0 = int(ms)
            if frozen is not None:
                self.frozen = frozen

    def advance(self, ms: int) -> None:
        self.set(self.now() + int(ms))
