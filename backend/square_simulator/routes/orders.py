"""Orders (``/v2/orders``): search, batch-retrieve, get, create and update."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import orjson
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import generator as g
from .. import pricing
from ..errors import ApiError, bad_request, not_found
from ..model import Account
from ..oauth import Token
from ..util import JSON, b62encode, money, ms_to_rfc3339
from .common import (
    authed,
    b64,
    body_json,
    idem,
    jresp,
    own_location,
    parse_limit,
    qhash,
    raw,
    remember,
    time_param,
    unb64,
)

if TYPE_CHECKING:
    from ..state import State


def order_routes(st: State) -> list[Route]:
    """The ``/v2/orders`` routes, served from ``st``."""
    sim = st.sim

    async def search_orders(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request, required=False)
        loc_ids = body.get("location_ids") or []
        if not loc_ids:
            raise bad_request(
                "Must provide at least one location_id.",
                "location_ids",
                "MISSING_REQUIRED_PARAMETER",
            )
        if len(loc_ids) > 10:
            raise bad_request("At most 10 location_ids.", "location_ids", "ARRAY_LENGTH_TOO_LONG")
        gidxs = []
        for lid in loc_ids:
            loc = sim.loc_by_id.get(lid)
            if loc is None or loc.merchant_id != acct.merchant_id:
                raise bad_request(
                    f"Location `{lid}` is not one of the merchant's locations.", "location_ids"
                )
            gidxs.append(loc.gidx)
        limit = parse_limit(body.get("limit"), 500, 1000)
        query = body.get("query") or {}
        flt = query.get("filter") or {}
        sort = query.get("sort") or {}
        sort_field = sort.get("sort_field") or "CREATED_AT"
        if sort_field not in ("CREATED_AT", "UPDATED_AT", "CLOSED_AT"):
            raise bad_request(
                f"Invalid sort_field `{sort_field}`.", "query.sort.sort_field", "INVALID_ENUM_VALUE"
            )
        sort_order = sort.get("sort_order") or "DESC"
        if sort_order not in ("ASC", "DESC"):
            raise bad_request(
                f"Invalid sort_order `{sort_order}`.", "query.sort.sort_order", "INVALID_SORT_ORDER"
            )
        dtf = {k: v for k, v in (flt.get("date_time_filter") or {}).items() if v}
        if len(dtf) > 1:
            raise bad_request(
                "Only one date_time_filter field may be set.", "query.filter.date_time_filter"
            )
        lo, hi = 0, None
        if dtf:
            ((fname, rng),) = dtf.items()
            if fname.upper() != sort_field:
                raise bad_request(
                    f"When filtering by {fname}, sort_field must be {fname.upper()}.",
                    "query.sort.sort_field",
                )
            lo = time_param(rng.get("start_at"), "start_at") or 0
            hi = time_param(rng.get("end_at"), "end_at")
        states = None
        if (flt.get("state_filter") or {}).get("states"):
            states = set()
            for s in flt["state_filter"]["states"]:
                if s not in g.STATE_CODES:
                    raise bad_request(
                        f"Invalid state `{s}`.", "query.filter.state_filter", "INVALID_ENUM_VALUE"
                    )
                states.add(g.STATE_CODES[s])
        unsupported = [
            k for k in ("fulfillment_filter", "source_filter", "customer_filter") if flt.get(k)
        ]
        if unsupported:
            raise ApiError(
                400,
                "INVALID_REQUEST_ERROR",
                "NOT_IMPLEMENTED",
                f"The simulator does not support {unsupported[0]}.",
                f"query.filter.{unsupported[0]}",
            )
        entries = bool(body.get("return_entries"))
        qh = qhash(loc_ids, query, entries)
        now = st.clock.now()
        after = None
        if body.get("cursor"):
            cur = unb64(body["cursor"])
            if not isinstance(cur, dict) or cur.get("h") != qh:
                raise ApiError(
                    400,
                    "INVALID_REQUEST_ERROR",
                    "INVALID_CURSOR",
                    "The cursor does not belong to this query.",
                    "cursor",
                )
            after = (int(cur["k"]), int(cur["u"]))
            hi = int(cur["hi"])
        if hi is None:
            hi = now  # an open end means "as of the first page", as Square documents
        field = {"CREATED_AT": "created", "UPDATED_AT": "updated", "CLOSED_AT": "closed"}[
            sort_field
        ]
        with sim.lock:
            hits = sim.scan(
                "orders", gidxs, field, sort_order == "ASC", lo, hi, states, limit, after, now
            )
            more = len(hits) > limit
            hits = hits[:limit]
            cursor = (
                b64({"h": qh, "k": hits[-1].key, "u": hits[-1].uid, "hi": hi})
                if more and hits
                else None
            )
            if entries:
                out: JSON = {"order_entries": [sim.hit_entry(h, now) for h in hits]}
                if cursor:
                    out["cursor"] = cursor
                return jresp(out)
            parts = sim.hit_bodies(hits, now)
        tail = b'],"cursor":"' + cursor.encode() + b'"}' if cursor else b"]}"
        resp = raw(b'{"orders":[' + b",".join(parts) + tail)
        if cursor and st.config.prefetch:
            # Start once the reply is sent, so the prefetch does not slow the reply down.
            after = (hits[-1].key, hits[-1].uid)
            resp.background = BackgroundTask(
                st.prefetcher.submit,
                sim.prefetch_orders,
                gidxs,
                field,
                sort_order == "ASC",
                lo,
                hi,
                states,
                limit,
                after,
                now,
            )
        return resp

    async def batch_orders(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request)
        ids = body.get("order_ids")
        if not isinstance(ids, list) or not ids:
            raise bad_request(
                "order_ids must be a non-empty list.", "order_ids", "MISSING_REQUIRED_PARAMETER"
            )
        if len(ids) > 100:
            raise bad_request("At most 100 order_ids.", "order_ids", "ARRAY_LENGTH_TOO_LONG")
        only_loc = None
        if body.get("location_id"):
            own_location(sim, acct, body["location_id"])
            only_loc = body["location_id"]
        parts = []
        seen: set[str] = set()
        for oid in ids:
            # Unknown ids (and another seller's, or another location's when location_id is
            # given) are left out, not errors; an id asked for twice is returned once.
            if str(oid) in seen:
                continue
            seen.add(str(oid))
            found = sim.order_bytes(str(oid))
            if found is None:
                continue
            data, loc_id = found
            if sim.acct_by_loc[loc_id] is not acct or (only_loc and loc_id != only_loc):
                continue
            parts.append(data)
        return raw(b'{"orders":[' + b",".join(parts) + b"]}")

    async def get_order(request: Request, tok: Token, acct: Account) -> Response:
        oid = request.path_params["order_id"]
        found = sim.order_bytes(oid)
        if found is None or sim.acct_by_loc[found[1]] is not acct:
            raise not_found(f"Order `{oid}` not found.")
        return raw(b'{"order":' + found[0] + b"}")

    async def create_order(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request)
        prior = idem(sim, acct, body.get("idempotency_key"))
        if prior is not None:
            return raw(prior)
        spec = body.get("order")
        if not isinstance(spec, dict):
            raise bad_request("`order` is required.", "order", "MISSING_REQUIRED_PARAMETER")
        gidx = own_location(sim, acct, str(spec.get("location_id") or ""))
        loc = sim.loc_by_gidx[gidx]
        now = st.clock.now()
        order = _build_order(acct, loc.currency, spec)
        order["id"] = b62encode(hashlib.blake2b(sim.new_id().encode(), digest_size=20).digest(), 27)
        order["location_id"] = loc.id
        order["created_at"] = order["updated_at"] = ms_to_rfc3339(now)
        state = spec.get("state") or "OPEN"
        if state not in ("OPEN", "DRAFT"):
            raise bad_request("A new order is OPEN or DRAFT.", "order.state")
        order["state"] = state
        order["version"] = 1
        order["net_amount_due_money"] = dict(order["total_money"])
        order = g._ordered(order)
        with sim.lock:
            sim.api_order_ids.add(order["id"])
            sim.put_order(order, event="order.created")
        data = b'{"order":' + orjson.dumps(order) + b"}"
        remember(sim, acct, body.get("idempotency_key"), data)
        return raw(data)

    async def update_order(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request)
        oid = request.path_params["order_id"]
        prior = idem(sim, acct, body.get("idempotency_key"))
        if prior is not None:
            return raw(prior)
        with sim.lock:
            current = sim.order_obj(oid)
            if current is None or sim.acct_by_loc[current["location_id"]] is not acct:
                raise not_found(f"Order `{oid}` not found.")
            patch = body.get("order") or {}
            if patch.get("version") is not None and int(patch["version"]) != current.get(
                "version", 1
            ):
                raise ApiError(
                    400,
                    "INVALID_REQUEST_ERROR",
                    "CONFLICT",
                    "The order version does not match the current version.",
                    "order.version",
                )
            if current.get("state") in ("COMPLETED", "CANCELED"):
                raise bad_request("A COMPLETED or CANCELED order cannot be updated.", "order.state")
            now = st.clock.now()
            for f in body.get("fields_to_clear") or ():
                current.pop(str(f), None)
            for k in ("reference_id", "metadata", "ticket_name", "customer_id"):
                if k in patch:
                    current[k] = patch[k]
            if "line_items" in patch or "discounts" in patch or "taxes" in patch:
                spec = {
                    **current,
                    **{
                        k: patch[k]
                        for k in ("line_items", "discounts", "taxes", "service_charges")
                        if k in patch
                    },
                }
                priced = _build_order(acct, sim.loc_by_id[current["location_id"]].currency, spec)
                current.update({k: v for k, v in priced.items() if k != "tenders"})
                current["net_amount_due_money"] = dict(current["total_money"])
            new_state = patch.get("state")
            if new_state:
                if new_state not in ("OPEN", "CANCELED", "COMPLETED", "DRAFT"):
                    raise bad_request(
                        f"Invalid state `{new_state}`.", "order.state", "INVALID_ENUM_VALUE"
                    )
                if new_state == "COMPLETED" and current["net_amount_due_money"]["amount"] > 0:
                    raise bad_request(
                        "The order must be paid before it is COMPLETED.", "order.state"
                    )
                current["state"] = new_state
                if new_state in ("CANCELED", "COMPLETED"):
                    current["closed_at"] = ms_to_rfc3339(now)
                    current["net_amount_due_money"] = money(0, current["total_money"]["currency"])
            current["updated_at"] = ms_to_rfc3339(now)
            current["version"] = int(current.get("version", 1)) + 1
            current = g._ordered(current)
            sim.put_order(current, event=sim.order_event(oid, "order.updated"))
        data = b'{"order":' + orjson.dumps(current) + b"}"
        remember(sim, acct, body.get("idempotency_key"), data)
        return raw(data)

    def _build_order(acct: Account, cur: str, spec: JSON) -> JSON:
        order: JSON = {"location_id": spec.get("location_id")}
        for k in ("reference_id", "source", "customer_id", "metadata", "ticket_name"):
            if spec.get(k) is not None:
                order[k] = spec[k]
        lines = []
        for j, li in enumerate(spec.get("line_items") or ()):
            line = dict(li)
            line.setdefault("uid", f"L{j}-{sim.new_id()[:10]}")
            if not line.get("quantity"):
                raise bad_request(
                    "Each line item needs a quantity.",
                    f"order.line_items[{j}].quantity",
                    "MISSING_REQUIRED_PARAMETER",
                )
            if line.get("catalog_object_id"):
                found = acct.catalog.variations_by_id.get(line["catalog_object_id"])
                if found is None:
                    raise bad_request(
                        "Unknown catalog_object_id.",
                        f"order.line_items[{j}].catalog_object_id",
                        "NOT_FOUND",
                    )
                item, var = found
                line.setdefault("name", item.name)
                line.setdefault("variation_name", var.name)
                line.setdefault("base_price_money", money(var.price, cur))
                line.setdefault("catalog_version", acct.catalog.updated_at_ms)
                line.setdefault("item_type", "ITEM")
            else:
                line.setdefault(
                    "item_type",
                    "CUSTOM_AMOUNT" if line.get("item_type") is None else line["item_type"],
                )
                if not line.get("base_price_money"):
                    raise bad_request(
                        "A line item needs base_price_money or a catalog id.",
                        f"order.line_items[{j}].base_price_money",
                        "MISSING_REQUIRED_PARAMETER",
                    )
            mods = []
            for mi, m in enumerate(line.get("modifiers") or ()):
                mod = dict(m)
                mod.setdefault("uid", f"{line['uid']}-M{mi}")
                if mod.get("catalog_object_id") and not mod.get("base_price_money"):
                    cm = acct.catalog.modifiers_by_id.get(mod["catalog_object_id"])
                    if cm is None:
                        raise bad_request(
                            "Unknown modifier.", f"order.line_items[{j}].modifiers", "NOT_FOUND"
                        )
                    mod.setdefault("name", cm.name)
                    mod["base_price_money"] = money(cm.price, cur)
                mod.setdefault("base_price_money", money(0, cur))
                mods.append(mod)
            if mods:
                line["modifiers"] = mods
            for key, uid_key in (
                ("applied_taxes", "tax_uid"),
                ("applied_discounts", "discount_uid"),
            ):
                if line.get(key):
                    line[key] = [
                        {"uid": a.get("uid") or f"{line['uid']}-{a[uid_key]}", uid_key: a[uid_key]}
                        for a in line[key]
                    ]
            lines.append(line)
        order["line_items"] = lines
        for key in ("taxes", "discounts"):
            if spec.get(key):
                order[key] = []
                for ti, t in enumerate(spec[key]):
                    t = dict(t)
                    t.setdefault("uid", f"{key[:2]}{ti}")
                    t.setdefault("scope", "ORDER")
                    if key == "taxes":
                        t.setdefault("type", "ADDITIVE")
                    else:
                        t.setdefault(
                            "type", "FIXED_PERCENTAGE" if t.get("percentage") else "FIXED_AMOUNT"
                        )
                    order[key].append(t)
        pricing.apply_scoped(order)
        pricing.price_sale_lines(order, cur)
        if spec.get("service_charges"):
            order["service_charges"] = [
                dict(sc, uid=sc.get("uid") or f"sc{k}")
                for k, sc in enumerate(spec["service_charges"])
            ]
            pricing.price_service_charges(order, cur)
        pricing.fill_order_totals(order, cur, 0)
        return order

    return [
        Route("/v2/orders/search", authed(st, ("ORDERS_READ",), search_orders), methods=["POST"]),
        Route(
            "/v2/orders/batch-retrieve",
            authed(st, ("ORDERS_READ",), batch_orders),
            methods=["POST"],
        ),
        Route("/v2/orders", authed(st, ("ORDERS_WRITE",), create_order), methods=["POST"]),
        Route("/v2/orders/{order_id}", authed(st, ("ORDERS_READ",), get_order), methods=["GET"]),
        Route(
            "/v2/orders/{order_id}", authed(st, ("ORDERS_WRITE",), update_order), methods=["PUT"]
        ),
    ]
