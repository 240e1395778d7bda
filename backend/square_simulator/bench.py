"""``python -m square_simulator bench``: orders/s for full SearchOrders pages, and memory."""

from __future__ import annotations

import re
import resource
import statistics
import time
from typing import Any

import httpx
import orjson

from .util import ms_to_rfc3339, parse_rfc3339

_CURSOR = re.compile(rb'"cursor":"([^"]+)"\}$')


def _rss_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _pass(
    client: Any, body: dict[str, Any], pages: int, consumer_s: float = 0.0
) -> tuple[list[float], int]:
    times: list[float] = []
    orders = 0
    cursor = None
    for _ in range(pages):
        req = dict(body)
        if cursor:
            req["cursor"] = cursor
        t0 = time.perf_counter()
        r = client.post(
            "/v2/orders/search",
            content=orjson.dumps(req),
            headers={"content-type": "application/json"},
        )
        data = r.content
        times.append(time.perf_counter() - t0)
        if r.status_code != 200:
            raise RuntimeError(f"bench request failed: {r.status_code} {data[:200]!r}")
        orders += len(orjson.loads(data).get("orders") or ())  # after the clock stopped
        if consumer_s:
            time.sleep(consumer_s)  # the client's own work on the page, not measured
        m = _CURSOR.search(data[-400:])
        cursor = m.group(1).decode() if m else None
        if cursor is None:
            break
    return times, orders


def run_bench(
    config_kwargs: dict[str, Any],
    *,
    pages: int,
    limit: int,
    transport: str,
    consumer_ms: float = 0.0,
) -> dict[str, Any]:
    from .testing import InProcessClient, build_app, start

    rss0 = _rss_mb()
    t0 = time.perf_counter()
    running = None
    client: Any
    if transport == "http":
        running = start(**config_kwargs)
        state = running.state
        client = httpx.Client(base_url=running.base_url, timeout=120)
    else:
        app, state = build_app(**config_kwargs)
        client = InProcessClient(app)
    startup = time.perf_counter() - t0
    acct = state.sim.accounts[0]
    locs = [loc.id for a in state.sim.accounts for loc in a.locations if a is acct][:10]
    client.headers["authorization"] = f"Bearer {acct.personal_access_token}"
    now = state.clock.now()
    body: dict[str, Any] = {
        "location_ids": locs,
        "limit": limit,
        "query": {
            "filter": {
                "date_time_filter": {
                    "closed_at": {"start_at": ms_to_rfc3339(now - 400 * 86_400_000)}
                },
                "state_filter": {"states": ["COMPLETED"]},
            },
            "sort": {"sort_field": "CLOSED_AT", "sort_order": "ASC"},
        },
    }
    overlap: tuple[list[float], int] | None = None
    prefetch = bool(config_kwargs.get("prefetch"))
    try:
        # The plain passes measure serving alone; prefetching only pays off while the client
        # works on a page, which the third pass models.
        state.config.prefetch = False
        cold, n_cold = _pass(client, body, pages)
        warm, n_warm = _pass(client, body, pages)
        state.config.prefetch = prefetch
        if consumer_ms:
            # A fresh stretch of history (older than the first passes), so nothing is cached.
            older = dict(body)
            older["query"] = {
                **body["query"],
                "filter": {
                    **body["query"]["filter"],
                    "date_time_filter": {
                        "closed_at": {"start_at": ms_to_rfc3339(now - 1000 * 86_400_000)}
                    },
                },
            }
            overlap = _pass(client, older, pages, consumer_ms / 1000)
    finally:
        client.close()
        if running is not None:
            running.stop()
    total_locs = sum(len(a.locations) for a in state.sim.accounts)
    days = (parse_rfc3339(ms_to_rfc3339(now)) // 86_400_000) - (
        state.sim.history_start.toordinal() - 719163
    )

    def stats(times: list[float], n: int) -> dict[str, Any]:
        full = list(times)
        return {
            "pages": len(times),
            "orders": n,
            "orders_per_s": round(n / sum(times)) if times else 0,
            "page_ms_median": round(statistics.median(full) * 1000, 1) if full else None,
            "page_ms_max": round(max(full) * 1000, 1) if full else None,
        }

    result: dict[str, Any] = {
        "benchmark": "square_simulator.search_orders",
        "transport": "http-loopback (uvicorn thread, httpx client in the same process)"
        if transport == "http"
        else "in-process ASGI (httpx.ASGITransport, no sockets)",
        "page_limit": limit,
        "location_ids_per_request": len(locs),
        "accounts": len(state.sim.accounts),
        "locations": total_locs,
        "history_days": int(days),
        "startup_s": round(startup, 3),
        "prefetch": prefetch,
        "cold": stats(cold, n_cold),
        "warm": stats(warm, n_warm),
        "rss_mb": round(_rss_mb(), 1),
        "rss_mb_at_start": round(rss0, 1),
        "cache": state.sim.stats(),
    }
    if overlap is not None:
        result["cold_with_consumer"] = {**stats(*overlap), "consumer_ms": consumer_ms}
    result["summary"] = [
        f"SearchOrders, {limit}-order pages, {len(locs)} locations/request, "
        f"{total_locs} locations, {result['transport']}",
        *(
            f"  {label}: {result[k]['orders_per_s']:>8} orders/s, median "
            f"{result[k]['page_ms_median']} ms/page, max {result[k]['page_ms_max']} ms"
            for k, label in (("cold", "cold (generating)"), ("warm", "warm (cached)    "))
        ),
        f"  RSS {result['rss_mb']} MB (at start {result['rss_mb_at_start']} MB)",
    ]
    if overlap is not None:
        c = result["cold_with_consumer"]
        result["summary"].insert(
            3,
            (
                f"  cold, client busy {consumer_ms:g} ms/page (prefetch "
                f"{'on' if result['prefetch'] else 'off'}): {c['orders_per_s']} orders/s served, "
                f"median {c['page_ms_median']} ms/page, max {c['page_ms_max']} ms"
            ),
        )
    return result
