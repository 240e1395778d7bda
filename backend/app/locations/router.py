from __future__ import annotations

from fastapi import APIRouter, Response

from app.auth.deps import AdminUser, CurrentUser
from app.core.deps import DbSession
from app.core.inputs import DbId
from app.core.routing import BoundedJsonRoute
from app.locations import groups as group_service
from app.locations import service as location_service
from app.locations.models import Location
from app.locations.schemas import (
    LocationGrants,
    LocationGroupCreate,
    LocationGroupList,
    LocationGroupRead,
    LocationGroupUpdate,
    LocationRead,
    LocationUpdate,
)

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


@router.get("/location-groups", response_model=LocationGroupList)
def list_location_groups(db: DbSession, user: CurrentUser) -> LocationGroupList:
    """The store groups (areas, regions); a manager sees those holding their stores."""
    return LocationGroupList(groups=group_service.list_groups(db=db, user=user))


@router.post("/location-groups", response_model=LocationGroupRead, status_code=201)
def create_location_group(
    group_in: LocationGroupCreate, db: DbSession, admin: AdminUser
) -> LocationGroupRead:
    return group_service.create(db=db, user=admin, group_in=group_in)


@router.patch("/location-groups/{group_id}", response_model=LocationGroupRead)
def update_location_group(
    group_id: DbId, group_in: LocationGroupUpdate, db: DbSession, admin: AdminUser
) -> LocationGroupRead:
    return group_service.update_group(db=db, user=admin, group_id=group_id, group_in=group_in)


@router.delete("/location-groups/{group_id}", status_code=204)
def delete_location_group(group_id: DbId, db: DbSession, admin: AdminUser) -> Response:
    """Delete a group; its stores are then in no group."""
    group_service.delete(db=db, org_id=admin.org_id, group_id=group_id)
    return Response(status_code=204)
