"""No request reaches another organization's data.

Both tests walk every operation of the app's OpenAPI document, so routes added later are covered
without touching this file: a new path parameter needs one entry in `ids_of_org_b`, and a new
public route one entry in PUBLIC_OPERATIONS (which a reviewer then sees).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.apikeys import service as key_service
from app.apikeys.schemas import ApiKeyCreate
from app.exports import jobs as export_jobs
from app.exports.schemas import ExportCreate
from app.footfall import counters as counter_service
from app.footfall.schemas import CounterCreate
from app.locations import groups as group_service
from app.locations.schemas import LocationGroupCreate
from app.main import app
from app.users.models import Role
from tests.factories import (
    Member,
    make_connection,
    make_location,
    make_org,
    make_sync_run,
    make_user,
    member_of,
)
from tests.footfall.helpers import make_footfall_entry

# Operations anyone may call without a token.
PUBLIC_OPERATIONS = {
    ("get", "/api/v1/health"),
    ("post", "/api/v1/auth/register"),
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/refresh"),
    ("post", "/api/v1/auth/logout"),
    ("post", "/api/v1/auth/accept-invite"),
    # Answered alike for every address (202); the reset link's token is the credential.
    ("post", "/api/v1/auth/forgot-password"),
    ("post", "/api/v1/auth/reset-password"),
    # A change-of-address link, opened from the new mailbox: its signed token is the credential.
    ("post", "/api/v1/auth/confirm-email"),
    # Square's OAuth redirect (checked by its single-use state) and webhooks (by signature).
    ("get", "/api/v1/square/callback"),
    ("post", "/api/v1/square/webhooks"),
    # A digest's unsubscribe link (RFC 8058 one-click): its random token is the credential.
    ("get", "/api/v1/notifications/unsubscribe"),
    ("post", "/api/v1/notifications/unsubscribe"),
}


def operations() -> list[tuple[str, str, dict[str, Any]]]:
    spec = app.openapi()
    return [
        (method, path, op)
        for path, item in spec["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "put", "patch", "delete"}
    ]


def resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = app.openapi()["components"]["schemas"][name]
    return schema


def minimal_value(schema: dict[str, Any]) -> Any:
    """The smallest valid instance of a request schema, so validation never answers first."""
    schema = resolve(schema)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if resolve(s).get("type") != "null"]
            return minimal_value(options[0])
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        return {
            name: minimal_value(prop)
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    if kind == "array":
        return []
    if kind == "integer":
        return 1
    if kind == "number":
        return 1
    if kind == "boolean":
        return True
    if kind == "string":
        if schema.get("format") == "email":
            return "walker@example.com"
        if schema.get("format") == "date":
            return "2026-01-05"
        return "Walk-Value-123"
    raise AssertionError(f"cannot build a value for schema {schema}")


def request_body(op: dict[str, Any]) -> Any:
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        return minimal_value(content["application/json"]["schema"])
    return None


def ids_of_org_b(client: TestClient, db: Session, owner_b: Member) -> dict[str, Callable[[], Any]]:
    """For each path parameter name, an id that belongs to organization B."""
    org_b = owner_b.user.org_id
    viewer_b = make_user(db, org_id=org_b, role=Role.viewer)
    location_b = make_location(db, org_id=org_b, name="B's store")
    entry_b = make_footfall_entry(db, owner=owner_b, location_id=location_b.id)
    connection_b = make_connection(db, org_id=org_b)
    run_b = make_sync_run(db, connection=connection_b)
    export_b = export_jobs.create(
        db=db,
        user=owner_b.user,
        body=ExportCreate(date_from=date(2026, 10, 1), date_to=date(2026, 10, 7)),
        dispatch=False,
    )
    group_b = group_service.create(
        db=db, user=owner_b.user, group_in=LocationGroupCreate(name="B's area")
    )
    key_b = key_service.create(db=db, user=owner_b.user, key_in=ApiKeyCreate(name="B's counters"))
    counter_b = counter_service.create_counter(
        db=db, org_id=org_b, counter_in=CounterCreate(counter_id="B-1", location_id=location_b.id)
    )
    db.commit()
    return {
        "key_id": lambda: key_b.id,
        "counter_pk": lambda: counter_b.id,
        "user_id": lambda: viewer_b.user.id,
        "group_id": lambda: group_b.id,
        "location_id": lambda: location_b.id,
        "entry_id": lambda: entry_b,
        "connection_id": lambda: connection_b.id,
        "run_id": lambda: run_b.id,
        "export_id": lambda: export_b.id,
        # The dev mailbox belongs to the machine, not an organization (development only, off
        # here): any message id is not found.
        "message_id": lambda: "1700000000000000000-0123abcd",
    }


def test_every_route_answers_404_for_another_organizations_ids(
    client: TestClient, db: Session
) -> None:
    owner_a = member_of(client, db, org_id=make_org(db, "A"), role=Role.owner)
    owner_b = member_of(client, db, org_id=make_org(db, "B"), role=Role.owner)
    ids = ids_of_org_b(client, db, owner_b)
    snapshot = [
        "/api/v1/users",
        "/api/v1/locations",
        "/api/v1/api-keys",
        "/api/v1/footfall/counters",
    ]
    before = [client.get(url, headers=owner_b.headers).json() for url in snapshot]

    walked = 0
    for method, path, op in operations():
        params = re.findall(r"{(\w+)}", path)
        if not params:
            continue
        missing = [p for p in params if p not in ids]
        assert not missing, (
            f"{method.upper()} {path}: add an org-B id for {missing} to ids_of_org_b"
        )
        url = path.format(**{p: ids[p]() for p in params})
        body = request_body(op)
        response = client.request(
            method, url, headers=owner_a.headers, json=body if body is not None else None
        )
        assert response.status_code == 404, (
            f"{method.upper()} {url} -> {response.status_code} {response.text}"
        )
        walked += 1

    assert walked >= 2
    # Nothing of B's changed either.
    assert [client.get(url, headers=owner_b.headers).json() for url in snapshot] == before


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in operations()])
def test_every_private_route_needs_a_token(client: TestClient, method: str, path: str) -> None:
    op = app.openapi()["paths"][path][method]
    if (method, path) in PUBLIC_OPERATIONS:
        assert "security" not in op
        return
    assert "security" in op, (
        f"{method.upper()} {path} is neither authenticated nor listed as public"
    )
    url = re.sub(r"{\w+}", "1", path)
    response = client.request(method, url)
    assert response.status_code == 401, f"{method.upper()} {path} -> {response.status_code}"
