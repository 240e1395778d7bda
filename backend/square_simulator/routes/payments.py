"""Payments and refunds (``/v2/payments``, ``/v2/refunds``): list, get, create and refund."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .. import generator as g
from .. import pricing
from ..errors import ApiError, bad_request, not_found
from ..model import Account
from ..oauth import Token
from ..queries import Hit
from ..util import JSON, b62encode, div_round_half_up, money, ms_to_rfc3339
from .common import (
    MAX_MS,
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

# Refunds made through the API are PENDING for this long (simulated time), then COMPLETED
# (the return order's refund APPROVED), announced with refund.updated / order.updated.
REFUND_SETTLE_MS = 60_000


def payment_routes(st: State) -> list[Route]:
    """The ``/v2/payments`` and ``/v2/refunds`` routes, served from ``st``."""
    sim = st.sim

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
        begin = time_param(q.get("begin_time"), "begin_time")
        end = time_param(q.get("end_time"), "end_time")
        ranges: dict[str, tuple[int, int]] = {
            # created_at: default the year before now, as documented
            "created": (
                begin if begin is not None else now - 365 * g.DAY_MS,
                end if end is not None else MAX_MS,
            )
        }
        u_begin = time_param(q.get("updated_at_begin_time"), "updated_at_begin_time")
        u_end = time_param(q.get("updated_at_end_time"), "updated_at_end_time")
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
            o_begin = time_param(q.get("offline_begin_time"), "offline_begin_time")
            o_end = time_param(q.get("offline_end_time"), "offline_end_time")
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
            gidxs = [own_location(sim, acct, q["location_id"])]
        elif coll == "payments":
            # ListPayments defaults to the seller's main location; ListPaymentRefunds to all.
            gidxs = [acct.locations[0].gidx] if acct.locations else []
        else:
            gidxs = [loc.gidx for loc in acct.locations]
        limit = parse_limit(q.get("limit"), 100, 100, strict=False)
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
        qh = qhash(coll, sorted((k, v) for k, v in q.items() if k != "cursor"))
        after = None
        now = st.clock.now()
        if q.get("cursor"):
            cur = unb64(q["cursor"])
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
            out["cursor"] = b64({"h": qh, "k": last.key, "u": last.uid, "n": now})
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
        prior = idem(sim, acct, "pay:" + body["idempotency_key"])
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
            own_location(sim, acct, loc_id)
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
        remember(sim, acct, "pay:" + body["idempotency_key"], data)
        return raw(data)

    async def refund_payment(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request)
        for f in ("idempotency_key", "payment_id"):
            if not body.get(f):
                raise bad_request(f"`{f}` is required.", f, "MISSING_REQUIRED_PARAMETER")
        prior = idem(sim, acct, "refund:" + body["idempotency_key"])
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
        remember(sim, acct, "refund:" + body["idempotency_key"], data)
        return raw(data)

    return [
        Route("/v2/payments", authed(st, ("PAYMENTS_READ",), list_payments), methods=["GET"]),
        Route("/v2/payments", authed(st, ("PAYMENTS_WRITE",), create_payment), methods=["POST"]),
        Route(
            "/v2/payments/{payment_id}",
            authed(st, ("PAYMENTS_READ",), get_payment),
            methods=["GET"],
        ),
        Route("/v2/refunds", authed(st, ("PAYMENTS_READ",), list_refunds), methods=["GET"]),
        Route("/v2/refunds", authed(st, ("PAYMENTS_WRITE",), refund_payment), methods=["POST"]),
        Route(
            "/v2/refunds/{refund_id}", authed(st, ("PAYMENTS_READ",), get_refund), methods=["GET"]
        ),
    ]
