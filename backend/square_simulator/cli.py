"""Command line: ``serve`` runs the simulator, ``bench`` measures SearchOrders serving."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from .oauth import DEMO_REDIRECT_URI
from .util import parse_rfc3339

if TYPE_CHECKING:
    from .state import State

DEMO_SCOPES = "MERCHANT_PROFILE_READ ITEMS_READ ORDERS_READ PAYMENTS_READ EMPLOYEES_READ"


def _duration(text: str) -> int:
    """Seconds from ``3600``, ``90s``, ``15m``, ``12h`` or ``30d``."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    t = text.strip().lower()
    if t and t[-1] in units:
        return int(float(t[:-1]) * units[t[-1]])
    return int(float(t))


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--seed",
        type=int,
        default=42,
        help="seed of every generated account, catalog and order",
    )
    p.add_argument(
        "--years",
        type=float,
        default=3.0,
        help="years of order history before the start time",
    )
    p.add_argument(
        "--accounts",
        type=int,
        default=3,
        help="seller accounts; they cycle through GB/GBP, IE/EUR, US/USD",
    )
    p.add_argument("--locations", type=int, default=3, help="locations per account")
    p.add_argument(
        "--now", default=None, help="start the clock at this RFC 3339 time instead of wall time"
    )
    p.add_argument(
        "--frozen",
        action="store_true",
        help="freeze the clock (it only moves through the admin API)",
    )
    p.add_argument(
        "--cache-mb",
        type=int,
        default=128,
        help="memory budget of the cache of serialized orders, MB",
    )
    p.add_argument(
        "--bucket-cache",
        type=int,
        default=16384,
        help="location-days whose order skeletons stay cached",
    )
    p.add_argument(
        "--no-prefetch",
        dest="prefetch",
        action="store_false",
        help="turn prefetching off (on by default: after serving a SearchOrders page, "
        "build the next one in the background while the client handles this one)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m square_simulator",
        description="A seedable stand-in for Square's API (OAuth, Merchants, Locations, "
        "Catalog, Team, Orders, Payments, Refunds, webhooks) with an admin API "
        "under /_simulator/.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser(
        "serve",
        help="run the simulator over HTTP",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="interface to bind")
    serve.add_argument("--port", type=int, default=8100, help="TCP port")
    _common(serve)
    serve.add_argument(
        "--token-lifetime",
        type=_duration,
        default=30 * 86400,
        help="OAuth access token lifetime: seconds or 90s/15m/12h/30d",
    )
    serve.add_argument(
        "--demo-client-id",
        default=None,
        help="client id of the demo application (default: derived from --seed, "
        "sq0idp-...; stable for a given seed)",
    )
    serve.add_argument(
        "--demo-client-secret",
        default=None,
        help="client secret of the demo application (default: derived from --seed)",
    )
    serve.add_argument(
        "--demo-redirect-uri",
        default=None,
        help=f"redirect URI registered for the demo application (default: {DEMO_REDIRECT_URI})",
    )
    serve.add_argument(
        "--app",
        action="append",
        default=[],
        metavar="ID:SECRET:REDIRECT_URI",
        help="register another OAuth application (repeatable; the redirect "
        "URI may itself contain colons)",
    )
    serve.add_argument(
        "--config",
        type=Path,
        default=None,
        help="JSON file with any of: seed, years, accounts, locations, now, "
        "frozen, token_lifetime, cache_mb, bucket_cache, demo_application "
        "{client_id, client_secret, redirect_uri}, applications [{client_id, client_secret, "
        "redirect_uri, name}], faults [{kind, path, probability|count, "
        "delay_s, retry_after}], webhooks [{notification_url, event_types, "
        "signature_key}]; command-line options win",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn log level")
    serve.set_defaults(years=2.0, cache_mb=64)
    bench = sub.add_parser(
        "bench",
        help="measure full 1000-order SearchOrders pages",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    _common(bench)
    bench.set_defaults(accounts=10, locations=5, now="2026-06-30T18:00:00Z")
    bench.add_argument("--pages", type=int, default=30, help="pages per pass")
    bench.add_argument("--limit", type=int, default=1000, help="orders per page")
    bench.add_argument(
        "--transport",
        choices=("http", "asgi"),
        default="http",
        help="real HTTP over loopback (uvicorn thread) or in-process ASGI",
    )
    bench.add_argument(
        "--consumer-ms",
        type=float,
        default=0.0,
        help="also measure a pass where the client spends this long on each "
        "page before asking for the next (as a sync does), so prefetching "
        "can overlap it; 0 skips that pass",
    )
    bench.add_argument("--json", action="store_true", help="print the results as JSON")
    return parser


def _config_kwargs(args: argparse.Namespace, file_cfg: dict[str, Any]) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    for key in ("seed", "years", "accounts", "now", "frozen", "cache_mb", "bucket_cache"):
        if key in file_cfg:
            kw[key] = file_cfg[key]
    if "locations" in file_cfg:
        kw["locations_per_account"] = file_cfg["locations"]
    if "token_lifetime" in file_cfg:
        kw["token_lifetime_s"] = _duration(str(file_cfg["token_lifetime"]))
    defaults = build_parser().parse_args([args.command])
    for key, dest in (
        ("seed", "seed"),
        ("years", "years"),
        ("accounts", "accounts"),
        ("locations", "locations_per_account"),
        ("now", "now"),
        ("frozen", "frozen"),
        ("cache_mb", "cache_mb"),
        ("bucket_cache", "bucket_cache"),
        ("prefetch", "prefetch"),
    ):
        value = getattr(args, key)
        if value != getattr(defaults, key) or dest not in kw:
            kw[dest] = value
    if getattr(args, "token_lifetime", None) is not None and (
        args.token_lifetime != 30 * 86400 or "token_lifetime_s" not in kw
    ):
        kw["token_lifetime_s"] = args.token_lifetime
    if kw.get("now") is None:
        kw.pop("now", None)
        kw["frozen"] = bool(kw.get("frozen"))
    return kw


def build_state(args: argparse.Namespace) -> State:
    """The simulator ``serve`` runs: options, then the config file, then the defaults."""
    from .state import State
    from .testing import make_config

    file_cfg: dict[str, Any] = json.loads(args.config.read_text()) if args.config else {}
    state = State(make_config(**_config_kwargs(args, file_cfg)))
    state.config.public_url = f"http://{args.host}:{args.port}"
    demo_cfg = file_cfg.get("demo_application") or {}
    state.oauth.set_demo_app(
        client_id=args.demo_client_id or demo_cfg.get("client_id"),
        client_secret=args.demo_client_secret or demo_cfg.get("client_secret"),
        redirect_uri=args.demo_redirect_uri or demo_cfg.get("redirect_uri") or DEMO_REDIRECT_URI,
    )
    apps = list(file_cfg.get("applications") or [])
    for spec in args.app:
        cid, secret, redirect = spec.split(":", 2)
        apps.append({"client_id": cid, "client_secret": secret, "redirect_uri": redirect})
    for a in apps:
        state.oauth.register_app(
            client_id=a.get("client_id"),
            client_secret=a.get("client_secret"),
            redirect_uri=a["redirect_uri"],
            name=a.get("name", "App"),
        )
    for f in file_cfg.get("faults") or []:
        state.faults.add(**f)
    for w in file_cfg.get("webhooks") or []:
        state.webhooks.subscribe(
            url=w["notification_url"],
            event_types=w.get("event_types"),
            signature_key=w.get("signature_key"),
            merchant_id=w.get("merchant_id"),
        )
    return state


def serve(args: argparse.Namespace) -> int:
    import uvicorn

    from .app import create_app

    state = build_state(args)
    base = state.config.public_url
    demo = state.oauth.demo_app
    query = urlencode(
        {"client_id": demo.client_id, "scope": DEMO_SCOPES, "session": "false", "state": "demo"}
    )
    print(
        f"Square simulator on {base}  (seed {state.config.seed}, "
        f"{state.config.years:g} years, history from {state.sim.history_start})"
    )
    print(f"  demo application client_id:     {demo.client_id}")
    print(f"  demo application client_secret: {demo.client_secret}")
    print(f"  demo application redirect_uri:  {demo.redirect_uri}")
    print(f"  OAuth authorize URL: {base}/oauth2/authorize?{query}")
    for a in state.sim.accounts:
        print(
            f"  {a.business_name} ({a.country}, {a.currency}) merchant {a.merchant_id}, "
            f"{len(a.locations)} locations, personal access token {a.personal_access_token}"
        )
    print(f"  admin API: {base}/_simulator/accounts")
    sys.stdout.flush()
    uvicorn.run(
        create_app(state),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        access_log=False,
        lifespan="off",
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        return serve(args)
    from .bench import run_bench

    kw = _config_kwargs(args, {})
    result = run_bench(
        kw,
        pages=args.pages,
        limit=args.limit,
        transport=args.transport,
        consumer_ms=args.consumer_ms,
    )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for line in result["summary"]:
            print(line)
    return 0


__all__ = ["build_parser", "main", "parse_rfc3339"]
