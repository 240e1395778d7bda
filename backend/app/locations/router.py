from __future__ import annotations

from fastapi import APIRouter

from app.auth.deps import AdminUser, CurrentUser
from app.core.deps import DbSession
from app.core.inputs import DbId
from app.core.routing import BoundedJsonRoute
from app.locations import service as location_service
from app.locations.models import Location
from app.locations.schemas import LocationGrants, LocationRead, LocationUpdate

router = APIRouter(tags=["locations"], route_class=BoundedJsonRoute)


@router.get("/locations/{location_id}", response_model=LocationRead)
def read_location(location_id: DbId, db: DbSession, user: CurrentUser) -> Location:
    return location_service.get(db=db, user=user, location_id=location_id)


@router.patch("/locations/{location_id}", response_model=LocationRead)
def update_location(
    location_id: DbId, location_in: LocationUpdate, db: DbSession, admin: AdminUser
) -> Location:
    return location_service.update(
        db=db, user=admin, location_id=location_id, location_in=location_in
    )


@router.get("/users/{user_id}/locations", response_model=LocationGrants)
def read_user_locations(user_id: DbId, db: DbSession, admin: AdminUser) -> LocationGrants:
    ids = location_service.list_grants(db=db, org_id=admin.org_id, user_id=user_id)
    return LocationGrants(location_ids=ids)


@router.put("/users/{user_id}/locations", response_model=LocationGrants)
def set_user_locations(
    user_id: DbId, grants_in: LocationGrants, db: DbSession, admin: AdminUser
) -> LocationGrants:
    ids = location_service.set_grants(
        db=db, org_id=admin.org_id, user_id=user_id, location_ids=grants_in.location_ids
    )
    return LocationGrants(location_ids=ids)
