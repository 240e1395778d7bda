"""A fixed-window request counter per caller: Redis when REDIS_URL is set, the process otherwise.

Redis makes the limit hold across every API process; the embedded mode (no Redis) runs a single
process, whose own count is then exact. Should Redis fail, requests are let through (and logged):
losing a counter's data would cost more than a minute without a limit.
"""

from __future__ import annotations

import logging
import threading
import time

import redis

from app.core.config import get_settings
from app.core.errors import TooManyRequests

log = logging.getLogger(__name__)

_local: dict[str, int] = {}
_local_lock = threading.Lock()
_clients: dict[str, redis.Redis[bytes]] = {}


def _client(url: str) -> redis.Redis[bytes]:
    client = _clients.get(url)
    if client is None:
        client = _clients[url] = redis.Redis.from_url(
            url, socket_connect_timeout=1, socket_timeout=1
        )
    return client


def hit(name: str, *, limit: int, window_seconds: int, message: str) -> None:
    """Count one request under `name`; raise TooManyRequests (with Retry-After: the seconds until
    the window ends) when it is beyond `limit` in the current window."""
    now = time.time()
    window = int(now // window_seconds)
    key = f"ratelimit:{name}:{window}"
    retry_after = int((window + 1) * window_seconds - now) + 1
    url = get_settings().REDIS_URL
    if url:
        try:
            pipe = _client(url).pipeline()
            pipe.incr(key)
            pipe.expire(key, window_seconds + 1)
            count = int(pipe.execute()[0])
        except redis.RedisError:
            log.warning("rate limit: Redis unavailable, request let through", exc_info=True)
            return
    else:
        with _local_lock:
            for stale in [k for k in _local if not k.endswith(f":{window}")]:
                del _local[stale]
            count = _local[key] = _local.get(key, 0) + 1
    if count > limit:
        raise TooManyRequests(
            f"{message}; try again in {retry_after} seconds", retry_after=retry_after
        )
