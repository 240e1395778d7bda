"""The sales sync of one Square connection.

A run fetches locations, catalog and team members, then orders (and payments and refunds):
- the first run backfills SYNC_BACKFILL_DAYS of history in windows (30 days of updated_at x up
  to 10 locations), newest first, so recent reports fill in first. The windows are rows
  (square_sync_window) that the run's worker and SYNC_BACKFILL_WORKERS - 1 helper tasks claim
  one at a time under a lease, each page committed with the window's resume point, so the
  backfill is split across workers and a worker that dies is resumed from its last page; the
  incremental checkpoint is set only once every window is done (see "the split backfill");
- later runs fetch what was updated since the last checkpoint minus SYNC_OVERLAP_MINUTES, oldest
  first, moving the checkpoint forward page by page.
A run of a connection whose history is not loaded yet is queued as `square.run_backfill`, its
helpers as `square.backfill_windows`: both on the Celery queue `backfill`, whose workers are not
the default queue's (app/celery_app.py; DEPLOY.md, "Workers and queues"), so a first sync never
holds up "Sync now" or the scheduled syncs of accounts already loaded.
Every write is an idempotent upsert keyed by Square ids, committed page by page: running a sync
twice, or overlapping runs, changes nothing; two workers meeting on one order take turns on its
row, and a page that loses a race on a unique key is written again. A lease on the connection row
keeps two runs of one connection apart, on any number of workers and machines.

The package: runs.py starts and executes runs phase by phase; state.py holds a run's state and
the connection's lease; orders.py fetches and writes order pages; windows.py is the split
backfill (see "the split backfill" there); payments.py fetches payments and refunds; fetching.py
runs fetches in background threads and collects garbage per page.
"""

from __future__ import annotations

from app.square.sync.fetching import _collect_per_page, merged, prefetched
from app.square.sync.orders import _RETRYABLE, WRITE_ATTEMPTS, _write_page
from app.square.sync.payments import PAYMENT_BATCH, PAYMENT_FETCHERS
from app.square.sync.runs import get_run, run, schedule_all, start
from app.square.sync.state import FUTURE_MARGIN, Helpers, Progress, _location_groups, _Run, rfc3339
from app.square.sync.windows import (
    ANALYZE_EVERY_PAGES,
    BACKFILL_WINDOW,
    WINDOW_PAGE_SIZE,
    WINDOW_POLL_SECONDS,
    work_windows,
)

__all__ = [
    "ANALYZE_EVERY_PAGES",
    "BACKFILL_WINDOW",
    "FUTURE_MARGIN",
    "PAYMENT_BATCH",
    "PAYMENT_FETCHERS",
    "WINDOW_PAGE_SIZE",
    "WINDOW_POLL_SECONDS",
    "WRITE_ATTEMPTS",
    "_RETRYABLE",
    "Helpers",
    "Progress",
    "_Run",
    "_collect_per_page",
    "_location_groups",
    "_write_page",
    "get_run",
    "merged",
    "prefetched",
    "rfc3339",
    "run",
    "schedule_all",
    "start",
    "work_windows",
]
