"""Background work of the exchange rates: keeping the exchange-rate cache filled
(app/fx/api.py).

Beat runs `reports.refresh_exchange_rates` daily (app/celery_app.py). With no
EXCHANGE_RATE_API_KEY it does nothing (the bundled ECB history is used). A failure the provider
may get over (down, 5xx, quota) is retried EXCHANGE_RATE_RETRY_MINUTES later, up to 12 times;
after that, or for a key problem, the next daily run tries again, and fetches every day missed.

By hand (e.g. to cache dates older than the backfill window, or to check a new key):

    python -m app.fx.tasks refresh
    python -m app.fx.tasks backfill --from 2020-01-01 [--max-requests 10]
    python -m app.fx.tasks check
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from typing import Any

from celery import Task

from app.celery_app import celery_app
from app.core.config import get_settings
from app.core.db import session_scope
from app.fx import api as fx_api
from app.fx.sources import API_SOURCE

log = logging.getLogger(__name__)

MAX_RETRIES = 12


# The name predates app/fx: the beat schedule (app/celery_app.py) and queued messages use it.
@celery_app.task(
    name="reports.refresh_exchange_rates", bind=True, acks_late=True, max_retries=MAX_RETRIES
)
def refresh_exchange_rates(self: Task) -> str:
    """Fetch the rates not cached yet (beat: daily); retried later when the provider fails."""
    if not get_settings().EXCHANGE_RATE_API_KEY:
        return "EXCHANGE_RATE_API_KEY is not set: the bundled ECB history is used"
    try:
        summary = run_refresh()
    except fx_api.RateApiError as exc:
        if not exc.retryable:
            log.error("exchange rates not refreshed (next daily run tries again): %s", exc)
            return f"failed: {exc}"
        log.warning("exchange rates not refreshed, retrying later: %s", exc)
        raise self.retry(
            exc=exc, countdown=get_settings().EXCHANGE_RATE_RETRY_MINUTES * 60
        ) from exc
    log.info("exchange rates refreshed: %s", summary)
    return summary


def run_refresh(
    *, backfill_from: date | None = None, max_requests: int | None = None, today: date | None = None
) -> str:
    """One refresh of the cache with the configured API (raises RateApiError on a failed call)."""
    api = fx_api.ExchangeRatesApi.from_settings()
    try:
        with session_scope() as db:
            result = fx_api.refresh_rates(
                db, api, today=today, backfill_from=backfill_from, max_requests=max_requests
            )
    finally:
        api.close()
    return result.summary()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("refresh", help="fetch the days not cached yet, as the daily task does")
    backfill = commands.add_parser("backfill", help="also cache every day since a date")
    backfill.add_argument("--from", dest="date_from", type=date.fromisoformat, required=True)
    backfill.add_argument("--max-requests", type=int, default=None)
    commands.add_parser("check", help="ask the API for its latest rates (checks the key)")
    args = parser.parse_args(argv)
    if not get_settings().EXCHANGE_RATE_API_KEY:
        print("Error: EXCHANGE_RATE_API_KEY is not set", file=sys.stderr)
        return 2
    try:
        if args.command == "check":
            api = fx_api.ExchangeRatesApi.from_settings()
            try:
                day, latest = api.latest()
            finally:
                api.close()
            print(f"{API_SOURCE}: {len(latest)} rates per EUR published for {day}")
            return 0
        options: dict[str, Any] = {}
        if args.command == "backfill":
            options = {"backfill_from": args.date_from, "max_requests": args.max_requests}
        print(run_refresh(**options))
    except fx_api.RateApiError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    # The worker's task modules, loaded as the worker loads them: the layers above fx register
    # there what a rate write retires (app/fx/epoch.py `on_rates_written`).
    celery_app.loader.import_default_modules()
    sys.exit(main())
