from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from app.core.errors import Forbidden, InvalidField, NotFound
from app.locations import recalculation
from app.locations.models import Location, LocationGroup, UserLocation
from app.locations.schemas import LocationCreate, LocationUpdate
from app.organizations import service as org_service
from app.users.models import Role, User


def create(*, db: Session, org_id: int, location_in: LocationCreate) -> Location:
    """Add a location to the organization."""
    location = Location(org_id=org_id, **location_in.model_dump())
    db.add(location)
    db.flush()
    follow_timezone(db=db, org_id=org_id)
    return location


def most_common_timezone(*, db: Session, org_id: int) -> str | None:
    """The timezone most of the organization's stores keep (ties: the first by name); None
    without stores."""
    counted = db.execute(
        select(Location.timezone, func.count())
        .where(Location.org_id == org_id)
        .group_by(Location.timezone)
        .order_by(func.count().desc(), Location.timezone)
        .limit(1)
    ).first()
    return str(counted[0]) if counted else None


def follow_timezone(*, db: Session, org_id: int) -> None:
    """Until a person sets it, the organization keeps its stores' most common timezone (the
    digests' local hour follows it)."""
    org_service.follow_store_timezone(
        db=db, org_id=org_id, timezone=most_common_timezone(db=db, org_id=org_id)
    )


def granted_ids(*, db: Session, user: User) -> set[int] | None:
    """The location ids a user may see; None means every location of the organization."""
    if user.role != Role.manager:
        return None
    return set(db.scalars(select(UserLocation.location_id).where(UserLocation.user_id == user.id)))


def list_locations(*, db: Session, user: User) -> list[Location]:
    """The locations of the user's organization that the user may see, by name."""
    query = (
        select(Location)
        .where(Location.org_id == user.org_id)
        .order_by(Location.name)
        .options(selectinload(Location.recalculation))
    )
    allowed = granted_ids(db=db, user=user)
    if allowed is not None:
        query = query.where(Location.id.in_(allowed))
    return list(db.scalars(query))


def get(*, db: Session, user: User, location_id: int) -> Location:
    """One location: another organization's is not found, an ungranted one is forbidden."""
    location = db.get(Location, location_id, options=[selectinload(Location.recalculation)])
    if location is None or location.org_id != user.org_id:
        raise NotFound("location", location_id)
    check_access(db=db, user=user, location_ids=[location_id])
    return location


def check_access(
    *, db: Session, user: User, location_ids: Iterable[int], field: str = "location_ids"
) -> list[Location]:
    """The named locations, all of the user's organization and within the user's grant."""
    ids = list(dict.fromkeys(location_ids))
    if not ids:
        return []
    found = {
        loc.id: loc
        for loc in db.scalars(
            select(Location).where(Location.org_id == user.org_id, Location.id.in_(ids))
        )
    }
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound("location", missing[0])
    allowed = granted_ids(db=db, user=user)
    if allowed is not None:
        refused = [found[i] for i in ids if i not in allowed]
        if refused:
            # Only the id the caller sent: the name of a store outside their grant is not theirs.
            raise Forbidden(f"You do not have access to location {refused[0].id}", field=field)
    return [found[i] for i in ids]


def update(*, db: Session, user: User, location_id: int, location_in: LocationUpdate) -> Location:
    """Change Teliporter's own settings of a location; a new business-day start queues the
    re-dating of the sales already stored (app/locations/recalculation.py)."""
    location = get(db=db, user=user, location_id=location_id)
    start_hour = location.business_day_start_hour
    for field, value in location_in.model_dump(exclude_unset=True).items():
        if field == "business_day_start_hour" and value is None:
            raise InvalidField(field, "business_day_start_hour must be an hour from 0 to 23")
        if field == "group_id" and value is not None:
            group = db.get(LocationGroup, value)
            if group is None or group.org_id != location.org_id:
                raise InvalidField(field, f"Location group {value} does not exist")
        setattr(location, field, value)
    if location.opened_on and location.closed_on and location.closed_on < location.opened_on:
        field = "closed_on" if "closed_on" in location_in.model_fields_set else "opened_on"
        raise InvalidField(
            field,
            f"closed_on ({location.closed_on}) must be on or after opened_on "
            f"({location.opened_on})",
        )
    db.flush()
    if location.business_day_start_hour != start_hour:
        recalculation.request(
            db=db,
            location=location,
            reason=recalculation.start_hour_reason(start_hour, location.business_day_start_hour),
        )
    return location


def list_grants(*, db: Session, org_id: int, user_id: int) -> list[int]:
    """The location ids granted to a user of the organization."""
    from app.users import service as user_service

    user_service.get(db=db, org_id=org_id, user_id=user_id)
    return sorted(
        db.scalars(select(UserLocation.location_id).where(UserLocation.user_id == user_id))
    )


def set_grants(*, db: Session, org_id: int, user_id: int, location_ids: list[int]) -> list[int]:
    """Replace a user's location grants (idempotent)."""
    from app.users import service as user_service

    user_service.get(db=db, org_id=org_id, user_id=user_id)
    ids = sorted(set(location_ids))
    known = set(
        db.scalars(select(Location.id).where(Location.org_id == org_id, Location.id.in_(ids)))
    )
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InvalidField("location_ids", f"Location {unknown[0]} does not exist")
    db.execute(delete(UserLocation).where(UserLocation.user_id == user_id))
    db.add_all(UserLocation(user_id=user_id, location_id=i) for i in ids)
    db.flush()
    return ids


def upsert_from_square(
    *, db: Session, org_id: int, connection_id: int, square_locations: list[dict[str, Any]]
) -> dict[str, Location]:
    """Create or refresh the organization's locations from Square `Location` objects."""
    existing = {
        loc.square_location_id: loc
        for loc in db.scalars(
            select(Location).where(
                Location.org_id == org_id,
                Location.square_location_id.in_([s["id"] for s in square_locations]),
            )
        )
    }
    result: dict[str, Location] = {}
    moved: list[tuple[Location, str]] = []
    for square in square_locations:
        location = existing.get(square["id"])
        if location is None:
            location = Location(org_id=org_id, square_location_id=square["id"])
            db.add(location)
        elif location.timezone != (square.get("timezone") or "UTC"):
            # Its sales already stored were dated in the old timezone.
            moved.append((location, location.timezone))
        location.connection_id = connection_id
        location.name = square.get("name") or square["id"]
        location.timezone = square.get("timezone") or "UTC"
        location.currency = square.get("currency") or "USD"
        location.country = square.get("country")
        location.status = square.get("status") or "ACTIVE"
        result[square["id"]] = location
    db.flush()
    for location, old_timezone in moved:
        recalculation.request(
            db=db,
            location=location,
            reason=recalculation.timezone_reason(old_timezone, location.timezone),
        )
    follow_timezone(db=db, org_id=org_id)
    return result


def by_square_id(*, db: Session, org_id: int) -> dict[str, Location]:
    """The organization's Square locations keyed by Square location id."""
    return {
        loc.square_location_id: loc
        for loc in db.scalars(
            select(Location).where(
                Location.org_id == org_id, Location.square_location_id.is_not(None)
            )
        )
        if loc.square_location_id
    }
