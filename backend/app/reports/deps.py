"""A report's filters as a request dependency: the report endpoints and the exports take them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Query

from app.auth.deps import CurrentUser
from app.core.deps import DbSession, parse_location_ids
from app.core.inputs import BusinessDate, Text
from app.reports.request import ReportRequest, cut_at, prepare
from app.reports.schemas import Compare, FootfallEstimates

DateFrom = Annotated[BusinessDate, Query(description="First local business date (inclusive)")]
DateTo = Annotated[BusinessDate, Query(description="Last local business date (inclusive)")]
LocationIds = Annotated[
    list[str] | None,
    Query(description="Location ids, repeated or comma-separated; default all the caller may see"),
]
GroupIds = Annotated[
    list[str] | None,
    Query(
        description="Store group ids, repeated or comma-separated: their stores the caller may "
        "see (with location_ids: the stores in both)"
    ),
]
Currency = Annotated[
    Text | None, Query(description="ISO 4217; default the organization's reporting currency")
]
Lfl = Annotated[bool, Query(description="Like-for-like locations only (needs compare)")]
ConstantCurrency = Annotated[
    bool,
    Query(
        description="Constant currency (needs compare): the comparison period's amounts are "
        "converted at the exchange rates of the period's dates they are compared with (a "
        "comparison day at the rate of the day it is compared with, the same rate on both "
        "sides), so a change shows sales growth, not currency moves. The period's own figures "
        "are unchanged, and so is everything when every store trades in the reporting "
        "currency. The response's `comparison.rates` says which conversion was used."
    ),
]

EstimatesChoice = Annotated[
    FootfallEstimates,
    Query(
        description="Footfall of traded store-days without an entry, estimated from the same "
        "weekday of the previous 4 weeks (at least 2 with a count; app/footfall/ESTIMATES.md): "
        "`include` counts them in footfall, conversion and sales per visitor; `leave_out` (the "
        "default) keeps METRICS.md's rule, only days with an entry. Responses say how many "
        "store-days have an estimate (`footfall_estimated_days`) either way"
    ),
]


UntilHour = Annotated[
    int | None,
    Query(
        ge=1,
        le=24,
        description="So far today: the period's last day and the comparison's count only the "
        "hours of each store's business day before this local clock hour (e.g. 15 at 14:37: "
        "up to 15:00 on both sides); their footfall is left out of both, as a day's count "
        "covers the whole day",
    ),
]


def _filters(default_compare: Compare) -> Callable[..., ReportRequest]:
    """The filters every report and export takes, checked (403 naming an ungranted location);
    only the default comparison differs (the summary and the workbook compare by default)."""

    def report_filters(
        db: DbSession,
        user: CurrentUser,
        date_from: DateFrom,
        date_to: DateTo,
        location_ids: LocationIds = None,
        group_ids: GroupIds = None,
        currency: Currency = None,
        compare: Annotated[Compare, Query()] = default_compare,
        lfl: Lfl = False,
        constant_currency: ConstantCurrency = False,
        footfall_estimates: EstimatesChoice = FootfallEstimates.leave_out,
    ) -> ReportRequest:
        return prepare(
            db=db,
            user=user,
            date_from=date_from,
            date_to=date_to,
            location_ids=parse_location_ids(location_ids),
            group_ids=parse_location_ids(group_ids, field="group_ids", what="group"),
            currency=currency,
            compare=compare,
            lfl=lfl,
            constant_currency=constant_currency,
            footfall_estimates=footfall_estimates,
        )

    return report_filters


def _so_far(default_compare: Compare) -> Callable[..., ReportRequest]:
    """The filters, with the period's last day (and the comparison's) cut at an hour."""

    filters = Depends(_filters(default_compare))

    def so_far_filters(req: ReportRequest = filters, until_hour: UntilHour = None) -> ReportRequest:
        return cut_at(req, until_hour)

    return so_far_filters


# A report's filters: compared with the previous period by default, or not compared by default;
# the summary's, the day series' and the workbook's may also be cut at an hour of the last day.
ComparedReport = Annotated[ReportRequest, Depends(_filters(Compare.previous_period))]
Report = Annotated[ReportRequest, Depends(_filters(Compare.none))]
SoFarReport = Annotated[ReportRequest, Depends(_so_far(Compare.previous_period))]
SoFarSeries = Annotated[ReportRequest, Depends(_so_far(Compare.none))]
