"""What every route module shares: JSON replies, errors, body parsing, cursors and auth."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from ..errors import ApiError, bad_request, not_found
from ..model import Account
from ..oauth import Token
from ..store import Simulator
from ..util import JSON, parse_rfc3339

if TYPE_CHECKING:
    from ..state import State

MAX_MS = 2**62

Handler = Callable[[Request], Awaitable[Response]]


def jresp(obj: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(obj), status, headers=headers, media_type="application/json")


def raw(body: bytes, status: int = 200) -> Response:
    return Response(body, status, media_type="application/json")


def err_resp(e: ApiError) -> Response:
    err: JSON = {"category": e.category, "code": e.code, "detail": e.detail}
    if e.field:
        err["field"] = e.field
    return jresp({"errors": [err]}, e.status, e.headers)


async def body_json(request: Request, *, required: bool = True) -> JSON:
    data = await request.body()
    if not data:
        if required:
            raise ApiError(
                400,
                "INVALID_REQUEST_ERROR",
                "EXPECTED_JSON_BODY",
                "The request body must be a JSON object.",
            )
        return {}
    try:
        obj = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise ApiError(
            400,
            "INVALID_REQUEST_ERROR",
            "EXPECTED_JSON_BODY",
            "The request body is not valid JSON.",
        ) from exc
    if not isinstance(obj, dict):
        raise ApiError(
            400,
            "INVALID_REQUEST_ERROR",
            "EXPECTED_OBJECT",
            "The request body must be a JSON object.",
        )
    return obj


def b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(obj)).decode().rstrip("=")


def unb64(text: str) -> Any:
    try:
        return orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except Exception as exc:
        raise ApiError(
            400, "INVALID_REQUEST_ERROR", "INVALID_CURSOR", "The cursor is not valid.", "cursor"
        ) from exc


def qhash(*parts: Any) -> str:
    return hashlib.blake2b(
        orjson.dumps(parts, option=orjson.OPT_SORT_KEYS), digest_size=8
    ).hexdigest()


def time_param(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return parse_rfc3339(value)
    except ValueError as exc:
        raise ApiError(
            400, "INVALID_REQUEST_ERROR", "INVALID_TIME", f"`{name}` is not an RFC 3339 time.", name
        ) from exc


def parse_limit(value: Any, default: int, maximum: int, *, strict: bool = True) -> int:
    if value is None or value == "":
        return default
    try:
        n = int(value)
    except (TypeError, ValueError) as exc:
        raise bad_request("limit must be an integer.", "limit", "EXPECTED_INTEGER") from exc
    if not strict:
        return default if n <= 0 or n > maximum else n
    if n < 1:
        raise bad_request(f"limit must be at least 1 (got {n}).", "limit", "VALUE_TOO_LOW")
    if n > maximum:
        raise bad_request(f"limit must be at most {maximum} (got {n}).", "limit", "VALUE_TOO_HIGH")
    return n


def offset_cursor(cursor: Any, qh: str) -> int:
    if not cursor:
        return 0
    cur = unb64(str(cursor))
    if not isinstance(cur, dict) or cur.get("h") != qh:
        raise ApiError(
            400,
            "INVALID_REQUEST_ERROR",
            "INVALID_CURSOR",
            "The cursor does not belong to this query.",
            "cursor",
        )
    return int(cur["o"])


def authed(
    st: State, scopes: tuple[str, ...], fn: Callable[[Request, Token, Account], Awaitable[Response]]
) -> Handler:
    async def handler(request: Request) -> Response:
        try:
            if st.sim.pending_refunds:
                st.sim.settle_refunds(st.clock.now())
            tok = st.oauth.check(request.headers.get("authorization"), st.clock.now(), scopes)
            acct = st.sim.acct_by_merchant.get(tok.merchant_id)
            if acct is None:
                raise ApiError(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", "Unknown merchant.")
            return await fn(request, tok, acct)
        except ApiError as e:
            return err_resp(e)

    return handler


def plain(fn: Handler) -> Handler:
    async def handler(request: Request) -> Response:
        try:
            return await fn(request)
        except ApiError as e:
            return err_resp(e)

    return handler


def own_location(sim: Simulator, acct: Account, loc_id: str) -> int:
    loc = sim.loc_by_id.get(loc_id)
    if loc is None or loc.merchant_id != acct.merchant_id:
        raise not_found(f"Location `{loc_id}` not found.")
    return loc.gidx


def idem(sim: Simulator, acct: Account, key: str | None) -> bytes | None:
    if not key:
        return None
    return sim.idempotency.get((acct.merchant_id, key))


def remember(sim: Simulator, acct: Account, key: str | None, data: bytes) -> None:
    if key:
        sim.idempotency[(acct.merchant_id, key)] = data
