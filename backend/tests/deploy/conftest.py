"""Fixtures of the production kit's tests: the running topology (nginx → uvicorn, Celery, ...)."""

from __future__ import annotations

import ssl
from collections.abc import Iterator

import httpx
import pytest

from tests.deploy.topology import Topology


@pytest.fixture(scope="session")
def topology() -> Iterator[Topology]:
    """nginx with the real site in front of the API (2 workers), PostgreSQL, Redis, worker, beat."""
    topo = Topology().start()
    try:
        yield topo
    finally:
        topo.stop()


@pytest.fixture
def web(topology: Topology) -> Iterator[httpx.Client]:
    """A client of the site over plain HTTP (as before certbot), cookies kept."""
    with httpx.Client(base_url=topology.url, timeout=30) as client:
        yield client


@pytest.fixture
def web_tls(topology: Topology) -> Iterator[httpx.Client]:
    """A client of the site over HTTPS (the listener certbot adds), trusting the test cert."""
    context = ssl.create_default_context(cafile=str(topology.cert))
    with httpx.Client(base_url=topology.tls_url, verify=context, timeout=30) as client:
        yield client
