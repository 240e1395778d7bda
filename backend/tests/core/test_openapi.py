"""The OpenAPI document lists the errors the API answers.

The walk covers every route of the app, so a route added later is checked without an edit here.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI, routing
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.auth.deps import CurrentUser, ManagerUser
from app.core import openapi
from app.core.config import get_settings
from app.core.deps import ClientAddress
from app.main import app
from app.users.models import Role
from square_simulator.webhooks import sign
from tests.core.test_isolation import request_body
from tests.factories import make_location, make_org, make_user, member_of

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


def api_operations() -> list[tuple[str, str]]:
    """(method, path) of every documented route, walked from app.routes."""
    found = []
    for route in routing.iter_route_contexts(app.routes):
        if getattr(route, "dependant", None) is None or not route.include_in_schema:
            continue
        found += [
            (method.lower(), str(route.path_format)) for method in sorted(route.methods or ())
        ]
    return found


def documented(method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = app.openapi()["paths"][path][method]["responses"]
    return responses


def test_every_error_answer_has_the_one_error_body() -> None:
    spec = app.openapi()
    assert spec["components"]["schemas"]["ErrorBody"]["required"] == ["detail"]
    for method, path in api_operations():
        for status, answer in documented(method, path).items():
            if (status.startswith("4") and status != "422") or status in {"500", "503"}:
                if path == "/api/v1/health":
                    continue  # its 503 is the health report itself
                assert answer["content"]["application/json"]["schema"] == ERROR_REF, (
                    method,
                    path,
                    status,
                )


@pytest.mark.parametrize(("method", "path"), api_operations())
def test_without_a_token_every_operation_answers_what_it_documents(
    client: TestClient, method: str, path: str
) -> None:
    op = app.openapi()["paths"][path][method]
    url = re.sub(r"{\w+}", "1", path)
    body = request_body(op)
    response = client.request(method, url, json=body, follow_redirects=False)
    responses = documented(method, path)
    assert str(response.status_code) in responses, (
        f"{method.upper()} {path} answered {response.status_code}, documented {sorted(responses)}"
    )
    if "security" in op:  # needs a signed-in user
        assert response.status_code == 401
        assert responses["401"]["content"]["application/json"]["schema"] == ERROR_REF
    if response.status_code == 401:
        assert "401" in responses


def test_the_statuses_a_sample_of_calls_gets_are_documented(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, str, int]] = []

    def call(method: str, path: str, member: Any = None, **kwargs: Any) -> int:
        url = path.format(**kwargs.pop("ids", {}))
        headers = {**(member.headers if member else {}), **kwargs.pop("headers", {})}
        response = client.request(method, url, headers=headers, **kwargs)
        seen.append((method.lower(), path, response.status_code))
        return response.status_code

    org_id = make_org(db)
    soho = make_location(db, org_id=org_id, name="Soho")
    leeds = make_location(db, org_id=org_id, name="Leeds")
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    manager = member_of(client, db, org_id=org_id, role=Role.manager)
    viewer = member_of(client, db, org_id=org_id, role=Role.viewer)
    week = {"date_from": "2026-01-05", "date_to": "2026-01-11"}

    assert (
        call(
            "put",
            "/api/v1/users/{user_id}/locations",
            owner,
            ids={"user_id": manager.user.id},
            json={"location_ids": [soho.id]},
        )
        == 200
    )
    assert (
        call("get", "/api/v1/locations/{location_id}", manager, ids={"location_id": leeds.id})
        == 403
    )
    assert (
        call("get", "/api/v1/locations/{location_id}", manager, ids={"location_id": 999999}) == 404
    )
    assert (
        call("get", "/api/v1/reports/summary", manager, params={**week, "location_ids": leeds.id})
        == 403
    )
    assert (
        call("get", "/api/v1/reports/summary", owner, params={**week, "location_ids": 999999})
        == 404
    )
    assert (
        call("get", "/api/v1/footfall", manager, params={**week, "location_ids": leeds.id}) == 403
    )
    assert call("get", "/api/v1/users", viewer) == 403
    assert call("get", "/api/v1/users/{user_id}", owner, ids={"user_id": 999999}) == 404
    taken = {"email": viewer.email, "role": "viewer", "full_name": "Again"}
    assert call("post", "/api/v1/users", owner, json=taken) == 409
    entry = {"location_id": soho.id, "date": "2026-01-05", "count": 10}
    assert call("post", "/api/v1/footfall", owner, json=entry) == 201
    assert call("post", "/api/v1/footfall", owner, json=entry) == 409
    assert call("post", "/api/v1/footfall", manager, json={**entry, "location_id": leeds.id}) == 403
    assert call("post", "/api/v1/footfall", owner, json={**entry, "location_id": 999999}) == 404
    assert call("get", "/api/v1/reports/summary", owner, params={"date_from": "x"}) == 422
    assert call("get", "/api/v1/square/sync-runs/{run_id}", owner, ids={"run_id": 999999}) == 404
    assert call("post", "/api/v1/square/sync", owner, json={"connection_id": 999999}) == 404

    user = make_user(db, org_id=org_id, role=Role.viewer)
    wrong = {"email": user.email, "password": "not-the-password"}
    for _ in range(get_settings().LOGIN_MAX_FAILURES_PER_ACCOUNT):
        assert call("post", "/api/v1/auth/login", json=wrong) == 401
    assert call("post", "/api/v1/auth/login", json=wrong) == 429

    key, url = "key-for-the-openapi-test", "http://testserver/api/v1/square/webhooks"
    monkeypatch.setattr(get_settings(), "SQUARE_WEBHOOK_SIGNATURE_KEY", key)
    monkeypatch.setattr(get_settings(), "SQUARE_WEBHOOK_NOTIFICATION_URL", url)
    body = json.dumps({"event_id": "E1"}).encode()
    signed = {"x-square-hmacsha256-signature": sign(key, url, body)}
    assert call("post", "/api/v1/square/webhooks", content=body, headers=signed) == 400
    assert call("post", "/api/v1/square/webhooks", content=body) == 401

    undocumented = [(m, p, s) for m, p, s in seen if str(s) not in documented(m, p)]
    assert undocumented == []
    assert {s for _, _, s in seen} >= {400, 401, 403, 404, 409, 422, 429}


def test_a_new_route_gets_its_error_answers_from_its_dependencies() -> None:
    # Annotations are strings (PEP 563), resolved against this module: the aliases are imported
    # at its top.
    router = APIRouter(prefix="/things")

    @router.get("/{thing_id}")
    def read_thing(thing_id: int, user: CurrentUser) -> int:
        return thing_id

    @router.post("")
    def make_thing(user: ManagerUser, location_ids: str | None = None) -> int:
        return 1

    @router.post("/throttled")
    def throttled(address: ClientAddress) -> int:
        return 1

    new = FastAPI()
    new.include_router(router, prefix="/api/v1")
    openapi.install(new)
    paths = new.openapi()["paths"]

    def statuses(path: str, method: str) -> list[str]:
        return sorted(paths[path][method]["responses"])

    assert statuses("/api/v1/things/{thing_id}", "get") == ["200", "401", "404", "422"]
    assert statuses("/api/v1/things", "post") == ["200", "401", "403", "404", "422"]
    assert statuses("/api/v1/things/throttled", "post") == ["200", "429"]
    assert new.openapi()["components"]["schemas"]["ErrorBody"] == openapi.ERROR_BODY


def test_a_body_that_cannot_be_parsed_is_a_documented_400(client: TestClient) -> None:
    """FastAPI answers 400 before validation for a body that is not JSON (found by Schemathesis);
    every operation that takes a body documents it."""
    response = client.post(
        "/api/v1/auth/login", content=b"\xff{", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    document = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "requestBody" in operation:
                assert "400" in operation["responses"], (method, path)
