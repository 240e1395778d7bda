"""Report endpoints: parse the query, check access, call one service function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.auth.deps import CurrentUser
from app.core.deps import DbSession, parse_location_ids
from app.core.inputs import BusinessDate, Text
from app.core.routing import BoundedJsonRoute
from app.reports import service as report_service
from app.reports.request import ReportRequest, prepare
from app.reports.schemas import (
    BreakdownBy,
    BreakdownRead,
    Compare,
    Granularity,
    HeatmapRead,
    SortOrder,
    SummaryRead,
    TimeseriesRead,
)

router = APIRouter(prefix="/reports", tags=["reports"], route_class=BoundedJsonRoute)

DateFrom = Annotated[BusinessDate, Query(description="First local business date (inclusive)")]
DateTo = Annotated[BusinessDate, Query(description="Last local business date (inclusive)")]
LocationIds = Annotated[
    list[str] | None,
    Query(description="Location ids, repeated or comma-separated; default all the caller may see"),
]
Currency = Annotated[
    Text | None, Query(description="ISO 4217; default the organization's reporting currency")
]
Lfl = Annotated[bool, Query(description="Like-for-like locations only (needs compare)")]


def _filters(default_compare: Compare) -> Callable[..., ReportRequest]:
    """The filters every report and export takes, checked (403 naming an ungranted location);
    only the default comparison differs (the summary and the workbook compare by default)."""

    def report_filters(
        db: DbSession,
        user: CurrentUser,
        date_from: DateFrom,
        date_to: DateTo,
        location_ids: LocationIds = None,
        currency: Currency = None,
        compare: Annotated[Compare, Query()] = default_compare,
        lfl: Lfl = False,
    ) -> ReportRequest:
        return prepare(
            db=db,
            user=user,
            date_from=date_from,
            date_to=date_to,
            location_ids=parse_location_ids(location_ids),
            currency=currency,
            compare=compare,
            lfl=lfl,
        )

    return report_filters


# A report's filters: compared with the previous period by default, or not compared by default.
ComparedReport = Annotated[ReportRequest, Depends(_filters(Compare.previous_period))]
Report = Annotated[ReportRequest, Depends(_filters(Compare.none))]


@router.get("/summary", response_model=SummaryRead)
def report_summary(db: DbSession, req: ComparedReport) -> SummaryRead:
    return report_service.summary(db=db, req=req)


@router.get("/timeseries", response_model=TimeseriesRead)
def report_timeseries(
    db: DbSession,
    req: Report,
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
    return report_service.breakdown(db=db, req=req, by=by, sort=sort, order=order)


@router.get("/heatmap", response_model=HeatmapRead)
def report_heatmap(db: DbSession, req: Report) -> HeatmapRead:
    return report_service.heatmap(db=db, req=req)
