"""Rebuild the rollups from the order tables (app/rollups/recompute.py).

    python -m app.scripts.rebuild_rollups            # every organization
    python -m app.scripts.rebuild_rollups --org 3    # one organization

The sync keeps the rollups current in the same transaction as the orders it writes; this is the
one-off for a database whose orders predate the rollups (migration 0005_rollups creates the
tables empty) or after a change to their definitions. Each organization is rebuilt in its own
transaction, so reports never see it half done. Safe to run again at any time.
"""

from __future__ import annotations

import argparse
import time

from sqlalchemy import select

from app.core.db import session_scope
from app.organizations.models import Organization
from app.rollups import service as rollups


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--org", type=int, help="organization id (default: every organization)")
    args = parser.parse_args(argv)
    with session_scope() as db:
        org_ids = [args.org] if args.org is not None else list(db.scalars(select(Organization.id)))
    for org_id in org_ids:
        started = time.monotonic()
        with session_scope() as db:
            rollups.rebuild(db, org_id)
        print(f"organization {org_id}: rollups rebuilt in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
