"""Month versions (app/rollups/freshness.py): every write of rollups raises the versions of the
months it changes, so whatever was computed from them (the reports' caches) is retired; a rebuild
raises every month of the organization, at each of its locations."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.rollups import service as rollups
from app.rollups.models import MonthVersion
from app.square import flows as square_flows
from tests.factories import make_connection, make_location, make_org
from tests.sales.test_tax_basis import toastie


def versions(db: Session) -> dict[tuple[int, date], int]:
    return {(row.location_id, row.month): row.version for row in db.scalars(select(MonthVersion))}


def test_writes_and_a_rebuild_raise_the_versions_of_their_months(db: Session, db_kind: str) -> None:
    org_id = make_org(db)
    connection = make_connection(db, org_id=org_id)
    shop = make_location(db, org_id=org_id)
    shop.square_location_id, shop.connection_id = "LTOASTIE", connection.id
    quiet = make_location(db, org_id=org_id)  # no sales: its months are retired by a rebuild
    db.commit()
    square_flows.write_orders(
        db=db,
        org_id=org_id,
        connection_id=connection.id,
        orders=[
            toastie("O1", "2026-09-15T12:00:00Z", gross=750, discount=0, vat=125),
            toastie("O2", "2026-10-15T12:00:00Z", gross=750, discount=0, vat=125),
        ],
        locations={"LTOASTIE": shop},
    )
    db.commit()
    september, october = date(2026, 9, 1), date(2026, 10, 1)
    if db_kind != "postgres":
        # SQLite keeps no computed months, so it keeps no versions.
        assert versions(db) == {}
        return
    written = versions(db)
    assert written == {(shop.id, september): 1, (shop.id, october): 1}

    rollups.rebuild(db, org_id)
    db.commit()
    rebuilt = versions(db)
    assert rebuilt == {
        (shop.id, september): 2,
        (shop.id, october): 2,
        (quiet.id, september): 1,
        (quiet.id, october): 1,
    }
