"""Reports: the request every report answers — its validated filters (`prepare`) and limits.

`prepare` checks the period, the locations the user may see and the comparison, and returns the
frozen `ReportRequest` that summary/timeseries/breakdown/heatmap (app/reports/service.py) read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.core.errors import InvalidField
from app.locations import service as location_service
from app.reports.schemas import Compare
from app.users.models import User

MAX_RANGE_DAYS = 3 * 366 + 7  # three years and a week (e.g. 3 years against the previous year)
MAX_HOURLY_DAYS = 92
PREVIOUS_YEAR_DAYS = 364  # 52 weeks: Monday compares with Monday
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
UNATTRIBUTED = "Unattributed"
CUSTOM_AMOUNT = "Custom amount"
UNCATEGORISED = "Uncategorised"


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
    # Constant currency: the comparison converted at the rates of the period's dates it is
    # compared with (`Converter.at_rates_of(offset)`), so a change is not a currency move.
    constant_currency: bool = False

    @property
    def days(self) -> int:
        return (self.date_to - self.date_from).days + 1

    @property
    def offset(self) -> int | None:
        """Days between a date and its comparison date; None without a comparison."""
        if self.compare == Compare.previous_period:
            return self.days
        if self.compare == Compare.previous_year:
            return PREVIOUS_YEAR_DAYS
        return None

    def comparison_range(self) -> tuple[date, date] | None:
        if self.offset is None:
            return None
        shift = timedelta(days=self.offset)
        return self.date_from - shift, self.date_to - shift


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
    constant_currency: bool = False,
) -> ReportRequest:
    """Check a report's parameters and resolve its locations (403 naming an ungranted one)."""
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
    )
