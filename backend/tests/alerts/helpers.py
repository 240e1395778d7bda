"""Building a store's sales for the alert tests: Square orders written by the sync's own path
(`square.flows.write_orders`), which brings the rollups the reports read up to date."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.locations import service as location_service
from app.locations.models import Location
from app.square import flows as square_flows
from app.square.models import SquareConnection
from app.users.models import Role
from tests.factories import Member, make_connection, make_location, make_org, make_user
from tests.reports.scenario import _m, _order, _tender

_ids = itertools.count(1)


def sale(square_location_id: str, day: date, amount: int, currency: str = "GBP") -> dict[str, Any]:
    """One completed card sale of `amount` minor units (no tax) at noon UTC on `day`."""
    oid = f"O{next(_ids)}"
    return _order(
        oid,
        square_location_id,
        currency,
        f"{day.isoformat()}T12:00:00Z",
        line_items=[
            {
                "uid": f"{oid}-line",
                "quantity": "1",
                "item_type": "ITEM",
                "name": "Coat",
                "gross_sales_money": _m(amount, currency),
                "total_discount_money": _m(0, currency),
                "total_tax_money": _m(0, currency),
                "total_money": _m(amount, currency),
            }
        ],
        total_money=_m(amount, currency),
        tenders=[_tender(f"{oid}-T", "CARD", amount, currency)],
    )


@dataclass
class Chain:
    org_id: int
    connection: SquareConnection
    owner: Member
    admin: Member
    viewer: Member


def make_chain(db: Session) -> Chain:
    org_id = make_org(db, "Chain")
    return Chain(
        org_id=org_id,
        connection=make_connection(db, org_id=org_id),
        owner=make_user(db, org_id=org_id, role=Role.owner),
        admin=make_user(db, org_id=org_id, role=Role.admin),
        viewer=make_user(db, org_id=org_id, role=Role.viewer),
    )


def add_store(db: Session, chain: Chain, name: str, **extra: Any) -> Location:
    location = make_location(db, org_id=chain.org_id, name=name, **extra)
    location.square_location_id = f"L{location.id}"
    location.connection_id = chain.connection.id
    db.commit()
    return location


def manager_of(db: Session, chain: Chain, *stores: Location) -> Member:
    manager = make_user(db, org_id=chain.org_id, role=Role.manager)
    location_service.set_grants(
        db=db, org_id=chain.org_id, user_id=manager.user.id, location_ids=[s.id for s in stores]
    )
    db.commit()
    return manager


def sell(db: Session, chain: Chain, store: Location, sales: dict[date, int]) -> None:
    """A day's takings per date, as one sale each."""
    assert store.square_location_id is not None
    square_flows.write_orders(
        db=db,
        org_id=chain.org_id,
        connection_id=chain.connection.id,
        orders=[sale(store.square_location_id, day, amount) for day, amount in sales.items()],
        locations={store.square_location_id: store},
    )
    db.commit()
