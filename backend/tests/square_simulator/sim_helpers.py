"""Helpers shared by the simulator tests (imported as a top-level module: this folder has
no ``__init__.py`` so pytest's default rootdir import mode puts it on ``sys.path``)."""

from __future__ import annotations

import re
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from square_simulator.testing import RunningSimulator

NOW = "2026-06-15T12:00:00Z"
SQUARE_HOST = "https://connect.squareup.com"


class Validator:
    def __init__(self, api: OpenAPI) -> None:
        self.api = api
        self.count = 0

    def check(
        self,
        method: str,
        path: str,
        status: int,
        body: bytes,
        content_type: str = "application/json",
    ) -> None:
        if not (path.startswith("/v2/") or path.startswith("/oauth2/")):
            return
        if path == "/oauth2/authorize":
            return  # an HTML page; the spec lists the path with no operation
        req = MockRequest(SQUARE_HOST, method.lower(), path)
        # Quirk 2: only 200 is declared; errors share the 200 body schema.
        resp = MockResponse(body, status_code=200, content_type=content_type.split(";")[0])
        try:
            self.api.validate_response(req, resp)
        except Exception as exc:
            detail = getattr(exc, "__cause__", None) or exc
            raise AssertionError(
                f"{method} {path} -> {status} does not match the spec: {exc}: {detail}\n"
                f"{body[:2000]!r}"
            ) from exc
        self.count += 1


def _hook(validator: Validator) -> Any:
    def on_response(response: httpx.Response) -> None:
        response.read()
        validator.check(
            response.request.method,
            response.request.url.path,
            response.status_code,
            response.content,
            response.headers.get("content-type", "application/json"),
        )

    return on_response


class ValidatingClient(httpx.Client):
    """httpx.Client whose every Square-path response is validated against the spec."""

    def __init__(
        self, validator: Validator, base_url: str, token: str | None = None, **kwargs: Any
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        super().__init__(
            base_url=base_url,
            headers=headers,
            timeout=30,
            event_hooks={"response": [_hook(validator)]},
            **kwargs,
        )


def sdk_http_client(validator: Validator) -> httpx.Client:
    return httpx.Client(timeout=30, event_hooks={"response": [_hook(validator)]})


def loc_ids(running: RunningSimulator, account: int = 0) -> list[str]:
    return [loc.id for loc in running.accounts[account].locations]


ID_RE = re.compile(r"^[0-9A-Za-z]{27}$")
