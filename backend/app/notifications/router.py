"""Notification settings (one's own, and an owner's or admin's for the team) and the digests'
unsubscribe link, which works without signing in (the link's token is the credential)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, status

from app.auth.deps import AdminUser, CurrentUser
from app.core.deps import DbSession
from app.core.inputs import DbId
from app.core.routing import BoundedJsonRoute
from app.notifications import schedule as digest_schedule
from app.notifications import service as notification_service
from app.notifications.schemas import (
    NotificationsRead,
    NotificationsUpdate,
    PreviewCreate,
    PreviewRead,
    UnsubscribeRead,
)

router = APIRouter(tags=["notifications"], route_class=BoundedJsonRoute)

Token = Annotated[
    str, Query(min_length=1, max_length=128, description="The token of a digest's link")
]


# /users/me/... before /users/{user_id}/...: "me" is not an id.
@router.get("/users/me/notifications", response_model=NotificationsRead)
def read_my_notifications(db: DbSession, user: CurrentUser) -> NotificationsRead:
    """The digests you receive and your alerts e-mail switch."""
    return notification_service.read(db=db, user=user)


@router.put("/users/me/notifications", response_model=NotificationsRead)
def update_my_notifications(
    settings_in: NotificationsUpdate, db: DbSession, user: CurrentUser
) -> NotificationsRead:
    """Set the digests you receive and your alerts e-mail switch (the whole desired state)."""
    return notification_service.update(db=db, user=user, settings_in=settings_in)


@router.post(
    "/users/me/notifications/preview",
    response_model=PreviewRead,
    status_code=status.HTTP_202_ACCEPTED,
)
def preview_my_digest(preview_in: PreviewCreate, db: DbSession, user: CurrentUser) -> PreviewRead:
    """Mail yourself your daily (yesterday) or weekly (last week) digest now, as it is set up;
    the scheduled one still goes out. 409 when you have no store to report on."""
    return digest_schedule.preview(db=db, user=user, frequency=preview_in.frequency)


@router.get("/users/{user_id}/notifications", response_model=NotificationsRead)
def read_user_notifications(user_id: DbId, db: DbSession, admin: AdminUser) -> NotificationsRead:
    """A team member's digests and alerts switch (owner or admin)."""
    return notification_service.read_for(db=db, org_id=admin.org_id, user_id=user_id)


@router.put("/users/{user_id}/notifications", response_model=NotificationsRead)
def update_user_notifications(
    user_id: DbId, settings_in: NotificationsUpdate, db: DbSession, admin: AdminUser
) -> NotificationsRead:
    """Set up a team member's digests and alerts switch (owner or admin)."""
    return notification_service.update_for(
        db=db, org_id=admin.org_id, user_id=user_id, settings_in=settings_in
    )


@router.get("/notifications/unsubscribe", response_model=UnsubscribeRead)
def read_unsubscribe(token: Token, db: DbSession) -> UnsubscribeRead:
    """What a digest's unsubscribe link switches off (no sign-in; changes nothing)."""
    return notification_service.describe_link(db=db, token=token)


@router.post("/notifications/unsubscribe", response_model=UnsubscribeRead)
def unsubscribe(
    token: Token,
    db: DbSession,
    list_unsubscribe: Annotated[
        str | None,
        Form(
            alias="List-Unsubscribe",
            max_length=64,
            description="`One-Click`, as a mail client sends it (RFC 8058)",
        ),
    ] = None,
) -> UnsubscribeRead:
    """Switch off the digest the link came in: RFC 8058 one-click, as mail clients POST it
    (`List-Unsubscribe=One-Click`), or the web app's unsubscribe page. No sign-in; repeating
    it changes nothing."""
    return notification_service.unsubscribe(db=db, token=token)
