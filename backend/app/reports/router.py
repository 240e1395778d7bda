"""Report endpoints: parse the query, check access, call one service function."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.auth.deps import CurrentUser
from app.catalog.schemas import CatalogRead, catalog_json
from app.core.deps import DbSession
from app.core.inputs import Text
from app.core.routing import BoundedJsonRoute
from app.reports import service as report_service
from app.reports import traffic as traffic_report
from app.reports.deps import Report, SoFarReport, SoFarSeries
from app.reports.schemas import (
    BreakdownBy,
    BreakdownRead,
    Granularity,
    HeatmapRead,
    SortOrder,
    SummaryRead,
    TimeseriesRead,
    TrafficRead,
)

router = APIRouter(prefix="/reports", tags=["reports"], route_class=BoundedJsonRoute)


@router.get("/catalog", response_model=CatalogRead)
def report_catalog(user: CurrentUser, request: Request) -> Response:
    """Every metric, measure and breakdown the reports know: labels, kinds, whether up is good,
    definitions, and which figures each breakdown shows (the web app and the workbook read them
    from here).

    Fixed for a release: built once, with an ETag; a browser asks again with If-None-Match and
    gets a bodiless 304 while the release is the same (`no-cache`: it always asks, so a new
    release's catalog is never missed; `private`: a signed-in answer, kept by no shared cache).
    """
    body, etag = catalog_json()
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type="application/json", headers=headers)


@router.get("/summary", response_model=SummaryRead)
def report_summary(db: DbSession, req: SoFarReport) -> SummaryRead:
    return report_service.summary(db=db, req=req)


@router.get("/timeseries", response_model=TimeseriesRead)
def report_timeseries(
    db: DbSession,
    req: SoFarSeries,
    granularity: Annotated[Granularity, Query()] = Granularity.day,
) -> TimeseriesRead:
    return report_service.timeseries(db=db, req=req, granularity=granularity)


@router.get("/breakdown", response_model=BreakdownRead)
def report_breakdown(
    db: DbSession,
    req: Report,
    by: Annotated[BreakdownBy, Query()],
    sort: Annotated[Text | None, Query(description="A metric name, key or label")] = None,
    order: Annotated[SortOrder, Query()] = SortOrder.desc,
) -> BreakdownRead:
    return report_service.breakdown(db=db, req=req, by=by, sort=sort, order=order, compared=True)


@router.get("/heatmap", response_model=HeatmapRead)
def report_heatmap(db: DbSession, req: Report) -> HeatmapRead:
    return report_service.heatmap(db=db, req=req)


@router.get("/traffic", response_model=TrafficRead)
def report_traffic(db: DbSession, req: Report) -> TrafficRead:
    """Footfall, transactions, net sales, conversion and sales per visitor by local hour of day
    and by weekday x hour (the "power hours"), over the store-days with hourly footfall counts;
    store-days with only a whole-day count are left out, and counted in `coverage`. With
    footfall_estimates=include, an hour missing from a store-day counted by the hour is counted
    at the mean of the same weekday's hour in the previous weeks (app/footfall/ESTIMATES.md). A
    comparison (compare=) is used only to pick like-for-like's store-days (lfl=true)."""
    return traffic_report.traffic(db=db, req=req)
