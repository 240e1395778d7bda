"""Re-derive stored orders' gross / discount split of inclusive tax (app/sales/tax_basis.py,
with the rollups: app/rollups/flows.py).

    python -m app.scripts.rederive_tax_basis

Migration 0019_inclusive_tax_basis does this once. A deploy migrates while the previous release
still serves and syncs (DEPLOY.md), so orders that release writes in between are stored with the
old split: run this after the new release is up to bring them in line. Only orders whose figures
differ are written, with the rollups of their dates and the report caches; safe to run again.
"""

from __future__ import annotations

import argparse

from app.core.db import session_scope
from app.rollups import flows as rollup_flows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.parse_args(argv)
    with session_scope() as db:
        done = rollup_flows.rederive_tax_basis(db)
    print(
        f"{done.orders_read} orders read, {done.orders_changed} re-derived "
        f"({done.lines_changed} lines), {done.orders_skipped} left as they were"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
