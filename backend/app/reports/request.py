"""Reports: the request every report answers — its validated filters (`prepare`) and limits.

`prepare` checks the period, the locations the user may see and the comparison, and returns the
frozen `ReportRequest` that summary/timeseries/breakdown/heatmap (app/reports/service.py) read.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.core.errors import InvalidField
from app.locations import groups as group_service
from app.locations import service as location_service
from app.reports.schemas import Compare, FootfallEstimates
from app.users.models import User

MAX_RANGE_DAYS = 3 * 366 + 7  # three years and a week (e.g. 3 years against the previous year)
MAX_HOURLY_DAYS = 92
MAX_UNTIL_DAYS = 31  # "so far today" reads the period's orders (app/reports/reference.py)
PREVIOUS_YEAR_DAYS = 364  # 52 weeks: Monday compares with Monday
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UNATTRIBUTED = "Unattributed"
CUSTOM_AMOUNT = "Custom amount"
UNCATEGORISED = "Uncategorised"
NO_GROUP = ("none", "No group")  # the by-group row of the stores in no group: (key, label)


@dataclass(frozen=True)
class ReportRequest:
    """A validated report request: the period, the locations the caller may see, the currency."""

    org_id: int
    date_from: date
    date_to: date
    location_ids: list[int]
    currency: str
    compare: Compare
    lfl: bool
    # The currencies of the locations (at least), when the caller knows them: saves a lookup
    # per read of the rollups.
    currencies: tuple[str, ...] | None = None
    # "So far today": the period's last day, and the comparison's, count only the local hours
    # of the business day before this clock hour (1..24) in each store (`cut_hours`).
    until_hour: int | None = None
    # Constant currency: the comparison converted at the rates of the period's dates it is
    # compared with (`Converter.at_rates_of(offset)`), so a change is not a currency move.
    constant_currency: bool = False
    # The store groups the caller filtered by (their stores are in `location_ids`), for the
    # workbook's cover; None: no group filter.
    group_ids: tuple[int, ...] | None = None
    # Estimated store-days (app/footfall/ESTIMATES.md) in footfall and conversion, or left out
    # (METRICS.md's rule, the default).
    footfall_estimates: FootfallEstimates = FootfallEstimates.leave_out
    # Whether the response counts its estimated and questioned store-days (the marks); off for
    # readers that need the figures only (the alerts' day figures).
    marked: bool = True

    @property
    def include_estimates(self) -> bool:
        return self.footfall_estimates == FootfallEstimates.include

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def offset(self) -> int | None:
        """Days from a comparison date to the period's date it lands on; None without a
        comparison. For the same dates a month or a year before, the days between the period's
        first date and its comparison's: a period in a longer month than its comparison's has
        last days with no comparison day (March 29-31 against February), and the comparison
        still covers its whole range."""
        if self.compare == Compare.previous_period:
            return self.days
        if self.compare == Compare.previous_year:
            return PREVIOUS_YEAR_DAYS
        if self.compare == Compare.previous_week:
            return 7
        window = self.comparison_range()
        return None if window is None else (self.date_from - window[0]).days

    def comparison_range(self) -> tuple[date, date] | None:
        """The comparison's first and last dates (METRICS.md "Comparisons")."""
        if self.compare in (Compare.previous_month, Compare.previous_year_dates):
            months = 1 if self.compare == Compare.previous_month else 12
            return _months_back(self.date_from, months), _months_back(self.date_to, months)
        if self.compare == Compare.none:
            return None
        shift = timedelta(days=self.offset or 0)
        return self.date_from - shift, self.date_to - shift

    def cut_hours(self, start_hour: int) -> int | None:
        """How many hours of the last day count for a store whose business day starts at
        `start_hour` (None: the whole day), under `until_hour`."""
        if self.until_hour is None:
            return None
        counted = (self.until_hour - start_hour) % 24
        return None if counted == 0 else counted


def _months_back(day: date, months: int) -> date:
    """The same date `months` earlier; past the end of a shorter month, its last day. A month's
    last day gives the earlier month's last day (February 28 against January 31)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    if day.day == calendar.monthrange(day.year, day.month)[1]:
        return date(year, month, last)
    return date(year, month, min(day.day, last))


def prepare(
    *,
    db: Session,
    user: User,
    date_from: date,
    date_to: date,
    location_ids: list[int] | None,
    currency: str | None,
    compare: Compare,
    lfl: bool,
    group_ids: list[int] | None = None,
    constant_currency: bool = False,
    footfall_estimates: FootfallEstimates = FootfallEstimates.leave_out,
) -> ReportRequest:
    """Check a report's parameters and resolve its locations (403 naming an ungranted one;
    422 naming group_ids for a group the user cannot see)."""
    if date_to < date_from:
        raise InvalidField("date_to", "date_to must be on or after date_from", location="query")
    if (date_to - date_from).days + 1 > MAX_RANGE_DAYS:
        raise InvalidField(
            "date_to", f"The period may be at most {MAX_RANGE_DAYS} days long", location="query"
        )
    if lfl and compare == Compare.none:
        raise InvalidField("lfl", "Like-for-like needs a comparison (compare=)", location="query")
    if constant_currency and compare == Compare.none:
        raise InvalidField(
            "constant_currency", "Constant currency needs a comparison (compare=)", location="query"
        )
    if location_ids:
        locations = location_service.check_access(db=db, user=user, location_ids=location_ids)
    else:
        locations = location_service.list_locations(db=db, user=user)
    if group_ids:
        # The stores of the groups the user may see; with location_ids, those in both.
        in_groups = set(group_service.location_ids(db=db, user=user, group_ids=group_ids))
        locations = [loc for loc in locations if loc.id in in_groups]
    code = (currency or user.organization.reporting_currency).upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidField("currency", f"{currency!r} is not an ISO 4217 code", location="query")
    return ReportRequest(
        org_id=user.org_id,
        date_from=date_from,
        date_to=date_to,
        location_ids=sorted(loc.id for loc in locations),
        currency=code,
        compare=compare,
        lfl=lfl,
        constant_currency=constant_currency,
        currencies=tuple(sorted({loc.currency for loc in locations})),
        group_ids=tuple(sorted(set(group_ids))) if group_ids else None,
        footfall_estimates=footfall_estimates,
    )


def cut_at(req: ReportRequest, until_hour: int | None, *, location: str = "query") -> ReportRequest:
    """The request with its last day (and its comparison's) cut at a local clock hour
    (`location`: where the 422 says `until_hour` was, "query" or "body")."""
    if until_hour is None:
        return req
    if not 1 <= until_hour <= 24:
        raise InvalidField("until_hour", "until_hour is a clock hour, 1 to 24", location=location)
    if req.days > MAX_UNTIL_DAYS:
        raise InvalidField(
            "until_hour",
            f"A period cut at an hour of its last day may be at most {MAX_UNTIL_DAYS} days long",
            location=location,
        )
    return replace(req, until_hour=until_hour)
