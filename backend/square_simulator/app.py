"""The ASGI app: Square's paths (``/oauth2``, ``/v2``) and the admin API (``/_simulator``).

The handlers live in ``routes/``, one module per Square API area; ``State`` is in ``state``."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match
from starlette.types import Message, Receive, Scope, Send

from .admin import admin_routes
from .errors import ApiError
from .history import SimConfig
from .routes.catalog import catalog_routes
from .routes.common import err_resp
from .routes.locations_team import locations_team_routes
from .routes.oauth import oauth_routes
from .routes.orders import order_routes
from .routes.payments import payment_routes
from .state import State

# --- the app ---------------------------------------------------------------------------------


def create_app(state: State | None = None, config: SimConfig | None = None) -> ASGIApp:
    """The simulator as an ASGI app; pass a ``State`` to share it with the caller."""
    st = state or State(config)
    routes = [
        *oauth_routes(st),
        *locations_team_routes(st),
        *catalog_routes(st),
        *order_routes(st),
        *payment_routes(st),
        *admin_routes(st),
    ]

    async def not_found_handler(request: Request, exc: Exception) -> Response:
        return err_resp(
            ApiError(
                404,
                "INVALID_REQUEST_ERROR",
                "NOT_FOUND",
                f"No endpoint {request.method} {request.url.path}.",
            )
        )

    async def server_error(request: Request, exc: Exception) -> Response:
        return err_resp(
            ApiError(500, "API_ERROR", "INTERNAL_SERVER_ERROR", f"{type(exc).__name__}: {exc}")
        )

    inner = Starlette(
        routes=routes,
        exception_handlers={
            404: not_found_handler,
            405: not_found_handler,
            Exception: server_error,
        },
    )
    inner.state.sim = st
    return ASGIApp(inner, st)


class ASGIApp:
    """Wraps the routes with request counting and fault injection (not for ``/_simulator``)."""

    def __init__(self, inner: Starlette, state: State) -> None:
        self.inner = inner
        self.state = state

    def _template(self, scope: Scope) -> str:
        for route in self.inner.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return str(getattr(route, "path", scope["path"]))
        return str(scope["path"])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_simulator"):
            await self.inner(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        st = self.state
        with st.requests_lock:
            st.requests["*"] += 1
            st.requests[f"{method} {self._template(scope)}"] += 1
        rule = st.faults.pick(method, path)
        if rule is not None:
            if rule.kind == "slow":
                await asyncio.sleep(rule.delay_s)
            elif rule.kind == "drop":
                # Start a response and hang up before the body: the client sees the connection
                # close mid-reply (uvicorn closes the transport on an incomplete response).
                await _drain(receive)
                await send(
                    {
                        "type": "http.response.start",
                        "status": 200,
                        "headers": [
                            (b"content-type", b"application/json"),
                            (b"content-length", b"1000"),
                        ],
                    }
                )
                await send(
                    {"type": "http.response.body", "body": b'{"orders":[', "more_body": True}
                )
                return
            else:
                status, category, code, detail = {
                    "rate_limit": (
                        429,
                        "RATE_LIMIT_ERROR",
                        "RATE_LIMITED",
                        "Rate limit exceeded; retry after the Retry-After delay.",
                    ),
                    "error_500": (
                        500,
                        "API_ERROR",
                        "INTERNAL_SERVER_ERROR",
                        "An internal error occurred (simulated).",
                    ),
                    "error_503": (
                        503,
                        "API_ERROR",
                        "SERVICE_UNAVAILABLE",
                        "The service is unavailable (simulated).",
                    ),
                }[rule.kind]
                headers = (
                    {"Retry-After": str(rule.retry_after)} if rule.kind == "rate_limit" else None
                )
                await _drain(receive)
                resp = err_resp(ApiError(status, category, code, detail, headers=headers))
                await resp(scope, receive, send)
                return
        await self.inner(scope, receive, send)


async def _drain(receive: Receive) -> None:
    while True:
        msg: Message = await receive()
        if msg["type"] != "http.request" or not msg.get("more_body"):
            return
