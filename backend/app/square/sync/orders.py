"""Order pages: fetched from Square and written, each in one transaction with the run's progress
and its lease renewal, again if it met another worker's write.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app.core.db import session_scope
from app.locations.models import Location
from app.sales.facts import parse_time
from app.square import flows as square_flows
from app.square.client import SquareApi
from app.square.models import SyncRun
from app.square.sync.fetching import _collect_per_page, prefetched
from app.square.sync.state import _renew_in, _Run, rfc3339

log = logging.getLogger(__name__)

T = TypeVar("T")


def _order_pages(
    api: SquareApi, groups: list[list[str]], start: datetime, end: datetime
) -> Iterator[list[dict[str, Any]]]:
    for group in groups:
        cursor: str | None = None
        while True:
            orders, cursor = api.search_orders(
                location_ids=group,
                updated_from=rfc3339(start),
                updated_to=rfc3339(end),
                cursor=cursor,
            )
            yield orders
            if not cursor:
                break


# Database errors a page write can meet when several workers write at once: a unique key taken
# by a concurrent insert of the same order or rollup row, a deadlock, SQLite's busy database.
# The page's transaction is rolled back whole and written again (it is idempotent).
_RETRYABLE = (IntegrityError, OperationalError, psycopg.IntegrityError, psycopg.OperationalError)
WRITE_ATTEMPTS = 5


def _write_page(
    state: _Run,
    orders: list[dict[str, Any]],
    locations: dict[str, Location],
    also: Callable[[Session], None] | None = None,
) -> None:
    """Upsert one page of orders and count it in the run, in one transaction (with `also`)."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            with session_scope() as db:
                counts = square_flows.write_orders(
                    db=db,
                    org_id=state.org_id,
                    connection_id=state.connection_id,
                    orders=orders,
                    locations=locations,
                )
                db.execute(
                    update(SyncRun)
                    .where(SyncRun.id == state.run_id)
                    .values(
                        pages=SyncRun.pages + 1,
                        orders_seen=SyncRun.orders_seen + counts.seen,
                        orders_written=SyncRun.orders_written + counts.written,
                    )
                )
                if also is not None:
                    also(db)
                if state.lease:
                    _renew_in(db, state.connection_id, state.lease)
                    state.update_in(db)
            break
        except _RETRYABLE as exc:
            if attempt + 1 == WRITE_ATTEMPTS:
                raise
            log.info("sync run %s: page write retried after %s", state.run_id, exc)
            time.sleep(0.05 * (attempt + 1))
    if counts.skipped_unknown_location:
        state.add("orders_unknown_location", counts.skipped_unknown_location)


def _newest(orders: list[dict[str, Any]], newest: datetime | None) -> datetime | None:
    for order in orders:
        updated = parse_time(order.get("updated_at") or order["created_at"])
        newest = updated if newest is None or updated > newest else newest
    return newest


def _fetch_window(
    state: _Run,
    api: SquareApi,
    groups: list[list[str]],
    locations: dict[str, Location],
    start: datetime,
    end: datetime,
) -> datetime | None:
    """Fetch and store every order updated in [start, end); returns the newest updated_at seen."""
    newest: datetime | None = None
    with _collect_per_page() as after_page:
        for orders in prefetched(_order_pages(api, groups, start, end)):
            newest = _newest(orders, newest)
            # The page, the run's progress and the lease renewal commit together.
            _write_page(state, orders, locations)
            del orders
            after_page()
    return newest


def _retrying(unit: Callable[[], T]) -> T:
    """Run a unit of work that commits, again if it met another worker's write (see
    _RETRYABLE: on SQLite, a transaction that read before another process committed cannot
    write; it starts over)."""
    for attempt in range(WRITE_ATTEMPTS):
        try:
            return unit()
        except _RETRYABLE:
            if attempt + 1 == WRITE_ATTEMPTS:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")
