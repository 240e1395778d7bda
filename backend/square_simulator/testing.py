"""Helpers for other test suites: run the simulator in-process or on a loopback port."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn

from .admin import import_objects
from .app import ASGIApp, create_app
from .history import SimConfig
from .model import Account
from .state import State
from .util import JSON, parse_rfc3339


@dataclass
class RunningSimulator:
    """A simulator serving on ``base_url``; ``state`` is its live state (clock, accounts,
    faults, webhooks, oauth), shared with the server thread."""

    base_url: str
    state: State
    server: uvicorn.Server
    thread: threading.Thread

    @property
    def accounts(self) -> list[Account]:
        return self.state.sim.accounts

    def token(self, account: int = 0) -> str:
        """The personal access token of seller account ``account``."""
        return self.state.sim.accounts[account].personal_access_token

    def set_time(self, when: str | int, *, frozen: bool = True) -> None:
        self.state.clock.set(parse_rfc3339(when) if isinstance(when, str) else when, frozen=frozen)

    def advance(self, seconds: float) -> None:
        self.state.clock.advance(int(seconds * 1000))

    def create_account(
        self,
        *,
        business_name: str,
        country: str = "GB",
        currency: str = "GBP",
        locations: list[JSON] | None = None,
        generated: bool = False,
    ) -> Account:
        """A new seller account (its ``personal_access_token`` works at once); locations without
        ``"generated": True`` start with no history, for scenarios built by import."""
        return self.state.create_account(
            business_name=business_name,
            country=country,
            currency=currency,
            locations=locations,
            generated=generated,
        )

    def ring_up(self, location_id: str, amount: int, *, tender: str = "CARD") -> JSON:
        """A sale rung up at the till now (``State.ring_up``): ``{"order", "payment"}``."""
        return self.state.ring_up(location_id, amount, tender=tender)

    def import_orders(
        self,
        orders: list[JSON],
        payments: list[JSON] | None = None,
        refunds: list[JSON] | None = None,
        *,
        emit_events: bool = False,
    ) -> JSON:
        return import_objects(
            self.state,
            {
                "orders": orders,
                "payments": payments or [],
                "refunds": refunds or [],
                "emit_events": emit_events,
            },
        )

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.state.webhooks.stop()
        self.state.prefetcher.shutdown(wait=True, cancel_futures=True)


def make_config(**kwargs: Any) -> SimConfig:
    """``SimConfig`` from keyword arguments; ``now`` (RFC 3339) sets and freezes the clock."""
    now = kwargs.pop("now", None)
    if now is not None:
        kwargs["start_ms"] = parse_rfc3339(now) if isinstance(now, str) else int(now)
        kwargs.setdefault("frozen", True)
    return SimConfig(**kwargs)


class InProcessClient:
    """A synchronous httpx-like client calling the ASGI app in-process (no sockets).

    ``get``/``post``/``put``/``delete``/``request`` return ``httpx.Response``."""

    def __init__(
        self,
        app: ASGIApp,
        base_url: str = "http://square-simulator",
        headers: dict[str, str] | None = None,
    ) -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base_url, headers=headers
        )
        self.headers = self._client.headers

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.request(method, url, **kwargs))

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def put(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("PUT", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()


def build_app(**kwargs: Any) -> tuple[ASGIApp, State]:
    """An in-process ASGI app and its state: wrap it in ``InProcessClient(app)`` (sync) or
    ``httpx.AsyncClient(transport=httpx.ASGITransport(app))`` (async)."""
    state = State(make_config(**kwargs))
    return create_app(state), state


def start(port: int = 0, host: str = "127.0.0.1", **kwargs: Any) -> RunningSimulator:
    """Start uvicorn in a daemon thread on a free loopback port; returns when it accepts."""
    webhook_backoff = kwargs.pop("webhook_backoff_s", (1, 2, 4, 8, 16))
    state = State(make_config(**kwargs), webhook_backoff_s=webhook_backoff)
    if port == 0:
        with socket.socket() as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
    base_url = f"http://{host}:{port}"
    state.config.public_url = base_url
    app = create_app(state)
    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", lifespan="off", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="square-simulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("square simulator failed to start")
        time.sleep(0.01)
    return RunningSimulator(base_url, state, server, thread)


@contextmanager
def run_in_thread(port: int = 0, **kwargs: Any) -> Iterator[RunningSimulator]:
    """``with run_in_thread(seed=1, now="2025-06-01T12:00:00Z") as sim: ...``"""
    running = start(port, **kwargs)
    try:
        yield running
    finally:
        running.stop()
