"""The rollup tables, now in app/rollups/models.py: re-exported for the model registry
(app/core/models.py, whose owner repoints it). Nothing else imports this module; delete it then.
"""

from app.rollups.models import RollupDay, RollupHour, RollupLine, RollupOrgLine, RollupTender

__all__ = ["RollupDay", "RollupHour", "RollupLine", "RollupOrgLine", "RollupTender"]
