"""The error answers of the OpenAPI document, written once for every operation.

FastAPI documents the success answer and 422; the rest is added here from what each route depends
on, so a new route gets the right answers without a line of its own:

- 401 when it needs an access token (a security dependency: the bearer scheme behind
  `CurrentUser`, whatever wraps it);
- 403 when it depends on a role check (`require_role`: `AdminUser`, `ManagerUser`), or names
  locations (`location_id`, `location_ids`), which are checked against the caller's grant;
- 404 when its path names a resource (`/users/{user_id}`) or it names locations;
- 400 when it takes a request body: one that cannot be parsed (not JSON, a broken form) is
  answered 400 "There was an error parsing the body" by FastAPI, before validation;
- 429 when it takes the caller's address (`ClientAddress`): only throttled operations do.

What a service raises beyond that (a conflict, a failed sign-in, a signed but bad webhook) is in
RAISED below, found by reading the services; tests/core/test_openapi.py checks both against what
the API answers. Every error answer has the body the handlers in main.py write: ErrorBody.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.security.base import SecurityBase
from starlette.routing import BaseRoute

from app.core import deps

ERROR_SCHEMA = "ErrorBody"
ERROR_BODY: dict[str, Any] = {
    "title": ERROR_SCHEMA,
    "type": "object",
    "description": "Every error but 422: what went wrong, and the request field it concerns.",
    "properties": {
        "detail": {"type": "string", "title": "Detail"},
        "field": {"type": "string", "title": "Field"},
    },
    "required": ["detail"],
}

DESCRIPTIONS = {
    400: "Bad request",
    401: "Not signed in, or the access token (or signature) is missing, invalid or expired",
    403: "The caller's role or location grant does not allow this",
    404: "Not found, or another organization's",
    409: "Conflicts with the current state",
    410: "Gone: expired",
    429: "Too many attempts: try again after Retry-After seconds",
    503: "Not available on this server at the moment",
}
HEADERS: dict[int, dict[str, Any]] = {
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait"}},
}

# Parameters naming locations: the services check them with locations.service.check_access, which
# answers 404 for an unknown id and 403 for one outside the caller's grant.
LOCATION_PARAMS = frozenset({"location_id", "location_ids"})

# What services raise that the dependencies do not show, by operation (grep `raise` in the domain's
# service for NotFound, Conflict, Forbidden, TooManyRequests and the other DomainErrors).
RAISED: dict[tuple[str, str], frozenset[int]] = {
    # Forbidden when self sign-up is off; Conflict for a known e-mail (users.service.create).
    ("POST", "/api/v1/auth/register"): frozenset({403, 409}),
    ("POST", "/api/v1/auth/login"): frozenset({401}),  # InvalidCredentials
    ("POST", "/api/v1/auth/refresh"): frozenset({401}),  # RefreshRejected
    ("POST", "/api/v1/users"): frozenset({409}),  # the e-mail is taken
    # The user has already accepted the invitation (nothing to resend or withdraw).
    ("POST", "/api/v1/users/{user_id}/invite"): frozenset({409}),
    ("DELETE", "/api/v1/users/{user_id}/invite"): frozenset({409}),
    ("GET", "/api/v1/square/connect"): frozenset({409}),  # SquareNotConfigured
    # The connection in the body is not found, or not active (sync.start).
    ("POST", "/api/v1/square/sync"): frozenset({404, 409}),
    # 400 signed but malformed or stale, 401 bad signature, 503 no signature key (webhooks.py).
    ("POST", "/api/v1/square/webhooks"): frozenset({400, 401, 503}),
    # The body's location_id (check_access) and an entry already there (footfall.grid.create).
    ("POST", "/api/v1/footfall"): frozenset({403, 404, 409}),
    ("PUT", "/api/v1/footfall/bulk"): frozenset({403, 404}),
    # Rate limited per API key (app/apikeys/deps.py).
    ("POST", "/api/v1/footfall/counts"): frozenset({429}),
    # The body's location_id is not the organization's (404); the counter id is mapped already.
    ("POST", "/api/v1/footfall/counters"): frozenset({404, 409}),
    ("POST", "/api/v1/api-keys"): frozenset({404}),  # a store of the body's location_ids
    ("PUT", "/api/v1/alerts/rules"): frozenset({404}),  # an override at another org's store
    ("PUT", "/api/v1/alerts/rules/overrides"): frozenset({404}),  # a store of location_ids
    # The body's location_ids; StorageUnavailable when EXPORT_DIR cannot be written.
    ("POST", "/api/v1/reports/exports"): frozenset({403, 404, 503}),
    ("GET", "/api/v1/reports/export.xlsx"): frozenset({503}),
    # A group of that name already (locations.groups: names are unique whatever their case).
    ("POST", "/api/v1/location-groups"): frozenset({409}),
    ("PATCH", "/api/v1/location-groups/{group_id}"): frozenset({409}),
    # Not ready or failed (409), expired (410), storage (503).
    ("GET", "/api/v1/reports/exports/{export_id}/download"): frozenset({409, 410, 503}),
    # No store to report on (notifications.schedule.NothingToReport).
    ("POST", "/api/v1/users/me/notifications/preview"): frozenset({409}),
    # A token that no digest carried (notifications.service.UnknownLink).
    ("GET", "/api/v1/notifications/unsubscribe"): frozenset({404}),
    ("POST", "/api/v1/notifications/unsubscribe"): frozenset({404}),
}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def derived_statuses(dependant: Dependant, path: str) -> set[int]:
    """The error statuses a route can answer, as its dependencies and path show."""
    statuses: set[int] = set()
    names: set[str] = set()
    for dep in _dependants(dependant):
        if isinstance(dep.call, SecurityBase):
            statuses.add(401)
        if deps.is_role_check(dep.call):
            statuses.add(403)
        if dep.call is deps.client_address:
            statuses.add(429)
        names.update(p.name for p in (*dep.path_params, *dep.query_params))
    if "{" in path:
        statuses.add(404)
    if dependant.body_params:
        statuses.add(400)
    if names & LOCATION_PARAMS:
        statuses |= {403, 404}
    return statuses


def operation_statuses(method: str, path: str, dependant: Dependant) -> set[int]:
    """Every error status of one operation, 422 aside (FastAPI's own)."""
    return derived_statuses(dependant, path) | RAISED.get((method, path), frozenset())


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[tuple[str, str, Dependant]]:
    for route in routing.iter_route_contexts(list(routes)):
        dependant = getattr(route, "dependant", None)
        if dependant is None or not getattr(route, "include_in_schema", False):
            continue
        for method in sorted(route.methods or ()):
            yield method, str(route.path_format), dependant


def add_error_responses(schema: dict[str, Any], routes: Iterable[BaseRoute]) -> dict[str, Any]:
    """Add ErrorBody and each operation's error answers to an OpenAPI document (idempotent)."""
    schema.setdefault("components", {}).setdefault("schemas", {})[ERROR_SCHEMA] = ERROR_BODY
    ref = {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}
    for method, path, dependant in _api_routes(routes):
        operation = schema["paths"].get(path, {}).get(method.lower())
        if operation is None:
            continue
        responses = operation.setdefault("responses", {})
        for status in sorted(operation_statuses(method, path, dependant)):
            answer = responses.setdefault(str(status), {"description": DESCRIPTIONS[status]})
            # An error is JSON whatever the success answer is (a file download's 409, say).
            if "schema" not in answer.get("content", {}).get("application/json", {}):
                answer["content"] = {"application/json": {"schema": ref}}
            if status in HEADERS:
                answer["headers"] = HEADERS[status]
        # A stable order (by status) keeps the generated client's diff small.
        operation["responses"] = dict(sorted(responses.items()))
    return schema


def install(app: FastAPI) -> None:
    """Make app.openapi() return the document with its error answers."""
    generate: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        return add_error_responses(generate(), app.routes)

    app.openapi = openapi  # type: ignore[method-assign]
