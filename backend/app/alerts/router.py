"""/api/v1/alerts: the occurrences (everyone signed in; a manager sees their stores') and the
rules (everyone may read; owner or admin change them, a manager their stores' overrides)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from app.alerts import service as alert_service
from app.alerts.schemas import (
    AlertOccurrencePage,
    AlertRulesRead,
    AlertRulesUpdate,
    StoreOverridesUpdate,
)
from app.auth.deps import AdminUser, CurrentUser, ManagerUser
from app.core.deps import DbSession
from app.core.inputs import Offset
from app.core.routing import BoundedJsonRoute

router = APIRouter(prefix="/alerts", tags=["alerts"], route_class=BoundedJsonRoute)

Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("", response_model=AlertOccurrencePage)
def list_alerts(
    db: DbSession,
    user: CurrentUser,
    state: Annotated[Literal["open", "closed"] | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> AlertOccurrencePage:
    """Alert occurrences, newest first; `state` keeps the open or the closed ones."""
    items, total = alert_service.list_occurrences(
        db=db, user=user, state=state, limit=limit, offset=offset
    )
    return AlertOccurrencePage(items=items, total=total)


@router.get("/rules", response_model=AlertRulesRead)
def read_rules(db: DbSession, user: CurrentUser) -> AlertRulesRead:
    """The organization's rule of every kind, the stores' overrides and the quiet hours."""
    return alert_service.read_rules(db=db, user=user)


@router.put("/rules", response_model=AlertRulesRead)
def replace_rules(db: DbSession, admin: AdminUser, body: AlertRulesUpdate) -> AlertRulesRead:
    """Save the whole rule set (owner or admin): organization rules, store overrides, quiet
    hours. A kind left out of `rules` goes back to its default; an override left out is gone."""
    return alert_service.replace_rules(db=db, admin=admin, body=body)


@router.put("/rules/overrides", response_model=AlertRulesRead)
def replace_store_overrides(
    db: DbSession, manager: ManagerUser, body: StoreOverridesUpdate
) -> AlertRulesRead:
    """Save the overrides of the stores in `location_ids` (a manager: stores granted to them;
    owner or admin: any): each store's overrides become those listed for it. The organization's
    rules, the quiet hours and other stores' overrides stay as they are."""
    return alert_service.replace_store_overrides(db=db, user=manager, body=body)
