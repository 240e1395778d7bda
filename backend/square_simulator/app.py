"""The ASGI app: Square's paths (``/oauth2``, ``/v2``) and the admin API (``/_simulator``)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import html
import threading
from collections import Counter
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import orjson
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Match, Route
from starlette.types import Message, Receive, Scope, Send

from . import generator as g
from . import pricing
from .faults import Faults
from .model import (
    Account,
    catalog_objects,
    location_json,
    merchant_json,
    team_member_json,
)
from .oauth import OAuth, Token
from .store import ApiError, Hit, SimConfig, Simulator, bad_request, not_found
from .util import JSON, b62encode, div_round_half_up, money, ms_to_rfc3339, parse_rfc3339
from .webhooks import Webhooks

MAX_MS = 2**62

Handler = Callable[[Request], Awaitable[Response]]

# Refunds made through the API are PENDING for this long (simulated time), then COMPLETED
# (the return order's refund APPROVED), announced with refund.updated / order.updated.
REFUND_SETTLE_MS = 60_000


class State:
    """Everything one running simulator holds; ``app.state.sim`` in the ASGI app."""

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        webhook_backoff_s: tuple[float, ...] = (1, 2, 4, 8, 16),
        tick_s: float = 1.0,
    ) -> None:
        self.sim = Simulator(config)
        self.config = self.sim.config
        self.clock = self.sim.clock
        self.oauth = OAuth(self.config.seed, self.config.token_lifetime_s)
        for a in self.sim.accounts:
            self.oauth.add_personal_token(a.personal_access_token, a.merchant_id)
        self.faults = Faults(self.config.seed)
        self.webhooks = Webhooks(self.clock.now, backoff_s=webhook_backoff_s)
        self.sim.listeners.append(self.webhooks.emit)
        self.requests: Counter[str] = Counter()
        self.requests_lock = threading.Lock()
        self.tick_s = tick_s
        self.prefetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sq-sim-prefetch")
        self._tick_lock = threading.Lock()
        self._last_tick: int | None = None
        self._ticker: threading.Thread | None = None
        self.webhooks.on_subscribe = self._ensure_ticker

    # Live sales: generated orders that come into existence as the clock moves are till sales,
    # announced as Square announces a sale rung up on the point of sale: by payment.* and
    # refund.* events only (order.* events are published for CreateOrder orders alone).
    MAX_EVENTS_PER_TICK = 2000

    def _ensure_ticker(self) -> None:
        with self._tick_lock:
            if self._last_tick is None:
                self._last_tick = self.clock.now()
            if self._ticker is None or not self._ticker.is_alive():
                self._ticker = threading.Thread(
                    target=self._tick_loop, name="sq-sim-ticker", daemon=True
                )
                self._ticker.start()

    def _tick_loop(self) -> None:
        while not self.webhooks.stopped.wait(self.tick_s):
            with contextlib.suppress(Exception):  # a bad tick must not stop live events
                self.tick()

    def tick(self) -> int:
        """Announce the till sales made or changed since the last tick (at most
        ``MAX_EVENTS_PER_TICK`` orders; a long clock jump does not replay all of history).

        A sale: payment.created then payment.updated (COMPLETED) for each of its payments. A
        return or refund: refund.created and refund.updated (COMPLETED) for each refund, and
        payment.updated for the payment it returns money from. A late edit: payment.updated
        when a card fee settled with it; other edits (notes) are announced by nothing, as at
        Square, and reach an integration through its periodic search. Open and cancelled tickets
        take no payment and are announced by nothing either. Returns how many orders were
        announced."""
        with self._tick_lock:
            now = self.clock.now()
            if self.sim.pending_refunds:
                self.sim.settle_refunds(now)
            last = self._last_tick
            self._last_tick = now
            if last is None or now <= last or not self.webhooks.subs:
                return 0
            sim = self.sim
            sent = 0
            for acct in sim.accounts:
                gidxs = [loc.gidx for loc in acct.locations if loc.generated]
                if not gidxs:
                    continue
                hits = sim.scan(
                    "orders",
                    gidxs,
                    "updated",
                    True,
                    last + 1,
                    now,
                    None,
                    self.MAX_EVENTS_PER_TICK,
                    None,
                    now,
                )
                for hit in hits[: self.MAX_EVENTS_PER_TICK]:
                    if hit.ref[0] != "g":
                        continue
                    _, gi, dd, ii = hit.ref
                    loc = sim.loc_by_gidx[gi]
                    b = sim.bucket(loc, dd)
                    edited = int(b.upd2[ii]) == hit.key
                    edit_at = ms_to_rfc3339(hit.key)
                    announced = False
                    for p in sim.payments_of_hit(hit, now):
                        if not edited:
                            sim.emit("payment.created", loc, "payment", p)
                            sim.emit("payment.updated", loc, "payment", p)
                            announced = True
                        elif p["updated_at"] == edit_at:  # its processing fee settled
                            sim.emit("payment.updated", loc, "payment", p)
                            announced = True
                    if not edited:
                        for r in sim.refunds_of_hit(hit, now):
                            sim.emit("refund.created", loc, "refund", r)
                            sim.emit("refund.updated", loc, "refund", r)
                            announced = True
                            paid = sim.get_payment(r["payment_id"])
                            if paid is not None:
                                sim.emit("payment.updated", loc, "payment", paid)
                    sent += announced
            return sent

    def ring_up(self, location_id: str, amount: int, *, tender: str = "CARD") -> JSON:
        """A sale rung up at the till now, by card or cash: a COMPLETED order of one line at
        ``amount`` (minor units) and its COMPLETED payment, announced as Square announces a
        point-of-sale sale (payment.created, then payment.updated; no order event). Returns
        ``{"order", "payment"}``."""
        if tender not in ("CARD", "CASH"):
            raise bad_request("`tender` is CARD or CASH.", "tender", "INVALID_ENUM_VALUE")
        if amount <= 0:
            raise bad_request("`amount` must be positive.", "amount")
        sim = self.sim
        with sim.lock:
            loc = sim.loc_by_id.get(location_id)
            if loc is None:
                raise bad_request("Unknown location.", "location_id", "NOT_FOUND")
            acct = sim.acct_by_loc[location_id]
            cur = loc.currency
            at = ms_to_rfc3339(self.clock.now())
            oid = b62encode(hashlib.blake2b(sim.new_id().encode(), digest_size=20).digest(), 27)
            pid = b62encode(hashlib.blake2b(sim.new_id().encode(), digest_size=20).digest(), 27)
            order: JSON = {
                "id": oid,
                "location_id": location_id,
                "source": {"name": "Square Point of Sale"},
                "line_items": [
                    {
                        "uid": f"L0-{oid[:10]}",
                        "name": "Till sale",
                        "quantity": "1",
                        "item_type": "CUSTOM_AMOUNT",
                        "base_price_money": money(amount, cur),
                    }
                ],
            }
            pricing.price_sale_lines(order, cur)
            pricing.fill_order_totals(order, cur, 0)
            total = order["total_money"]["amount"]
            fee = (total * acct.fee_bps + 5000) // 10000 + acct.fee_fixed if tender == "CARD" else 0
            t: JSON = {
                "id": pid,
                "location_id": location_id,
                "transaction_id": oid,
                "created_at": at,
                "amount_money": money(total, cur),
                "type": tender,
                "payment_id": pid,
            }
            p: JSON = {
                "id": pid,
                "created_at": at,
                "updated_at": at,
                "amount_money": money(total, cur),
                "total_money": money(total, cur),
                "approved_money": money(total, cur),
                "status": "COMPLETED",
                "source_type": tender,
                "location_id": location_id,
                "order_id": oid,
                "receipt_number": pid[:4],
                "application_details": {"square_product": "SQUARE_POS"},
                "version_token": "v" + pid[:12],
            }
            if tender == "CARD":
                card = {"card_brand": "VISA", "last_4": "4242"}
                t["card_details"] = {"status": "CAPTURED", "card": card, "entry_method": "EMV"}
                t["processing_fee_money"] = money(fee, cur)
                p["processing_fee"] = [
                    {"effective_at": at, "type": "INITIAL", "amount_money": money(fee, cur)}
                ]
                p["card_details"] = {"status": "CAPTURED", "card": card, "entry_method": "EMV"}
            else:
                t["cash_details"] = {
                    "buyer_tendered_money": money(total, cur),
                    "change_back_money": money(0, cur),
                }
                p["cash_details"] = {
                    "buyer_supplied_money": money(total, cur),
                    "change_back_money": money(0, cur),
                }
            order.update(
                {
                    "tenders": [t],
                    "created_at": at,
                    "updated_at": at,
                    "closed_at": at,
                    "state": "COMPLETED",
                    "version": 1,
                    "net_amount_due_money": money(0, cur),
                }
            )
            order = g._ordered(order)
            sim.put_order(order)
            sim.put_payment(p)
            sim.emit("payment.created", loc, "payment", p)
            sim.emit("payment.updated", loc, "payment", p)
        return {"order": order, "payment": p}

    def create_account(
        self,
        *,
        business_name: str,
        country: str = "GB",
        currency: str = "GBP",
        locations: list[JSON] | None = None,
        generated: bool = False,
    ) -> Account:
        """A new seller account whose personal access token works at once. ``locations`` are
        ``{"name", "timezone"?, "currency"?, "generated"?, "base_rate"?, "hours"?}``."""
        acct = self.sim.create_account(
            business_name=business_name,
            country=country,
            currency=currency,
            locations=locations or [{"name": "Main"}],
            generated=generated,
        )
        self.oauth.add_personal_token(acct.personal_access_token, acct.merchant_id)
        return acct

    def accounts_json(self) -> list[JSON]:
        return [account_admin_json(a) for a in self.sim.accounts]


def account_admin_json(a: Account) -> JSON:
    return {
        "merchant_id": a.merchant_id,
        "business_name": a.business_name,
        "country": a.country,
        "currency": a.currency,
        "personal_access_token": a.personal_access_token,
        "locations": [
            {
                "id": loc.id,
                "name": loc.name,
                "timezone": loc.timezone,
                "currency": loc.currency,
                "generated": loc.generated,
            }
            for loc in a.locations
        ],
    }


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


def _b64(obj: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(obj)).decode().rstrip("=")


def _unb64(text: str) -> Any:
    try:
        return orjson.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except Exception as exc:
        raise ApiError(
            400, "INVALID_REQUEST_ERROR", "INVALID_CURSOR", "The cursor is not valid.", "cursor"
        ) from exc


def _qhash(*parts: Any) -> str:
    return hashlib.blake2b(
        orjson.dumps(parts, option=orjson.OPT_SORT_KEYS), digest_size=8
    ).hexdigest()


def _time_param(value: str | None, name: str) -> int | None:
    if value is None or value == "":
        return None
    try:
        return parse_rfc3339(value)
    except ValueError as exc:
        raise ApiError(
            400, "INVALID_REQUEST_ERROR", "INVALID_TIME", f"`{name}` is not an RFC 3339 time.", name
        ) from exc


# --- the app ---------------------------------------------------------------------------------


def create_app(state: State | None = None, config: SimConfig | None = None) -> ASGIApp:
    """The simulator as an ASGI app; pass a ``State`` to share it with the caller."""
    st = state or State(config)

    def authed(
        scopes: tuple[str, ...], fn: Callable[[Request, Token, Account], Awaitable[Response]]
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

    sim = st.sim

    def own_location(acct: Account, loc_id: str) -> int:
        loc = sim.loc_by_id.get(loc_id)
        if loc is None or loc.merchant_id != acct.merchant_id:
            raise not_found(f"Location `{loc_id}` not found.")
        return loc.gidx

    # --- OAuth -------------------------------------------------------------------------------

    async def authorize_page(request: Request) -> Response:
        q = request.query_params
        app = st.oauth.apps.get(q.get("client_id", ""))
        if app is None:
            return HTMLResponse("<h1>Unknown application</h1>", 400)
        scopes = q.get("scope", "").replace("+", " ").split()
        options = "".join(
            f'<option value="{html.escape(a.merchant_id)}">{html.escape(a.business_name)} '
            f"({a.country})</option>"
            for a in sim.accounts
        )
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
            for k, v in (
                ("client_id", app.client_id),
                ("scope", " ".join(scopes)),
                ("state", q.get("state", "")),
                ("redirect_uri", q.get("redirect_uri", "")),
            )
        )
        page = f"""<!doctype html><html><head><title>Square (simulator) — authorize</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}</style></head><body>
<h1>Allow {html.escape(app.name)} access?</h1>
<p>It asks for: {html.escape(", ".join(scopes) or "no scopes")}</p>
<form method="post" action="/oauth2/authorize">{hidden}
<label>Seller account <select name="merchant_id">{options}</select></label>
<p><button name="decision" value="approve">Allow</button>
<button name="decision" value="deny">Deny</button></p></form></body></html>"""
        return HTMLResponse(page)

    async def authorize_decision(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        app = st.oauth.apps.get(form.get("client_id", ""))
        if app is None:
            return HTMLResponse("<h1>Unknown application</h1>", 400)
        redirect = form.get("redirect_uri") or app.redirect_uri
        if redirect != app.redirect_uri:
            return HTMLResponse("<h1>redirect_uri does not match the application</h1>", 400)
        params: dict[str, str] = {}
        if form.get("decision") == "approve":
            merchant = form.get("merchant_id") or sim.accounts[0].merchant_id
            if merchant not in sim.acct_by_merchant:
                return HTMLResponse("<h1>Unknown seller account</h1>", 400)
            params["code"] = st.oauth.issue_code(
                client_id=app.client_id,
                merchant_id=merchant,
                scopes=frozenset(form.get("scope", "").split()),
                redirect_uri=redirect,
                now=st.clock.now(),
            )
            params["response_type"] = "code"
        else:
            params["error"] = "access_denied"
            params["error_description"] = "user_denied"
        if form.get("state"):
            params["state"] = form["state"]
        parts = urlsplit(redirect)
        query = (parts.query + "&" if parts.query else "") + urlencode(params)
        return RedirectResponse(urlunsplit(parts._replace(query=query)), 302)

    async def obtain_token(request: Request) -> Response:
        return jresp(st.oauth.obtain(await body_json(request), st.clock.now()))

    async def revoke_token(request: Request) -> Response:
        body = await body_json(request)
        header = request.headers.get("authorization", "")
        secret = header[7:].strip() if header.startswith("Client ") else None
        st.oauth.revoke(
            client_id=str(body.get("client_id") or ""),
            client_secret=secret,
            access_token=body.get("access_token"),
            merchant_id=body.get("merchant_id"),
            only_access=bool(body.get("revoke_only_access_token")),
        )
        return jresp({"success": True})

    async def token_status(request: Request) -> Response:
        try:
            tok = st.oauth.check(request.headers.get("authorization"), st.clock.now(), ())
        except ApiError as e:
            # Square answers every bad token here with UNAUTHORIZED.
            raise ApiError(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", e.detail) from e
        out: JSON = {
            "scopes": sorted(tok.scopes) if tok.scopes is not None else [],
            "merchant_id": tok.merchant_id,
        }
        if tok.expires_at_ms is not None:
            out["expires_at"] = ms_to_rfc3339(tok.expires_at_ms)[:19] + "Z"
        if tok.client_id:
            out["client_id"] = tok.client_id
        return jresp(out)

    # --- merchants, locations, team, catalog ----------------------------------------------

    async def list_merchants(request: Request, tok: Token, acct: Account) -> Response:
        return jresp({"merchant": [merchant_json(acct)]})

    async def get_merchant(request: Request, tok: Token, acct: Account) -> Response:
        mid = request.path_params["merchant_id"]
        if mid not in ("me", acct.merchant_id):
            raise not_found(f"Merchant `{mid}` not found.")
        return jresp({"merchant": merchant_json(acct)})

    async def list_locations(request: Request, tok: Token, acct: Account) -> Response:
        return jresp({"locations": [location_json(acct, loc) for loc in acct.locations]})

    async def get_location(request: Request, tok: Token, acct: Account) -> Response:
        lid = request.path_params["location_id"]
        if lid == "main" and acct.locations:
            lid = acct.locations[0].id
        own_location(acct, lid)
        return jresp({"location": location_json(acct, sim.loc_by_id[lid])})

    async def create_location(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request)
        spec = body.get("location") or {}
        if not spec.get("name"):
            raise bad_request(
                "A location needs a name.", "location.name", "MISSING_REQUIRED_PARAMETER"
            )
        if any(loc.name == spec["name"] for loc in acct.locations):
            raise bad_request("A location with this name already exists.", "location.name")
        loc = sim.add_location(acct, name=spec["name"], timezone=spec.get("timezone"))
        return jresp({"location": location_json(acct, loc)})

    async def search_team(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request, required=False)
        flt = (body.get("query") or {}).get("filter") or {}
        limit = _limit(body.get("limit"), 100, 200)
        members = acct.team
        if flt.get("location_ids"):
            want = set(flt["location_ids"])
            members = [m for m in members if m.is_owner or want & set(m.location_ids)]
        if flt.get("status"):
            members = [m for m in members if m.status == flt["status"]]
        if flt.get("is_owner") is not None:
            members = [m for m in members if m.is_owner == bool(flt["is_owner"])]
        start = _offset_cursor(body.get("cursor"), _qhash("tm", flt))
        page = members[start : start + limit]
        out: JSON = {"team_members": [team_member_json(m) for m in page]}
        if start + limit < len(members):
            out["cursor"] = _b64({"o": start + limit, "h": _qhash("tm", flt)})
        return jresp(out)

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
        h = _qhash("cat", types_q)
        start = _offset_cursor(request.query_params.get("cursor"), h)
        page = objs[start : start + 100]
        out: JSON = {"objects": page}
        if start + 100 < len(objs):
            out["cursor"] = _b64({"o": start + 100, "h": h})
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
            bt = _time_param(body["begin_time"], "begin_time") or 0
            objs = [o for o in objs if parse_rfc3339(o["updated_at"]) >= bt]
        limit = _limit(body.get("limit"), 100, 1000, strict=False)
        h = _qhash("cs", {k: v for k, v in body.items() if k not in ("cursor", "limit")})
        start = _offset_cursor(body.get("cursor"), h)
        page = objs[start : start + limit]
        out: JSON = {"objects": page}
        if body.get("include_related_objects"):
            out["related_objects"] = _related(acct, page)
        if start + limit < len(objs):
            out["cursor"] = _b64({"o": start + limit, "h": h})
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

    # --- orders ------------------------------------------------------------------------------

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
        limit = _limit(body.get("limit"), 500, 1000)
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
            lo = _time_param(rng.get("start_at"), "start_at") or 0
            hi = _time_param(rng.get("end_at"), "end_at")
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
        qh = _qhash(loc_ids, query, entries)
        now = st.clock.now()
        after = None
        if body.get("cursor"):
            cur = _unb64(body["cursor"])
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
                _b64({"h": qh, "k": hits[-1].key, "u": hits[-1].uid, "hi": hi})
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
            own_location(acct, body["location_id"])
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

    def _idem(acct: Account, key: str | None) -> bytes | None:
        if not key:
            return None
        return sim.idempotency.get((acct.merchant_id, key))

    def _remember(acct: Account, key: str | None, data: bytes) -> None:
        if key:
            sim.idempotency[(acct.merchant_id, key)] = data

    async def create_order(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request)
        prior = _idem(acct, body.get("idempotency_key"))
        if prior is not None:
            return raw(prior)
        spec = body.get("order")
        if not isinstance(spec, dict):
            raise bad_request("`order` is required.", "order", "MISSING_REQUIRED_PARAMETER")
        gidx = own_location(acct, str(spec.get("location_id") or ""))
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
        _remember(acct, body.get("idempotency_key"), data)
        return raw(data)

    async def update_order(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request)
        oid = request.path_params["order_id"]
        prior = _idem(acct, body.get("idempotency_key"))
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
        _remember(acct, body.get("idempotency_key"), data)
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

    # --- payments and refunds ---------------------------------------------------------------

    # ListPayments / ListPaymentRefunds: query parameters as the spec defines them.
    # sort_field -> the scan key; other time ranges become extra (field, lo, hi) filters.
    PAYMENT_SORT = {
        "CREATED_AT": "created",
        "UPDATED_AT": "updated",
        "OFFLINE_CREATED_AT": ("offline_sort"),
    }
    REFUND_SORT = {"CREATED_AT": "created", "UPDATED_AT": "updated"}

    def _list_query(
        request: Request, acct: Account, coll: str
    ) -> tuple[list[int], str, int, int, bool, int, list[tuple[str, int, int]]]:
        """(locations, sort key, lo, hi of the sort key, ascending, limit, extra ranges)."""
        q = request.query_params
        now = st.clock.now()
        begin = _time_param(q.get("begin_time"), "begin_time")
        end = _time_param(q.get("end_time"), "end_time")
        ranges: dict[str, tuple[int, int]] = {
            # created_at: default the year before now, as documented
            "created": (
                begin if begin is not None else now - 365 * g.DAY_MS,
                end if end is not None else MAX_MS,
            )
        }
        u_begin = _time_param(q.get("updated_at_begin_time"), "updated_at_begin_time")
        u_end = _time_param(q.get("updated_at_end_time"), "updated_at_end_time")
        if coll == "refunds":
            # Refunds: updated_at starts at begin_time unless given, and ends now.
            ranges["updated"] = (
                u_begin if u_begin is not None else ranges["created"][0],
                u_end if u_end is not None else MAX_MS,
            )
        elif u_begin is not None or u_end is not None:
            ranges["updated"] = (
                u_begin if u_begin is not None else 0,
                u_end if u_end is not None else MAX_MS,
            )
        if coll == "payments":
            o_begin = _time_param(q.get("offline_begin_time"), "offline_begin_time")
            o_end = _time_param(q.get("offline_end_time"), "offline_end_time")
            if o_begin is not None or o_end is not None:
                ranges["offline"] = (
                    o_begin if o_begin is not None else 0,
                    o_end if o_end is not None else MAX_MS,
                )
            offline_flag = (q.get("is_offline_payment") or "").lower()
            if offline_flag not in ("", "true", "false"):
                raise bad_request(
                    "is_offline_payment must be true or false.",
                    "is_offline_payment",
                    "EXPECTED_BOOLEAN",
                )
            if offline_flag == "true" and "offline" not in ranges:
                ranges["offline"] = (1, MAX_MS)
        order = (q.get("sort_order") or "DESC").upper()
        if order not in ("ASC", "DESC"):
            raise bad_request("sort_order must be ASC or DESC.", "sort_order", "INVALID_SORT_ORDER")
        sorts = PAYMENT_SORT if coll == "payments" else REFUND_SORT
        sort_field = q.get("sort_field") or "CREATED_AT"
        if sort_field not in sorts:
            raise bad_request(
                f"Invalid sort_field `{sort_field}`.", "sort_field", "INVALID_ENUM_VALUE"
            )
        field = sorts[sort_field]
        if q.get("location_id"):
            gidxs = [own_location(acct, q["location_id"])]
        elif coll == "payments":
            # ListPayments defaults to the seller's main location; ListPaymentRefunds to all.
            gidxs = [acct.locations[0].gidx] if acct.locations else []
        else:
            gidxs = [loc.gidx for loc in acct.locations]
        limit = _limit(q.get("limit"), 100, 100, strict=False)
        lo, hi = ranges.pop(field, (0, MAX_MS))
        if field == "offline_sort" and "offline" in ranges:
            lo, hi = ranges.pop("offline")
            field = "offline"
        extra = [(f, a, b) for f, (a, b) in ranges.items()]
        return gidxs, field, lo, hi, order == "ASC", limit, extra

    async def _list_paged(
        request: Request,
        acct: Account,
        coll: str,
        key: str,
        expand: Callable[[Hit, int], list[JSON]],
        keep: Callable[[JSON], bool],
    ) -> Response:
        gidxs, field, lo, hi, asc, limit, extra = _list_query(request, acct, coll)
        q = request.query_params
        qh = _qhash(coll, sorted((k, v) for k, v in q.items() if k != "cursor"))
        after = None
        now = st.clock.now()
        if q.get("cursor"):
            cur = _unb64(q["cursor"])
            if not isinstance(cur, dict) or cur.get("h") != qh:
                raise ApiError(
                    400,
                    "INVALID_REQUEST_ERROR",
                    "INVALID_CURSOR",
                    "The cursor does not belong to this query.",
                    "cursor",
                )
            after = (int(cur["k"]), int(cur["u"]))
            # Open ends are fixed at the first page's time, so later pages see the same list.
            now = min(now, int(cur["n"]))
        items: list[JSON] = []
        last: Hit | None = None
        more = False
        with sim.lock:
            hits = sim.scan(coll, gidxs, field, asc, lo, hi, None, limit, after, now, extra)
            for i, h in enumerate(hits):
                got = [x for x in expand(h, now) if keep(x)]
                if items and len(items) + len(got) > limit:
                    more = True
                    break
                items.extend(got)
                last = h
                if i == len(hits) - 1 and len(hits) > limit:
                    more = True
        out: JSON = {key: items}
        if more and last is not None:
            out["cursor"] = _b64({"h": qh, "k": last.key, "u": last.uid, "n": now})
        return jresp(out)

    async def list_payments(request: Request, tok: Token, acct: Account) -> Response:
        q = request.query_params
        total_q = q.get("total")
        if total_q:
            try:
                int(total_q)
            except ValueError as exc:
                raise bad_request("total must be an integer.", "total", "EXPECTED_INTEGER") from exc

        def keep(p: JSON) -> bool:
            card = (p.get("card_details") or {}).get("card") or {}
            if q.get("card_brand") and card.get("card_brand") != q["card_brand"]:
                return False
            if q.get("last_4") and card.get("last_4") != q["last_4"]:
                return False
            return not (total_q and p["total_money"]["amount"] != int(total_q))

        return await _list_paged(request, acct, "payments", "payments", sim.payments_of_hit, keep)

    async def list_refunds(request: Request, tok: Token, acct: Account) -> Response:
        q = request.query_params

        def keep(r: JSON) -> bool:
            if q.get("status") and r.get("status") != q["status"]:
                return False
            return not q.get("source_type") or r.get("destination_type") == q["source_type"]

        return await _list_paged(request, acct, "refunds", "refunds", sim.refunds_of_hit, keep)

    async def get_payment(request: Request, tok: Token, acct: Account) -> Response:
        pid = request.path_params["payment_id"]
        p = sim.get_payment(pid)
        if p is None or sim.acct_by_loc[p["location_id"]] is not acct:
            raise not_found(f"Payment `{pid}` not found.")
        return jresp({"payment": p})

    async def get_refund(request: Request, tok: Token, acct: Account) -> Response:
        rid = request.path_params["refund_id"]
        r = sim.get_refund(rid)
        if r is None or sim.acct_by_loc[r["location_id"]] is not acct:
            raise not_found(f"Refund `{rid}` not found.")
        return jresp({"refund": r})

    async def create_payment(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request)
        for f in ("source_id", "idempotency_key"):
            if not body.get(f):
                raise bad_request(f"`{f}` is required.", f, "MISSING_REQUIRED_PARAMETER")
        prior = _idem(acct, "pay:" + body["idempotency_key"])
        if prior is not None:
            return raw(prior)
        amount_m = body.get("amount_money") or {}
        if amount_m.get("amount") is None:
            raise bad_request(
                "`amount_money` is required.", "amount_money", "MISSING_REQUIRED_PARAMETER"
            )
        now = st.clock.now()
        with sim.lock:
            order = sim.order_obj(body["order_id"]) if body.get("order_id") else None
            if body.get("order_id") and (
                order is None or sim.acct_by_loc[order["location_id"]] is not acct
            ):
                raise not_found(f"Order `{body['order_id']}` not found.")
            loc_id = (
                (order or {}).get("location_id") or body.get("location_id") or acct.locations[0].id
            )
            own_location(acct, loc_id)
            cur = sim.loc_by_id[loc_id].currency
            if amount_m.get("currency", cur) != cur:
                raise bad_request(
                    "Currency does not match the location.",
                    "amount_money.currency",
                    "CURRENCY_MISMATCH",
                )
            amount = int(amount_m["amount"])
            tip = int((body.get("tip_money") or {}).get("amount") or 0)
            if order is not None:
                if order.get("state") != "OPEN":
                    raise bad_request("The order is not OPEN.", "order_id")
                due = order["net_amount_due_money"]["amount"]
                if amount != due:
                    raise bad_request(
                        f"amount_money must equal the order's amount due ({due}).", "amount_money"
                    )
            pid = b62encode(hashlib.blake2b(sim.new_id().encode(), digest_size=20).digest(), 27)
            src = str(body["source_id"])
            ttype = "CASH" if src == "CASH" else ("OTHER" if src == "EXTERNAL" else "CARD")
            created = ms_to_rfc3339(now)
            total = amount + tip
            fee = (total * acct.fee_bps + 5000) // 10000 + acct.fee_fixed if ttype == "CARD" else 0
            autocomplete = body.get("autocomplete", True) is not False
            p: JSON = {
                "id": pid,
                "created_at": created,
                "updated_at": created,
                "amount_money": money(amount, cur),
            }
            if tip:
                p["tip_money"] = money(tip, cur)
            p["total_money"] = money(total, cur)
            p["approved_money"] = money(total, cur)
            if fee:
                p["processing_fee"] = [
                    {"effective_at": created, "type": "INITIAL", "amount_money": money(fee, cur)}
                ]
            p["status"] = "COMPLETED" if autocomplete else "APPROVED"
            tender: JSON = {
                "id": pid,
                "location_id": loc_id,
                "created_at": created,
                "amount_money": money(total, cur),
                "type": ttype,
                "payment_id": pid,
            }
            if tip:
                tender["tip_money"] = money(tip, cur)
            if ttype == "CARD":
                p["source_type"] = "CARD"
                p["card_details"] = {
                    "status": "CAPTURED" if autocomplete else "AUTHORIZED",
                    "card": {
                        "card_brand": "VISA",
                        "last_4": "1111",
                        "exp_month": 12,
                        "exp_year": 2030,
                        "card_type": "CREDIT",
                    },
                    "entry_method": "KEYED",
                }
                tender["card_details"] = {
                    "status": p["card_details"]["status"],
                    "card": {"card_brand": "VISA", "last_4": "1111"},
                    "entry_method": "KEYED",
                }
                tender["processing_fee_money"] = money(fee, cur)
            elif ttype == "CASH":
                cd = body.get("cash_details") or {}
                supplied = int((cd.get("buyer_supplied_money") or {}).get("amount") or total)
                p["source_type"] = "CASH"
                p["cash_details"] = {
                    "buyer_supplied_money": money(supplied, cur),
                    "change_back_money": money(supplied - total, cur),
                }
                tender["cash_details"] = {
                    "buyer_tendered_money": money(supplied, cur),
                    "change_back_money": money(supplied - total, cur),
                }
            else:
                ed = body.get("external_details") or {}
                p["source_type"] = "EXTERNAL"
                p["external_details"] = {
                    "type": ed.get("type") or "OTHER",
                    "source": ed.get("source") or "External",
                }
            p["location_id"] = loc_id
            if order is not None:
                p["order_id"] = order["id"]
            for k in ("reference_id", "note", "team_member_id", "customer_id"):
                if body.get(k):
                    p[k] = body[k]
            if body.get("team_member_id"):
                p["employee_id"] = body["team_member_id"]
            p["receipt_number"] = pid[:4]
            p["application_details"] = {
                "square_product": "ECOMMERCE_API",
                "application_id": tok.client_id or sim.app_id,
            }
            p["version_token"] = "v" + pid[:12]
            sim.put_payment(p, event="payment.created")
            if order is not None:
                tender["transaction_id"] = order["id"]
                order.setdefault("tenders", []).append(tender)
                pricing.fill_order_totals(order, cur, order["total_tip_money"]["amount"] + tip)
                order["net_amount_due_money"] = money(0, cur)
                if autocomplete:
                    order["state"] = "COMPLETED"
                    order["closed_at"] = created
                order["updated_at"] = created
                order["version"] = int(order.get("version", 1)) + 1
                sim.put_order(
                    g._ordered(order), event=sim.order_event(order["id"], "order.updated")
                )
        data = orjson.dumps({"payment": p})
        _remember(acct, "pay:" + body["idempotency_key"], data)
        return raw(data)

    async def refund_payment(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request)
        for f in ("idempotency_key", "payment_id"):
            if not body.get(f):
                raise bad_request(f"`{f}` is required.", f, "MISSING_REQUIRED_PARAMETER")
        prior = _idem(acct, "refund:" + body["idempotency_key"])
        if prior is not None:
            return raw(prior)
        amount_m = body.get("amount_money") or {}
        if amount_m.get("amount") is None:
            raise bad_request(
                "`amount_money` is required.", "amount_money", "MISSING_REQUIRED_PARAMETER"
            )
        now = st.clock.now()
        created = ms_to_rfc3339(now)
        with sim.lock:
            p = sim.get_payment(body["payment_id"])
            if p is None or sim.acct_by_loc[p["location_id"]] is not acct:
                raise not_found(f"Payment `{body['payment_id']}` not found.")
            cur = p["total_money"]["currency"]
            amount = int(amount_m["amount"])
            refunded = (p.get("refunded_money") or {}).get("amount", 0)
            if amount <= 0 or amount + refunded > p["total_money"]["amount"]:
                raise ApiError(
                    400,
                    "REFUND_ERROR",
                    "REFUND_AMOUNT_INVALID",
                    "The refund amount exceeds what is left to refund.",
                    "amount_money",
                )
            if p.get("status") != "COMPLETED":
                raise bad_request("Only a COMPLETED payment can be refunded.", "payment_id")
            rid = p["id"] + "_" + sim.new_id()[:18].lower()
            fee_total = sum(f["amount_money"]["amount"] for f in p.get("processing_fee") or ())
            fee = (
                div_round_half_up(fee_total * amount, p["total_money"]["amount"])
                if fee_total
                else 0
            )
            return_order_id = None
            if p.get("order_id"):
                src = sim.order_obj(p["order_id"])
                return_order_id = b62encode(
                    hashlib.blake2b(rid.encode(), digest_size=20).digest(), 27
                )
                ret = pricing.build_amount_return(
                    src_order_id=p["order_id"],
                    amount=amount,
                    uid_prefix=f"{return_order_id[:10]}-R",
                    currency=cur,
                )
                ro: JSON = {
                    "id": return_order_id,
                    "location_id": p["location_id"],
                    "source": {"name": "Refund"},
                    "returns": [ret],
                }
                pricing.fill_order_totals(ro, cur, 0)
                order_refund: JSON = {
                    "id": rid,
                    "location_id": p["location_id"],
                    "transaction_id": p["order_id"],
                    "tender_id": p["id"],
                    "created_at": created,
                    "reason": body.get("reason") or "Refund",
                    "amount_money": money(amount, cur),
                    "status": "PENDING",
                }
                if fee:
                    order_refund["processing_fee_money"] = money(fee, cur)
                ro["refunds"] = [order_refund]
                ro.update(
                    {
                        "created_at": created,
                        "updated_at": created,
                        "closed_at": created,
                        "state": "COMPLETED",
                        "version": 1,
                        "net_amount_due_money": money(0, cur),
                    }
                )
                if src is not None:
                    # Square makes the return order itself (not CreateOrder): no order.created.
                    sim.put_order(g._ordered(ro))
            refund: JSON = {
                "id": rid,
                "status": "PENDING",
                "location_id": p["location_id"],
                "destination_type": p.get("source_type") or "CARD",
                "amount_money": money(amount, cur),
                "payment_id": p["id"],
                "reason": body.get("reason") or "Refund",
                "created_at": created,
                "updated_at": created,
            }
            if return_order_id:
                refund["order_id"] = return_order_id
            if fee:
                refund["processing_fee"] = [
                    {"effective_at": created, "type": "INITIAL", "amount_money": money(fee, cur)}
                ]
            if body.get("team_member_id"):
                refund["team_member_id"] = body["team_member_id"]
            sim.put_refund(refund, event="refund.created")
            sim.pending_refunds[rid] = (now + REFUND_SETTLE_MS, return_order_id)
            p["refunded_money"] = money(refunded + amount, cur)
            p["refund_ids"] = [*p.get("refund_ids", []), rid]
            p["updated_at"] = created
            sim.put_payment(p, event="payment.updated")
        data = orjson.dumps({"refund": refund})
        _remember(acct, "refund:" + body["idempotency_key"], data)
        return raw(data)

    # --- routes ------------------------------------------------------------------------------

    from .admin import admin_routes

    routes = [
        Route("/oauth2/authorize", plain(authorize_page), methods=["GET"]),
        Route("/oauth2/authorize", plain(authorize_decision), methods=["POST"]),
        Route("/oauth2/token", plain(obtain_token), methods=["POST"]),
        Route("/oauth2/revoke", plain(revoke_token), methods=["POST"]),
        Route("/oauth2/token/status", plain(token_status), methods=["POST"]),
        Route("/v2/merchants", authed(("MERCHANT_PROFILE_READ",), list_merchants), methods=["GET"]),
        Route(
            "/v2/merchants/{merchant_id}",
            authed(("MERCHANT_PROFILE_READ",), get_merchant),
            methods=["GET"],
        ),
        Route("/v2/locations", authed(("MERCHANT_PROFILE_READ",), list_locations), methods=["GET"]),
        Route(
            "/v2/locations", authed(("MERCHANT_PROFILE_WRITE",), create_location), methods=["POST"]
        ),
        Route(
            "/v2/locations/{location_id}",
            authed(("MERCHANT_PROFILE_READ",), get_location),
            methods=["GET"],
        ),
        Route("/v2/catalog/list", authed(("ITEMS_READ",), list_catalog), methods=["GET"]),
        Route("/v2/catalog/search", authed(("ITEMS_READ",), search_catalog), methods=["POST"]),
        Route(
            "/v2/catalog/batch-retrieve", authed(("ITEMS_READ",), batch_catalog), methods=["POST"]
        ),
        Route(
            "/v2/team-members/search", authed(("EMPLOYEES_READ",), search_team), methods=["POST"]
        ),
        Route("/v2/orders/search", authed(("ORDERS_READ",), search_orders), methods=["POST"]),
        Route(
            "/v2/orders/batch-retrieve", authed(("ORDERS_READ",), batch_orders), methods=["POST"]
        ),
        Route("/v2/orders", authed(("ORDERS_WRITE",), create_order), methods=["POST"]),
        Route("/v2/orders/{order_id}", authed(("ORDERS_READ",), get_order), methods=["GET"]),
        Route("/v2/orders/{order_id}", authed(("ORDERS_WRITE",), update_order), methods=["PUT"]),
        Route("/v2/payments", authed(("PAYMENTS_READ",), list_payments), methods=["GET"]),
        Route("/v2/payments", authed(("PAYMENTS_WRITE",), create_payment), methods=["POST"]),
        Route(
            "/v2/payments/{payment_id}", authed(("PAYMENTS_READ",), get_payment), methods=["GET"]
        ),
        Route("/v2/refunds", authed(("PAYMENTS_READ",), list_refunds), methods=["GET"]),
        Route("/v2/refunds", authed(("PAYMENTS_WRITE",), refund_payment), methods=["POST"]),
        Route("/v2/refunds/{refund_id}", authed(("PAYMENTS_READ",), get_refund), methods=["GET"]),
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


def _limit(value: Any, default: int, maximum: int, *, strict: bool = True) -> int:
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


def _offset_cursor(cursor: Any, qh: str) -> int:
    if not cursor:
        return 0
    cur = _unb64(str(cursor))
    if not isinstance(cur, dict) or cur.get("h") != qh:
        raise ApiError(
            400,
            "INVALID_REQUEST_ERROR",
            "INVALID_CURSOR",
            "The cursor does not belong to this query.",
            "cursor",
        )
    return int(cur["o"])


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
