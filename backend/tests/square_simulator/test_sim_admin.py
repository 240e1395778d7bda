"""The admin API: accounts, import round trip, clock and live sales."""

from __future__ import annotations

import json

import httpx
import orjson
from sim_helpers import ValidatingClient, loc_ids

IMPORTED = {
    "id": "SCENARIO-DST-0030",
    "location_id": None,  # filled in per test
    "reference_id": "till-7",
    "source": {"name": "Legacy import"},
    "line_items": [
        {
            "uid": "li-1",
            "name": "Late Espresso",
            "quantity": "2",
            "item_type": "ITEM",
            "base_price_money": {"amount": 250, "currency": "GBP"},
            "variation_total_price_money": {"amount": 500, "currency": "GBP"},
            "gross_sales_money": {"amount": 500, "currency": "GBP"},
            "applied_taxes": [
                {
                    "uid": "at-1",
                    "tax_uid": "vat",
                    "applied_money": {"amount": 83, "currency": "GBP"},
                }
            ],
            "total_tax_money": {"amount": 83, "currency": "GBP"},
            "total_discount_money": {"amount": 0, "currency": "GBP"},
            "total_money": {"amount": 500, "currency": "GBP"},
        }
    ],
    "taxes": [
        {
            "uid": "vat",
            "name": "VAT",
            "type": "INCLUSIVE",
            "percentage": "20",
            "scope": "ORDER",
            "applied_money": {"amount": 83, "currency": "GBP"},
        }
    ],
    "tenders": [
        {
            "id": "TENDER-DST-1",
            "location_id": None,
            "type": "CASH",
            "amount_money": {"amount": 500, "currency": "GBP"},
            "created_at": "2026-03-29T00:30:00Z",
        }
    ],
    "net_amounts": {
        "total_money": {"amount": 500, "currency": "GBP"},
        "tax_money": {"amount": 83, "currency": "GBP"},
    },
    "created_at": "2026-03-29T00:29:10Z",
    "updated_at": "2026-03-29T00:30:00Z",
    "closed_at": "2026-03-29T00:30:00Z",
    "state": "COMPLETED",
    "version": 3,
    "total_money": {"amount": 500, "currency": "GBP"},
    "total_tax_money": {"amount": 83, "currency": "GBP"},
}


def test_import_round_trips_byte_for_byte(sim, client_for) -> None:
    loc = loc_ids(sim)[0]
    order = json.loads(json.dumps(IMPORTED))
    order["location_id"] = loc
    order["tenders"][0]["location_id"] = loc
    payment = {
        "id": "TENDER-DST-1",
        "location_id": loc,
        "order_id": order["id"],
        "created_at": "2026-03-29T00:30:00Z",
        "updated_at": "2026-03-29T00:30:00Z",
        "amount_money": {"amount": 500, "currency": "GBP"},
        "total_money": {"amount": 500, "currency": "GBP"},
        "status": "COMPLETED",
        "source_type": "CASH",
        "cash_details": {"buyer_supplied_money": {"amount": 500, "currency": "GBP"}},
    }
    refund = {
        "id": "REFUND-DST-1",
        "location_id": loc,
        "payment_id": "TENDER-DST-1",
        "amount_money": {"amount": 250, "currency": "GBP"},
        "status": "COMPLETED",
        "created_at": "2026-03-30T10:00:00Z",
    }
    admin = httpx.Client(base_url=sim.base_url)
    r = admin.post(
        "/_simulator/import", json={"orders": [order], "payments": [payment], "refunds": [refund]}
    )
    assert r.json() == {"orders": 1, "payments": 1, "refunds": 1}
    c = client_for(sim)
    raw = c.get(f"/v2/orders/{order['id']}").content
    assert raw == b'{"order":' + orjson.dumps(order) + b"}"
    found = c.post(
        "/v2/orders/search",
        json={
            "location_ids": [loc],
            "query": {
                "filter": {
                    "date_time_filter": {
                        "closed_at": {
                            "start_at": "2026-03-29T00:00:00Z",
                            "end_at": "2026-03-29T00:59:59Z",
                        }
                    }
                },
                "sort": {"sort_field": "CLOSED_AT", "sort_order": "ASC"},
            },
        },
    ).content
    assert orjson.dumps(order) in found
    batch = c.post("/v2/orders/batch-retrieve", json={"order_ids": [order["id"]]}).content
    assert batch == b'{"orders":[' + orjson.dumps(order) + b"]}"
    assert c.get("/v2/payments/TENDER-DST-1").json()["payment"] == payment
    listed = c.get(
        "/v2/payments",
        params={"begin_time": "2026-03-29T00:00:00Z", "end_time": "2026-03-29T01:00:00Z"},
    ).json()
    assert payment in listed["payments"]
    assert c.get("/v2/refunds/REFUND-DST-1").json()["refund"] == refund
    # a bad import is refused whole
    bad = admin.post("/_simulator/import", json={"orders": [{"id": "x", "location_id": "NOPE"}]})
    assert bad.status_code == 400
    admin.close()


def test_accounts_listing_and_new_account(sim, client_for) -> None:
    admin = httpx.Client(base_url=sim.base_url)
    accounts = admin.get("/_simulator/accounts").json()["accounts"]
    assert [a["currency"] for a in accounts] == ["GBP", "EUR", "USD"]
    assert all(a["personal_access_token"] and a["locations"] for a in accounts)
    new = admin.post(
        "/_simulator/accounts",
        json={
            "business_name": "Harbour Books",
            "country": "IE",
            "currency": "EUR",
            "locations": [
                {"name": "Cork", "timezone": "Europe/Dublin"},
                {"name": "Kinsale", "timezone": "Europe/Dublin", "generated": True},
            ],
        },
    ).json()
    assert [loc["name"] for loc in new["locations"]] == ["Cork", "Kinsale"]
    c = client_for(sim, token=new["personal_access_token"])
    assert c.get("/v2/merchants/me").json()["merchant"]["business_name"] == "Harbour Books"
    ids = [loc["id"] for loc in new["locations"]]
    empty = c.post("/v2/orders/search", json={"location_ids": ids[:1]}).json()
    assert not empty.get("orders")
    history = c.post("/v2/orders/search", json={"location_ids": ids[1:], "limit": 5}).json()
    assert len(history["orders"]) == 5
    assert len(admin.get("/_simulator/accounts").json()["accounts"]) == 4
    admin.close()


def test_clock_set_advance_and_live_sales(sim, client_for) -> None:
    admin = httpx.Client(base_url=sim.base_url)
    c = client_for(sim)
    locs = loc_ids(sim)
    body = {
        "location_ids": locs,
        "limit": 1000,
        "return_entries": True,
        "query": {
            "filter": {"date_time_filter": {"created_at": {"start_at": "2026-06-15T00:00:00Z"}}},
            "sort": {"sort_field": "CREATED_AT"},
        },
    }
    morning = admin.post("/_simulator/clock", json={"now": "2026-06-15T09:00:00Z"}).json()
    assert morning["now"] == "2026-06-15T09:00:00.000Z" and morning["frozen"]
    early = len(c.post("/v2/orders/search", json=body).json().get("order_entries", []))
    later = admin.post("/_simulator/clock", json={"advance_s": 6 * 3600}).json()
    assert later["now"] == "2026-06-15T15:00:00.000Z"
    late = len(c.post("/v2/orders/search", json=body).json()["order_entries"])
    assert late > early
    # an order edited late shows its first version until the edit happens
    sim.set_time("2026-06-15T12:00:00Z")
    found = c.post(
        "/v2/orders/search",
        json={
            "location_ids": locs,
            "limit": 1000,
            "query": {
                "filter": {
                    "date_time_filter": {
                        "closed_at": {
                            "start_at": "2026-06-10T00:00:00Z",
                            "end_at": "2026-06-11T00:00:00Z",
                        }
                    }
                },
                "sort": {"sort_field": "CLOSED_AT"},
            },
        },
    ).json()["orders"]
    edited = next(o for o in found if o["version"] == 4)
    sim.set_time(edited["closed_at"].replace("Z", "+00:00"))
    sim.advance(1)
    before = c.get(f"/v2/orders/{edited['id']}").json()["order"]
    assert before["version"] == 3 and before["updated_at"] == before["closed_at"]
    # a running (not frozen) clock moves on by itself
    admin.post("/_simulator/clock", json={"frozen": False})
    t1 = sim.state.clock.now()
    assert admin.get("/_simulator/clock").json()["now_ms"] >= t1
    admin.close()


def test_prefetching_does_not_change_the_pages(client_for) -> None:
    from square_simulator.testing import run_in_thread

    def pages(prefetch: bool) -> list[bytes]:
        with run_in_thread(
            seed=5,
            now="2026-02-01T12:00:00Z",
            accounts=1,
            locations_per_account=2,
            years=1,
            prefetch=prefetch,
        ) as running:
            c = client_for(running)
            body = {
                "location_ids": loc_ids(running),
                "limit": 80,
                "query": {
                    "filter": {
                        "date_time_filter": {"closed_at": {"start_at": "2026-01-20T00:00:00Z"}}
                    },
                    "sort": {"sort_field": "CLOSED_AT", "sort_order": "ASC"},
                },
            }
            out = []
            for _ in range(3):
                r = c.post("/v2/orders/search", json=body)
                out.append(r.content)
                body["cursor"] = r.json()["cursor"]
            c.close()
            return out

    assert pages(True) == pages(False)


def test_in_process_app_and_python_helpers(validator) -> None:
    from square_simulator.testing import InProcessClient, build_app, run_in_thread

    app, state = build_app(
        seed=3, now="2026-04-01T10:00:00Z", accounts=1, locations_per_account=1, years=1
    )
    client = InProcessClient(
        app, headers={"Authorization": f"Bearer {state.sim.accounts[0].personal_access_token}"}
    )
    r = client.get("/v2/locations")
    validator.check("GET", "/v2/locations", r.status_code, r.content)
    assert r.json()["locations"][0]["currency"] == "GBP"
    r = client.post(
        "/v2/orders/search", json={"location_ids": [r.json()["locations"][0]["id"]], "limit": 3}
    )
    validator.check("POST", "/v2/orders/search", r.status_code, r.content)
    assert len(r.json()["orders"]) == 3
    client.close()
    with run_in_thread(
        seed=3, now="2026-04-01T10:00:00Z", accounts=1, locations_per_account=1, years=1
    ) as running:
        acct = running.create_account(
            business_name="Scenario Shop",
            country="US",
            currency="USD",
            locations=[{"name": "NYC", "timezone": "America/New_York"}],
        )
        loc = acct.locations[0]
        order = {
            "id": "SCENARIO-1",
            "location_id": loc.id,
            "state": "COMPLETED",
            "created_at": "2026-03-08T06:30:00Z",
            "closed_at": "2026-03-08T06:30:00Z",
            "updated_at": "2026-03-08T06:30:00Z",
            "version": 1,
            "total_money": {"amount": 1234, "currency": "USD"},
        }
        running.import_orders([order])
        with ValidatingClient(validator, running.base_url, acct.personal_access_token) as c:
            got = c.post("/v2/orders/search", json={"location_ids": [loc.id]}).json()
            assert got["orders"] == [order]


def test_updating_a_generated_order_replaces_it_everywhere(sim, client_for) -> None:
    c = client_for(sim)
    locs = loc_ids(sim)
    query = {"filter": {"state_filter": {"states": ["OPEN"]}}}
    open_order = c.post(
        "/v2/orders/search", json={"location_ids": locs, "limit": 1, "query": query}
    ).json()["orders"][0]
    r = c.put(
        f"/v2/orders/{open_order['id']}",
        json={
            "order": {
                "location_id": open_order["location_id"],
                "version": open_order["version"],
                "state": "CANCELED",
            }
        },
    )
    assert r.status_code == 200
    canceled = r.json()["order"]
    assert canceled["state"] == "CANCELED" and canceled["closed_at"] == "2026-06-15T12:00:00.000Z"
    assert c.get(f"/v2/orders/{open_order['id']}").json()["order"] == canceled
    window = {
        "location_ids": locs,
        "limit": 1000,
        "query": {
            "filter": {
                "date_time_filter": {
                    "created_at": {
                        "start_at": open_order["created_at"],
                        "end_at": open_order["created_at"],
                    }
                }
            },
            "sort": {"sort_field": "CREATED_AT"},
        },
    }
    found = [
        o
        for o in c.post("/v2/orders/search", json=window).json()["orders"]
        if o["id"] == open_order["id"]
    ]
    assert found == [canceled]
    stale = c.put(
        f"/v2/orders/{open_order['id']}",
        json={"order": {"location_id": open_order["location_id"], "version": 1}},
    )
    assert stale.status_code == 400
