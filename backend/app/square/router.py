from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Header, Query, Request, status
from fastapi.responses import RedirectResponse

from app.core.deps import AdminUser, CurrentUser, DbSession
from app.core.inputs import DbId
from app.core.routing import BoundedJsonRoute
from app.square import service as square_service
from app.square import sync
from app.square import webhooks as webhook_service
from app.square.schemas import (
    AuthorizeUrl,
    ConnectionPage,
    ConnectionRead,
    SyncRequest,
    SyncRunRead,
    SyncStarted,
)

router = APIRouter(prefix="/square", tags=["square"], route_class=BoundedJsonRoute)

SETTINGS_PAGE = "/settings/square"


@router.get("/connect", response_model=AuthorizeUrl)
def connect(db: DbSession, admin: AdminUser) -> AuthorizeUrl:
    return AuthorizeUrl(authorize_url=square_service.authorize_url(db=db, user=admin))


@router.get("/callback", response_class=RedirectResponse, status_code=status.HTTP_303_SEE_OTHER)
def callback(
    db: DbSession,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> RedirectResponse:
    outcome = square_service.complete_authorization(db=db, code=code, state=state, error=error)
    if outcome.connection_id is not None and outcome.org_id is not None:
        sync.start(
            db=db, org_id=outcome.org_id, connection_id=outcome.connection_id, trigger="connect"
        )
    query = urlencode({"square": outcome.outcome, "message": outcome.message})
    return RedirectResponse(f"{SETTINGS_PAGE}?{query}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/connections", response_model=ConnectionPage)
def list_connections(db: DbSession, user: CurrentUser) -> ConnectionPage:
    connections = square_service.list_connections(db=db, org_id=user.org_id)
    items = [square_service.describe(db=db, connection=c) for c in connections]
    return ConnectionPage(items=items, total=len(items))


@router.get("/connections/{connection_id}", response_model=ConnectionRead)
def read_connection(connection_id: DbId, db: DbSession, user: CurrentUser) -> ConnectionRead:
    connection = square_service.get(db=db, org_id=user.org_id, connection_id=connection_id)
    return square_service.describe(db=db, connection=connection)


@router.delete("/connections/{connection_id}", status_code=status.HTTP_204_NO_CONTENT)
def disconnect(
    connection_id: DbId,
    db: DbSession,
    admin: AdminUser,
    purge: Annotated[bool, Query(description="also delete the synced history")] = False,
) -> None:
    square_service.disconnect(db=db, org_id=admin.org_id, connection_id=connection_id, purge=purge)


@router.post("/sync", response_model=SyncStarted, status_code=status.HTTP_202_ACCEPTED)
def start_sync(db: DbSession, admin: AdminUser, sync_in: SyncRequest | None = None) -> SyncStarted:
    runs = sync.start(
        db=db,
        org_id=admin.org_id,
        connection_id=sync_in.connection_id if sync_in else None,
        trigger="manual",
    )
    return SyncStarted(runs=[SyncRunRead.model_validate(run) for run in runs])


@router.get("/sync-runs/{run_id}", response_model=SyncRunRead)
def read_sync_run(run_id: DbId, db: DbSession, user: CurrentUser) -> SyncRunRead:
    return SyncRunRead.model_validate(sync.get_run(db=db, org_id=user.org_id, run_id=run_id))


async def raw_body(request: Request) -> bytes:
    # The signature covers the exact bytes Square sent, so the body is read unparsed.
    return await request.body()


@router.post("/webhooks", status_code=status.HTTP_200_OK)
def receive_webhook(
    request: Request,
    db: DbSession,
    body: Annotated[bytes, Depends(raw_body)],
    x_square_hmacsha256_signature: Annotated[str | None, Header()] = None,
) -> dict[str, object]:
    outcome = webhook_service.handle(
        db=db, body=body, signature=x_square_hmacsha256_signature, notification_url=str(request.url)
    )
    return {"status": outcome.status, "sync_run_ids": outcome.sync_run_ids}
