"""Every Square endpoint, success and error, validated against the OpenAPI spec.

The validation happens in ``ValidatingClient``'s response hook (see conftest.py), so each
request below is also a contract check; the asserts check behaviour."""

from __future__ import annotations

from typing import Any

import pytest
from sim_helpers import ID_RE, loc_ids

DAY = {"start_at": "2026-06-10T00:00:00Z", "end_at": "2026-06-10T23:59:59Z"}


def test_the_validator_really_rejects_bad_bodies(validator) -> None:
    with pytest.raises(AssertionError):
        validator.check(
            "POST",
            "/v2/orders/search",
            200,
            b'{"orders":[{"location_id":"L1","line_items":[{"quantity":1}]}]}',
        )
    with pytest.raises(AssertionError):
        validator.check(
            "GET",
            "/v2/orders/abc",
            401,
            b'{"errors":[{"category":"NOT_A_CATEGORY","code":"UNAUTHORIZED"}]}',
        )
    with pytest.raises(AssertionError):
        validator.check("GET", "/v2/payments", 200, b'{"payments":[{"status":1}]}')


def test_merchants_and_locations(shared_sim, client_for) -> None:
    c = client_for(shared_sim)
    acct = shared_sim.accounts[0]
    r = c.get("/v2/merchants")
    assert r.status_code == 200
    assert r.json()["merchant"][0]["id"] == acct.merchant_id
    for mid in ("me", acct.merchant_id):
        m = c.get(f"/v2/merchants/{mid}").json()["merchant"]
        assert (m["currency"], m["country"]) == ("GBP", "GB")
    assert c.get("/v2/merchants/NOTMINE").status_code == 404
    locs = c.get("/v2/locations").json()["locations"]
    assert [loc["id"] for loc in locs] == loc_ids(shared_sim)
    assert {loc["timezone"] for loc in locs} == {"Europe/London"}
    assert all(loc["business_hours"]["periods"] for loc in locs)
    one = c.get(f"/v2/locations/{locs[1]['id']}").json()["location"]
    assert one == locs[1]
    assert c.get("/v2/locations/main").json()["location"]["id"] == locs[0]["id"]
    other = shared_sim.accounts[1].locations[0].id
    assert c.get(f"/v2/locations/{other}").status_code == 404
    us = client_for(shared_sim, 2).get("/v2/locations").json()["locations"]
    assert {loc["currency"] for loc in us} == {"USD"}
    assert len({loc["timezone"] for loc in us}) == len(us)


def test_catalog(shared_sim, client_for) -> None:
    c = client_for(shared_sim)
    objs = c.get("/v2/catalog/list").json()["objects"]
    types = {o["type"] for o in objs}
    assert {"ITEM", "CATEGORY", "TAX", "DISCOUNT", "MODIFIER_LIST"} <= types
    tax = next(o for o in objs if o["type"] == "TAX")["tax_data"]
    assert (tax["inclusion_type"], tax["percentage"]) == ("INCLUSIVE", "20")
    variations = c.get("/v2/catalog/list", params={"types": "item_variation"}).json()["objects"]
    assert variations and all(o["type"] == "ITEM_VARIATION" for o in variations)
    found = c.post(
        "/v2/catalog/search",
        json={
            "object_types": ["ITEM"],
            "query": {"prefix_query": {"attribute_name": "name", "attribute_prefix": "flat"}},
            "include_related_objects": True,
        },
    ).json()
    assert [o["item_data"]["name"] for o in found["objects"]] == ["Flat White"]
    assert {o["type"] for o in found["related_objects"]} >= {"CATEGORY", "MODIFIER_LIST"}
    paged = c.post("/v2/catalog/search", json={"object_types": ["ITEM"], "limit": 5}).json()
    assert len(paged["objects"]) == 5 and paged["cursor"]
    nxt = c.post(
        "/v2/catalog/search", json={"object_types": ["ITEM"], "limit": 5, "cursor": paged["cursor"]}
    ).json()
    assert {o["id"] for o in nxt["objects"]}.isdisjoint(o["id"] for o in paged["objects"])
    ids = [variations[0]["id"], objs[0]["id"], "NOPE"]
    got = c.post(
        "/v2/catalog/batch-retrieve", json={"object_ids": ids, "include_related_objects": True}
    ).json()
    assert [o["id"] for o in got["objects"]] == ids[:2]
    assert c.post("/v2/catalog/batch-retrieve", json={}).status_code == 400


def test_team_members(shared_sim, client_for) -> None:
    c = client_for(shared_sim)
    everyone = c.post("/v2/team-members/search", json={}).json()["team_members"]
    assert sum(m["is_owner"] for m in everyone) == 1
    loc = loc_ids(shared_sim)[0]
    members, cursor = [], None
    while True:
        body = {"query": {"filter": {"location_ids": [loc], "status": "ACTIVE"}}, "limit": 2}
        if cursor:
            body["cursor"] = cursor
        page = c.post("/v2/team-members/search", json=body).json()
        members += page["team_members"]
        cursor = page.get("cursor")
        if not cursor:
            break
    assert len(members) >= 3
    assert all(m["is_owner"] or loc in m["assigned_locations"]["location_ids"] for m in members)
    assert c.post("/v2/team-members/search", json={"limit": 500}).status_code == 400


def _search_all(c: Any, body: dict[str, Any]) -> list[dict[str, Any]]:
    orders, cursor = [], None
    while True:
        req = dict(body)
        if cursor:
            req["cursor"] = cursor
        r = c.post("/v2/orders/search", json=req)
        assert r.status_code == 200, r.text
        data = r.json()
        orders += data.get("orders", []) or data.get("order_entries", [])
        cursor = data.get("cursor")
        if not cursor:
            return orders


@pytest.mark.parametrize("field", ["created_at", "closed_at", "updated_at"])
@pytest.mark.parametrize("order", ["ASC", "DESC"])
def test_search_orders_time_filter_sort_and_pages(shared_sim, client_for, field, order) -> None:
    c = client_for(shared_sim)
    body = {
        "location_ids": loc_ids(shared_sim),
        "limit": 97,
        "query": {
            "filter": {"date_time_filter": {field: DAY}},
            "sort": {"sort_field": field.upper(), "sort_order": order},
        },
    }
    orders = _search_all(c, body)
    assert len(orders) > 150
    keys = [o[field] for o in orders]
    assert all(DAY["start_at"] <= k <= DAY["end_at"].replace("59Z", "59.999Z") for k in keys)
    assert keys == sorted(keys, reverse=order == "DESC")
    assert len({o["id"] for o in orders}) == len(orders)
    # paging does not change the answer
    assert [o["id"] for o in _search_all(c, {**body, "limit": 1000})] == [o["id"] for o in orders]


def test_search_orders_states_entries_and_defaults(shared_sim, client_for) -> None:
    c = client_for(shared_sim)
    locs = loc_ids(shared_sim)
    flt = {"date_time_filter": {"closed_at": {"start_at": "2026-06-01T00:00:00Z"}}}
    sort = {"sort_field": "CLOSED_AT"}
    canceled = _search_all(
        c,
        {
            "location_ids": locs,
            "query": {"filter": {**flt, "state_filter": {"states": ["CANCELED"]}}, "sort": sort},
        },
    )
    assert canceled and {o["state"] for o in canceled} == {"CANCELED"}
    entries = _search_all(
        c,
        {
            "location_ids": locs[:1],
            "return_entries": True,
            "query": {"filter": {**flt, "state_filter": {"states": ["CANCELED"]}}, "sort": sort},
        },
    )
    assert {e["order_id"] for e in entries} == {
        o["id"] for o in canceled if o["location_id"] == locs[0]
    }
    open_orders = c.post(
        "/v2/orders/search",
        json={
            "location_ids": locs,
            "query": {"filter": {"state_filter": {"states": ["OPEN"]}}},
            "limit": 10,
        },
    ).json()["orders"]
    assert open_orders and all("closed_at" not in o for o in open_orders)
    created = [o["created_at"] for o in open_orders]
    assert created == sorted(created, reverse=True)  # default: CREATED_AT, DESC
    # nothing exists after the clock
    future = c.post(
        "/v2/orders/search",
        json={
            "location_ids": locs,
            "query": {
                "filter": {
                    "date_time_filter": {"created_at": {"start_at": "2026-06-15T12:00:01Z"}}
                },
                "sort": {"sort_field": "CREATED_AT"},
            },
        },
    ).json()
    assert not future.get("orders")


def test_search_orders_errors(shared_sim, client_for) -> None:
    c = client_for(shared_sim)
    locs = loc_ids(shared_sim)
    cases = [
        ({"location_ids": locs, "limit": 1001}, "VALUE_TOO_HIGH"),
        ({"location_ids": locs, "limit": 0}, "VALUE_TOO_LOW"),
        ({}, "MISSING_REQUIRED_PARAMETER"),
        ({"location_ids": locs * 4}, "ARRAY_LENGTH_TOO_LONG"),
        ({"location_ids": [shared_sim.accounts[1].locations[0].id]}, "INVALID_VALUE"),
        (
            {
                "location_ids": locs,
                "query": {
                    "filter": {"date_time_filter": {"closed_at": DAY}},
                    "sort": {"sort_field": "CREATED_AT"},
                },
            },
            "INVALID_VALUE",
        ),
        ({"location_ids": locs, "cursor": "bm90LWEtY3Vyc29y"}, "INVALID_CURSOR"),
    ]
    for body, code in cases:
        r = c.post("/v2/orders/search", json=body)
        assert r.status_code == 400, body
        err = r.json()["errors"][0]
        assert (err["category"], err["code"]) == ("INVALID_REQUEST_ERROR", code)
    r = c.post("/v2/orders/search", content=b"{not json")
    assert r.json()["errors"][0]["code"] == "EXPECTED_JSON_BODY"


def test_get_and_batch_retrieve_orders(shared_sim, client_for) -> None:
    c = client_for(shared_sim)
    locs = loc_ids(shared_sim)
    some = c.post("/v2/orders/search", json={"location_ids": locs, "limit": 20}).json()["orders"]
    for o in some[:5]:
        assert ID_RE.match(o["id"])
        assert c.get(f"/v2/orders/{o['id']}").json()["order"] == o
    ids = [o["id"] for o in some] + ["NOTANORDER"]
    got = c.post(
        "/v2/orders/batch-retrieve", json={"location_id": locs[0], "order_ids": ids}
    ).json()["orders"]
    assert [o["id"] for o in got] == [o["id"] for o in some if o["location_id"] == locs[0]]
    everywhere = c.post("/v2/orders/batch-retrieve", json={"order_ids": ids + ids[:3]}).json()
    assert [o["id"] for o in everywhere["orders"]] == [o["id"] for o in some]
    r = c.get("/v2/orders/NOTANORDER")
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "NOT_FOUND"
    # another seller's token cannot read it
    other = client_for(shared_sim, 1)
    assert other.get(f"/v2/orders/{some[0]['id']}").status_code == 404


def test_payments_and_refunds(shared_sim, client_for) -> None:
    c = client_for(shared_sim)
    params = {
        "begin_time": "2026-06-01T00:00:00Z",
        "end_time": "2026-06-08T00:00:00Z",
        "sort_order": "ASC",
        "limit": 50,
    }
    payments, cursor, pages = [], None, 0
    while pages < 4:
        r = c.get("/v2/payments", params={**params, **({"cursor": cursor} if cursor else {})})
        assert r.status_code == 200
        payments += r.json()["payments"]
        cursor = r.json().get("cursor")
        pages += 1
        if not cursor:
            break
    assert len(payments) >= 150
    times = [p["created_at"] for p in payments]
    assert times == sorted(times)
    card = next(p for p in payments if p["source_type"] == "CARD")
    assert card["card_details"]["card"]["card_brand"]
    got = c.get(f"/v2/payments/{card['id']}").json()["payment"]
    assert got == card
    order = c.get(f"/v2/orders/{card['order_id']}").json()["order"]
    assert card["id"] in [t["payment_id"] for t in order["tenders"]]
    refunds = c.get("/v2/refunds", params={"begin_time": "2026-05-01T00:00:00Z"}).json()
    assert refunds["refunds"]
    ref = refunds["refunds"][0]
    assert c.get(f"/v2/refunds/{ref['id']}").json()["refund"] == ref
    paid = c.get(f"/v2/payments/{ref['payment_id']}").json()["payment"]
    assert ref["id"] in paid["refund_ids"]
    ret_order = c.get(f"/v2/orders/{ref['order_id']}").json()["order"]
    assert ret_order["returns"] and ref["id"] in [x["id"] for x in ret_order["refunds"]]
    for path in ("/v2/payments/NOPE", "/v2/refunds/NOPE"):
        r = c.get(path)
        assert r.status_code == 404 and r.json()["errors"][0]["code"] == "NOT_FOUND"


def test_auth_errors(shared_sim, client_for) -> None:
    anon = client_for(shared_sim, token="")
    r = anon.get("/v2/locations")
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "UNAUTHORIZED"
    bogus = client_for(shared_sim, token="EAAAnot-a-token")
    for path in ("/v2/merchants", "/v2/payments", "/v2/refunds", "/v2/catalog/list"):
        r = bogus.get(path)
        assert r.status_code == 401
        assert r.json()["errors"][0] == {
            "category": "AUTHENTICATION_ERROR",
            "code": "UNAUTHORIZED",
            "detail": "This request could not be authorized.",
        }
    assert bogus.post("/v2/orders/search", json={}).status_code == 401
    assert bogus.post("/oauth2/token/status").status_code == 401
