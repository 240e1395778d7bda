"""Square's order arithmetic, shared by generated orders and orders created through the API.

Everything is integer minor units. The rules follow Square's Orders API:
- a line's ``gross_sales_money`` is base price * quantity plus its modifiers (with inclusive tax
  still inside it);
- discounts are applied before tax; an ORDER-scoped fixed discount is spread over the lines in
  proportion to what is left of them, the last line taking the remainder so the parts add up;
- an ADDITIVE tax is ``(gross - discount) * rate``; an INCLUSIVE one is the part of
  ``gross - discount`` that is tax, ``* rate / (1 + rate)``;
- a line's ``total_money`` is ``gross - discount + additive tax``;
- the order's totals are the sums of its lines and service charges, plus the tip;
- ``net_amounts`` = totals - ``return_amounts``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from .util import JSON, div_round_half_up, money, pct_fraction

MONEY_KEYS = ("total_money", "tax_money", "discount_money", "tip_money", "service_charge_money")


_QTY_CACHE: dict[str, Fraction | int] = {}


def qty_fraction(q: str) -> Fraction | int:
    """A quantity string as an exact number (an int when whole, the common case)."""
    v = _QTY_CACHE.get(q)
    if v is None:
        f = Fraction(q)
        v = f.numerator if f.denominator == 1 else f
        if len(_QTY_CACHE) < 10_000:
            _QTY_CACHE[q] = v
    return v


def _mul_round(amount: int, q: Fraction | int) -> int:
    if isinstance(q, int):
        return amount * q
    return div_round_half_up(amount * q.numerator, q.denominator)


def _amount(m: Any) -> int:
    if isinstance(m, dict):
        return int(m.get("amount") or 0)
    return 0


def price_line_core(
    line: JSON,
    currency: str,
    taxes: dict[str, JSON],
    discount_amounts: dict[str, int],
) -> None:
    """Fill a sale or return line's money fields from its base price, modifiers and the
    amounts of discount already decided for it (discount uid → applied amount)."""
    q = qty_fraction(line["quantity"])
    base = _amount(line.get("base_price_money"))
    variation_total = _mul_round(base, q)
    gross = variation_total
    for key in ("modifiers", "return_modifiers"):
        for mod in line.get(key) or ():
            mq = qty_fraction(mod.get("quantity") or "1")
            mtotal = _mul_round(_amount(mod.get("base_price_money")), mq * q)
            mod["total_price_money"] = money(mtotal, currency)
            gross += mtotal
    line["variation_total_price_money"] = money(variation_total, currency)
    gross_key = (
        "gross_return_money"
        if "source_line_item_uid" in line or line.get("_return")
        else "gross_sales_money"
    )
    line.pop("_return", None)
    line[gross_key] = money(gross, currency)
    disc_total = 0
    for ad in line.get("applied_discounts") or ():
        amt = discount_amounts.get(ad["discount_uid"], 0)
        ad["applied_money"] = money(amt, currency)
        disc_total += amt
    taxable = gross - disc_total
    applied = line.get("applied_taxes") or ()
    incl_sum: Fraction | None = None
    if len(applied) > 1:
        incl_sum = sum(
            (
                Fraction(*pct_fraction(taxes[at["tax_uid"]].get("percentage") or "0"))
                for at in applied
                if taxes.get(at["tax_uid"], {}).get("type") == "INCLUSIVE"
            ),
            Fraction(0),
        )
    tax_total = 0
    additive = 0
    for at in applied:
        tax = taxes.get(at["tax_uid"], {})
        n, d = pct_fraction(tax.get("percentage") or "0")
        if tax.get("type") == "INCLUSIVE":
            if incl_sum is None:
                # The tax inside an inclusive price p at rate n/d is p·n/(d+n).
                amt = div_round_half_up(taxable * n, d + n)
            else:
                share = Fraction(n, d) / (1 + incl_sum)
                amt = div_round_half_up(taxable * share.numerator, share.denominator)
        else:
            amt = div_round_half_up(taxable * n, d)
            additive += amt
        at["applied_money"] = money(amt, currency)
        tax_total += amt
    line["total_discount_money"] = money(disc_total, currency)
    line["total_tax_money"] = money(tax_total, currency)
    line["total_money"] = money(gross - disc_total + additive, currency)
    line["total_service_charge_money"] = money(0, currency)


def _line_gross_preview(line: JSON) -> int:
    q = qty_fraction(line["quantity"])
    gross = _mul_round(_amount(line.get("base_price_money")), q)
    for mod in line.get("modifiers") or ():
        mq = qty_fraction(mod.get("quantity") or "1")
        gross += _mul_round(_amount(mod.get("base_price_money")), mq * q)
    return gross


def apply_scoped(order: JSON) -> None:
    """Attach ORDER-scoped taxes and discounts to every line they cover, as Square does."""
    lines = order.get("line_items") or []
    for tax in order.get("taxes") or ():
        if tax.get("scope") == "ORDER":
            for line in lines:
                if line.get("item_type") == "GIFT_CARD":
                    continue
                ats = line.setdefault("applied_taxes", [])
                if not any(a["tax_uid"] == tax["uid"] for a in ats):
                    ats.append({"uid": f"{line['uid']}-{tax['uid']}", "tax_uid": tax["uid"]})
    for disc in order.get("discounts") or ():
        if disc.get("scope") == "ORDER":
            for line in lines:
                if line.get("item_type") == "GIFT_CARD":
                    continue
                ads = line.setdefault("applied_discounts", [])
                if not any(a["discount_uid"] == disc["uid"] for a in ads):
                    ads.append({"uid": f"{line['uid']}-{disc['uid']}", "discount_uid": disc["uid"]})


_LINE_MEMO: dict[tuple[Any, ...], tuple[Any, ...]] = {}
LINE_MONEY_KEYS = (
    "variation_total_price_money",
    "gross_sales_money",
    "total_discount_money",
    "total_tax_money",
    "total_money",
    "total_service_charge_money",
)


def price_line_memo(
    line: JSON,
    currency: str,
    taxes: dict[str, JSON],
    acc: dict[str, int],
    key: tuple[Any, ...] | None = None,
) -> None:
    """``price_line_core`` for a sale line with no discount, from a memo of lines with the same
    prices, quantities and taxes (most lines of generated orders repeat); adds each applied
    tax's amount to ``acc``. ``key``, when given, must identify all of those (the generator
    passes catalog ids, which never change)."""
    mods = line.get("modifiers") or ()
    applied = line.get("applied_taxes") or ()
    if key is None:
        key = (
            line["quantity"],
            line["base_price_money"]["amount"] if line.get("base_price_money") else 0,
            tuple((m.get("quantity") or "1", _amount(m.get("base_price_money"))) for m in mods),
            tuple(
                (
                    taxes.get(a["tax_uid"], {}).get("type"),
                    taxes.get(a["tax_uid"], {}).get("percentage"),
                )
                for a in applied
            ),
        )
    hit = _LINE_MEMO.get(key)
    if hit is None:
        price_line_core(line, currency, taxes, {})
        hit = (
            tuple(m["total_price_money"]["amount"] for m in mods),
            tuple(a["applied_money"]["amount"] for a in applied),
            tuple(line[k]["amount"] for k in LINE_MONEY_KEYS),
        )
        if len(_LINE_MEMO) > 100_000:
            _LINE_MEMO.clear()
        _LINE_MEMO[key] = hit
    else:
        for m, amt in zip(mods, hit[0], strict=True):
            m["total_price_money"] = {"amount": amt, "currency": currency}
        for k, amt in zip(LINE_MONEY_KEYS, hit[2], strict=True):
            line[k] = {"amount": amt, "currency": currency}
        for a, amt in zip(applied, hit[1], strict=True):
            a["applied_money"] = {"amount": amt, "currency": currency}
    for a, amt in zip(applied, hit[1], strict=True):
        acc[a["tax_uid"]] = acc.get(a["tax_uid"], 0) + amt


def price_sale_lines(order: JSON, currency: str) -> None:
    """Compute discounts, taxes and totals of an order's sale lines."""
    lines = order.get("line_items") or []
    taxes = {t["uid"]: t for t in order.get("taxes") or ()}
    discounts = order.get("discounts") or []
    if not discounts and not any(
        li.get("applied_discounts") or "source_line_item_uid" in li or li.get("_return")
        for li in lines
    ):
        acc: dict[str, int] = {}
        for li in lines:
            price_line_memo(li, currency, taxes, acc)
        for tax in order.get("taxes") or ():
            tax["applied_money"] = money(acc.get(tax["uid"], 0), currency)
        return
    per_line: list[dict[str, int]] = [{} for _ in lines]
    remaining = [_line_gross_preview(li) for li in lines]
    # Percentage discounts first, then fixed amounts on what is left, so a fixed discount never
    # takes a line below zero.
    for disc in sorted(discounts, key=lambda d: d.get("type") == "FIXED_AMOUNT"):
        uid = disc["uid"]
        idxs = [
            i
            for i, li in enumerate(lines)
            if any(a["discount_uid"] == uid for a in li.get("applied_discounts") or ())
        ]
        if not idxs:
            continue
        if disc.get("type") in ("FIXED_PERCENTAGE", "VARIABLE_PERCENTAGE"):
            n, d = pct_fraction(disc.get("percentage") or "0")
            for i in idxs:
                amt = div_round_half_up(remaining[i] * n, d)
                per_line[i][uid] = amt
                remaining[i] -= amt
        else:
            total = min(_amount(disc.get("amount_money")), sum(remaining[i] for i in idxs))
            basis = sum(remaining[i] for i in idxs)
            left = total
            for k, i in enumerate(idxs):
                if k == len(idxs) - 1 or basis == 0:
                    amt = left
                else:
                    amt = min(div_round_half_up(total * remaining[i], basis), left)
                per_line[i][uid] = amt
                left -= amt
                remaining[i] -= amt
    for li, amounts in zip(lines, per_line, strict=True):
        price_line_core(li, currency, taxes, amounts)
    for tax in order.get("taxes") or ():
        tot = sum(
            _amount(a.get("applied_money"))
            for li in lines
            for a in li.get("applied_taxes") or ()
            if a["tax_uid"] == tax["uid"]
        )
        tax["applied_money"] = money(tot, currency)
    for disc in discounts:
        tot = sum(
            _amount(a.get("applied_money"))
            for li in lines
            for a in li.get("applied_discounts") or ()
            if a["discount_uid"] == disc["uid"]
        )
        disc["applied_money"] = money(tot, currency)


def price_service_charges(order: JSON, currency: str) -> None:
    """SUBTOTAL_PHASE service charges on the discounted subtotal; not taxable."""
    subtotal = sum(
        _amount(li["gross_sales_money"]) - _amount(li["total_discount_money"])
        for li in order.get("line_items") or ()
        if li.get("item_type") != "GIFT_CARD"
    )
    for sc in order.get("service_charges") or ():
        if sc.get("percentage"):
            n, d = pct_fraction(sc["percentage"])
            amt = div_round_half_up(subtotal * n, d)
        else:
            amt = _amount(sc.get("amount_money"))
        sc["applied_money"] = money(amt, currency)
        sc["total_money"] = money(amt, currency)
        sc["total_tax_money"] = money(0, currency)
        sc.setdefault("calculation_phase", "SUBTOTAL_PHASE")
        sc.setdefault("taxable", False)
        sc.setdefault("type", "CUSTOM")


def sale_total_before_tip(order: JSON) -> int:
    return sum(_amount(li["total_money"]) for li in order.get("line_items") or ()) + sum(
        _amount(sc["total_money"]) for sc in order.get("service_charges") or ()
    )


def fill_order_totals(order: JSON, currency: str, tip: int) -> None:
    """Order-level totals, return_amounts and net_amounts from lines, charges, tip, returns."""
    lines = order.get("line_items") or ()
    scs = order.get("service_charges") or ()
    sc_total = tax = disc = total = 0
    for li in lines:
        tax += li["total_tax_money"]["amount"]
        disc += li["total_discount_money"]["amount"]
        total += li["total_money"]["amount"]
    for sc in scs:
        sc_total += sc["total_money"]["amount"]
        tax += sc["total_tax_money"]["amount"]
    total += sc_total + tip
    order["total_money"] = money(total, currency)
    order["total_tax_money"] = money(tax, currency)
    order["total_discount_money"] = money(disc, currency)
    order["total_tip_money"] = money(tip, currency)
    order["total_service_charge_money"] = money(sc_total, currency)
    returns = order.get("returns")
    if not returns:
        zero = {"amount": 0, "currency": currency}
        order["return_amounts"] = {
            "total_money": zero,
            "tax_money": zero,
            "discount_money": zero,
            "tip_money": zero,
            "service_charge_money": zero,
        }
        order["net_amounts"] = {
            "total_money": {"amount": total, "currency": currency},
            "tax_money": {"amount": tax, "currency": currency},
            "discount_money": {"amount": disc, "currency": currency},
            "tip_money": {"amount": tip, "currency": currency},
            "service_charge_money": {"amount": sc_total, "currency": currency},
        }
        return
    ret = dict.fromkeys(MONEY_KEYS, 0)
    for r in returns:
        ra = r.get("return_amounts") or {}
        for k in MONEY_KEYS:
            ret[k] += _amount(ra.get(k))
    order["return_amounts"] = {k: money(v, currency) for k, v in ret.items()}
    sale = {
        "total_money": total,
        "tax_money": tax,
        "discount_money": disc,
        "tip_money": tip,
        "service_charge_money": sc_total,
    }
    order["net_amounts"] = {k: money(sale[k] - ret[k], currency) for k in MONEY_KEYS}


def build_return(
    *,
    src_order: JSON,
    picks: list[tuple[JSON, str]],
    uid_prefix: str,
    currency: str,
) -> JSON:
    """An ``OrderReturn`` for the given (source line, quantity) picks, priced like the sale.

    Discounts are returned in proportion to the quantity returned, taxes recomputed on what is
    returned with the same rates, so a full return mirrors the sale line exactly."""
    src_taxes = {t["uid"]: t for t in src_order.get("taxes") or ()}
    src_discs = {d["uid"]: d for d in src_order.get("discounts") or ()}
    ret_taxes: dict[str, JSON] = {}
    ret_discs: dict[str, JSON] = {}
    rlines: list[JSON] = []
    for n, (src, qty) in enumerate(picks):
        q = Fraction(qty)
        src_q = Fraction(src["quantity"])
        rl: JSON = {
            "uid": f"{uid_prefix}L{n}",
            "source_line_item_uid": src["uid"],
            "name": src.get("name"),
            "quantity": qty,
            "item_type": src.get("item_type", "ITEM"),
            "base_price_money": dict(src["base_price_money"]),
        }
        for k in ("catalog_object_id", "catalog_version", "variation_name", "quantity_unit"):
            if k in src:
                rl[k] = src[k]
        if src.get("modifiers"):
            rl["return_modifiers"] = [
                {
                    "uid": f"{rl['uid']}M{j}",
                    "source_modifier_uid": m["uid"],
                    "catalog_object_id": m.get("catalog_object_id"),
                    "name": m.get("name"),
                    "base_price_money": dict(m["base_price_money"]),
                    "quantity": m.get("quantity", "1"),
                }
                for j, m in enumerate(src["modifiers"])
            ]
        amounts: dict[str, int] = {}
        if src.get("applied_discounts"):
            rl["applied_discounts"] = []
            for ad in src["applied_discounts"]:
                sd = src_discs[ad["discount_uid"]]
                rd_uid = f"{uid_prefix}D-{sd['uid']}"
                if rd_uid not in ret_discs:
                    ret_discs[rd_uid] = {
                        "uid": rd_uid,
                        "source_discount_uid": sd["uid"],
                        "name": sd.get("name"),
                        "type": sd.get("type"),
                        "scope": "LINE_ITEM",
                    }
                    for k in ("catalog_object_id", "catalog_version", "percentage"):
                        if sd.get(k) is not None:
                            ret_discs[rd_uid][k] = sd[k]
                amt = _amount(ad["applied_money"])
                part = (
                    amt
                    if q == src_q
                    else div_round_half_up(amt * (q / src_q).numerator, (q / src_q).denominator)
                )
                amounts[rd_uid] = part
                rl["applied_discounts"].append(
                    {"uid": f"{rl['uid']}-{rd_uid}", "discount_uid": rd_uid}
                )
        if src.get("applied_taxes"):
            rl["applied_taxes"] = []
            for at in src["applied_taxes"]:
                st = src_taxes[at["tax_uid"]]
                rt_uid = f"{uid_prefix}T-{st['uid']}"
                if rt_uid not in ret_taxes:
                    ret_taxes[rt_uid] = {
                        "uid": rt_uid,
                        "source_tax_uid": st["uid"],
                        "name": st.get("name"),
                        "type": st.get("type"),
                        "percentage": st.get("percentage"),
                        "scope": "LINE_ITEM",
                    }
                    if st.get("catalog_object_id"):
                        ret_taxes[rt_uid]["catalog_object_id"] = st["catalog_object_id"]
                rl["applied_taxes"].append({"uid": f"{rl['uid']}-{rt_uid}", "tax_uid": rt_uid})
        rl["_return"] = True
        price_line_core(rl, currency, ret_taxes, amounts)
        rlines.append(rl)
    return _assemble_return(src_order["id"], uid_prefix, rlines, ret_taxes, ret_discs, currency)


def build_amount_return(
    *, src_order_id: str, amount: int, uid_prefix: str, currency: str, name: str = "Refund"
) -> JSON:
    """A custom-amount refund: money given back with no item coming back (no source line)."""
    rl: JSON = {
        "uid": f"{uid_prefix}L0",
        "name": name,
        "quantity": "1",
        "item_type": "CUSTOM_AMOUNT",
        "base_price_money": money(amount, currency),
        "_return": True,
    }
    price_line_core(rl, currency, {}, {})
    return _assemble_return(src_order_id, uid_prefix, [rl], {}, {}, currency)


def _assemble_return(
    src_order_id: str,
    uid_prefix: str,
    rlines: list[JSON],
    ret_taxes: dict[str, JSON],
    ret_discs: dict[str, JSON],
    currency: str,
) -> JSON:
    for rt in ret_taxes.values():
        rt["applied_money"] = money(
            sum(
                _amount(a["applied_money"])
                for rl in rlines
                for a in rl.get("applied_taxes") or ()
                if a["tax_uid"] == rt["uid"]
            ),
            currency,
        )
    for rd in ret_discs.values():
        rd["applied_money"] = money(
            sum(
                _amount(a["applied_money"])
                for rl in rlines
                for a in rl.get("applied_discounts") or ()
                if a["discount_uid"] == rd["uid"]
            ),
            currency,
        )
    ret: JSON = {
        "uid": f"{uid_prefix}R",
        "source_order_id": src_order_id,
        "return_line_items": rlines,
    }
    if ret_taxes:
        ret["return_taxes"] = list(ret_taxes.values())
    if ret_discs:
        ret["return_discounts"] = list(ret_discs.values())
    ret["return_amounts"] = {
        "total_money": money(sum(_amount(r["total_money"]) for r in rlines), currency),
        "tax_money": money(sum(_amount(r["total_tax_money"]) for r in rlines), currency),
        "discount_money": money(sum(_amount(r["total_discount_money"]) for r in rlines), currency),
        "tip_money": money(0, currency),
        "service_charge_money": money(0, currency),
    }
    return ret
