"""Export endpoints: the workbook or one table streamed now, or a workbook made in the background.

The same filters and access rules as the reports (managers: their granted stores only, 403 naming
the store).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from fastapi.responses import FileResponse, StreamingResponse

from app.auth.deps import CurrentUser
from app.core.deps import DbSession
from app.core.inputs import Text
from app.core.routing import BoundedJsonRoute
from app.exports import jobs, service, storage, tables
from app.exports.schemas import CsvTable, ExportCreate, ExportRead
from app.reports.deps import SoFarReport

router = APIRouter(prefix="/reports", tags=["exports"], route_class=BoundedJsonRoute)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/export.xlsx",
    response_class=StreamingResponse,
    responses={200: {"content": {storage.XLSX_MEDIA_TYPE: {}}, "description": "The workbook"}},
)
def export_xlsx(db: DbSession, user: CurrentUser, req: SoFarReport) -> Response:
    """The whole workbook, streamed (periods up to EXPORT_DIRECT_MAX_DAYS days); `until_hour`
    cuts its Summary and By day sheets as the summary's (the cover says so)."""
    path, name = service.direct_workbook(db=db, user=user, req=req)
    return StreamingResponse(
        storage.file_chunks(path),
        media_type=storage.XLSX_MEDIA_TYPE,
        headers={**_attachment(name), "Content-Length": str(path.stat().st_size)},
    )


@router.get(
    "/export.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One table as CSV"}},
)
def export_csv(
    db: DbSession,
    user: CurrentUser,
    req: SoFarReport,
    by: Annotated[CsvTable, Query(description="Which table")] = CsvTable.summary,
) -> Response:
    """One table as CSV; `until_hour` cuts the summary and day tables only (422 for another)."""
    text = tables.csv_table(db=db, req=req, table=by)
    name = storage.filename(user.organization.name, req, "csv", by.value)
    return Response(
        content=text.encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(name),
    )


@router.post("/exports", response_model=ExportRead, status_code=202)
def create_export(db: DbSession, user: CurrentUser, body: ExportCreate) -> ExportRead:
    """Queue a workbook export; poll GET /reports/exports/{id} for its progress."""
    export = jobs.create(db=db, user=user, body=body)
    return jobs.read(export)


@router.get("/exports/{export_id}", response_model=ExportRead)
def get_export(db: DbSession, user: CurrentUser, export_id: Text) -> ExportRead:
    return jobs.read(jobs.get(db=db, user=user, export_id=export_id))


@router.get(
    "/exports/{export_id}/download",
    response_class=FileResponse,
    responses={
        200: {"content": {storage.XLSX_MEDIA_TYPE: {}}, "description": "The workbook"},
        409: {"description": "Not ready yet, or failed"},
        410: {"description": "Expired"},
    },
)
def download_export(db: DbSession, user: CurrentUser, export_id: Text) -> Response:
    path, name = jobs.download(db=db, user=user, export_id=export_id)
    return FileResponse(path, media_type=storage.XLSX_MEDIA_TYPE, filename=name)
