"""Shared set-up for the footfall tests: an organization with two stores and one member per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.locations.models import Location
from app.users.models import Role
from tests.factories import Member, make_location, make_org, member_of

URL = "/api/v1/footfall"
MONDAY = date(2025, 6, 2)  # a past Monday: never "in the future", whatever the clock says


@dataclass
class Shop:
    org_id: int
    soho: Location
    leeds: Location
    owner: Member
    admin: Member
    manager: Member  # granted Soho only
    viewer: Member


def shop(client: TestClient, db: Session) -> Shop:
    org_id = make_org(db, "Shop")
    soho = make_location(db, org_id=org_id, name="Soho", square_location_id="SQ-SOHO")
    leeds = make_location(db, org_id=org_id, name="Leeds")
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    manager = member_of(client, db, org_id=org_id, role=Role.manager)
    viewer = member_of(client, db, org_id=org_id, role=Role.viewer)
    granted = client.put(
        f"/api/v1/users/{manager.user.id}/locations",
        json={"location_ids": [soho.id]},
        headers=admin.headers,
    )
    assert granted.status_code == 200, granted.text
    return Shop(org_id, soho, leeds, owner, admin, manager, viewer)


def post(client: TestClient, member: Member, **body: Any) -> Any:
    body.setdefault("date", MONDAY.isoformat())
    return client.post(URL, json=body, headers=member.headers)


def listing(client: TestClient, member: Member, **params: Any) -> list[dict[str, Any]]:
    params.setdefault("date_from", "2025-01-01")
    params.setdefault("date_to", "2025-12-31")
    response = client.get(URL, params=params, headers=member.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def upload(
    client: TestClient, member: Member, text: str, *, dry_run: bool = False, **params: Any
) -> Any:
    return client.post(
        f"{URL}/import",
        params={"dry_run": str(dry_run).lower(), **params},
        files={"file": ("footfall.csv", text.encode(), "text/csv")},
        headers=member.headers,
    )


def make_footfall_entry(db: Session, *, owner: Member, location_id: int) -> int:
    """A whole-day entry made through the service, for tests that need an entry id."""
    from app.footfall import grid as grid_service
    from app.footfall.schemas import FootfallCreate

    entry = grid_service.create(
        db=db,
        user=owner.user,
        entry_in=FootfallCreate(location_id=location_id, date=MONDAY, count=1),
    )
    db.commit()
    return entry.id
