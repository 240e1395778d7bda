"""OAuth applications, authorization codes and tokens, judged against the simulator clock."""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field

from .errors import ApiError
from .util import ms_to_rfc3339, short_id

CODE_LIFETIME_MS = 5 * 60_000
# The deployment plan's callback of the Teliporter API (``SQUARE_REDIRECT_URI``).
DEMO_REDIRECT_URI = "http://127.0.0.1:8000/api/v1/square/callback"


@dataclass
class OAuthApp:
    client_id: str
    client_secret: str
    redirect_uri: str
    name: str = "Application"


@dataclass
class Token:
    access_token: str
    merchant_id: str
    client_id: str | None  # None for a personal access token
    scopes: frozenset[str] | None  # None: every scope (personal access tokens)
    expires_at_ms: int | None
    refresh_token: str | None = None
    revoked: bool = False


@dataclass
class Grant:
    refresh_token: str
    client_id: str
    merchant_id: str
    scopes: frozenset[str]
    revoked: bool = False
    access_tokens: list[str] = field(default_factory=list)


@dataclass
class Code:
    code: str
    client_id: str
    merchant_id: str
    scopes: frozenset[str]
    redirect_uri: str
    expires_at_ms: int
    used: bool = False


def auth_error(code: str, detail: str, status: int = 401) -> ApiError:
    return ApiError(status, "AUTHENTICATION_ERROR", code, detail)


class OAuth:
    def __init__(self, seed: int, token_lifetime_s: int) -> None:
        self.lock = threading.Lock()
        self.token_lifetime_ms = token_lifetime_s * 1000
        self.apps: dict[str, OAuthApp] = {}
        self.codes: dict[str, Code] = {}
        self.tokens: dict[str, Token] = {}
        self.grants: dict[str, Grant] = {}
        self.demo_app = self.register_app(
            client_id="sq0idp-" + short_id("demo-app", seed, length=22),
            client_secret="sq0csp-" + short_id("demo-secret", seed, length=43),
            redirect_uri=DEMO_REDIRECT_URI,
            name="Teliporter (demo)",
        )

    def set_demo_app(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str | None = None,
    ) -> OAuthApp:
        """Replace the demo application's credentials or redirect URI (``serve`` options)."""
        old = self.demo_app
        with self.lock:
            self.apps.pop(old.client_id, None)
        self.demo_app = self.register_app(
            client_id=client_id or old.client_id,
            client_secret=client_secret or old.client_secret,
            redirect_uri=redirect_uri or old.redirect_uri,
            name=old.name,
        )
        return self.demo_app

    def register_app(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        redirect_uri: str,
        name: str = "Application",
    ) -> OAuthApp:
        app = OAuthApp(
            client_id or "sq0idp-" + secrets.token_urlsafe(16),
            client_secret or "sq0csp-" + secrets.token_urlsafe(32),
            redirect_uri,
            name,
        )
        with self.lock:
            self.apps[app.client_id] = app
        return app

    def add_personal_token(self, token: str, merchant_id: str) -> None:
        with self.lock:
            self.tokens[token] = Token(token, merchant_id, None, None, None)

    def issue_code(
        self,
        *,
        client_id: str,
        merchant_id: str,
        scopes: frozenset[str],
        redirect_uri: str,
        now: int,
    ) -> str:
        code = "sq0cgp-" + secrets.token_urlsafe(24)
        with self.lock:
            self.codes[code] = Code(
                code, client_id, merchant_id, scopes, redirect_uri, now + CODE_LIFETIME_MS
            )
        return code

    def _new_access(self, grant: Grant, now: int) -> Token:
        tok = Token(
            "EAAA" + secrets.token_urlsafe(48),
            grant.merchant_id,
            grant.client_id,
            grant.scopes,
            now + self.token_lifetime_ms,
            grant.refresh_token,
        )
        self.tokens[tok.access_token] = tok
        grant.access_tokens.append(tok.access_token)
        return tok

    def obtain(self, body: dict[str, object], now: int) -> dict[str, object]:
        client_id = str(body.get("client_id") or "")
        grant_type = str(body.get("grant_type") or "")
        with self.lock:
            app = self.apps.get(client_id)
            if app is None or body.get("client_secret") != app.client_secret:
                raise auth_error("UNAUTHORIZED", "Invalid client_id or client_secret.")
            if grant_type == "authorization_code":
                code = self.codes.get(str(body.get("code") or ""))
                if code is None or code.used or code.client_id != client_id:
                    raise ApiError(
                        400,
                        "INVALID_REQUEST_ERROR",
                        "INVALID_VALUE",
                        "The authorization code is invalid.",
                        "code",
                    )
                if code.expires_at_ms < now:
                    raise ApiError(
                        400,
                        "INVALID_REQUEST_ERROR",
                        "INVALID_VALUE",
                        "The authorization code has expired.",
                        "code",
                    )
                if body.get("redirect_uri") and body.get("redirect_uri") != code.redirect_uri:
                    raise ApiError(
                        400,
                        "INVALID_REQUEST_ERROR",
                        "INVALID_VALUE",
                        "redirect_uri does not match the authorization request.",
                        "redirect_uri",
                    )
                code.used = True
                grant = Grant(
                    "EQAA" + secrets.token_urlsafe(48), client_id, code.merchant_id, code.scopes
                )
                self.grants[grant.refresh_token] = grant
            elif grant_type == "refresh_token":
                found = self.grants.get(str(body.get("refresh_token") or ""))
                if found is None or found.client_id != client_id:
                    raise auth_error("UNAUTHORIZED", "The refresh token is invalid.")
                if found.revoked:
                    raise auth_error("ACCESS_TOKEN_REVOKED", "The refresh token was revoked.")
                grant = found
            else:
                raise ApiError(
                    400,
                    "INVALID_REQUEST_ERROR",
                    "INVALID_VALUE",
                    f"Unsupported grant_type `{grant_type}`.",
                    "grant_type",
                )
            tok = self._new_access(grant, now)
            assert tok.expires_at_ms is not None
            return {
                "access_token": tok.access_token,
                "token_type": "bearer",
                "expires_at": ms_to_rfc3339(tok.expires_at_ms)[:19] + "Z",
                "merchant_id": grant.merchant_id,
                "refresh_token": grant.refresh_token,
                "short_lived": False,
            }

    def revoke(
        self,
        *,
        client_id: str,
        client_secret: str | None,
        access_token: str | None,
        merchant_id: str | None,
        only_access: bool,
    ) -> None:
        with self.lock:
            app = self.apps.get(client_id)
            if app is None or client_secret != app.client_secret:
                raise auth_error(
                    "UNAUTHORIZED", "Revoke needs the header `Authorization: Client <secret>`."
                )
            if access_token:
                tok = self.tokens.get(access_token)
                if tok is None or tok.client_id != client_id:
                    raise ApiError(
                        404,
                        "INVALID_REQUEST_ERROR",
                        "NOT_FOUND",
                        "Access token not found.",
                        "access_token",
                    )
                if only_access:
                    tok.revoked = True
                    return
                merchant_id = tok.merchant_id
            if not merchant_id:
                raise ApiError(
                    400,
                    "INVALID_REQUEST_ERROR",
                    "MISSING_REQUIRED_PARAMETER",
                    "Give access_token or merchant_id.",
                    "access_token",
                )
            for grant in self.grants.values():
                if grant.client_id == client_id and grant.merchant_id == merchant_id:
                    grant.revoked = True
            for tok in self.tokens.values():
                if tok.client_id == client_id and tok.merchant_id == merchant_id:
                    tok.revoked = True

    def check(self, header: str | None, now: int, scopes: tuple[str, ...]) -> Token:
        """The token of a ``Bearer`` header, or the Square error refusing it."""
        if not header or not header.startswith("Bearer "):
            raise auth_error("UNAUTHORIZED", "This request could not be authorized.")
        tok = self.tokens.get(header[7:].strip())
        if tok is None:
            raise auth_error("UNAUTHORIZED", "This request could not be authorized.")
        if tok.revoked:
            raise auth_error("ACCESS_TOKEN_REVOKED", "This access token has been revoked.")
        if tok.expires_at_ms is not None and tok.expires_at_ms <= now:
            raise auth_error("ACCESS_TOKEN_EXPIRED", "This access token has expired.")
        if tok.scopes is not None:
            missing = [s for s in scopes if s not in tok.scopes]
            if missing:
                raise auth_error(
                    "INSUFFICIENT_SCOPES",
                    "The merchant has not given your application sufficient permissions to do "
                    f"that. The application must be granted {', '.join(missing)}.",
                    status=403,
                )
        return tok
