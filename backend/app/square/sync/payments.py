"""The payments phase of a run: payments (team member, settled fees) and payment refunds."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from app.core.config import get_settings
from app.core.db import session_scope, utcnow
from app.sales import service as sales_service
from app.sales.facts import parse_time
from app.square.client import SquareApi
from app.square.models import SquareConnection
from app.square.sync.fetching import merged
from app.square.sync.state import FUTURE_MARGIN, _location_groups, _renew_in, _Run, rfc3339
from app.square.sync.windows import ANALYZE_EVERY_PAGES, _analyze

PAYMENT_FETCHERS = 4


# Payments and refunds written a transaction. The payments' checkpoint moves only once all are
# written, so a run that stops midway fetches them again (idempotently) however they were
# grouped: a transaction per page of 100 spent more on its commit, lease renewal and statements
# than on the rows.
PAYMENT_BATCH = 1000


def _write_payments(state: _Run, kind: str, rows: list[dict[str, Any]]) -> None:
    with session_scope() as db:
        if kind == "payments":
            sales_service.upsert_payments(
                db=db, org_id=state.org_id, connection_id=state.connection_id, payments=rows
            )
        else:
            sales_service.upsert_payment_refunds(
                db=db, org_id=state.org_id, connection_id=state.connection_id, refunds=rows
            )
        state.add(kind, len(rows))
        if state.lease:
            _renew_in(db, state.connection_id, state.lease)


def _sync_payments(state: _Run, api: SquareApi) -> None:
    """Payments (team member, settled fees) and payment refunds updated since the last run."""
    settings = get_settings()
    state.update(phase="payments")
    groups, _ = _location_groups(state)
    with session_scope() as db:
        connection = db.get(SquareConnection, state.connection_id)
        assert connection is not None
        since = connection.payments_synced_until or connection.backfill_from or utcnow()
        history_start = (connection.backfill_from or since) - timedelta(days=30)
    start = since - timedelta(minutes=settings.SYNC_OVERLAP_MINUTES)
    end = utcnow() + FUTURE_MARGIN
    newest: datetime | None = None
    sources: list[tuple[str, Iterator[list[dict[str, Any]]]]] = []
    for square_location_id in (sq for group in groups for sq in group):
        sources.append(
            (
                "payments",
                api.payments(
                    location_id=square_location_id,
                    updated_from=rfc3339(start),
                    updated_to=rfc3339(end),
                    created_from=rfc3339(history_start),
                ),
            )
        )
        sources.append(
            (
                "refunds",
                api.refunds(
                    location_id=square_location_id,
                    begin_time=rfc3339(start - timedelta(days=7)),
                    end_time=rfc3339(end),
                ),
            )
        )
    # Payments come 100 a page; several locations are fetched at once to keep the writer busy,
    # and PAYMENT_BATCH of them are written a transaction.
    pending: dict[str, list[dict[str, Any]]] = {"payments": [], "refunds": []}
    batches = 0
    for kind, page in merged(sources, fetchers=PAYMENT_FETCHERS):
        pending[kind] += page
        if kind == "payments":
            for payment in page:
                updated = parse_time(payment.get("updated_at") or payment["created_at"])
                newest = updated if newest is None or updated > newest else newest
        if len(pending[kind]) >= PAYMENT_BATCH:
            _write_payments(state, kind, pending[kind])
            pending[kind] = []
            batches += 1
            if batches % ANALYZE_EVERY_PAGES == 0:
                # A thousand payment ids looked up in a table with no statistics are taken
                # for the whole table: each batch read every payment stored before it (a
                # year's backfill: 750 lookups, 248 s; 3.7 s planned on statistics).
                _analyze(state)
    for kind, rows in pending.items():
        if rows:
            _write_payments(state, kind, rows)
    if newest is not None:
        with session_scope() as db:
            connection = db.get(SquareConnection, state.connection_id)
            assert connection is not None
            connection.payments_synced_until = newest
    state.update()
