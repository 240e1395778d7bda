"""The admin API under ``/_simulator/`` (not Square's): accounts, import, clock, faults,
request counts, OAuth applications and webhook subscriptions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .errors import ApiError, bad_request
from .util import JSON, ms_to_rfc3339, parse_rfc3339

if TYPE_CHECKING:
    from .state import State


def _j(obj: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(obj), status, media_type="application/json")


def import_objects(st: State, body: JSON) -> JSON:
    """Store Square ``Order``/``Payment``/``PaymentRefund`` objects exactly as given."""
    orders = body.get("orders") or []
    payments = body.get("payments") or []
    refunds = body.get("refunds") or []
    emit = bool(body.get("emit_events", False))
    for kind, objs in (("orders", orders), ("payments", payments), ("refunds", refunds)):
        if not isinstance(objs, list):
            raise bad_request(f"`{kind}` must be a list.", kind)
        for i, o in enumerate(objs):
            if not isinstance(o, dict) or not o.get("id") or not o.get("location_id"):
                raise bad_request(f"{kind}[{i}] needs an `id` and a `location_id`.", kind)
            if o["location_id"] not in st.sim.loc_by_id:
                raise bad_request(f"{kind}[{i}]: unknown location `{o['location_id']}`.", kind)
    with st.sim.lock:
        for o in orders:
            st.sim.put_order(o, event="order.created" if emit else None)
        for p in payments:
            st.sim.put_payment(p, event="payment.created" if emit else None)
        for r in refunds:
            st.sim.put_refund(r, event="refund.created" if emit else None)
    return {"orders": len(orders), "payments": len(payments), "refunds": len(refunds)}


def admin_routes(st: State) -> list[Route]:
    def h(fn: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def handler(request: Request) -> Response:
            try:
                out = await fn(request)
                return out if isinstance(out, Response) else _j(out)
            except ApiError as e:
                return _j(
                    {
                        "errors": [
                            {
                                "category": e.category,
                                "code": e.code,
                                "detail": e.detail,
                                "field": e.field,
                            }
                        ]
                    },
                    e.status,
                )
            except (ValueError, KeyError, TypeError) as e:
                return _j(
                    {
                        "errors": [
                            {
                                "category": "INVALID_REQUEST_ERROR",
                                "code": "BAD_REQUEST",
                                "detail": str(e),
                            }
                        ]
                    },
                    400,
                )

        return handler

    async def body(request: Request) -> JSON:
        data = await request.body()
        obj = orjson.loads(data) if data else {}
        if not isinstance(obj, dict):
            raise ValueError("body must be a JSON object")
        return obj

    async def accounts(request: Request) -> Any:
        return {"accounts": st.accounts_json()}

    async def create_account(request: Request) -> Any:
        b = await body(request)
        acct = st.create_account(
            business_name=b.get("business_name") or "New Seller",
            country=b.get("country", "GB"),
            currency=b.get("currency", "GBP"),
            locations=b.get("locations") or [{"name": "Main"}],
            generated=bool(b.get("generated", False)),
        )
        from .state import account_admin_json

        return account_admin_json(acct)

    async def do_import(request: Request) -> Any:
        return import_objects(st, await body(request))

    async def till_sale(request: Request) -> Any:
        b = await body(request)
        return st.ring_up(str(b["location_id"]), int(b["amount"]), tender=b.get("tender", "CARD"))

    async def clock_get(request: Request) -> Any:
        now = st.clock.now()
        return {
            "now": ms_to_rfc3339(now),
            "now_ms": now,
            "frozen": st.clock.frozen,
            "history_start": st.sim.history_start.isoformat(),
        }

    async def clock_set(request: Request) -> Any:
        b = await body(request)
        frozen = b.get("frozen")
        if b.get("now") is not None:
            st.clock.set(parse_rfc3339(b["now"]), frozen=frozen)
        elif b.get("now_ms") is not None:
            st.clock.set(int(b["now_ms"]), frozen=frozen)
        elif frozen is not None:
            st.clock.set(st.clock.now(), frozen=bool(frozen))
        adv = float(b.get("advance_s") or 0) * 1000 + float(b.get("advance_ms") or 0)
        if adv:
            st.clock.advance(int(adv))
        return await clock_get(request)

    async def faults_get(request: Request) -> Any:
        return {"faults": [r.to_json() for r in st.faults.rules]}

    async def faults_add(request: Request) -> Any:
        b = await body(request)
        if b.get("seed") is not None:
            st.faults.reseed(int(b["seed"]))
        listed = b.get("faults")
        rules: list[Any] = listed if isinstance(listed, list) else [b]
        added = []
        for r in rules:
            if not r.get("kind"):
                continue
            added.append(
                st.faults.add(
                    kind=r["kind"],
                    path=r.get("path", "*"),
                    method=r.get("method"),
                    probability=float(r.get("probability", 1.0)),
                    count=r.get("count"),
                    delay_s=float(r.get("delay_s", 2.0)),
                    retry_after=int(r.get("retry_after", 1)),
                ).to_json()
            )
        return {"faults": added}

    async def faults_clear(request: Request) -> Any:
        st.faults.clear()
        return {"faults": []}

    async def requests_get(request: Request) -> Any:
        with st.requests_lock:
            return {
                "total": st.requests.get("*", 0),
                "by_route": {k: v for k, v in sorted(st.requests.items()) if k != "*"},
            }

    async def requests_reset(request: Request) -> Any:
        with st.requests_lock:
            st.requests.clear()
        return {"total": 0, "by_route": {}}

    async def apps_get(request: Request) -> Any:
        return {
            "applications": [
                {
                    "client_id": a.client_id,
                    "client_secret": a.client_secret,
                    "redirect_uri": a.redirect_uri,
                    "name": a.name,
                }
                for a in st.oauth.apps.values()
            ]
        }

    async def apps_add(request: Request) -> Any:
        b = await body(request)
        a = st.oauth.register_app(
            client_id=b.get("client_id"),
            client_secret=b.get("client_secret"),
            redirect_uri=b["redirect_uri"],
            name=b.get("name", "App"),
        )
        return {
            "client_id": a.client_id,
            "client_secret": a.client_secret,
            "redirect_uri": a.redirect_uri,
            "name": a.name,
        }

    async def hooks_get(request: Request) -> Any:
        return {"subscriptions": [s.to_json() for s in st.webhooks.subs.values()]}

    async def hooks_add(request: Request) -> Any:
        b = await body(request)
        sub = st.webhooks.subscribe(
            url=b["notification_url"],
            event_types=b.get("event_types"),
            signature_key=b.get("signature_key"),
            merchant_id=b.get("merchant_id"),
            name=b.get("name", "subscription"),
        )
        return {"subscription": sub.to_json()}

    async def hooks_delete(request: Request) -> Any:
        return {"deleted": st.webhooks.unsubscribe(request.path_params["sub_id"])}

    async def deliveries(request: Request) -> Any:
        return {"deliveries": [d.to_json() for d in st.webhooks.deliveries]}

    async def stats(request: Request) -> Any:
        return st.sim.stats()

    return [
        Route("/_simulator/accounts", h(accounts), methods=["GET"]),
        Route("/_simulator/accounts", h(create_account), methods=["POST"]),
        Route("/_simulator/import", h(do_import), methods=["POST"]),
        Route("/_simulator/till-sale", h(till_sale), methods=["POST"]),
        Route("/_simulator/clock", h(clock_get), methods=["GET"]),
        Route("/_simulator/clock", h(clock_set), methods=["POST"]),
        Route("/_simulator/faults", h(faults_get), methods=["GET"]),
        Route("/_simulator/faults", h(faults_add), methods=["POST"]),
        Route("/_simulator/faults", h(faults_clear), methods=["DELETE"]),
        Route("/_simulator/requests", h(requests_get), methods=["GET"]),
        Route("/_simulator/requests", h(requests_reset), methods=["DELETE"]),
        Route("/_simulator/oauth/apps", h(apps_get), methods=["GET"]),
        Route("/_simulator/oauth/apps", h(apps_add), methods=["POST"]),
        Route("/_simulator/webhooks", h(hooks_get), methods=["GET"]),
        Route("/_simulator/webhooks", h(hooks_add), methods=["POST"]),
        Route("/_simulator/webhooks/{sub_id}", h(hooks_delete), methods=["DELETE"]),
        Route("/_simulator/webhooks-deliveries", h(deliveries), methods=["GET"]),
        Route("/_simulator/stats", h(stats), methods=["GET"]),
    ]
