"""Square's OAuth paths (``/oauth2``): the authorize page, token, revoke and token status."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..errors import ApiError
from ..util import JSON, ms_to_rfc3339
from .common import (
    body_json,
    jresp,
    plain,
)

if TYPE_CHECKING:
    from ..state import State


def oauth_routes(st: State) -> list[Route]:
    """The ``/oauth2`` routes, served from ``st``."""
    sim = st.sim

    async def authorize_page(request: Request) -> Response:
        q = request.query_params
        app = st.oauth.apps.get(q.get("client_id", ""))
        if app is None:
            return HTMLResponse("<h1>Unknown application</h1>", 400)
        scopes = q.get("scope", "").replace("+", " ").split()
        options = "".join(
            f'<option value="{html.escape(a.merchant_id)}">{html.escape(a.business_name)} '
            f"({a.country})</option>"
            for a in sim.accounts
        )
        hidden = "".join(
            f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
            for k, v in (
                ("client_id", app.client_id),
                ("scope", " ".join(scopes)),
                ("state", q.get("state", "")),
                ("redirect_uri", q.get("redirect_uri", "")),
            )
        )
        page = f"""<!doctype html><html><head><title>Square (simulator) — authorize</title>
<style>body{{font-family:sans-serif;max-width:32em;margin:3em auto}}</style></head><body>
<h1>Allow {html.escape(app.name)} access?</h1>
<p>It asks for: {html.escape(", ".join(scopes) or "no scopes")}</p>
<form method="post" action="/oauth2/authorize">{hidden}
<label>Seller account <select name="merchant_id">{options}</select></label>
<p><button name="decision" value="approve">Allow</button>
<button name="decision" value="deny">Deny</button></p></form></body></html>"""
        return HTMLResponse(page)

    async def authorize_decision(request: Request) -> Response:
        form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
        app = st.oauth.apps.get(form.get("client_id", ""))
        if app is None:
            return HTMLResponse("<h1>Unknown application</h1>", 400)
        redirect = form.get("redirect_uri") or app.redirect_uri
        if redirect != app.redirect_uri:
            return HTMLResponse("<h1>redirect_uri does not match the application</h1>", 400)
        params: dict[str, str] = {}
        if form.get("decision") == "approve":
            merchant = form.get("merchant_id") or sim.accounts[0].merchant_id
            if merchant not in sim.acct_by_merchant:
                return HTMLResponse("<h1>Unknown seller account</h1>", 400)
            params["code"] = st.oauth.issue_code(
                client_id=app.client_id,
                merchant_id=merchant,
                scopes=frozenset(form.get("scope", "").split()),
                redirect_uri=redirect,
                now=st.clock.now(),
            )
            params["response_type"] = "code"
        else:
            params["error"] = "access_denied"
            params["error_description"] = "user_denied"
        if form.get("state"):
            params["state"] = form["state"]
        parts = urlsplit(redirect)
        query = (parts.query + "&" if parts.query else "") + urlencode(params)
        return RedirectResponse(urlunsplit(parts._replace(query=query)), 302)

    async def obtain_token(request: Request) -> Response:
        return jresp(st.oauth.obtain(await body_json(request), st.clock.now()))

    async def revoke_token(request: Request) -> Response:
        body = await body_json(request)
        header = request.headers.get("authorization", "")
        secret = header[7:].strip() if header.startswith("Client ") else None
        st.oauth.revoke(
            client_id=str(body.get("client_id") or ""),
            client_secret=secret,
            access_token=body.get("access_token"),
            merchant_id=body.get("merchant_id"),
            only_access=bool(body.get("revoke_only_access_token")),
        )
        return jresp({"success": True})

    async def token_status(request: Request) -> Response:
        try:
            tok = st.oauth.check(request.headers.get("authorization"), st.clock.now(), ())
        except ApiError as e:
            # Square answers every bad token here with UNAUTHORIZED.
            raise ApiError(401, "AUTHENTICATION_ERROR", "UNAUTHORIZED", e.detail) from e
        out: JSON = {
            "scopes": sorted(tok.scopes) if tok.scopes is not None else [],
            "merchant_id": tok.merchant_id,
        }
        if tok.expires_at_ms is not None:
            out["expires_at"] = ms_to_rfc3339(tok.expires_at_ms)[:19] + "Z"
        if tok.client_id:
            out["client_id"] = tok.client_id
        return jresp(out)

    return [
        Route("/oauth2/authorize", plain(authorize_page), methods=["GET"]),
        Route("/oauth2/authorize", plain(authorize_decision), methods=["POST"]),
        Route("/oauth2/token", plain(obtain_token), methods=["POST"]),
        Route("/oauth2/revoke", plain(revoke_token), methods=["POST"]),
        Route("/oauth2/token/status", plain(token_status), methods=["POST"]),
    ]
