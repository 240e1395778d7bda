"""Merchants, locations and team members.

``/v2/merchants``, ``/v2/locations`` and ``/v2/team-members/search``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..errors import bad_request, not_found
from ..model import Account, location_json, merchant_json, team_member_json
from ..oauth import Token
from ..util import JSON
from .common import (
    authed,
    b64,
    body_json,
    jresp,
    offset_cursor,
    own_location,
    parse_limit,
    qhash,
)

if TYPE_CHECKING:
    from ..state import State


def locations_team_routes(st: State) -> list[Route]:
    """The merchant, location and team-member routes, served from ``st``."""
    sim = st.sim

    async def list_merchants(request: Request, tok: Token, acct: Account) -> Response:
        return jresp({"merchant": [merchant_json(acct)]})

    async def get_merchant(request: Request, tok: Token, acct: Account) -> Response:
        mid = request.path_params["merchant_id"]
        if mid not in ("me", acct.merchant_id):
            raise not_found(f"Merchant `{mid}` not found.")
        return jresp({"merchant": merchant_json(acct)})

    async def list_locations(request: Request, tok: Token, acct: Account) -> Response:
        return jresp({"locations": [location_json(acct, loc) for loc in acct.locations]})

    async def get_location(request: Request, tok: Token, acct: Account) -> Response:
        lid = request.path_params["location_id"]
        if lid == "main" and acct.locations:
            lid = acct.locations[0].id
        own_location(sim, acct, lid)
        return jresp({"location": location_json(acct, sim.loc_by_id[lid])})

    async def create_location(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request)
        spec = body.get("location") or {}
        if not spec.get("name"):
            raise bad_request(
                "A location needs a name.", "location.name", "MISSING_REQUIRED_PARAMETER"
            )
        if any(loc.name == spec["name"] for loc in acct.locations):
            raise bad_request("A location with this name already exists.", "location.name")
        loc = sim.add_location(acct, name=spec["name"], timezone=spec.get("timezone"))
        return jresp({"location": location_json(acct, loc)})

    async def search_team(request: Request, tok: Token, acct: Account) -> Response:
        body = await body_json(request, required=False)
        flt = (body.get("query") or {}).get("filter") or {}
        limit = parse_limit(body.get("limit"), 100, 200)
        members = acct.team
        if flt.get("location_ids"):
            want = set(flt["location_ids"])
            members = [m for m in members if m.is_owner or want & set(m.location_ids)]
        if flt.get("status"):
            members = [m for m in members if m.status == flt["status"]]
        if flt.get("is_owner") is not None:
            members = [m for m in members if m.is_owner == bool(flt["is_owner"])]
        start = offset_cursor(body.get("cursor"), qhash("tm", flt))
        page = members[start : start + limit]
        out: JSON = {"team_members": [team_member_json(m) for m in page]}
        if start + limit < len(members):
            out["cursor"] = b64({"o": start + limit, "h": qhash("tm", flt)})
        return jresp(out)

    return [
        Route(
            "/v2/merchants", authed(st, ("MERCHANT_PROFILE_READ",), list_merchants), methods=["GET"]
        ),
        Route(
            "/v2/merchants/{merchant_id}",
            authed(st, ("MERCHANT_PROFILE_READ",), get_merchant),
            methods=["GET"],
        ),
        Route(
            "/v2/locations", authed(st, ("MERCHANT_PROFILE_READ",), list_locations), methods=["GET"]
        ),
        Route(
            "/v2/locations",
            authed(st, ("MERCHANT_PROFILE_WRITE",), create_location),
            methods=["POST"],
        ),
        Route(
            "/v2/locations/{location_id}",
            authed(st, ("MERCHANT_PROFILE_READ",), get_location),
            methods=["GET"],
        ),
        Route(
            "/v2/team-members/search",
            authed(st, ("EMPLOYEES_READ",), search_team),
            methods=["POST"],
        ),
    ]
