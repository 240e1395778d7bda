"""405 answers that list every method of the path.

Starlette answers 405 from the first route whose path matches, so its Allow header names that one
route's methods: /footfall/{entry_id} (PUT and DELETE, two routes) said "Allow: PUT". This handler
gathers the methods of every route of the path instead.
"""

from __future__ import annotations

from fastapi import FastAPI, Request, routing
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path

# The order methods are listed in, then any other alphabetically.
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods some route of `app` answers on `path` (a request's path, ids filled in)."""
    methods: set[str] = set()
    for route in routing.iter_route_contexts(app.routes):
        route_path = route.path
        if not route_path or not route.methods:
            continue
        regex, _, _ = compile_path(route_path)
        if regex.match(path):
            methods |= set(route.methods)
    rank = {m: i for i, m in enumerate(METHOD_ORDER)}
    return sorted(methods, key=lambda m: (rank.get(m, len(rank)), m))


def install(app: FastAPI) -> None:
    """Answer 405 with the path's full Allow header."""

    async def method_not_allowed(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        path, root = request.scope["path"], request.scope.get("root_path", "")
        allow = allowed_methods(app, path.removeprefix(root) if root else path)
        headers = {**(exc.headers or {}), "Allow": ", ".join(allow)}
        return JSONResponse({"detail": exc.detail}, status_code=405, headers=headers)

    app.add_exception_handler(405, method_not_allowed)
