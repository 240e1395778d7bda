"""Excel and CSV exports of the reports, and exports made in the background.

The parts: `app.exports.tables` (the figures each table shows, their labels and totals; the CSV
tables), `app.exports.sheets` (the workbook's sheets), `app.exports.jobs` (background exports:
create, run with progress, download, purge) and `app.exports.storage` (EXPORT_DIR and file names).
This module builds the workbook a GET streams while the client waits.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.errors import InvalidField
from app.exports.sheets import write_workbook
from app.exports.storage import export_subdir, filename, unwritable
from app.reports.service import ReportRequest
from app.users.models import User


def direct_workbook(*, db: Session, user: User, req: ReportRequest) -> tuple[Path, str]:
    """Build the workbook for a GET while the client waits; returns (temporary file, filename).
    Longer periods go through a background export."""
    limit = get_settings().EXPORT_DIRECT_MAX_DAYS
    if req.days > limit:
        raise InvalidField(
            "date_to",
            f"Periods longer than {limit} days are exported in the background: "
            "POST /api/v1/reports/exports",
            location="query",
        )
    directory = export_subdir("tmp")
    try:
        handle, name = tempfile.mkstemp(suffix=".xlsx", dir=directory)
    except OSError as exc:  # an existing directory this process may not write to
        raise unwritable(directory, exc) from exc
    os.close(handle)
    path = Path(name)
    try:
        write_workbook(db=db, user=user, req=req, target=path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, filename(user.organization.name, req, "xlsx")
