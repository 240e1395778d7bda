"""Report endpoints: parse the query, check access, call one service function."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from app.core.deps import CurrentUser, DbSession, parse_location_ids
from app.reports import service as report_service
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
from app.users.models import User

router = APIRouter(prefix="/reports", tags=["reports"])

DateFrom = Annotated[date, Query(description="First local business date (inclusive)")]
DateTo = Annotated[date, Query(description="Last local business date (inclusive)")]
LocationIds = Annotated[
    list[str] | None,
    Query(description="Location ids, repeated or comma-separated; default all the caller may see"),
]
Currency = Annotated[
    str | None, Query(description="ISO 4217; default the organization's reporting currency")
]
CompareQuery = Annotated[Compare, Query()]
Lfl = Annotated[bool, Query(description="Like-for-like locations only (needs compare)")]


def _request(
    db: DbSession,
    user: User,
    date_from: date,
    date_to: date,
    location_ids: list[str] | None,
    currency: str | None,
    compare: Compare,
    lfl: bool,
) -> report_service.ReportRequest:
    return report_service.prepare(
        db=db,
        user=user,
        date_from=date_from,
        date_to=date_to,
        location_ids=parse_location_ids(location_ids),
        currency=currency,
        compare=compare,
        lfl=lfl,
    )


@router.get("/summary", response_model=SummaryRead)
def report_summary(
    db: DbSession,
    user: CurrentUser,
    date_from: DateFrom,
    date_to: DateTo,
    location_ids: LocationIds = None,
    currency: Currency = None,
    compare: CompareQuery = Compare.previous_period,
    lfl: Lfl = False,
) -> SummaryRead:
    req = _request(db, user, date_from, date_to, location_ids, currency, compare, lfl)
    return report_service.summary(db=db, req=req)


@router.get("/timeseries", response_model=TimeseriesRead)
def report_timeseries(
    db: DbSession,
    user: CurrentUser,
    date_from: DateFrom,
    date_to: DateTo,
    granularity: Annotated[Granularity, Query()] = Granularity.day,
    location_ids: LocationIds = None,
    currency: Currency = None,
    compare: CompareQuery = Compare.none,
    lfl: Lfl = False,
) -> TimeseriesRead:
    req = _request(db, user, date_from, date_to, location_ids, currency, compare, lfl)
    return report_service.timeseries(db=db, req=req, granularity=granularity)


@router.get("/breakdown", response_model=BreakdownRead)
def report_breakdown(
    db: DbSession,
    user: CurrentUser,
    date_from: DateFrom,
    date_to: DateTo,
    by: Annotated[BreakdownBy, Query()],
    sort: Annotated[str | None, Query(description="A metric name, key or label")] = None,
    order: Annotated[SortOrder, Query()] = SortOrder.desc,
    location_ids: LocationIds = None,
    currency: Currency = None,
    compare: CompareQuery = Compare.none,
    lfl: Lfl = False,
) -> BreakdownRead:
    req = _request(db, user, date_from, date_to, location_ids, currency, compare, lfl)
    return report_service.breakdown(db=db, req=req, by=by, sort=sort, order=order)


@router.get("/heatmap", response_model=HeatmapRead)
def report_heatmap(
    db: DbSession,
    user: CurrentUser,
    date_from: DateFrom,
    date_to: DateTo,
    location_ids: LocationIds = None,
    currency: Currency = None,
    compare: CompareQuery = Compare.none,
    lfl: Lfl = False,
) -> HeatmapRead:
    req = _request(db, user, date_from, date_to, location_ids, currency, compare, lfl)
    return report_service.heatmap(db=db, req=req)
