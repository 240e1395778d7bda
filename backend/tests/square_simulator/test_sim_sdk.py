"""The official ``squareup`` SDK, pointed at a real simulator server by base URL, reads every
endpoint (pagers iterated to the end) and writes the sandbox-style ones. Its HTTP client
validates every response against the spec on the way (see conftest.py)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sim_helpers import loc_ids, sdk_http_client
from square import Square
from square.core.api_error import ApiError

# The SDK's own models use a pydantic attribute deprecated in pydantic 2; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The `__fields__` attribute is deprecated")


def sdk(running, validator, account: int = 0, token: str | None = None) -> Square:
    return Square(
        base_url=running.base_url,
        token=token if token is not None else running.token(account),
        httpx_client=sdk_http_client(validator),
    )


def test_sdk_reads_merchants_locations_catalog_team(shared_sim, validator) -> None:
    client = sdk(shared_sim, validator, 1)
    acct = shared_sim.accounts[1]
    merchants = list(client.merchants.list())
    assert [m.id for m in merchants] == [acct.merchant_id]
    assert client.merchants.get(merchant_id="me").merchant.currency == "EUR"
    locs = client.locations.list().locations
    assert [loc.id for loc in locs] == loc_ids(shared_sim, 1)
    assert client.locations.get(location_id=locs[0].id).location.timezone == "Europe/Dublin"
    objects = list(client.catalog.list())
    assert {o.type for o in objects} >= {"ITEM", "CATEGORY", "TAX", "DISCOUNT"}
    taxes = [o for o in objects if o.type == "TAX"]
    assert sorted(t.tax_data.percentage for t in taxes) == ["13.5", "23"]
    items = [o for o in objects if o.type == "ITEM"]
    assert all(
        v.item_variation_data.price_money.currency == "EUR"
        for i in items
        for v in i.item_data.variations
    )
    found = client.catalog.search(object_types=["ITEM"], limit=4)
    assert len(found.objects) == 4 and found.cursor
    got = client.catalog.batch_get(object_ids=[items[0].id], include_related_objects=True)
    assert got.objects[0].id == items[0].id and got.related_objects
    members: list[Any] = []
    cursor = None
    while True:
        page = (
            client.team_members.search(limit=3, cursor=cursor)
            if cursor
            else client.team_members.search(limit=3)
        )
        members += page.team_members or []
        cursor = page.cursor
        if not cursor:
            break
    assert len(members) == len(acct.team)
    status = client.o_auth.retrieve_token_status()
    assert status.merchant_id == acct.merchant_id


def test_sdk_pages_through_orders(shared_sim, validator) -> None:
    client = sdk(shared_sim, validator, 2)
    locs = loc_ids(shared_sim, 2)
    query = {
        "filter": {
            "date_time_filter": {
                "closed_at": {"start_at": "2026-06-12T15:00:00Z", "end_at": "2026-06-12T16:30:00Z"}
            },
            "state_filter": {"states": ["COMPLETED"]},
        },
        "sort": {"sort_field": "CLOSED_AT", "sort_order": "ASC"},
    }
    orders: list[Any] = []
    cursor, pages = None, 0
    while True:
        kw: dict[str, Any] = {"cursor": cursor} if cursor else {}
        page = client.orders.search(location_ids=locs, query=query, limit=25, **kw)
        orders += page.orders or []
        pages += 1
        cursor = page.cursor
        if not cursor:
            break
    assert pages > 1 and len(orders) > 25
    assert all(o.state == "COMPLETED" for o in orders)
    closed = [o.closed_at for o in orders]
    assert closed == sorted(closed)
    sample = orders[:3]
    got = client.orders.batch_get(order_ids=[o.id for o in sample]).orders
    assert [o.id for o in got] == [o.id for o in sample]
    one = client.orders.get(order_id=sample[0].id).order
    assert one.total_money.amount == sample[0].total_money.amount
    assert one.total_money.currency == "USD"
    taxed = next(o for o in orders if o.taxes)
    assert taxed.taxes[0].type == "ADDITIVE"
    entries = client.orders.search(location_ids=locs[:1], query=query, return_entries=True, limit=5)
    assert len(entries.order_entries) == 5


def test_sdk_pagers_for_payments_and_refunds(shared_sim, validator) -> None:
    client = sdk(shared_sim, validator, 0)
    payments = list(
        client.payments.list(
            begin_time="2026-06-13T00:00:00Z", end_time="2026-06-14T00:00:00Z", limit=40
        )
    )
    assert len(payments) > 80
    assert len({p.id for p in payments}) == len(payments)
    assert all("2026-06-13" <= p.created_at < "2026-06-14" for p in payments)
    assert client.payments.get(payment_id=payments[0].id).payment.id == payments[0].id
    refunds = list(client.refunds.list(begin_time="2026-05-15T00:00:00Z", limit=5))
    assert len(refunds) > 5
    assert (
        client.refunds.get(refund_id=refunds[0].id).refund.amount_money.amount
        == refunds[0].amount_money.amount
    )
    with pytest.raises(ApiError) as err:
        client.payments.get(payment_id="NOPE")
    assert err.value.status_code == 404


def test_sdk_writes_create_pay_refund_cancel(sim, validator) -> None:
    client = sdk(sim, validator, 0)
    loc = loc_ids(sim)[0]
    acct = sim.accounts[0]
    var = acct.catalog.items[0].variations[0]
    tax = acct.catalog.taxes[0]
    created = client.orders.create(
        idempotency_key=str(uuid.uuid4()),
        order={
            "location_id": loc,
            "line_items": [
                {"catalog_object_id": var.id, "quantity": "2"},
                {
                    "name": "Custom",
                    "quantity": "1",
                    "base_price_money": {"amount": 500, "currency": "GBP"},
                },
            ],
            "taxes": [
                {
                    "uid": "vat",
                    "name": "VAT",
                    "percentage": "20",
                    "type": "INCLUSIVE",
                    "scope": "ORDER",
                    "catalog_object_id": tax.id,
                }
            ],
        },
    ).order
    assert created.state == "OPEN"
    assert created.total_money.amount == var.price * 2 + 500
    # inclusive VAT is worked out per line: price * 20/120, rounded half up
    per_line = (var.price * 2 * 20 + 60) // 120 + (500 * 20 + 60) // 120
    assert created.total_tax_money.amount == per_line
    payment = client.payments.create(
        source_id="cnon:card-nonce-ok",
        idempotency_key=str(uuid.uuid4()),
        amount_money={"amount": created.total_money.amount, "currency": "GBP"},
        tip_money={"amount": 100, "currency": "GBP"},
        order_id=created.id,
        autocomplete=True,
    ).payment
    assert (
        payment.status == "COMPLETED"
        and payment.total_money.amount == created.total_money.amount + 100
    )
    done = client.orders.get(order_id=created.id).order
    assert done.state == "COMPLETED" and done.tenders[0].payment_id == payment.id
    assert done.total_money.amount == created.total_money.amount + 100
    refund = client.refunds.refund_payment(
        idempotency_key=str(uuid.uuid4()),
        payment_id=payment.id,
        amount_money={"amount": 300, "currency": "GBP"},
        reason="Broken cup",
    ).refund
    assert refund.amount_money.amount == 300
    ret = client.orders.get(order_id=refund.order_id).order
    assert ret.returns[0].source_order_id == created.id
    assert ret.net_amounts.total_money.amount == -300
    assert client.payments.get(payment_id=payment.id).payment.refunded_money.amount == 300
    with pytest.raises(ApiError):
        client.refunds.refund_payment(
            idempotency_key=str(uuid.uuid4()),
            payment_id=payment.id,
            amount_money={"amount": 10**6, "currency": "GBP"},
        )
    # cancel another open order through UpdateOrder
    other = client.orders.create(
        idempotency_key=str(uuid.uuid4()),
        order={"location_id": loc, "line_items": [{"catalog_object_id": var.id, "quantity": "1"}]},
    ).order
    canceled = client.orders.update(
        order_id=other.id, order={"location_id": loc, "version": other.version, "state": "CANCELED"}
    ).order
    assert canceled.state == "CANCELED" and canceled.version == other.version + 1
    with pytest.raises(ApiError):
        client.orders.update(order_id=other.id, order={"location_id": loc, "state": "OPEN"})
    new_loc = client.locations.create(location={"name": "Pop-up"}).location
    assert new_loc.currency == "GBP"
    assert new_loc.id in [x.id for x in client.locations.list().locations]
    # what was written is searchable
    found = client.orders.search(
        location_ids=[loc],
        query={
            "filter": {
                "state_filter": {"states": ["CANCELED"]},
                "date_time_filter": {"updated_at": {"start_at": "2026-06-15T11:59:00Z"}},
            },
            "sort": {"sort_field": "UPDATED_AT"},
        },
    ).orders
    assert other.id in [o.id for o in found]
