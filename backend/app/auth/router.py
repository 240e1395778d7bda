from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Cookie, Request, Response, status

from app.auth import service as auth_service
from app.auth.schemas import (
    AcceptInviteIn,
    ForgotPasswordIn,
    LoginIn,
    RegisterIn,
    RegisterOut,
    ResetPasswordIn,
    TokenOut,
)
from app.core.config import get_settings
from app.core.deps import ClientAddress, DbSession
from app.core.routing import BoundedJsonRoute
from app.organizations.schemas import OrganizationRead
from app.users import service as user_service
from app.users.models import User
from app.users.schemas import EmailConfirmIn, UserRead

router = APIRouter(prefix="/auth", tags=["auth"], route_class=BoundedJsonRoute)

REFRESH_COOKIE = "refresh_token"
REFRESH_COOKIE_PATH = "/api/v1/auth"
RefreshCookie = Annotated[str | None, Cookie(alias=REFRESH_COOKIE)]
# Lax, not Strict like the refresh cookie: it authorizes nothing, and a sign-in reached from a
# link (an e-mail's) should still be recognised.
KNOWN_DEVICE_COOKIE = "known_device"


def _set_cookie(
    response: Response,
    request: Request,
    name: str,
    value: str,
    *,
    days: int,
    samesite: Literal["lax", "strict"],
) -> None:
    """An HttpOnly cookie for the auth endpoints only, Secure when the request came over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=days * 86400,
        path=REFRESH_COOKIE_PATH,
        httponly=True,
        samesite=samesite,
        secure=request.url.scheme == "https",
    )


def _set_refresh_cookie(response: Response, request: Request, token: str) -> None:
    days = get_settings().REFRESH_TOKEN_EXPIRE_DAYS
    _set_cookie(response, request, REFRESH_COOKIE, token, days=days, samesite="strict")


def _set_known_device_cookie(response: Response, request: Request, token: str) -> None:
    days = get_settings().KNOWN_DEVICE_EXPIRE_DAYS
    _set_cookie(response, request, KNOWN_DEVICE_COOKIE, token, days=days, samesite="lax")


def _token_out(
    session: auth_service.IssuedTokens, request: Request, response: Response
) -> TokenOut:
    _set_refresh_cookie(response, request, session.refresh_token)
    if session.known_device_token:
        _set_known_device_cookie(response, request, session.known_device_token)
    response.headers["Cache-Control"] = "no-store"
    return TokenOut(access_token=session.access_token, expires_in=session.expires_in)


@router.post("/register", response_model=RegisterOut, status_code=status.HTTP_201_CREATED)
def register(reg_in: RegisterIn, db: DbSession, address: ClientAddress) -> RegisterOut:
    user = auth_service.register(db=db, reg_in=reg_in, address=address)
    return RegisterOut(
        user=UserRead.model_validate(user),
        organization=OrganizationRead.model_validate(user.organization),
    )


@router.post("/login", response_model=TokenOut)
def login(
    login_in: LoginIn, request: Request, response: Response, db: DbSession, address: ClientAddress
) -> TokenOut:
    session = auth_service.login(
        db=db,
        email=str(login_in.email),
        password=login_in.password,
        address=address,
        # Read here rather than declared as a Cookie parameter: it is the browser's business, not
        # the API client's, and the generated client stays as it is.
        device_token=request.cookies.get(KNOWN_DEVICE_COOKIE),
    )
    return _token_out(session, request, response)


@router.post("/refresh", response_model=TokenOut)
def refresh(
    request: Request, response: Response, db: DbSession, refresh_token: RefreshCookie = None
) -> TokenOut:
    session = auth_service.refresh(db=db, token=refresh_token)
    return _token_out(session, request, response)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(response: Response, db: DbSession, refresh_token: RefreshCookie = None) -> None:
    auth_service.logout(db=db, token=refresh_token)
    response.delete_cookie(
        REFRESH_COOKIE, path=REFRESH_COOKIE_PATH, httponly=True, samesite="strict"
    )


@router.post("/accept-invite", response_model=UserRead)
def accept_invite(invite_in: AcceptInviteIn, db: DbSession) -> User:
    return auth_service.accept_invite(db=db, invite_in=invite_in)


@router.post("/forgot-password", status_code=status.HTTP_202_ACCEPTED)
def forgot_password(forgot_in: ForgotPasswordIn, db: DbSession, address: ClientAddress) -> None:
    """Mail a reset link (valid 1 hour, single use) if the address has an account. Always 202,
    so the answer says nothing about which addresses have accounts."""
    auth_service.forgot_password(db=db, email=str(forgot_in.email), address=address)


@router.post("/reset-password", response_model=UserRead)
def reset_password(reset_in: ResetPasswordIn, db: DbSession) -> User:
    """Set a new password from a reset link's token; every session of the account is signed
    out. An unknown, used or expired token is refused (422 naming `token`)."""
    return auth_service.reset_password(db=db, reset_in=reset_in)


@router.post("/confirm-email", response_model=UserRead)
def confirm_email(confirm_in: EmailConfirmIn, db: DbSession) -> User:
    """Make a change-of-address link's new address the sign-in address (no session needed: the
    link is opened from the mailbox). A used, expired or forged link is refused (422, `token`)."""
    return user_service.confirm_email_change(db=db, token=confirm_in.token)
