from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Depends, Header, Query, Request, Response, status
from fastapi.responses import RedirectResponse

from app.auth.deps import AdminUser, CurrentUser
from app.core.deps import DbSession
from app.core.inputs import DbId
from app.core.routing import BoundedJsonRoute
from app.square import service as square_service
from app.square import status as sync_status
from app.square import sync
from app.square import webhooks as webhook_service
from app.square.schemas import (
    AuthorizeUrl,
    ConnectionPage,
    ConnectionRead,
    SquareStatus,
    SyncRequest,
    SyncRunRead,
    SyncStarted,
)

router = APIRouter(prefix="/square", tags=["square"], route_class=BoundedJsonRoute)

SETTINGS_PAGE = "/settings/square"

# The browser that asks for the authorize URL keeps a nonce the callback must see. SameSite=Lax,
# because the callback is a top-level navigation from Square's site; sent only to the callback.
OAUTH_COOKIE = "square_oauth"
OAUTH_COOKIE_PATH = "/api/v1/square/callback"
OAuthCookie = Annotated[str | None, Cookie(alias=OAUTH_COOKIE)]


@router.get("/connect", response_model=AuthorizeUrl)
def connect(request: Request, response: Response, db: DbSession, admin: AdminUser) -> AuthorizeUrl:
    authorization = square_service.start_authorization(db=db, user=admin)
    response.set_cookie(
        OAUTH_COOKIE,
        authorization.browser_nonce,
        max_age=int(square_service.STATE_LIFETIME.total_seconds()),
        path=OAUTH_COOKIE_PATH,
        httponly=True,
        samesite="lax",
        # https as the client saw it: behind nginx, uvicorn takes it from X-Forwarded-Proto
        # (FORWARDED_ALLOW_IPS), as for the refresh cookie.
        secure=request.url.scheme == "https",
    )
    response.headers["Cache-Control"] = "no-store"
    return AuthorizeUrl(authorize_url=authorization.url)


@router.get("/callback", response_class=RedirectResponse, status_code=status.HTTP_303_SEE_OTHER)
def callback(
    request: Request,
    db: DbSession,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    square_oauth: OAuthCookie = None,
) -> RedirectResponse:
    outcome = square_service.complete_authorization(
        db=db, code=code, state=state, error=error, browser_nonce=square_oauth
    )
    if outcome.connection_id is not None and outcome.org_id is not None:
        sync.start(
            db=db, org_id=outcome.org_id, connection_id=outcome.connection_id, trigger="connect"
        )
    query = urlencode({"square": outcome.outcome, "message": outcome.message})
    redirect = RedirectResponse(f"{SETTINGS_PAGE}?{query}", status_code=status.HTTP_303_SEE_OTHER)
    if outcome.nonce_spent:
        redirect.delete_cookie(
            OAUTH_COOKIE,
            path=OAUTH_COOKIE_PATH,
            httponly=True,
            samesite="lax",
            secure=request.url.scheme == "https",
        )
    return redirect


@router.get("/connections", response_model=ConnectionPage)
def list_connections(db: DbSession, user: CurrentUser) -> ConnectionPage:
    connections = square_service.list_connections(db=db, org_id=user.org_id)
    items = [square_service.describe(db=db, connection=c) for c in connections]
    return ConnectionPage(items=items, total=len(items))


@router.get("/status", response_model=SquareStatus)
def read_status(db: DbSession, user: CurrentUser) -> SquareStatus:
    return sync_status.org_status(db=db, org_id=user.org_id)


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
    return {"status": outcome.status}
