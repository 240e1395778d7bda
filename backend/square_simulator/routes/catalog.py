"""The catalog (``/v2/catalog``): list, search and batch-retrieve."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import bad_request
from ..model import Account, catalog_objects
from ..oauth import Token
from ..util import JSON, ms_to_rfc3339, parse_rfc3339
from .common import (
    authed,
    b64,
    body_json,
    jresp,
    offset_cursor,
    parse_limit,
    qhash,
    time_param,
)

if TYPE_CHECKING:
    from ..state import State


def catalog_routes(st: State) -> list[Route]:
    """The ``/v2/catalog`` routes, served from ``st``."""

    def _objects(acct: Account, types: set[str] | None) -> list[JSON]:
        objs = catalog_objects(acct)
        if types is None:
            return objs
        flat: list[JSON] = []
        for o in objs:
            if o["type"] in types:
                flat.append(o)
            if o["type"] == "ITEM" and "ITEM_VARIATION" in types:
                flat.extend(o["item_data"]["variations"])
            if o["type"] == "MODIFIER_LIST" and "MODIFIER" in types:
                flat.extend(o["modifier_list_data"]["modifiers"])
        return flat

    async def list_catalog(request: Request, tok: Token, acct: Account) -> Response:
        types_q = request.query_params.get("types")
        types = {t.strip().upper() for t in types_q.split(",") if t.strip()} if types_q else None
        objs = _objects(acct, types)
        h = qhash("cat", types_q)
        start = offset_cursor(request.query_params.get("cursor"), h)
        page = objs[start : start + 100]
        out: JSON = {"objects": page}
        if start + 100 < len(objs):
            out["cursor"] = b64({"o": start + 100, "h": h})
        return jresp(out)

    async def search_catalog(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request, required=False)
        types = {t.upper() for t in body.get("object_types") or ()} or None
        objs = _objects(acct, types)
        q = body.get("query") or {}
        if q.get("exact_query"):
            ex = q["exact_query"]
            objs = [
                o
                for o in objs
                if ex.get("attribute_name") == "name" and _obj_name(o) == ex.get("attribute_value")
            ]
        if q.get("prefix_query"):
            px = q["prefix_query"]
            objs = [
                o
                for o in objs
                if (_obj_name(o) or "")
                .lower()
                .startswith(str(px.get("attribute_prefix", "")).lower())
            ]
        if q.get("text_query"):
            words = [w.lower() for w in q["text_query"].get("keywords") or ()]
            objs = [o for o in objs if all(w in (_obj_name(o) or "").lower() for w in words)]
        if body.get("begin_time"):
            bt = time_param(body["begin_time"], "begin_time") or 0
            objs = [o for o in objs if parse_rfc3339(o["updated_at"]) >= bt]
        limit = parse_limit(body.get("limit"), 100, 1000, strict=False)
        h = qhash("cs", {k: v for k, v in body.items() if k not in ("cursor", "limit")})
        start = offset_cursor(body.get("cursor"), h)
        page = objs[start : start + limit]
        out: JSON = {"objects": page}
        if body.get("include_related_objects"):
            out["related_objects"] = _related(acct, page)
        if start + limit < len(objs):
            out["cursor"] = b64({"o": start + limit, "h": h})
        out["latest_time"] = ms_to_rfc3339(acct.catalog.updated_at_ms)
        return jresp(out)

    async def batch_catalog(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request)
        ids = body.get("object_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request(
                "object_ids must be a non-empty list.", "object_ids", "MISSING_REQUIRED_PARAMETER"
            )
        by_id: dict[str, JSON] = {}
        for o in catalog_objects(acct):
            by_id[o["id"]] = o
            for v in (o.get("item_data") or {}).get("variations") or ():
                by_id[v["id"]] = v
            for m in (o.get("modifier_list_data") or {}).get("modifiers") or ():
                by_id[m["id"]] = m
        objs = [by_id[i] for i in ids if i in by_id]
        out: JSON = {"objects": objs}
        if body.get("include_related_objects"):
            out["related_objects"] = _related(acct, objs)
        return jresp(out)

    return [
        Route("/v2/catalog/list", authed(st, ("ITEMS_READ",), list_catalog), methods=["GET"]),
        Route("/v2/catalog/search", authed(st, ("ITEMS_READ",), search_catalog), methods=["POST"]),
        Route(
            "/v2/catalog/batch-retrieve",
            authed(st, ("ITEMS_READ",), batch_catalog),
            methods=["POST"],
        ),
    ]


def _obj_name(o: JSON) -> str | None:
    for k, v in o.items():
        if k.endswith("_data") and isinstance(v, dict):
            name = v.get("name")
            return str(name) if name is not None else None
    return None


def _related(acct: Account, objs: list[JSON]) -> list[JSON]:
    want: set[str] = set()
    for o in objs:
        data = o.get("item_data") or {}
        want.update(data.get("tax_ids") or ())
        want.update(c["id"] for c in data.get("categories") or ())
        want.update(m["modifier_list_id"] for m in data.get("modifier_list_info") or ())
    return [o for o in catalog_objects(acct) if o["id"] in want]
