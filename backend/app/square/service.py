"""Square connections: OAuth authorization, tokens at rest, refresh, disconnect."""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core import crypto
from app.core.config import get_settings
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound
from app.core.security import new_opaque_token, token_digest
from app.locations import service as location_service
from app.locations.models import Location
from app.organizations import service as org_service
from app.sales.facts import parse_time
from app.square import flows as square_flows
from app.square import status as sync_status
from app.square.client import READ_SCOPES, SquareApi, SquareAuthError, SquareError
from app.square.models import ConnectionStatus, OAuthState, SquareConnection, SyncRun
from app.square.schemas import ConnectionRead, SyncRunRead
from app.users.models import User

log = logging.getLogger(__name__)

STATE_LIFETIME = timedelta(minutes=10)
# Access tokens are refreshed this long before they expire (Square's live 30 days).
REFRESH_AHEAD = timedelta(days=7)


class SquareNotConfigured(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "Square is not configured: set SQUARE_APPLICATION_ID and SQUARE_APPLICATION_SECRET"
        )


@dataclass
class Authorization:
    url: str
    # Handed to the browser that asked (an HttpOnly cookie); only its digest is stored, with the
    # state, so the callback completes only in that browser (RFC 6749 section 10.12).
    browser_nonce: str


def start_authorization(*, db: Session, user: User) -> Authorization:
    """Square's authorize URL with a single-use state bound to this organization and user, and
    to the browser that holds the returned nonce."""
    settings = get_settings()
    if not settings.SQUARE_APPLICATION_ID:
        raise SquareNotConfigured()
    state = new_opaque_token()
    browser_nonce = new_opaque_token()
    db.add(
        OAuthState(
            state_digest=token_digest(state),
            browser_digest=token_digest(browser_nonce),
            org_id=user.org_id,
            user_id=user.id,
            expires_at=utcnow() + STATE_LIFETIME,
        )
    )
    db.flush()
    query = urlencode(
        {
            "client_id": settings.SQUARE_APPLICATION_ID,
            "scope": " ".join(READ_SCOPES),
            "session": "false",
            "state": state,
            "redirect_uri": settings.SQUARE_REDIRECT_URI,
        }
    )
    return Authorization(
        url=f"{settings.square_base_url}/oauth2/authorize?{query}", browser_nonce=browser_nonce
    )


@dataclass
class CallbackOutcome:
    outcome: str  # connected | denied | invalid_state | wrong_browser | exchange_failed
    message: str
    connection_id: int | None = None
    org_id: int | None = None
    nonce_spent: bool = False  # the browser's nonce matched a state now used: it can go


def _consume_state(db: Session, state: str | None) -> OAuthState | None:
    if not state:
        return None
    row = db.scalar(select(OAuthState).where(OAuthState.state_digest == token_digest(state)))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    row.used_at = utcnow()
    return row


def _expiry(token_response: dict[str, object]) -> datetime | None:
    expires_at = token_response.get("expires_at")
    return parse_time(str(expires_at)) if expires_at else None


def _same_browser(grant: OAuthState, browser_nonce: str | None) -> bool:
    if not browser_nonce:
        return False
    return hmac.compare_digest(grant.browser_digest, token_digest(browser_nonce))


def _account_currency(merchant: dict[str, Any], square_locations: list[dict[str, Any]]) -> str:
    """A Square account's currency: its Merchant's, else its main location's (else its first
    location's)."""
    if merchant.get("currency"):
        return str(merchant["currency"])
    main = merchant.get("main_location_id")
    ordered = sorted(square_locations, key=lambda loc: loc.get("id") != main)
    return next((str(loc["currency"]) for loc in ordered if loc.get("currency")), "")


def complete_authorization(
    *,
    db: Session,
    code: str | None,
    state: str | None,
    error: str | None,
    browser_nonce: str | None,
) -> CallbackOutcome:
    """Finish Square's OAuth redirect: check the state and that it comes back to the browser
    that started it, exchange the code, store the connection."""
    grant = _consume_state(db, state)
    if grant is None:
        return CallbackOutcome(
            "invalid_state",
            "The Square connection link was invalid or expired; please try connecting again.",
        )
    # A state that comes back to another browser (say a merchant sent an admin's authorize link)
    # would connect that merchant's Square account to the admin's organization. The state is
    # spent all the same, so a leaked link works nowhere.
    if not _same_browser(grant, browser_nonce):
        return CallbackOutcome(
            "wrong_browser",
            "This Square connection was started in another browser or session, so nothing was "
            "connected. Sign in to Teliporter and connect Square from this browser.",
        )
    if error or not code:
        return CallbackOutcome(
            "denied",
            "Square access was not granted, so nothing was connected.",
            org_id=grant.org_id,
            nonce_spent=True,
        )
    settings = get_settings()
    api = SquareApi()
    try:
        tokens = api.obtain_token(
            grant_type="authorization_code", code=code, redirect_uri=settings.SQUARE_REDIRECT_URI
        )
        access_token = str(tokens["access_token"])
        seller = SquareApi(access_token)
        try:
            merchant = seller.merchant()
            square_locations = seller.locations()
        finally:
            seller.close()
    except (SquareError, KeyError) as exc:
        log.warning("square token exchange failed: %s", exc)
        return CallbackOutcome(
            "exchange_failed",
            "Square did not complete the connection; please try again in a moment.",
            org_id=grant.org_id,
            nonce_spent=True,
        )
    finally:
        api.close()

    merchant_id = str(tokens.get("merchant_id") or merchant.get("id"))
    connection = db.scalar(
        select(SquareConnection).where(
            SquareConnection.org_id == grant.org_id, SquareConnection.merchant_id == merchant_id
        )
    )
    first_account = False
    if connection is None:
        first_account = (
            db.scalar(
                select(func.count())
                .select_from(SquareConnection)
                .where(SquareConnection.org_id == grant.org_id)
            )
            == 0
        )
        connection = SquareConnection(org_id=grant.org_id, merchant_id=merchant_id)
        db.add(connection)
    connection.merchant_name = merchant.get("business_name") or merchant_id
    connection.status = ConnectionStatus.active
    connection.scopes = " ".join(READ_SCOPES)
    connection.access_token_enc = crypto.encrypt(access_token)
    if tokens.get("refresh_token"):
        connection.refresh_token_enc = crypto.encrypt(str(tokens["refresh_token"]))
    connection.token_expires_at = _expiry(tokens)
    connection.connected_by_user_id = grant.user_id
    connection.last_error = None
    db.flush()
    location_service.upsert_from_square(
        db=db, org_id=grant.org_id, connection_id=connection.id, square_locations=square_locations
    )
    if first_account:
        # A new organization reports in its first account's currency (METRICS.md "Currency").
        org_service.adopt_account_currency(
            db=db, org_id=grant.org_id, currency=_account_currency(merchant, square_locations)
        )
    return CallbackOutcome(
        "connected",
        f"Connected {connection.merchant_name}; the first sync has started.",
        connection_id=connection.id,
        org_id=grant.org_id,
        nonce_spent=True,
    )


def get(*, db: Session, org_id: int, connection_id: int) -> SquareConnection:
    """A connection of the organization (another organization's is not found)."""
    connection = db.get(SquareConnection, connection_id)
    if connection is None or connection.org_id != org_id:
        raise NotFound("Square connection", connection_id)
    return connection


def list_connections(*, db: Session, org_id: int) -> list[SquareConnection]:
    return list(
        db.scalars(
            select(SquareConnection)
            .where(SquareConnection.org_id == org_id)
            .order_by(SquareConnection.created_at)
        )
    )


def describe(*, db: Session, connection: SquareConnection) -> ConnectionRead:
    """What the API shows of a connection: status, schedule and errors, never its tokens."""
    settings = get_settings()
    location_count = db.scalar(
        select(func.count()).select_from(Location).where(Location.connection_id == connection.id)
    )
    next_sync = None
    if connection.status == ConnectionStatus.active:
        base = connection.last_sync_at or utcnow()
        next_sync = base + timedelta(minutes=settings.SYNC_INTERVAL_MINUTES)
    latest = db.scalar(
        select(SyncRun)
        .where(SyncRun.connection_id == connection.id)
        .order_by(SyncRun.created_at.desc(), SyncRun.id.desc())
        .limit(1)
    )
    return ConnectionRead(
        id=connection.id,
        merchant_id=connection.merchant_id,
        merchant_name=connection.merchant_name,
        status=connection.status,
        scopes=connection.scope_list,
        created_at=connection.created_at,
        last_sync_at=connection.last_sync_at,
        next_sync_at=next_sync,
        last_error=connection.last_error,
        # Complete once the first sync has finished, never beside "Last sync: Not yet".
        backfill_complete=sync_status.history_complete(connection),
        location_count=location_count or 0,
        latest_run=SyncRunRead.model_validate(latest) if latest is not None else None,
        sync=sync_status.sync_state(db=db, connection=connection, latest=latest),
    )


def mark_needs_reconnect(*, db: Session, connection: SquareConnection, reason: str) -> None:
    """Stop syncing a connection whose grant Square refuses, visibly."""
    connection.status = ConnectionStatus.needs_reconnect
    connection.last_error = reason
    db.flush()


def refresh_access_token(*, db: Session, connection: SquareConnection) -> str:
    """Exchange the refresh token for a new access token; a refused grant needs a reconnect."""
    if connection.refresh_token_enc is None:
        mark_needs_reconnect(db=db, connection=connection, reason="No refresh token; reconnect")
        raise SquareAuthError("no refresh token")
    api = SquareApi()
    try:
        tokens = api.obtain_token(
            grant_type="refresh_token", refresh_token=crypto.decrypt(connection.refresh_token_enc)
        )
    except SquareError as exc:
        if isinstance(exc, SquareAuthError) or exc.status in (400, 401):
            mark_needs_reconnect(
                db=db,
                connection=connection,
                reason=f"Square refused to renew access ({exc.code or exc.status}); reconnect",
            )
            raise SquareAuthError(str(exc), code=exc.code, status=exc.status) from exc
        raise
    finally:
        api.close()
    access_token = str(tokens["access_token"])
    connection.access_token_enc = crypto.encrypt(access_token)
    if tokens.get("refresh_token"):
        connection.refresh_token_enc = crypto.encrypt(str(tokens["refresh_token"]))
    connection.token_expires_at = _expiry(tokens)
    db.flush()
    return access_token


def access_token(*, db: Session, connection: SquareConnection) -> str:
    """A usable access token, refreshed first when it is about to expire."""
    if connection.access_token_enc is None:
        raise SquareAuthError("connection has no access token")
    expires = connection.token_expires_at
    if expires is not None and expires - utcnow() < REFRESH_AHEAD:
        return refresh_access_token(db=db, connection=connection)
    return crypto.decrypt(connection.access_token_enc)


def refresh_expiring(*, db: Session) -> int:
    """Refresh every active connection whose token expires soon; returns how many."""
    due = list(
        db.scalars(
            select(SquareConnection).where(
                SquareConnection.status == ConnectionStatus.active,
                SquareConnection.token_expires_at.is_not(None),
                SquareConnection.token_expires_at < utcnow() + REFRESH_AHEAD,
            )
        )
    )
    refreshed = 0
    for connection in due:
        try:
            refresh_access_token(db=db, connection=connection)
            refreshed += 1
        except SquareError as exc:
            log.warning("refresh of connection %s failed: %s", connection.id, exc)
    return refreshed


def disconnect(*, db: Session, org_id: int, connection_id: int, purge: bool) -> None:
    """Revoke at Square and disconnect; the synced history stays unless purged."""
    connection = get(db=db, org_id=org_id, connection_id=connection_id)
    if connection.access_token_enc is not None:
        api = SquareApi()
        try:
            api.revoke(crypto.decrypt(connection.access_token_enc))
        except SquareError as exc:
            # Already revoked at Square's end is fine; we forget the tokens either way.
            log.warning("revoking connection %s at Square failed: %s", connection.id, exc)
        finally:
            api.close()
    connection.status = ConnectionStatus.disconnected
    connection.access_token_enc = None
    connection.refresh_token_enc = None
    connection.token_expires_at = None
    if purge:
        square_flows.purge_connection(db=db, org_id=org_id, connection_id=connection.id)
    db.flush()


def reencrypt_tokens(*, db: Session) -> int:
    """Re-encrypt every stored token with the newest ENCRYPTION_KEY (key rotation)."""
    count = 0
    for connection in db.scalars(select(SquareConnection)):
        if connection.access_token_enc:
            connection.access_token_enc = crypto.rotate(connection.access_token_enc)
            count += 1
        if connection.refresh_token_enc:
            connection.refresh_token_enc = crypto.rotate(connection.refresh_token_enc)
    db.flush()
    return count
