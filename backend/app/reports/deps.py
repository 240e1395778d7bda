"""A report's filters as a request dependency: the report endpoints and the exports take them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Query

from app.auth.deps import CurrentUser
from app.core.deps import DbSession, parse_location_ids
from app.core.inputs import BusinessDate, Text
from app.reports.request import ReportRequest, prepare
from app.reports.schemas import Compare

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
        constant_currency: ConstantCurrency = False,
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
            constant_currency=constant_currency,
        )

    return report_filters


# A report's filters: compared with the previous period by default, or not compared by default.
ComparedReport = Annotated[ReportRequest, Depends(_filters(Compare.previous_period))]
Report = Annotated[ReportRequest, Depends(_filters(Compare.none))]
