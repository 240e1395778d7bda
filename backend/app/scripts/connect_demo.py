"""`make run`: connect the demo organization to the simulator's first seller account.

It goes through Square's OAuth exactly as a person would — the authorize URL the app hands out,
the seller's approval on the simulator's authorize page, the code exchanged by the callback's own
service function — and then queues the first sync for the worker. Idempotent: an organization that
is already connected is left alone.

    python -m app.scripts.connect_demo                  # connect (simulator mode only)
    python -m app.scripts.connect_demo --simulator-args  # the `serve` flags that match our settings
"""

from __future__ import annotations

import argparse
import sys
import time
from urllib.parse import parse_qs, urlsplit

import httpx
from sqlalchemy import select

from app.core.config import SquareEnvironment, get_settings
from app.core.db import session_scope
from app.scripts.setup_local import DEMO_ORG_NAME
from app.square import service as square_service
from app.square import sync
from app.square.models import SquareConnection
from app.users.models import Role, User


def simulator_args() -> list[str]:
    """`serve` flags matching our settings; none unless the app points at a local simulator."""
    settings = get_settings()
    target = urlsplit(settings.square_base_url)
    local = target.hostname in ("127.0.0.1", "localhost")
    if not local or settings.SQUARE_ENVIRONMENT is not SquareEnvironment.simulator:
        return []
    port = target.port or 8100
    return [
        "--port",
        str(port),
        "--app",
        f"{settings.SQUARE_APPLICATION_ID}:{settings.SQUARE_APPLICATION_SECRET}:"
        f"{settings.SQUARE_REDIRECT_URI}",
    ]


def wait_for_simulator(base_url: str, timeout: float = 60) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            response = httpx.get(f"{base_url}/_simulator/accounts", timeout=5)
            response.raise_for_status()
            data = response.json()
            return data if isinstance(data, dict) else {"accounts": data}
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def connect() -> str:
    settings = get_settings()
    base_url = settings.square_base_url
    accounts = wait_for_simulator(base_url)["accounts"]
    merchant_id = accounts[0]["merchant_id"]  # type: ignore[index]
    with session_scope() as db:
        owner = db.scalar(
            select(User)
            .where(User.role == Role.owner, User.is_active.is_(True))
            .join(User.organization)
            .where(User.organization.has(name=DEMO_ORG_NAME))
            .order_by(User.id)
        )
        if owner is None:
            return "no demo organization; run app.scripts.setup_local first"
        existing = db.scalar(
            select(SquareConnection).where(SquareConnection.org_id == owner.org_id)
        )
        if existing is not None:
            return (
                f"demo organization already connected ({existing.merchant_name}, {existing.status})"
            )
        # This script is the browser: it keeps the nonce and brings it back to the callback.
        authorization = square_service.start_authorization(db=db, user=owner)
        user_id = owner.id

    query = {k: v[0] for k, v in parse_qs(urlsplit(authorization.url).query).items()}
    decided = httpx.post(
        f"{base_url}/oauth2/authorize",
        data={
            **{k: query[k] for k in ("client_id", "scope", "state", "redirect_uri")},
            "merchant_id": merchant_id,
            "decision": "approve",
        },
    )
    back = {k: v[0] for k, v in parse_qs(urlsplit(decided.headers["location"]).query).items()}
    with session_scope() as db:
        outcome = square_service.complete_authorization(
            db=db,
            code=back.get("code"),
            state=back.get("state"),
            error=back.get("error"),
            browser_nonce=authorization.browser_nonce,
        )
        if outcome.connection_id is None or outcome.org_id is None:
            return f"could not connect: {outcome.message}"
        sync.start(
            db=db, org_id=outcome.org_id, connection_id=outcome.connection_id, trigger="connect"
        )
    return f"connected the demo organization (user {user_id}) to {merchant_id}: {outcome.message}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--simulator-args", action="store_true")
    args = parser.parse_args(argv)
    if args.simulator_args:
        print(" ".join(simulator_args()))
        return 0
    if SquareEnvironment.simulator != get_settings().SQUARE_ENVIRONMENT:
        print("Not in simulator mode: connect Square from Settings in the app.")
        return 0
    print(connect())
    return 0


if __name__ == "__main__":
    sys.exit(main())
