"""Footfall's change trail: every change to an entry is written to `footfall_audit`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.apikeys.models import ApiKey
from app.footfall.models import FootfallAudit
from app.footfall.rules import Key, Stored
from app.footfall.schemas import FootfallAuditPage, FootfallAuditRead
from app.locations import service as location_service
from app.users.models import User


def list_audit(
    *,
    db: Session,
    user: User,
    location_id: int | None,
    date_from: date | None,
    date_to: date | None,
    limit: int,
    offset: int,
) -> FootfallAuditPage:
    """The change trail, newest first: a manager sees only their granted locations."""
    query = (
        select(FootfallAudit, User.full_name, ApiKey.name)
        .outerjoin(User, User.id == FootfallAudit.changed_by_id)
        .outerjoin(ApiKey, ApiKey.id == FootfallAudit.api_key_id)
    )
    query = query.where(FootfallAudit.org_id == user.org_id)
    if location_id is not None:
        location_service.check_access(
            db=db, user=user, location_ids=[location_id], field="location_id"
        )
        query = query.where(FootfallAudit.location_id == location_id)
    else:
        allowed = location_service.granted_ids(db=db, user=user)
        if allowed is not None:
            query = query.where(FootfallAudit.location_id.in_(allowed))
    if date_from is not None:
        query = query.where(FootfallAudit.entry_date >= date_from)
    if date_to is not None:
        query = query.where(FootfallAudit.entry_date <= date_to)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(
        query.order_by(FootfallAudit.changed_at.desc(), FootfallAudit.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    items = [
        FootfallAuditRead(
            id=a.id,
            location_id=a.location_id,
            date=a.entry_date,
            hour=a.hour,
            action=a.action,
            old_count=a.old_count,
            old_closed=a.old_closed,
            new_count=a.new_count,
            new_closed=a.new_closed,
            source=a.source,
            changed_by=a.changed_by_id,
            changed_by_name=name,
            changed_at=a.changed_at,
            api_key_id=a.api_key_id,
            api_key_name=key_name,
        )
        for a, name, key_name in rows
    ]
    return FootfallAuditPage(items=items, total=total, limit=limit, offset=offset)


def audit_row(
    *,
    org_id: int,
    key: Key,
    action: str,
    old: Stored | None,
    new: tuple[int | None, bool] | None,
    source: str,
    user_id: int | None,
    now: datetime,
) -> FootfallAudit:
    return FootfallAudit(**_audit_values(org_id, key, action, old, new, source, user_id, now))


def _audit_values(
    org_id: int,
    key: Key,
    action: str,
    old: Stored | None,
    new: tuple[int | None, bool] | None,
    source: str,
    user_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "location_id": key[0],
        "entry_date": key[1],
        "hour": key[2],
        "action": action,
        "old_count": old[1] if old else None,
        "old_closed": old[2] if old else None,
        "new_count": new[0] if new else None,
        "new_closed": new[1] if new else None,
        "source": source,
        "changed_by_id": user_id,
        "changed_at": now,
        "api_key_id": None,
    }


AUDIT_COLUMNS = (
    "org_id",
    "location_id",
    "entry_date",
    "hour",
    "action",
    "old_count",
    "old_closed",
    "new_count",
    "new_closed",
    "source",
    "changed_by_id",
    "changed_at",
    "api_key_id",
)
