"""The route class every router uses: JSON bodies parsed with bounded integers.

`json.loads` turns a number of more than 4,300 digits into a ValueError (CPython's limit on
int-string conversion), which FastAPI answers with a bare 400 naming no field. A number that long
is read as infinity instead, so the field's own validation refuses it (422, "finite number") and
the reply names the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

# Longer than any integer an input accepts (int64 has 19 digits); short enough to convert.
_MAX_INT_DIGITS = 30


def _bounded_int(text: str) -> int | float:
    if len(text) > _MAX_INT_DIGITS:
        return -math.inf if text.startswith("-") else math.inf
    return int(text)


class _BoundedJsonRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = json.loads(await self.body(), parse_int=_bounded_int)
        return self._json


class BoundedJsonRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def bounded_handler(request: Request) -> Response:
            return await handler(_BoundedJsonRequest(request.scope, request.receive))

        return bounded_handler
