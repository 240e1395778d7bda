"""Store groups: the areas or regions a chain reports by (one per area manager, say).

A store is in at most one group (`Location.group_id`), so a by-group breakdown's rows add up to
the total. Admins write; everyone reads, a manager only the groups holding stores they may see,
with only those stores. Another organization's group is not found, never visible.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core.errors import Conflict, InvalidField, NotFound
from app.locations import service as location_service
from app.locations.models import Location, LocationGroup
from app.locations.schemas import LocationGroupCreate, LocationGroupRead, LocationGroupUpdate
from app.users.models import User


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _stores(db: Session, user: User) -> list[Location]:
    return location_service.list_locations(db=db, user=user)


def _read(group: LocationGroup, stores: Iterable[Location]) -> LocationGroupRead:
    return LocationGroupRead(
        id=group.id,
        name=group.name,
        location_ids=[loc.id for loc in stores if loc.group_id == group.id],
    )


def list_groups(*, db: Session, user: User) -> list[LocationGroupRead]:
    """The organization's groups by name, each with the stores in it the user may see; a
    manager sees only the groups holding at least one of their stores."""
    stores = _stores(db, user)
    groups = db.scalars(
        select(LocationGroup)
        .where(LocationGroup.org_id == user.org_id)
        .order_by(LocationGroup.name_key, LocationGroup.id)
    )
    reads = [_read(group, stores) for group in groups]
    if location_service.granted_ids(db=db, user=user) is None:
        return reads
    return [read for read in reads if read.location_ids]


def _get(db: Session, org_id: int, group_id: int) -> LocationGroup:
    group = db.get(LocationGroup, group_id)
    if group is None or group.org_id != org_id:
        raise NotFound("location group", group_id)  # the same for another organization's
    return group


def _check_name(db: Session, org_id: int, name: str, group_id: int | None = None) -> str:
    key = _key(name)
    if not key:
        raise InvalidField("name", "A group needs a name")
    clash = db.scalar(
        select(LocationGroup.id).where(
            LocationGroup.org_id == org_id, LocationGroup.name_key == key
        )
    )
    if clash is not None and clash != group_id:
        raise Conflict(f"There is already a group named {name!r}", field="name")
    return key


def _assign(db: Session, org_id: int, group_id: int, location_ids: list[int]) -> None:
    """Make `location_ids` the group's stores: moved from any other group, the rest ungrouped."""
    ids = sorted(set(location_ids))
    known = set(
        db.scalars(select(Location.id).where(Location.org_id == org_id, Location.id.in_(ids)))
    )
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InvalidField("location_ids", f"Location {unknown[0]} does not exist")
    db.execute(
        update(Location)
        .where(Location.org_id == org_id, Location.group_id == group_id, Location.id.not_in(ids))
        .values(group_id=None)
    )
    if ids:
        db.execute(
            update(Location)
            .where(Location.org_id == org_id, Location.id.in_(ids))
            .values(group_id=group_id)
        )
    db.expire_all()


def create(*, db: Session, user: User, group_in: LocationGroupCreate) -> LocationGroupRead:
    """Add a group (name unique in the organization whatever its case) and put stores in it."""
    key = _check_name(db, user.org_id, group_in.name)
    group = LocationGroup(org_id=user.org_id, name=group_in.name.strip(), name_key=key)
    db.add(group)
    db.flush()
    _assign(db, user.org_id, group.id, group_in.location_ids)
    return _read(group, _stores(db, user))


def update_group(
    *, db: Session, user: User, group_id: int, group_in: LocationGroupUpdate
) -> LocationGroupRead:
    """Rename a group and/or replace its stores."""
    group = _get(db, user.org_id, group_id)
    if group_in.name is not None:
        group.name_key = _check_name(db, user.org_id, group_in.name, group.id)
        group.name = group_in.name.strip()
        db.flush()
    if group_in.location_ids is not None:
        _assign(db, user.org_id, group.id, group_in.location_ids)
    return _read(group, _stores(db, user))


def delete(*, db: Session, org_id: int, group_id: int) -> None:
    """Delete a group; its stores are then in no group (idempotent: a deleted group is gone)."""
    group = _get(db, org_id, group_id)
    db.execute(
        update(Location)
        .where(Location.org_id == org_id, Location.group_id == group.id)
        .values(group_id=None)
    )
    db.delete(group)
    db.flush()
    db.expire_all()


def location_ids(*, db: Session, user: User, group_ids: Iterable[int]) -> list[int]:
    """The stores of the groups that the user may see (a report's `group_ids`); a group that is
    not the organization's, or holds none of a manager's stores, is refused naming group_ids."""
    wanted = list(dict.fromkeys(group_ids))
    visible = {read.id: read for read in list_groups(db=db, user=user)}
    for group_id in wanted:
        if group_id not in visible:
            raise InvalidField(
                "group_ids", f"Location group {group_id} does not exist", location="query"
            )
    return sorted({i for group_id in wanted for i in visible[group_id].location_ids})
