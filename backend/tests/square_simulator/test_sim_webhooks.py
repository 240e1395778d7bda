"""Webhooks: Square's envelope and signature (checked with the SDK's helper), retries."""

from __future__ import annotations

import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
from sim_helpers import loc_ids
from square.utils.webhooks_helper import verify_signature

from square_simulator.util import ms_to_rfc3339


class Receiver:
    """A loopback endpoint that fails its first ``fail_first`` deliveries."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_left = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                if receiver.fail_left > 0:
                    receiver.fail_left -= 1
                    self.send_response(500)
                else:
                    receiver.received.append(
                        ({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/square"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_events_are_signed_and_retried(sim, client_for) -> None:
    rx = Receiver(fail_first=2)
    try:
        admin = httpx.Client(base_url=sim.base_url)
        sub = admin.post(
            "/_simulator/webhooks",
            json={"notification_url": rx.url, "signature_key": "sig-key-123"},
        ).json()["subscription"]
        assert sub["event_types"][0] == "order.created"
        c = client_for(sim)
        loc = loc_ids(sim)[0]
        order = c.post(
            "/v2/orders",
            json={
                "idempotency_key": str(uuid.uuid4()),
                "order": {
                    "location_id": loc,
                    "line_items": [
                        {
                            "name": "Thing",
                            "quantity": "1",
                            "base_price_money": {"amount": 1000, "currency": "GBP"},
                        }
                    ],
                },
            },
        ).json()["order"]
        pay = c.post(
            "/v2/payments",
            json={
                "source_id": "CASH",
                "idempotency_key": str(uuid.uuid4()),
                "amount_money": {"amount": 1000, "currency": "GBP"},
                "order_id": order["id"],
                "cash_details": {"buyer_supplied_money": {"amount": 2000, "currency": "GBP"}},
            },
        ).json()["payment"]
        assert pay["cash_details"]["change_back_money"]["amount"] == 1000
        c.post(
            "/v2/refunds",
            json={
                "idempotency_key": str(uuid.uuid4()),
                "payment_id": pay["id"],
                "amount_money": {"amount": 400, "currency": "GBP"},
            },
        )
        assert sim.state.webhooks.wait_idle(15)
        types = [json.loads(b)["type"] for _, b in rx.received]
        # The order came from CreateOrder, so it is announced (and its payment's update of it);
        # the refund's return order is Square's own and is announced by refund.created alone.
        assert sorted(types) == sorted(
            [
                "order.created",
                "payment.created",
                "order.updated",
                "refund.created",
                "payment.updated",
            ]
        )
        for headers, body in rx.received:
            assert verify_signature(
                request_body=body.decode(),
                signature_header=headers["x-square-hmacsha256-signature"],
                signature_key="sig-key-123",
                notification_url=rx.url,
            )
            assert not verify_signature(
                request_body=body.decode(),
                signature_header=headers["x-square-hmacsha256-signature"],
                signature_key="wrong",
                notification_url=rx.url,
            )
            env = json.loads(body)
            assert env["merchant_id"] == sim.accounts[0].merchant_id
            assert set(env) >= {"merchant_id", "type", "event_id", "created_at", "data"}
            assert set(env["data"]) == {"type", "id", "object"}
        created = next(
            json.loads(b)
            for _, b in rx.received
            if json.loads(b)["type"] == "order.created"
            and json.loads(b)["data"]["id"] == order["id"]
        )
        assert created["data"]["object"]["order_created"]["state"] == "OPEN"
        deliveries = admin.get("/_simulator/webhooks-deliveries").json()["deliveries"]
        assert max(d["attempts"] for d in deliveries) >= 2  # the first two were refused
        assert all(d["delivered"] for d in deliveries)
        admin.close()
    finally:
        rx.close()


def test_imported_orders_can_emit_events_and_filter_by_type(sim) -> None:
    rx = Receiver()
    try:
        sim.state.webhooks.subscribe(url=rx.url, event_types=["order.created"], signature_key="k")
        order = {
            "id": "IMPORTED-HOOK-1",
            "location_id": loc_ids(sim)[0],
            "state": "OPEN",
            "created_at": "2026-06-15T10:00:00.000Z",
            "version": 1,
        }
        sim.import_orders([order], emit_events=True)
        assert sim.state.webhooks.wait_idle(10)
        assert [json.loads(b)["data"]["id"] for _, b in rx.received] == ["IMPORTED-HOOK-1"]
    finally:
        rx.close()


def _search_entries(c, sim, start_at: str, end_at: str) -> set[str]:
    found = c.post(
        "/v2/orders/search",
        json={
            "location_ids": loc_ids(sim),
            "limit": 1000,
            "return_entries": True,
            "query": {
                "filter": {
                    "date_time_filter": {"updated_at": {"start_at": start_at, "end_at": end_at}}
                },
                "sort": {"sort_field": "UPDATED_AT", "sort_order": "ASC"},
            },
        },
    ).json()
    return {e["order_id"] for e in found["order_entries"]}


def test_till_sales_are_announced_by_payment_and_refund_events_never_order_events(
    sim, client_for, event_schema
) -> None:
    """Square publishes order.* only for CreateOrder orders; a sale rung up at the till is
    announced by payment.created and payment.updated (COMPLETED, naming its order), a refund by
    refund.created and refund.updated."""
    rx = Receiver()
    try:
        sim.set_time("2026-06-16T09:00:00Z")
        sim.state.webhooks.subscribe(
            url=rx.url, signature_key="live", merchant_id=sim.accounts[0].merchant_id
        )
        sim.advance(6 * 3600)
        sim.state.tick()
        assert sim.state.webhooks.wait_idle(15)
        events = [json.loads(b) for _, b in rx.received]
        assert events
        assert not [e["type"] for e in events if e["type"].startswith("order.")]
        assert {e["type"] for e in events} == {
            "payment.created",
            "payment.updated",
            "refund.created",
            "refund.updated",
        }
        c = client_for(sim)
        changed = _search_entries(c, sim, "2026-06-16T09:00:00.001Z", "2026-06-16T15:00:00Z")
        by_order: dict[str, set[str]] = {}
        for e in events:
            obj = e["data"]["object"][e["data"]["type"]]
            assert e["data"]["id"] == obj["id"]
            assert set(e) == {"merchant_id", "type", "event_id", "created_at", "data"}
            assert e["merchant_id"] == sim.accounts[0].merchant_id
            assert obj["location_id"] in loc_ids(sim)
            event_schema(e)
            # What the event carries is what Square serves for that object.
            path = "/v2/payments/" if e["data"]["type"] == "payment" else "/v2/refunds/"
            served = c.get(path + obj["id"]).json()[e["data"]["type"]]
            assert served["order_id"] == obj["order_id"]
            by_order.setdefault(obj["order_id"], set()).add(e["type"])
        # Every sale announced is an order that changed in the window, found by search.
        assert set(by_order) <= changed | {
            p["order_id"]
            for p in (
                c.get(f"/v2/payments/{e['data']['id']}").json()["payment"]
                for e in events
                if e["type"] == "payment.updated"
            )
        }
        new_sales = [types for types in by_order.values() if "payment.created" in types]
        assert new_sales and all("payment.updated" in types for types in new_sales)
        completed = [
            e["data"]["object"]["payment"]
            for e in events
            if e["type"] == "payment.updated" and e["data"]["type"] == "payment"
        ]
        assert completed and all(p["status"] == "COMPLETED" for p in completed)
        refunds = [e for e in events if e["type"].startswith("refund.")]
        assert {e["type"] for e in refunds} == {"refund.created", "refund.updated"}
        for headers, body in rx.received:
            assert verify_signature(
                request_body=body.decode(),
                signature_header=headers["x-square-hmacsha256-signature"],
                signature_key="live",
                notification_url=rx.url,
            )
    finally:
        rx.close()


def test_orders_made_through_the_api_are_still_announced_with_order_events(
    sim, client_for, event_schema
) -> None:
    rx = Receiver()
    try:
        sim.state.webhooks.subscribe(
            url=rx.url, event_types=["order.created", "order.updated"], signature_key="o"
        )
        c = client_for(sim)
        order = c.post(
            "/v2/orders",
            json={
                "idempotency_key": str(uuid.uuid4()),
                "order": {
                    "location_id": loc_ids(sim)[0],
                    "line_items": [
                        {
                            "name": "Scarf",
                            "quantity": "1",
                            "base_price_money": {"amount": 1500, "currency": "GBP"},
                        }
                    ],
                },
            },
        ).json()["order"]
        c.put(
            f"/v2/orders/{order['id']}",
            json={"idempotency_key": str(uuid.uuid4()), "order": {"reference_id": "R1"}},
        )
        assert sim.state.webhooks.wait_idle(10)
        events = [json.loads(b) for _, b in rx.received]
        assert [(e["type"], e["data"]["id"]) for e in events] == [
            ("order.created", order["id"]),
            ("order.updated", order["id"]),
        ]
        for e in events:
            event_schema(e)
    finally:
        rx.close()


def test_api_refunds_settle_from_pending_to_completed(sim, client_for) -> None:
    rx = Receiver()
    try:
        sim.state.webhooks.subscribe(
            url=rx.url, event_types=["refund.updated", "order.updated"], signature_key="r"
        )
        c = client_for(sim)
        loc = loc_ids(sim)[0]
        order = c.post(
            "/v2/orders",
            json={
                "idempotency_key": str(uuid.uuid4()),
                "order": {
                    "location_id": loc,
                    "line_items": [
                        {
                            "name": "Mug",
                            "quantity": "1",
                            "base_price_money": {"amount": 900, "currency": "GBP"},
                        }
                    ],
                },
            },
        ).json()["order"]
        pay = c.post(
            "/v2/payments",
            json={
                "source_id": "cnon:card-nonce-ok",
                "idempotency_key": str(uuid.uuid4()),
                "amount_money": {"amount": 900, "currency": "GBP"},
                "order_id": order["id"],
            },
        ).json()["payment"]
        refund = c.post(
            "/v2/refunds",
            json={
                "idempotency_key": str(uuid.uuid4()),
                "payment_id": pay["id"],
                "amount_money": {"amount": 900, "currency": "GBP"},
            },
        ).json()["refund"]
        assert refund["status"] == "PENDING"
        ret = c.get(f"/v2/orders/{refund['order_id']}").json()["order"]
        assert ret["refunds"][0]["status"] == "PENDING"
        sim.advance(61)
        done = c.get(f"/v2/refunds/{refund['id']}").json()["refund"]
        assert done["status"] == "COMPLETED" and done["updated_at"] > done["created_at"]
        ret = c.get(f"/v2/orders/{refund['order_id']}").json()["order"]
        assert ret["refunds"][0]["status"] == "APPROVED" and ret["version"] == 2
        assert sim.state.webhooks.wait_idle(10)
        mine = {refund["id"], refund["order_id"]}
        types = sorted(
            e["type"] for e in (json.loads(b) for _, b in rx.received) if e["data"]["id"] in mine
        )
        # The return order is Square's own (not CreateOrder): its update is not announced.
        assert types == ["refund.updated"]
    finally:
        rx.close()


def test_a_sale_rung_up_at_the_till_is_served_like_any_sale_and_announced_by_payments(
    sim, client_for, event_schema
) -> None:
    rx = Receiver()
    try:
        sim.state.webhooks.subscribe(url=rx.url, signature_key="till")
        admin = httpx.Client(base_url=sim.base_url)
        loc = loc_ids(sim)[1]
        sale = admin.post(
            "/_simulator/till-sale", json={"location_id": loc, "amount": 1234, "tender": "CARD"}
        ).json()
        cash = sim.ring_up(loc, 500, tender="CASH")
        refused = admin.post("/_simulator/till-sale", json={"location_id": "NOPE", "amount": 1})
        assert refused.status_code == 400
        assert refused.json()["errors"][0]["field"] == "location_id"
        assert sim.state.webhooks.wait_idle(10)
        events = [json.loads(b) for _, b in rx.received]
        assert [(e["type"], e["data"]["id"]) for e in events] == [
            ("payment.created", sale["payment"]["id"]),
            ("payment.updated", sale["payment"]["id"]),
            ("payment.created", cash["payment"]["id"]),
            ("payment.updated", cash["payment"]["id"]),
        ]
        for e in events:
            event_schema(e)
            paid = e["data"]["object"]["payment"]
            assert paid["status"] == "COMPLETED" and paid["location_id"] == loc
        c = client_for(sim)
        for rung in (sale, cash):
            order = c.get(f"/v2/orders/{rung['order']['id']}").json()["order"]
            assert order["state"] == "COMPLETED"
            assert order["source"]["name"] == "Square Point of Sale"
            assert order["tenders"][0]["payment_id"] == rung["payment"]["id"]
            payment = c.get(f"/v2/payments/{rung['payment']['id']}").json()["payment"]
            assert payment["order_id"] == order["id"]
            assert payment["total_money"] == order["total_money"]
        assert sale["order"]["total_money"]["amount"] == 1234
        now = sim.state.clock.now()
        found = _search_entries(c, sim, ms_to_rfc3339(now - 1000), ms_to_rfc3339(now + 1000))
        assert {sale["order"]["id"], cash["order"]["id"]} <= found
        admin.close()
    finally:
        rx.close()
