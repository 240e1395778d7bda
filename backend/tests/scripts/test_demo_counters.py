"""`make run`'s demo counters (app/scripts/demo_counters.py): hourly counts that follow each
store's sales, sent through the real intake with a key, give the dashboard's conversion."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.scripts import demo_counters
from app.square import flows as square_flows
from app.users.models import Role
from tests.factories import make_connection, make_location, make_org, member_of
from tests.sales.test_tax_basis import toastie


def test_the_demo_counts_follow_the_sales_and_give_a_believable_conversion(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db, "Demo Retail Ltd")
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    connection = make_connection(db, org_id=org_id)
    shop = make_location(db, org_id=org_id, name="Clapham", timezone="Europe/London")
    shop.square_location_id, shop.connection_id = "LTOASTIE", connection.id
    db.commit()
    now = datetime(2026, 11, 20, 18, 30, tzinfo=UTC)  # a Friday evening in London (GMT)
    days = [now.date() - timedelta(days=d) for d in range(1, 8)]
    orders = [
        toastie(
            f"O{day}-{h}-{n}", f"{day}T{h:02d}:{10 * n:02d}:00Z", gross=600, discount=0, vat=100
        )
        for day in days
        for h in range(9, 18)
        for n in range(1 + (h % 3))
    ]
    square_flows.write_orders(
        db=db,
        org_id=org_id,
        connection_id=connection.id,
        orders=orders,
        locations={"LTOASTIE": shop},
    )
    db.commit()

    items = demo_counters.counts(org_id, days=10, now=now)
    assert items, "no counts for a store with sales"
    assert {i["interval"] for i in items} == {"hour"}
    # Only hours that are over: nothing from 18:00 on today.
    assert max(datetime.fromisoformat(i["start"]) for i in items) < now - timedelta(minutes=30)
    # The same inputs give the same counts: sending them again changes nothing.
    assert demo_counters.counts(org_id, days=10, now=now) == items
    sold = demo_counters.sales(org_id, days=10, now=now)
    assert sum(sum(hours.values()) for hours in sold.values()) == len(orders)
    assert demo_counters.counts(org_id, days=10, now=now, sold=sold) == items

    made = client.post(
        "/api/v1/api-keys", json={"name": "Demo door counters"}, headers=owner.headers
    )
    assert made.status_code == 201, made.text
    accepted, refused = demo_counters.push(client, made.json()["key"], items)
    assert (accepted, refused) == (len(items), 0)

    week = client.get(
        "/api/v1/reports/summary",
        params={"date_from": str(days[-1]), "date_to": str(days[0]), "compare": "none"},
        headers=owner.headers,
    ).json()["metrics"]
    # Days the counter was offline have no count; the others convert at 10-35 %.
    assert week["footfall"] > 0
    assert Decimal("0.10") <= Decimal(week["conversion_rate"]) <= Decimal("0.35")
    assert week["footfall"] == sum(i["count"] for i in items if i["start"][:10] in map(str, days))
