from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Query, Response, UploadFile, status
from pydantic import Field

from app.apikeys.deps import CounterKey
from app.auth.deps import AdminUser, CurrentUser, ManagerUser
from app.core.deps import DbSession, parse_location_ids
from app.core.inputs import BusinessDate, DbId, Offset
from app.core.routing import BoundedJsonRoute
from app.footfall import audit as audit_service
from app.footfall import counters as counter_service
from app.footfall import coverage as coverage_service
from app.footfall import grid as grid_service
from app.footfall import importing as import_service
from app.footfall import service as footfall_service
from app.footfall.schemas import (
    COUNT_EXAMPLE,
    MAX_COUNTS_PER_REQUEST,
    CountBatch,
    CounterCreate,
    CounterPage,
    CounterRead,
    CountResult,
    FootfallAuditPage,
    FootfallBulk,
    FootfallBulkResult,
    FootfallCreate,
    FootfallPage,
    FootfallRead,
    FootfallUpdate,
    ImportReport,
    LocationPage,
    LocationSummary,
    RawCount,
)
from app.locations import service as location_service
from app.locations.schemas import LocationRead

router = APIRouter(prefix="/footfall", tags=["footfall"], route_class=BoundedJsonRoute)

Limit = Annotated[int, Query(ge=1, le=50_000)]


# Static paths come before /footfall/{entry_id}, which would otherwise claim "bulk", "audit"...


@router.get("", response_model=FootfallPage)
def list_footfall(
    db: DbSession,
    user: CurrentUser,
    location_ids: Annotated[
        list[str] | None,
        Query(description="Repeated or comma-separated; default: every location you may see"),
    ] = None,
    date_from: Annotated[
        BusinessDate | None, Query(description="Default: 27 days before date_to")
    ] = None,
    date_to: Annotated[BusinessDate | None, Query(description="Default: today (UTC)")] = None,
    limit: Limit = 5000,
    offset: Offset = 0,
) -> FootfallPage:
    date_to = date_to or datetime.now(UTC).date()
    date_from = date_from or date_to - timedelta(days=27)
    return footfall_service.list_entries(
        db=db,
        user=user,
        location_ids=parse_location_ids(location_ids),
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )


@router.post("", response_model=FootfallRead, status_code=status.HTTP_201_CREATED)
def create_footfall(entry_in: FootfallCreate, db: DbSession, user: ManagerUser) -> FootfallRead:
    return grid_service.create(db=db, user=user, entry_in=entry_in)


@router.put("/bulk", response_model=FootfallBulkResult)
def bulk_footfall(bulk_in: FootfallBulk, db: DbSession, user: ManagerUser) -> FootfallBulkResult:
    """Upsert a grid of cells all or nothing: a count sets, `closed` closes, neither clears."""
    return grid_service.bulk_upsert(db=db, user=user, bulk_in=bulk_in)


@router.post("/import", response_model=ImportReport)
def import_footfall(
    file: UploadFile,
    db: DbSession,
    user: ManagerUser,
    dry_run: Annotated[bool, Query(description="Only report what would happen")] = False,
    report_limit: Annotated[
        int, Query(ge=0, le=1_000_000, description="Rows listed besides the rejected ones")
    ] = 1000,
) -> ImportReport:
    """Import a CSV (columns location, date, count, optional hour); all or nothing.

    Dates are YYYY-MM-DD or DD/MM/YYYY (day first). A count of `closed` marks the day closed; a
    blank count skips the row. With a rejected row nothing is written and the answer is 422 with
    the row report under `report`.
    """
    return import_service.import_csv(
        db=db, user=user, content=file.file.read(), dry_run=dry_run, report_limit=report_limit
    )


@router.post(
    "/counts",
    response_model=CountResult,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {
                    "examples": {
                        "batch": {
                            "summary": "Three counts, the store named three ways",
                            "value": COUNT_EXAMPLE,
                        }
                    }
                }
            }
        }
    },
)
def receive_counts(
    batch: Annotated[
        CountBatch | Annotated[list[RawCount], Field(max_length=MAX_COUNTS_PER_REQUEST)],
        Body(description='`{"counts": [...]}`, or the list of counts alone'),
    ],
    db: DbSession,
    key: CounterKey,
) -> CountResult:
    """People counters' figures, authenticated by an organization API key (not a user's token):
    `Authorization: Bearer tpk_…` or `X-API-Key: tpk_…`. Guide: backend/app/footfall/COUNTERS.md.

    Up to 5,000 counts per request, in any order; the same store, start, interval and direction
    sent again replaces the earlier figure (never doubles). Each item is checked on its own: the
    valid ones are applied together, atomically, and each other one is listed in `rejected` with
    its index, field and reason, and writes nothing. Counts roll up into the stores' hourly and
    daily footfall (source `api`), replacing typed figures of the same days. Rate limited per key
    (429 with Retry-After).
    """
    items = batch.counts if isinstance(batch, CountBatch) else batch
    return counter_service.receive(db=db, key=key, items=items)


@router.get("/counters", response_model=CounterPage)
def list_counters(db: DbSession, admin: AdminUser) -> CounterPage:
    """The counter ids mapped to stores (a counter may name its store by its own id)."""
    return counter_service.list_counters(db=db, org_id=admin.org_id)


@router.post("/counters", response_model=CounterRead, status_code=status.HTTP_201_CREATED)
def create_counter(counter_in: CounterCreate, db: DbSession, admin: AdminUser) -> CounterRead:
    """Map a counter's own id to a store."""
    return counter_service.create_counter(db=db, org_id=admin.org_id, counter_in=counter_in)


@router.delete("/counters/{counter_pk}", status_code=status.HTTP_204_NO_CONTENT)
def delete_counter(counter_pk: DbId, db: DbSession, admin: AdminUser) -> None:
    counter_service.delete_counter(db=db, org_id=admin.org_id, counter_pk=counter_pk)


@router.get(
    "/template.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "CSV to fill in"}},
)
def footfall_template(db: DbSession, user: ManagerUser) -> Response:
    """A CSV template: one row per location you may write, dated yesterday, count to fill in."""
    return Response(
        import_service.template_csv(db=db, user=user),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="footfall-template.csv"'},
    )


@router.get("/audit", response_model=FootfallAuditPage)
def footfall_audit(
    db: DbSession,
    user: ManagerUser,
    location_id: DbId | None = None,
    date_from: BusinessDate | None = None,
    date_to: BusinessDate | None = None,
    limit: Limit = 500,
    offset: Offset = 0,
) -> FootfallAuditPage:
    """Every change to footfall, newest first (managers: their granted locations)."""
    return audit_service.list_audit(
        db=db,
        user=user,
        location_id=location_id,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )


@router.put("/{entry_id}", response_model=FootfallRead)
def update_footfall(
    entry_id: DbId, entry_in: FootfallUpdate, db: DbSession, user: ManagerUser
) -> FootfallRead:
    return grid_service.update(db=db, user=user, entry_id=entry_id, entry_in=entry_in)


@router.delete("/{entry_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_footfall(entry_id: DbId, db: DbSession, user: ManagerUser) -> None:
    grid_service.delete_entry(db=db, user=user, entry_id=entry_id)


# GET /locations (tag "locations") lists the stores with their footfall coverage. It is served
# from here because app.locations, a lower layer, may not import footfall (pyproject.toml's import
# layers); app/main.py mounts it just before the locations router.
locations_router = APIRouter(tags=["locations"], route_class=BoundedJsonRoute)


@locations_router.get("/locations", response_model=LocationPage)
def list_locations(
    db: DbSession,
    user: CurrentUser,
    date_from: Annotated[
        BusinessDate | None,
        Query(description="Footfall coverage from; default: 27 days before date_to"),
    ] = None,
    date_to: Annotated[
        BusinessDate | None,
        Query(description="Footfall coverage to; default: each store's yesterday"),
    ] = None,
) -> LocationPage:
    """The stores the caller may see, each with its footfall coverage over the period."""
    locations = location_service.list_locations(db=db, user=user)
    coverage = coverage_service.footfall_coverage(
        db=db, locations=locations, date_from=date_from, date_to=date_to
    )
    return LocationPage(
        items=[
            LocationSummary(
                **LocationRead.model_validate(loc).model_dump(), footfall_coverage=coverage[loc.id]
            )
            for loc in locations
        ],
        total=len(locations),
    )
