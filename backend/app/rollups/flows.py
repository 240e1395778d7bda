"""Flows that rewrite stored sales and bring the rollups along, in the caller's transaction.

Sales knows nothing of the rollups that sum its rows: a job that changes stored orders in place
(rather than through the sync's flow, app/square/flows.py) goes through here.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.rollups import freshness
from app.rollups import service as rollup_service
from app.sales import tax_basis


def rederive_tax_basis(db: Session, *, batch: int = tax_basis.BATCH) -> tax_basis.Rederived:
    """Re-derive the gross / discount split of orders stored on the old inclusive-tax basis
    (app/sales/tax_basis.py), recompute the rollups of the dates that changed, and retire
    whatever was computed from each organization touched (as emptying its caches did)."""
    done = tax_basis.rederive(db, batch=batch)
    for org_id, pairs in sorted(done.pairs.items()):
        # The organization's months first, in key order, then the refresh's own (already held):
        # concurrent writers take the same locks in the same order.
        freshness.touch_organization(db, org_id)
        rollup_service.refresh(db, org_id, pairs)
    return done


__all__ = ["rederive_tax_basis"]
