"""Fixtures for the simulator's tests: running simulators and spec-validating clients.

Every response from a Square path (``/v2/...``, ``/oauth2/...``) that goes through
``ValidatingClient`` or an SDK built by ``sdk_client`` is validated against Square's OpenAPI
spec with openapi-core. Two documented quirks of ``../shared/square/api.json`` shape how:

1. The spec does not pass openapi-spec-validator's OAS 3.0 checks (``info.externalDocs`` is not
   allowed there), so it is loaded with ``spec_validator_cls=None``; the schemas themselves are
   used as published.
2. Every operation declares only a ``200`` response, and every response schema carries an
   ``errors: Error[]`` property. Square sends its errors (401, 403, 404, 429, 5xx) in that same
   body, so an error response is validated against the operation's response schema (as if it
   were the 200 body) — the ``Error`` schema's required ``category``/``code`` and enums apply.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_core import Config, OpenAPI
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from sim_helpers import NOW, ValidatingClient, Validator

from square_simulator.testing import RunningSimulator, start

SPEC_PATH = Path(__file__).resolve().parents[4] / "shared" / "square" / "api.json"
if not SPEC_PATH.exists():  # the checkout may live elsewhere; the shared folder does not move
    SPEC_PATH = Path("/work/shared/square/api.json")


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    spec = json.loads(SPEC_PATH.read_text())
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


# Webhook event types and the api.json schemas of their bodies.
EVENT_SCHEMAS = {
    "order.created": "OrderCreatedEvent",
    "order.updated": "OrderUpdatedEvent",
    "payment.created": "PaymentCreatedEvent",
    "payment.updated": "PaymentUpdatedEvent",
    "refund.created": "RefundCreatedEvent",
    "refund.updated": "RefundUpdatedEvent",
}


@pytest.fixture(scope="session")
def event_schema() -> Callable[[dict[str, Any]], None]:
    """Checks a webhook body against api.json's schema for its type (e.g. PaymentCreatedEvent,
    whose data.object.payment is a Payment)."""
    spec = json.loads(SPEC_PATH.read_text())
    registry: Registry[Any] = Registry().with_resource(
        "urn:square", Resource.from_contents(spec, default_specification=DRAFT4)
    )

    def check(event: dict[str, Any]) -> None:
        name = EVENT_SCHEMAS[event["type"]]
        schema = {"$ref": f"urn:square#/components/schemas/{name}"}
        OAS30Validator(schema, registry=registry).validate(event)

    return check


@pytest.fixture(scope="session")
def validator(openapi: OpenAPI) -> Validator:
    return Validator(openapi)


@pytest.fixture(scope="session")
def shared_sim() -> Iterator[RunningSimulator]:
    """One read-mostly simulator for the suite (do not change its clock or faults)."""
    sim = start(seed=42, now=NOW, years=2, accounts=3, locations_per_account=3)
    yield sim
    sim.stop()


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    """A fresh simulator per test, for tests that change state."""
    running = start(
        seed=7,
        now=NOW,
        years=1,
        accounts=3,
        locations_per_account=2,
        webhook_backoff_s=(0.05, 0.1, 0.2),
    )
    yield running
    running.stop()


@pytest.fixture
def client_for(validator: Validator) -> Iterator[Any]:
    made: list[httpx.Client] = []

    def make(
        running: RunningSimulator, account: int = 0, token: str | None = None
    ) -> ValidatingClient:
        c = ValidatingClient(
            validator, running.base_url, token if token is not None else running.token(account)
        )
        made.append(c)
        return c

    yield make
    for c in made:
        c.close()
