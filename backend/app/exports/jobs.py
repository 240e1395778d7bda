"""Exports made in the background.

Background exports (`POST /reports/exports`) run as the Celery task `exports.build` with progress
in the `report_export` row; the file lives in EXPORT_DIR for EXPORT_EXPIRY_HOURS, then the beat
task `exports.purge_expired` deletes it and a download answers 410.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from xlsxwriter.exceptions import XlsxFileError

from app.core.config import get_settings
from app.core.db import on_commit, session_scope, utcnow
from app.core.errors import Conflict, DomainError, NotFound
from app.exports.models import Export, ExportState
from app.exports.schemas import ExportCreate, ExportRead
from app.exports.sheets import write_workbook
from app.exports.storage import Gone, export_subdir, filename, unwritable
from app.reports import service as report_service
from app.reports.request import cut_at
from app.reports.schemas import Compare, FootfallEstimates
from app.reports.service import ReportRequest
from app.users.models import User

log = logging.getLogger(__name__)


def _params(req: ReportRequest, group_ids: list[int] | None) -> dict[str, Any]:
    return {
        "date_from": req.date_from.isoformat(),
        "date_to": req.date_to.isoformat(),
        "location_ids": req.location_ids,
        # Kept so that stores no longer in the groups (or none left) stay out when it runs.
        "group_ids": group_ids,
        "currency": req.currency,
        "compare": req.compare.value,
        "lfl": req.lfl,
        "constant_currency": req.constant_currency,
        "footfall_estimates": req.footfall_estimates.value,
        "until_hour": req.until_hour,
    }


def create(*, db: Session, user: User, body: ExportCreate, dispatch: bool = True) -> Export:
    """Check the request as a report would (403 naming an ungranted store) and queue it."""
    req = report_service.prepare(
        db=db,
        user=user,
        date_from=body.date_from,
        date_to=body.date_to,
        location_ids=body.location_ids,
        group_ids=body.group_ids,
        currency=body.currency,
        compare=body.compare,
        lfl=body.lfl,
        constant_currency=body.constant_currency,
        footfall_estimates=body.footfall_estimates,
    )
    req = cut_at(req, body.until_hour, location="body")
    now = utcnow()
    export = Export(
        id=secrets.token_hex(16),
        org_id=user.org_id,
        user_id=user.id,
        params=_params(req, body.group_ids),
        state=ExportState.queued,
        progress=0.0,
        filename=filename(user.organization.name, req, "xlsx"),
        created_at=now,
        expires_at=now + timedelta(hours=get_settings().EXPORT_EXPIRY_HOURS),
    )
    db.add(export)
    db.flush()
    if dispatch:
        export_id = export.id

        def _send() -> None:
            from app.exports import tasks

            tasks.build.delay(export_id)

        on_commit(db, _send)
    return export


def get(*, db: Session, user: User, export_id: str) -> Export:
    """An export the caller made (anyone else's, in or out of the organization, is not found)."""
    export = db.get(Export, export_id)
    if export is None or export.org_id != user.org_id or export.user_id != user.id:
        raise NotFound("export", export_id)
    return export


def _expired(export: Export, now: datetime | None = None) -> bool:
    return export.expires_at <= (now or utcnow())


def read(export: Export, *, api_prefix: str = "/api/v1") -> ExportRead:
    expired = _expired(export)
    ready = export.state == ExportState.done and not expired and export.file_path is not None
    return ExportRead(
        id=export.id,
        state=export.state,
        progress=round(export.progress, 4),
        error=export.error,
        filename=export.filename,
        download_url=f"{api_prefix}/reports/exports/{export.id}/download" if ready else None,
        expires_at=export.expires_at,
        expired=expired,
        size_bytes=export.size_bytes,
        date_from=date.fromisoformat(export.params["date_from"]),
        date_to=date.fromisoformat(export.params["date_to"]),
        currency=export.params.get("currency"),
        created_at=export.created_at,
        finished_at=export.finished_at,
    )


def download(*, db: Session, user: User, export_id: str) -> tuple[Path, str]:
    """The finished file of the caller's export: 409 while it is being made, 410 once expired."""
    export = get(db=db, user=user, export_id=export_id)
    if export.state == ExportState.failed:
        raise Conflict(f"Export {export_id} failed: {export.error}")
    if export.state != ExportState.done:
        raise Conflict(f"Export {export_id} is {export.state.value}; it is not ready yet")
    path = _file(export)
    if _expired(export) or path is None or not path.exists():
        raise Gone(f"Export {export_id} expired at {export.expires_at.isoformat()}; make it again")
    return path, export.filename or path.name


def _file(export: Export) -> Path | None:
    if not export.file_path:
        return None
    return Path(get_settings().EXPORT_DIR) / export.file_path


def _set(export_id: str, **values: Any) -> None:
    with session_scope() as db:
        db.execute(update(Export).where(Export.id == export_id).values(**values))


def run(export_id: str) -> ExportState | None:
    """Make an export's workbook (the Celery task `exports.build`). A finished export is left
    as it is, so a redelivered task does nothing; one interrupted mid-way is made again."""
    with session_scope() as db:
        export = db.get(Export, export_id)
        if export is None or export.state in (ExportState.done, ExportState.failed):
            return export.state if export is not None else None
        export.state = ExportState.running
        export.started_at = utcnow()
        export.progress = 0.0
        export.error = None
        org_id, user_id, params = export.org_id, export.user_id, dict(export.params)
    relative = Path(str(org_id)) / f"{export_id}.xlsx"
    final = Path(get_settings().EXPORT_DIR) / relative
    partial = final.with_suffix(".xlsx.part")
    last: list[float] = [-1.0, 0.0]  # (monotonic time, value) of the last progress committed

    # Everything that can fail, the files' folder included, ends the export as failed with a
    # reason: an exception left out of here would leave it `running` for ever.
    try:
        export_subdir(str(org_id))
        with session_scope() as db:

            def progress(value: float) -> None:
                # Committed at once so a poller sees it; on the export's own connection, not a
                # second one (a worker child may have only one: DATABASE_POOL_SIZE=1 waited for
                # itself here). Between two reports, which read or fill caches, a commit loses
                # nothing. At most twice a second, unless it moved a point or more: the end of
                # a phase reported within 0.5 s of the last commit was dropped, which left the bar
                # behind for all of the next phase (and every value of the first 0.5 s).
                value = min(max(value, 0.0), 0.99)
                now = time.monotonic()
                if value > last[1] and (now - last[0] >= 0.5 or value - last[1] >= 0.01):
                    last[:] = [now, value]
                    db.execute(update(Export).where(Export.id == export_id).values(progress=value))
                    db.commit()

            user = db.get(User, user_id)
            if user is None or not user.is_active:
                raise NotFound("user", user_id)
            req = report_service.prepare(
                db=db,
                user=user,
                date_from=date.fromisoformat(params["date_from"]),
                date_to=date.fromisoformat(params["date_to"]),
                location_ids=params.get("location_ids"),
                group_ids=params.get("group_ids"),
                currency=params.get("currency"),
                compare=Compare(params.get("compare", Compare.previous_period.value)),
                lfl=bool(params.get("lfl")),
                constant_currency=bool(params.get("constant_currency")),
                footfall_estimates=FootfallEstimates(
                    params.get("footfall_estimates", FootfallEstimates.leave_out.value)
                ),
            )
            req = cut_at(req, params.get("until_hour"))
            write_workbook(db=db, user=user, req=req, target=partial, progress=progress)
        os.replace(partial, final)
    except Exception as exc:
        with contextlib.suppress(OSError):  # nothing to delete where nothing could be made
            partial.unlink(missing_ok=True)
        if isinstance(exc, DomainError):
            message = exc.detail
        elif isinstance(exc, OSError | XlsxFileError):  # the file, not the figures
            message = unwritable(final, exc).detail
        else:
            log.exception("export %s failed", export_id)
            message = f"The export could not be made ({type(exc).__name__}); try again"
        _set(export_id, state=ExportState.failed, error=message, finished_at=utcnow())
        return ExportState.failed
    finished = utcnow()
    _set(
        export_id,
        state=ExportState.done,
        progress=1.0,
        file_path=str(relative),
        size_bytes=final.stat().st_size,
        finished_at=finished,
        expires_at=finished + timedelta(hours=get_settings().EXPORT_EXPIRY_HOURS),
    )
    return ExportState.done


KEEP_EXPIRED_ROWS = timedelta(days=7)


def purge_expired(now: datetime | None = None) -> int:
    """Delete the files of expired exports (beat); forget exports a week after they expired
    (until then a download answers 410, after that 404). Returns the files deleted."""
    now = now or datetime.now(UTC)
    deleted = 0
    with session_scope() as db:
        expired = list(
            db.scalars(
                select(Export).where(Export.expires_at <= now, Export.file_path.is_not(None))
            )
        )
        for export in expired:
            path = _file(export)
            if path is not None:
                path.unlink(missing_ok=True)
                deleted += 1
            export.file_path = None
        db.execute(delete(Export).where(Export.expires_at <= now - KEEP_EXPIRED_ROWS))
    # Leftovers of direct exports whose client went away, and of workers stopped mid-way.
    root = Path(get_settings().EXPORT_DIR)
    cutoff = (now - timedelta(hours=get_settings().EXPORT_EXPIRY_HOURS)).timestamp()
    for pattern in ("tmp/*", "*/*.part"):
        for path in root.glob(pattern):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted
