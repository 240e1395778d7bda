"""Generated history: determinism and the consistency of every money field."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sim_helpers import NOW

from square_simulator import generator as g
from square_simulator.history import SimConfig
from square_simulator.store import Simulator
from square_simulator.util import parse_rfc3339

NOW_MS = parse_rfc3339(NOW)


def make(seed: int = 42) -> Simulator:
    return Simulator(
        SimConfig(
            seed=seed, start_ms=NOW_MS, frozen=True, years=3, accounts=3, locations_per_account=2
        )
    )


def day_orders(sim: Simulator, gidx: int, day: date) -> list[bytes]:
    loc = sim.loc_by_gidx[gidx]
    b = sim.bucket(loc, day.toordinal())
    return [sim.gen_order_bytes(gidx, b.day_ord, i, NOW_MS) for i in range(b.n)]


def test_same_seed_same_orders_and_other_seed_differs() -> None:
    a, b, c = make(42), make(42), make(43)
    days = [date(2024, 3, 9), date(2025, 12, 24), date(2026, 6, 14)]
    for gidx in (0, 3, 5):
        for d in days:
            oa = day_orders(a, gidx, d)
            assert oa, "an open day has orders"
            assert oa == day_orders(b, gidx, d)
            assert oa != day_orders(c, gidx, d)
    # Regenerating after the caches are dropped gives the same bytes.
    before = day_orders(a, 0, days[0])
    a.bodies.clear()
    a.buckets.clear()
    assert day_orders(a, 0, days[0]) == before


def test_ids_are_stable_and_decode() -> None:
    sim = make()
    b = sim.bucket(sim.loc_by_gidx[1], date(2025, 5, 5).toordinal())
    order = orjson.loads(sim.gen_order_bytes(1, b.day_ord, 0, NOW_MS))
    assert len(order["id"]) == 27 and order["id"].isalnum()
    assert sim.locate_generated(order["id"]) == (1, b.day_ord, 0)
    assert sim.locate_generated(order["id"][:-1] + ("A" if order["id"][-1] != "A" else "B")) is None


def _m(obj: dict[str, Any], key: str) -> int:
    return int((obj.get(key) or {}).get("amount") or 0)


def check_order(o: dict[str, Any]) -> None:
    """Square's arithmetic on one order (see pricing.py for the rules)."""
    taxes = {t["uid"]: t for t in o.get("taxes") or ()}
    lines = o.get("line_items") or []
    for li in lines:
        q = Fraction(li["quantity"])
        var_total = _m(li, "variation_total_price_money")
        mods = sum(_m(m, "total_price_money") for m in li.get("modifiers") or ())
        assert _m(li, "gross_sales_money") == var_total + mods
        assert abs(var_total - _m(li, "base_price_money") * q) <= Fraction(1, 2)
        disc = sum(_m(a, "applied_money") for a in li.get("applied_discounts") or ())
        assert _m(li, "total_discount_money") == disc
        tax = sum(_m(a, "applied_money") for a in li.get("applied_taxes") or ())
        assert _m(li, "total_tax_money") == tax
        additive = sum(
            _m(a, "applied_money")
            for a in li.get("applied_taxes") or ()
            if taxes[a["tax_uid"]]["type"] == "ADDITIVE"
        )
        assert _m(li, "total_money") == _m(li, "gross_sales_money") - disc + additive
        if li.get("item_type") == "GIFT_CARD":
            assert not li.get("applied_taxes") and not li.get("applied_discounts")
        for a in li.get("applied_taxes") or ():
            t = taxes[a["tax_uid"]]
            pct = Fraction(t["percentage"]) / 100
            base = _m(li, "gross_sales_money") - disc
            exact = base * pct / (1 + pct) if t["type"] == "INCLUSIVE" else base * pct
            assert abs(_m(a, "applied_money") - exact) <= Fraction(1, 2)
    for t in o.get("taxes") or ():
        assert _m(t, "applied_money") == sum(
            _m(a, "applied_money")
            for li in lines
            for a in li.get("applied_taxes") or ()
            if a["tax_uid"] == t["uid"]
        )
    for d in o.get("discounts") or ():
        assert _m(d, "applied_money") == sum(
            _m(a, "applied_money")
            for li in lines
            for a in li.get("applied_discounts") or ()
            if a["discount_uid"] == d["uid"]
        )
    scs = o.get("service_charges") or []
    tip = _m(o, "total_tip_money")
    assert (
        _m(o, "total_money")
        == sum(_m(li, "total_money") for li in lines) + sum(_m(s, "total_money") for s in scs) + tip
    )
    assert _m(o, "total_tax_money") == sum(_m(li, "total_tax_money") for li in lines) + sum(
        _m(s, "total_tax_money") for s in scs
    )
    assert _m(o, "total_discount_money") == sum(_m(li, "total_discount_money") for li in lines)
    assert _m(o, "total_service_charge_money") == sum(_m(s, "total_money") for s in scs)
    # returns
    ret_tot = dict.fromkeys(("total_money", "tax_money", "discount_money"), 0)
    for r in o.get("returns") or ():
        rls = r.get("return_line_items") or []
        for rl in rls:
            mods = sum(_m(m, "total_price_money") for m in rl.get("return_modifiers") or ())
            assert _m(rl, "gross_return_money") == _m(rl, "variation_total_price_money") + mods
            rtaxes = {t["uid"]: t for t in r.get("return_taxes") or ()}
            additive = sum(
                _m(a, "applied_money")
                for a in rl.get("applied_taxes") or ()
                if rtaxes[a["tax_uid"]]["type"] == "ADDITIVE"
            )
            assert (
                _m(rl, "total_money")
                == _m(rl, "gross_return_money") - _m(rl, "total_discount_money") + additive
            )
        ra = r["return_amounts"]
        assert _m(ra, "total_money") == sum(_m(rl, "total_money") for rl in rls)
        assert _m(ra, "tax_money") == sum(_m(rl, "total_tax_money") for rl in rls)
        for k in ret_tot:
            ret_tot[k] += _m(ra, k)
        for t in r.get("return_taxes") or ():
            assert _m(t, "applied_money") == sum(
                _m(a, "applied_money")
                for rl in rls
                for a in rl.get("applied_taxes") or ()
                if a["tax_uid"] == t["uid"]
            )
    for k in ret_tot:
        assert _m(o["return_amounts"], k) == ret_tot[k]
    na = o["net_amounts"]
    assert _m(na, "total_money") == _m(o, "total_money") - ret_tot["total_money"]
    assert _m(na, "tax_money") == _m(o, "total_tax_money") - ret_tot["tax_money"]
    assert _m(na, "discount_money") == _m(o, "total_discount_money") - ret_tot["discount_money"]
    assert _m(na, "tip_money") == tip
    # money in and out: tenders cover the net total; refunds give back the rest
    tenders = o.get("tenders") or []
    refunds = o.get("refunds") or []
    if o["state"] == "COMPLETED":
        tendered = sum(_m(t, "amount_money") for t in tenders)
        refunded = sum(_m(r, "amount_money") for r in refunds)
        assert tendered - refunded == _m(na, "total_money")
        assert sum(_m(t, "tip_money") for t in tenders) == tip
        for t in tenders:
            if t["type"] == "CARD" and "processing_fee_money" in t:
                assert 0 <= _m(t, "processing_fee_money") <= _m(t, "amount_money")
    else:
        assert not tenders
    currencies = {m["currency"] for m in _walk_money(o)}
    assert len(currencies) == 1


def _walk_money(obj: object) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(obj, dict):
        if set(obj) == {"amount", "currency"}:
            return [obj]
        for v in obj.values():
            out.extend(_walk_money(v))
    elif isinstance(obj, list):
        for v in obj:
            out.extend(_walk_money(v))
    return out


SIM = make(11)
FIRST = SIM.history_start


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gidx=st.integers(0, 5), offset=st.integers(0, 3 * 365 - 8))
def test_every_generated_order_is_consistent(gidx: int, offset: int) -> None:
    day = FIRST + timedelta(days=offset)
    loc = SIM.loc_by_gidx[gidx]
    b = SIM.bucket(loc, day.toordinal())
    for i in range(b.n):
        o = orjson.loads(SIM.gen_order_bytes(gidx, b.day_ord, i, NOW_MS))
        check_order(o)
        assert o["location_id"] == loc.id
        assert all(m["currency"] == loc.currency for m in _walk_money(o))
        created = parse_rfc3339(o["created_at"])
        updated = parse_rfc3339(o["updated_at"])
        assert created <= updated <= NOW_MS
        if "closed_at" in o:
            assert created <= parse_rfc3339(o["closed_at"]) <= updated
        # every key stays within the bucket's span, which searches rely on
        assert updated - created <= g.SPAN_MS


def test_history_has_the_variety_the_metrics_need() -> None:
    sim = make(5)
    seen: dict[str, int] = {}
    for offset in range(0, 60):
        day = date(2026, 3, 1) + timedelta(days=offset)
        for gidx in (1, 4):
            b = sim.bucket(sim.loc_by_gidx[gidx], day.toordinal())
            for i in range(b.n):
                o = orjson.loads(sim.gen_order_bytes(gidx, b.day_ord, i, NOW_MS))
                feats = {
                    "state_" + o["state"]: True,
                    "return": bool(o.get("returns")),
                    "exchange": bool(o.get("returns") and o.get("line_items")),
                    "amount_refund": any(
                        "source_line_item_uid" not in rl
                        for r in o.get("returns") or ()
                        for rl in r["return_line_items"]
                    ),
                    "split_tender": len(o.get("tenders") or ()) > 1,
                    "cash": any(t["type"] == "CASH" for t in o.get("tenders") or ()),
                    "gift_card": any(
                        li.get("item_type") == "GIFT_CARD" for li in o.get("line_items") or ()
                    ),
                    "modifier": any(li.get("modifiers") for li in o.get("line_items") or ()),
                    "item_discount": any(
                        d["scope"] == "LINE_ITEM" for d in o.get("discounts") or ()
                    ),
                    "order_discount": any(d["scope"] == "ORDER" for d in o.get("discounts") or ()),
                    "service_charge": bool(o.get("service_charges")),
                    "tip": _m(o, "total_tip_money") > 0,
                    "by_weight": any("quantity_unit" in li for li in o.get("line_items") or ()),
                    "late_edit": o.get("version") == 4,
                    "offline": parse_rfc3339(o["updated_at"])
                    - parse_rfc3339(o.get("closed_at") or o["created_at"])
                    > 86_400_000
                    and o["version"] == 3,
                    "additive_tax": any(t["type"] == "ADDITIVE" for t in o.get("taxes") or ()),
                    "inclusive_tax": any(t["type"] == "INCLUSIVE" for t in o.get("taxes") or ()),
                }
                for k, v in feats.items():
                    if v:
                        seen[k] = seen.get(k, 0) + 1
    for feature in (
        "state_COMPLETED",
        "state_OPEN",
        "state_CANCELED",
        "return",
        "exchange",
        "amount_refund",
        "split_tender",
        "cash",
        "gift_card",
        "modifier",
        "item_discount",
        "order_discount",
        "service_charge",
        "tip",
        "by_weight",
        "late_edit",
        "offline",
        "additive_tax",
        "inclusive_tax",
    ):
        assert seen.get(feature), f"no {feature} in two months of two stores: {seen}"


def test_rhythm_weekends_busier_and_christmas_closed() -> None:
    sim = make(3)
    loc = sim.loc_by_gidx[0]
    counts = {
        d: sim.bucket(loc, (date(2025, 9, 1) + timedelta(days=d)).toordinal()).n for d in range(56)
    }
    sat = sum(n for d, n in counts.items() if d % 7 == 5)
    sun = sum(n for d, n in counts.items() if d % 7 == 6)
    assert sat > sun
    assert sim.bucket(loc, date(2025, 12, 25).toordinal()).n == 0


def test_orders_fall_within_opening_hours_in_local_time() -> None:
    sim = make(9)
    loc = next(lo for lo in sim.loc_by_gidx.values() if lo.timezone == "America/New_York")
    from datetime import UTC, datetime

    # A DST-change day (US spring forward) and an ordinary one.
    for day in (date(2026, 3, 8), date(2026, 2, 3)):
        b = sim.bucket(loc, day.toordinal())
        o_min, c_min = loc.hours[day.weekday()]
        for i in range(b.n):
            if b.kind[i] in (g.K_SALE, g.K_OPEN):
                local = datetime.fromtimestamp(
                    int(b.closed[i] or b.created[i]) / 1000, UTC
                ).astimezone(loc.tz)
                if b.kind[i] == g.K_SALE:
                    assert local.date() == day
                    assert o_min <= local.hour * 60 + local.minute < c_min
