"""Order bodies: an order of a bucket built on demand, as it stands at a given time, from a
``random.Random`` seeded by (seed, location, day, index).
"""

from __future__ import annotations

import random
from bisect import bisect
from dataclasses import dataclass
from typing import Any

from . import pricing
from .buckets import (
    K_AMOUNT,
    K_CANCELED,
    K_EXCHANGE,
    K_OFFLINE,
    K_OPEN,
    K_RETURN,
    K_SALE,
    GenContext,
    _mix,
)
from .model import taxes_for
from .tenders import _below, _refunds, _tenders
from .util import JSON, div_round_half_up, money, ms_to_rfc3339


@dataclass
class _Menu:
    """Per-location lookups an order needs, computed once rather than per order."""

    cum_weights: list[float]
    item_taxes: dict[str, list[str]]
    std_taxes: list[str]
    team: list[str]
    mod_lists: dict[str, list[Any]]
    # Prebuilt fields of a line (after its uid) per variation, and of a modifier per modifier:
    # identical in every order of the location, so built once (never mutated).
    var_static: dict[str, JSON]
    mod_static: dict[str, JSON]
    tax_static: dict[str, JSON]


_MENUS: dict[tuple[int, str, int], _Menu] = {}


def _menu(ctx: GenContext) -> _Menu:
    acct, loc = ctx.account, ctx.loc
    key = (id(acct), loc.id, len(acct.locations))
    m = _MENUS.get(key)
    if m is None:
        cat = acct.catalog
        cum: list[float] = []
        tot = 0.0
        for it in cat.items:
            tot += it.weight
            cum.append(tot)
        team = [tm.id for tm in acct.team if loc.id in tm.location_ids] or [acct.team[0].id]
        m = _Menu(
            cum,
            {it.id: [t.id for t in taxes_for(acct, it, loc.id)] for it in cat.items},
            [t.id for t in cat.taxes if t.location_ids is None or loc.id in t.location_ids],
            team,
            {ml[0]: ml[2] for ml in cat.modifier_lists},
            {
                v.id: {
                    "name": it.name,
                    "catalog_object_id": v.id,
                    "catalog_version": cat.updated_at_ms,
                    "variation_name": v.name,
                    "item_type": "ITEM",
                    "base_price_money": money(v.price, loc.currency),
                }
                for it in cat.items
                for v in it.variations
            },
            {
                mod.id: {
                    "catalog_object_id": mod.id,
                    "catalog_version": cat.updated_at_ms,
                    "name": mod.name,
                    "quantity": "1",
                    "base_price_money": money(mod.price, loc.currency),
                }
                for ml in cat.modifier_lists
                for mod in ml[2]
            },
            {
                tx.id: {
                    "uid": f"tx-{tx.id[:10]}",
                    "catalog_object_id": tx.id,
                    "catalog_version": cat.updated_at_ms,
                    "name": tx.name,
                    "type": tx.inclusion,
                    "percentage": tx.percentage,
                    "scope": "LINE_ITEM",
                }
                for tx in cat.taxes
            },
        )
        _MENUS[key] = m
    return m


def _sale_lines(rnd: random.Random, ctx: GenContext, order: JSON, gift_only: bool) -> None:
    acct, loc = ctx.account, ctx.loc
    cur = loc.currency
    cat = acct.catalog
    items = cat.items
    menu = _menu(ctx)
    lines: list[JSON] = []
    taxes: dict[str, JSON] = {}
    oid = order["id"]

    by_uid: dict[str, JSON] = {}
    acc: dict[str, int] = {}  # tax uid -> amount over the lines (no discounts)

    def tax_ref(tax_id: str) -> str:
        tx = taxes.get(tax_id)
        if tx is None:
            tx = taxes[tax_id] = dict(menu.tax_static[tax_id])
            by_uid[tx["uid"]] = tx
        return str(tx["uid"])

    def priced(li: JSON, key: tuple[Any, ...]) -> JSON:
        # Lines are priced as they are made (a memo of identical lines); a line that gets a
        # discount later is priced again with it, below.
        pricing.price_line_memo(li, cur, by_uid, acc, key)
        return li

    n_lines = 0 if gift_only else 1 + min(int(rnd.expovariate(0.8)), 6)
    for j in range(n_lines):
        if rnd.random() < 0.02:
            std = menu.std_taxes
            li: JSON = {
                "uid": f"{oid[:10]}-L{j}",
                "name": "Custom Amount",
                "quantity": "1",
                "item_type": "CUSTOM_AMOUNT",
                "base_price_money": money((2 + _below(rnd, 59)) * 50, cur),
            }
            if std:
                li["applied_taxes"] = [{"uid": f"{oid[:10]}-L{j}-T0", "tax_uid": tax_ref(std[0])}]
            ckey = ("c", li["base_price_money"]["amount"], std[0] if std else None)
            lines.append(priced(li, ckey))
            continue
        cum = menu.cum_weights
        it = items[bisect(cum, rnd.random() * (cum[-1] + 0.0), 0, len(cum) - 1)]
        vs = it.variations
        var = vs[_below(rnd, len(vs))]
        li = {"uid": f"{oid[:10]}-L{j}"}
        li.update(menu.var_static[var.id])
        if var.by_weight:
            li["quantity"] = f"{(150 + _below(rnd, 1051)) / 1000:.3f}"
            li["quantity_unit"] = {
                "measurement_unit": {"weight_unit": "METRIC_KILOGRAM"},
                "precision": 3,
            }
        else:
            li["quantity"] = str(1 if rnd.random() < 0.85 else 2 + _below(rnd, 3))
        mods: list[JSON] = []
        key: tuple[Any, ...] = ("i", var.id, li["quantity"], loc.gidx)
        for ml_id in it.modifier_list_ids:
            if rnd.random() < 0.35:
                ml = menu.mod_lists[ml_id]
                mod = ml[_below(rnd, len(ml))]
                md: JSON = {"uid": f"{li['uid']}-M{len(mods)}"}
                md.update(menu.mod_static[mod.id])
                mods.append(md)
                key += (mod.id,)
        if mods:
            li["modifiers"] = mods
        txs = menu.item_taxes[it.id]
        if txs:
            li["applied_taxes"] = [
                {"uid": f"{li['uid']}-T{k}", "tax_uid": tax_ref(t)} for k, t in enumerate(txs)
            ]
        lines.append(priced(li, key))
    if gift_only or rnd.random() < 0.02:
        gift = rnd.choice((10, 25, 50)) * 100
        lines.append(
            priced(
                {
                    "uid": f"{oid[:10]}-G",
                    "name": "Gift Card",
                    "quantity": "1",
                    "item_type": "GIFT_CARD",
                    "base_price_money": money(gift, cur),
                },
                ("g", gift),
            )
        )
    order["line_items"] = lines
    if taxes:
        order["taxes"] = list(taxes.values())
    discounts: list[JSON] = []
    eligible = [li for li in lines if li.get("item_type") != "GIFT_CARD"]
    r = rnd.random()
    if eligible and r < 0.05:
        d = cat.discounts[0] if r < 0.02 else cat.discounts[2]
        target = rnd.choice(eligible)
        uid = f"dc-{d['id'][:10]}"
        discounts.append(
            {
                "uid": uid,
                "catalog_object_id": d["id"],
                "catalog_version": cat.updated_at_ms,
                "name": d["name"],
                "type": d["type"],
                "percentage": d["percentage"],
                "scope": "LINE_ITEM",
            }
        )
        _unprice(target)
        target["applied_discounts"] = [{"uid": f"{target['uid']}-D0", "discount_uid": uid}]
    if eligible and rnd.random() < 0.04:
        d = cat.discounts[1]
        uid = f"dc-{d['id'][:10]}"
        discounts.append(
            {
                "uid": uid,
                "catalog_object_id": d["id"],
                "catalog_version": cat.updated_at_ms,
                "name": d["name"],
                "type": "FIXED_AMOUNT",
                "amount_money": money(d["amount"], cur),
                "scope": "ORDER",
            }
        )
        for li in eligible:
            if "applied_discounts" not in li:
                _unprice(li)
            li.setdefault("applied_discounts", []).append(
                {"uid": f"{li['uid']}-D1", "discount_uid": uid}
            )
    if discounts:
        order["discounts"] = discounts
        pricing.price_sale_lines(order, cur)
    else:
        for tx in taxes.values():
            tx["applied_money"] = {"amount": acc.get(tx["uid"], 0), "currency": cur}
    if loc.service_charge_pct and eligible and rnd.random() < 0.3:
        order["service_charges"] = [
            {
                "uid": f"{oid[:10]}-SC",
                "name": "Service Charge",
                "percentage": loc.service_charge_pct,
                "calculation_phase": "SUBTOTAL_PHASE",
                "taxable": False,
                "type": "CUSTOM",
                "treatment_type": "APPORTIONED_TREATMENT",
                "scope": "ORDER",
            }
        ]
        pricing.price_service_charges(order, cur)


def _unprice(line: JSON) -> None:
    """Drop a line's totals so that pricing it again puts them after ``applied_discounts``."""
    for k in pricing.LINE_MONEY_KEYS:
        line.pop(k, None)


def _base_order(ctx: GenContext, oid: str) -> JSON:
    return {"id": oid, "location_id": ctx.loc.id, "source": {"name": "Square Point of Sale"}}


def _rnd(ctx: GenContext, idx: int) -> random.Random:
    return random.Random(_mix(ctx.seed, ctx.loc.gidx, ctx.bucket.day_ord, idx))


def gen_order(ctx: GenContext, idx: int, now_ms: int) -> tuple[JSON, JSON]:
    """The order at index ``idx`` of the bucket as it stands at ``now_ms``, and private meta
    (team member, offline time) used for its payments."""
    b = ctx.bucket
    kind = int(b.kind[idx])
    if kind in (K_RETURN, K_AMOUNT, K_EXCHANGE):
        return _gen_return(ctx, idx, kind, now_ms)
    rnd = _rnd(ctx, idx)
    uid = int(b.uids[idx])
    oid = ctx.ids.encode("O", uid)
    order = _base_order(ctx, oid)
    gift_only = kind == K_SALE and rnd.random() < 0.005
    _sale_lines(rnd, ctx, order, gift_only)
    cur = ctx.loc.currency
    created, closed = int(b.created[idx]), int(b.closed[idx])
    upd2 = int(b.upd2[idx])
    edited = bool(upd2) and upd2 <= now_ms
    meta: JSON = {"tm": rnd.choice(_menu(ctx).team), "offline_at": None}
    pre_tip = pricing.sale_total_before_tip(order)
    if kind in (K_OPEN, K_CANCELED):
        pricing.fill_order_totals(order, cur, 0)
        order["state"] = "OPEN" if kind == K_OPEN else "CANCELED"
        order["version"] = 1 if kind == K_OPEN else 2
        order["created_at"] = ms_to_rfc3339(created)
        order["updated_at"] = ms_to_rfc3339(int(b.upd1[idx]))
        if kind == K_CANCELED:
            order["closed_at"] = ms_to_rfc3339(closed)
            order["net_amount_due_money"] = money(0, cur)
        else:
            order["net_amount_due_money"] = dict(order["total_money"])
        return _ordered(order), meta
    card_tip = rnd.random() < ctx.loc.tip_rate
    tenders = _tenders(rnd, ctx, order, uid, pre_tip, closed, fees_now=(not upd2) or edited)
    tip = 0
    if card_tip and tenders and tenders[-1]["type"] == "CARD" and pre_tip > 0:
        tip = div_round_half_up(pre_tip * rnd.choice((10, 15, 18, 20)), 100)
        last = tenders[-1]
        last["tip_money"] = money(tip, cur)
        last["amount_money"] = money(last["amount_money"]["amount"] + tip, cur)
        paid = last["amount_money"]["amount"]
        fee = min((paid * ctx.account.fee_bps + 5000) // 10000 + ctx.account.fee_fixed, paid)
        last["_fee"] = fee
        if "processing_fee_money" in last:
            last["processing_fee_money"] = money(fee, cur)
    pricing.fill_order_totals(order, cur, tip)
    if pre_tip + tip > 0:
        order["tenders"] = tenders
    order["created_at"] = ms_to_rfc3339(created)
    order["closed_at"] = ms_to_rfc3339(closed)
    order["state"] = "COMPLETED"
    order["version"] = 4 if edited else 3
    order["updated_at"] = ms_to_rfc3339(upd2 if edited else int(b.upd1[idx]))
    if edited:
        order["metadata"] = {"edited": "late"}
    order["net_amount_due_money"] = money(0, cur)
    if kind == K_OFFLINE:
        meta["offline_at"] = closed
    return _ordered(order), meta


_KEY_ORDER = (
    "id",
    "location_id",
    "reference_id",
    "source",
    "customer_id",
    "line_items",
    "taxes",
    "discounts",
    "service_charges",
    "returns",
    "return_amounts",
    "net_amounts",
    "tenders",
    "refunds",
    "metadata",
    "created_at",
    "updated_at",
    "closed_at",
    "state",
    "version",
    "total_money",
    "total_tax_money",
    "total_discount_money",
    "total_tip_money",
    "total_service_charge_money",
    "ticket_name",
    "net_amount_due_money",
)


def _ordered(order: JSON) -> JSON:
    out = {k: order[k] for k in _KEY_ORDER if k in order}
    for k, v in order.items():
        if k not in out:
            out[k] = v
    return out


def strip_private(order: JSON) -> JSON:
    for t in order.get("tenders") or ():
        t.pop("_fee", None)
    return order


def _gen_return(ctx: GenContext, idx: int, kind: int, now_ms: int) -> tuple[JSON, JSON]:
    b = ctx.bucket
    src_idx = int(b.src[idx])
    src, src_meta = gen_order(ctx, src_idx, now_ms)
    rnd = _rnd(ctx, idx)
    uid = int(b.uids[idx])
    oid = ctx.ids.encode("O", uid)
    cur = ctx.loc.currency
    t = int(b.created[idx])
    order = _base_order(ctx, oid)
    sale_lines = [li for li in src.get("line_items") or () if li.get("item_type") == "ITEM"]
    meta: JSON = {"tm": src_meta["tm"], "offline_at": None}
    if kind == K_AMOUNT or not sale_lines:
        cap = max(1, src["total_money"]["amount"] - src["total_tip_money"]["amount"])
        amount = max(1, int(cap * rnd.uniform(0.1, 0.5)))
        ret = pricing.build_amount_return(
            src_order_id=src["id"], amount=amount, uid_prefix=f"{oid[:10]}-R", currency=cur
        )
    else:
        line = rnd.choice(sale_lines)
        if "quantity_unit" in line or kind == K_EXCHANGE:
            qty = line["quantity"] if "quantity_unit" in line else "1"
        else:
            qty = str(rnd.randint(1, int(line["quantity"])))
        ret = pricing.build_return(
            src_order=src, picks=[(line, qty)], uid_prefix=f"{oid[:10]}-R", currency=cur
        )
    order["returns"] = [ret]
    if kind == K_EXCHANGE:
        # The customer takes another item of the same kind; the difference is paid or refunded.
        sub: JSON = {"id": oid}
        _sale_lines(rnd, ctx, sub, gift_only=False)
        keep = [li for li in sub["line_items"] if li.get("item_type") == "ITEM"][:1]
        if keep:
            order["line_items"] = keep
            used_t = {a["tax_uid"] for a in keep[0].get("applied_taxes") or ()}
            used_d = {a["discount_uid"] for a in keep[0].get("applied_discounts") or ()}
            if used_t:
                order["taxes"] = [x for x in sub.get("taxes") or () if x["uid"] in used_t]
            if used_d:
                order["discounts"] = [x for x in sub.get("discounts") or () if x["uid"] in used_d]
            pricing.price_sale_lines(order, cur)
    pricing.fill_order_totals(order, cur, 0)
    net = order["net_amounts"]["total_money"]["amount"]
    if net > 0:
        order["tenders"] = _tenders(rnd, ctx, order, uid, net, t, fees_now=True, allow_split=False)
    elif net < 0:
        order["refunds"] = _refunds(ctx, src, uid, -net, t, oid)
    order["created_at"] = ms_to_rfc3339(t)
    order["updated_at"] = ms_to_rfc3339(t)
    order["closed_at"] = ms_to_rfc3339(t)
    order["state"] = "COMPLETED"
    order["version"] = 1
    order["net_amount_due_money"] = money(0, cur)
    return _ordered(order), meta
