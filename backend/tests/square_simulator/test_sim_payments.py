"""ListPayments / ListPaymentRefunds query parameters as the spec defines them (created_at,
updated_at and offline ranges, ``sort_field``, cursors), and a payment's ``updated_at`` moving
when its fee settles or it is refunded. Every response is validated against the spec."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sim_helpers import NOW, loc_ids, sdk_http_client
from square import Square

from square_simulator import generator as g
from square_simulator.util import ms_to_rfc3339, parse_rfc3339

pytestmark = pytest.mark.filterwarnings("ignore:The `__fields__` attribute is deprecated")

U0, U1 = "2026-06-09T00:00:00Z", "2026-06-10T00:00:00Z"


def list_all(c: Any, path: str, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = c.get(path, params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200, r.text
        data = r.json()
        out += data.get(key, [])
        cursor = data.get("cursor")
        if not cursor:
            return out


def _ms(text: str) -> int:
    return parse_rfc3339(text)


@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_list_payments_by_updated_at_is_exact_and_sorted(shared_sim, client_for, order) -> None:
    c = client_for(shared_sim)
    loc = loc_ids(shared_sim)[0]
    params = {
        "location_id": loc,
        "updated_at_begin_time": U0,
        "updated_at_end_time": U1,
        "sort_field": "UPDATED_AT",
        "sort_order": order,
        "limit": 100,
    }
    got = list_all(c, "/v2/payments", "payments", params)
    keys = [_ms(p["updated_at"]) for p in got]
    assert keys == sorted(keys, reverse=order == "DESC")
    assert all(_ms(U0) <= k <= _ms(U1) for k in keys)
    assert len({p["id"] for p in got}) == len(got)
    assert {p["location_id"] for p in got} == {loc}
    # The same answer as every payment created in the 8 days before, filtered by updated_at
    # (a generated payment is updated at most 6.5 days after it is created).
    wide = list_all(
        c,
        "/v2/payments",
        "payments",
        {"location_id": loc, "begin_time": "2026-06-01T00:00:00Z", "end_time": U1, "limit": 100},
    )
    expected = {p["id"] for p in wide if _ms(U0) <= _ms(p["updated_at"]) <= _ms(U1)}
    assert {p["id"] for p in got} == expected
    late = [p for p in got if p["created_at"] < U0]
    assert late, "payments created earlier and updated in the range are listed"
    assert any(p.get("refund_ids") for p in late) and any(p.get("processing_fee") for p in late)
    # Paging does not change the answer.
    small = list_all(c, "/v2/payments", "payments", {**params, "limit": 7})
    assert [p["id"] for p in small] == [p["id"] for p in got]


def test_payment_updated_at_follows_fees_and_refunds(shared_sim, client_for) -> None:
    c = client_for(shared_sim)
    loc = loc_ids(shared_sim)[1]
    pays = list_all(
        c,
        "/v2/payments",
        "payments",
        {"location_id": loc, "begin_time": "2026-06-01T00:00:00Z", "end_time": U1, "limit": 100},
    )
    moved = [p for p in pays if p["updated_at"] != p["created_at"]]
    assert moved
    for p in moved:
        if p.get("refund_ids"):
            refund_times = [
                c.get(f"/v2/refunds/{rid}").json()["refund"]["created_at"]
                for rid in p["refund_ids"]
            ]
            assert _ms(p["updated_at"]) >= max(_ms(t) for t in refund_times)
        else:
            # Only a card payment whose fee settled late moves without a refund.
            assert p["source_type"] == "CARD" and p["processing_fee"]
    cash = [p for p in pays if p["source_type"] == "CASH" and not p.get("refund_ids")]
    assert cash and all(p["updated_at"] == p["created_at"] for p in cash)


def test_list_payments_created_range_default_location_and_filters(shared_sim, client_for) -> None:
    c = client_for(shared_sim)
    locs = loc_ids(shared_sim)
    day = {"begin_time": "2026-06-12T00:00:00Z", "end_time": "2026-06-13T00:00:00Z"}
    # Without location_id: the seller's main (first) location only, as documented.
    default = list_all(c, "/v2/payments", "payments", {**day, "limit": 100})
    assert default and {p["location_id"] for p in default} == {locs[0]}
    both = list_all(
        c,
        "/v2/payments",
        "payments",
        {**day, "location_id": locs[0], "updated_at_begin_time": "2026-06-13T00:00:00Z"},
    )
    assert both and all(
        day["begin_time"] <= p["created_at"] < day["end_time"]
        and p["updated_at"] >= "2026-06-13T00:00:00Z"
        for p in both
    )
    visa = list_all(c, "/v2/payments", "payments", {**day, "card_brand": "VISA"})
    assert visa and all(p["card_details"]["card"]["card_brand"] == "VISA" for p in visa)
    # updated_at filters alone: created_at still defaults to the year before now.
    old = list_all(
        c,
        "/v2/payments",
        "payments",
        {
            "updated_at_begin_time": "2025-05-01T00:00:00Z",
            "updated_at_end_time": "2025-05-02T00:00:00Z",
            "sort_field": "UPDATED_AT",
        },
    )
    assert old == []
    for bad, code in (
        ({"sort_field": "CLOSED_AT"}, "INVALID_ENUM_VALUE"),
        ({"updated_at_begin_time": "yesterday"}, "INVALID_TIME"),
        ({"sort_order": "UP"}, "INVALID_SORT_ORDER"),
        ({"cursor": "bm90LWEtY3Vyc29y"}, "INVALID_CURSOR"),
    ):
        r = c.get("/v2/payments", params=bad)
        assert r.status_code == 400 and r.json()["errors"][0]["code"] == code, bad


def test_list_payments_offline(shared_sim, client_for) -> None:
    c = client_for(shared_sim)
    loc = loc_ids(shared_sim)[0]
    base = {"location_id": loc, "begin_time": "2026-05-01T00:00:00Z", "limit": 100}
    offline = list_all(
        c,
        "/v2/payments",
        "payments",
        {**base, "is_offline_payment": "true", "sort_field": "OFFLINE_CREATED_AT"},
    )
    assert offline and all(p["is_offline_payment"] for p in offline)
    keys = [p["offline_payment_details"]["client_created_at"] for p in offline]
    assert keys == sorted(keys, reverse=True)
    assert all(k < p["created_at"] for k, p in zip(keys, offline, strict=True))
    ranged = list_all(
        c,
        "/v2/payments",
        "payments",
        {
            **base,
            "offline_begin_time": "2026-06-01T00:00:00Z",
            "offline_end_time": "2026-06-08T00:00:00Z",
            "sort_order": "ASC",
        },
    )
    assert ranged and all(
        "2026-06-01" <= p["offline_payment_details"]["client_created_at"] < "2026-06-08"
        for p in ranged
    )
    created = [p["created_at"] for p in ranged]  # sorted by created_at (the default)
    assert created == sorted(created)


def test_list_refunds_parameters(shared_sim, client_for) -> None:
    c = client_for(shared_sim)
    loc = loc_ids(shared_sim)[0]
    params = {
        "location_id": loc,
        "begin_time": "2026-05-15T00:00:00Z",
        "end_time": "2026-06-15T00:00:00Z",
        "limit": 100,
    }
    every = list_all(c, "/v2/refunds", "refunds", params)
    assert len(every) > 10
    created = [r["created_at"] for r in every]
    assert created == sorted(created, reverse=True)
    assert all(r["location_id"] == loc for r in every)
    by_upd = list_all(
        c,
        "/v2/refunds",
        "refunds",
        {
            **params,
            "updated_at_begin_time": "2026-06-01T00:00:00Z",
            "sort_field": "UPDATED_AT",
            "sort_order": "ASC",
        },
    )
    upd = [r["updated_at"] for r in by_upd]
    assert upd == sorted(upd) and all(u >= "2026-06-01" for u in upd)
    assert {r["id"] for r in by_upd} == {
        r["id"] for r in every if r["updated_at"] >= "2026-06-01T00:00:00Z"
    }
    cash = list_all(c, "/v2/refunds", "refunds", {**params, "source_type": "CASH"})
    assert cash and all(r["destination_type"] == "CASH" for r in cash)
    assert len(cash) < len(every)
    r = c.get("/v2/refunds", params={"sort_field": "OFFLINE_CREATED_AT"})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "INVALID_ENUM_VALUE"


def test_sdk_lists_payments_as_the_sync_does(shared_sim, validator) -> None:
    client = Square(
        base_url=shared_sim.base_url,
        token=shared_sim.token(2),
        httpx_client=sdk_http_client(validator),
    )
    loc = loc_ids(shared_sim, 2)[0]
    payments = list(
        client.payments.list(
            location_id=loc,
            updated_at_begin_time="2026-06-10T00:00:00Z",
            updated_at_end_time="2026-06-11T00:00:00Z",
            sort_field="UPDATED_AT",
            limit=100,
        )
    )
    assert len(payments) > 100
    upd = [p.updated_at for p in payments]
    assert upd == sorted(upd, reverse=True)
    assert len({p.id for p in payments}) == len(payments)
    refunds = list(
        client.refunds.list(
            location_id=loc,
            begin_time="2026-05-01T00:00:00Z",
            end_time="2026-06-15T00:00:00Z",
            sort_field="UPDATED_AT",
            limit=100,
        )
    )
    assert refunds and all(r.location_id == loc for r in refunds)


def _late_edited_card_sale(sim: Any) -> tuple[int, str, int]:
    """(updated_at of the late edit, card payment id, created ms) of a sale edited after now."""
    s = sim.state.sim
    now = s.clock.now()
    loc = s.accounts[0].locations[0]
    today = date.fromisoformat(NOW[:10])
    for back in range(0, 3):
        b = s.bucket(loc, (today - timedelta(days=back)).toordinal())
        for i in range(b.n):
            if b.kind[i] != g.K_SALE or not now >= b.visible[i] or b.upd2[i] <= now:
                continue
            order, _ = s.gen_order_obj(loc.gidx, b.day_ord, i, now)
            cards = [t for t in order.get("tenders") or () if t["type"] == "CARD"]
            if cards and i not in b.ret_of:
                return int(b.upd2[i]), cards[0]["id"], int(b.pay_at[i])
    raise AssertionError("no late-edited card sale")


def test_fee_settling_moves_updated_at_and_cursors_stay_stable(sim, client_for) -> None:
    c = client_for(sim)
    loc = loc_ids(sim)[0]
    edit_at, pid, created = _late_edited_card_sale(sim)
    before = c.get(f"/v2/payments/{pid}").json()["payment"]
    assert "processing_fee" not in before and before["updated_at"] == before["created_at"]
    params = {
        "location_id": loc,
        "updated_at_begin_time": ms_to_rfc3339(created - 3 * 86_400_000),
        "sort_field": "UPDATED_AT",
        "sort_order": "ASC",
        "limit": 25,
    }
    whole = [p["id"] for p in list_all(c, "/v2/payments", "payments", params)]
    assert pid in whole and len(whole) > 50
    # Page again while the clock moves past the fee settling: the cursor keeps the first
    # page's view, so the pages add up to the same list.
    paged: list[str] = []
    cursor = None
    while True:
        r = c.get("/v2/payments", params={**params, **({"cursor": cursor} if cursor else {})})
        paged += [p["id"] for p in r.json()["payments"]]
        cursor = r.json().get("cursor")
        if not cursor:
            break
        sim.set_time(edit_at + 1000)
    assert paged == whole
    after = c.get(f"/v2/payments/{pid}").json()["payment"]
    assert after["processing_fee"] and after["updated_at"] == ms_to_rfc3339(edit_at)
    assert after["created_at"] == before["created_at"]
    window = {
        "location_id": loc,
        "updated_at_begin_time": ms_to_rfc3339(edit_at),
        "updated_at_end_time": ms_to_rfc3339(edit_at),
        "sort_field": "UPDATED_AT",
    }
    assert [p["id"] for p in list_all(c, "/v2/payments", "payments", window)] == [pid]
    # A refund through the API moves it again.
    r = c.post(
        "/v2/refunds",
        json={
            "idempotency_key": "late-refund",
            "payment_id": pid,
            "amount_money": {"amount": 1, "currency": after["total_money"]["currency"]},
        },
    )
    assert r.status_code == 200, r.text
    refund = r.json()["refund"]
    assert refund["destination_type"] == "CARD"
    moved = c.get(f"/v2/payments/{pid}").json()["payment"]
    assert moved["updated_at"] == refund["created_at"] and moved["refund_ids"] == [refund["id"]]
    now_window = {**window, "updated_at_begin_time": refund["created_at"]}
    now_window.pop("updated_at_end_time")
    assert pid in [p["id"] for p in list_all(c, "/v2/payments", "payments", now_window)]
    assert pid not in [p["id"] for p in list_all(c, "/v2/payments", "payments", window)]
