"""Request and response bodies of /api/v1/alerts."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from annotated_types import Interval
from pydantic import BaseModel, ConfigDict, Field

from app.alerts.models import AlertKind
from app.core.inputs import DbId

Hour = Annotated[int, Interval(ge=0, le=23)]


class QuietHours(BaseModel):
    """Alerts found from `from_hour` until `to_hour` (each store's local clock) wait until
    `to_hour`; equal hours mean no quiet hours."""

    enabled: bool = True
    from_hour: Hour = 21
    to_hour: Hour = 7


class AlertRuleIn(BaseModel):
    """A rule of the organization (no `location_id`) or a store's override of it. Only the
    parameters of its kind may be given; those left out take the defaults."""

    model_config = ConfigDict(extra="forbid")

    kind: AlertKind
    location_id: DbId | None = None
    enabled: bool
    threshold_percent: Annotated[int, Interval(ge=1, le=1000)] | None = Field(
        default=None, description="sales_*/transactions_*: percent away from the usual"
    )
    weeks: Annotated[int, Interval(ge=4, le=8)] | None = Field(
        default=None, description="sales_*/transactions_*: the usual is the mean of so many weeks"
    )
    by_hour: Annotated[int, Interval(ge=1, le=23)] | None = Field(
        default=None,
        description="sales_*/transactions_*: judge today so far at this local hour "
        "(null: judge yesterday's whole day)",
    )
    floor_percent: Annotated[int, Interval(ge=1, le=100)] | None = Field(
        default=None, description="conversion_low: the floor, in percent"
    )
    at_hour: Hour | None = Field(
        default=None, description="footfall_missing: the local hour yesterday's count is due by"
    )


class AlertRuleRead(BaseModel):
    kind: AlertKind
    location_id: int | None = None
    location_name: str | None = None
    enabled: bool
    threshold_percent: int | None = None
    weeks: int | None = None
    by_hour: int | None = None
    floor_percent: int | None = None
    at_hour: int | None = None


class AlertRulesUpdate(BaseModel):
    """The whole rule set: the organization's rules (a kind left out goes back to its default)
    and every store override (an override left out is removed)."""

    model_config = ConfigDict(extra="forbid")

    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    rules: list[AlertRuleIn] = Field(default_factory=list, max_length=len(AlertKind))
    overrides: list[AlertRuleIn] = Field(default_factory=list, max_length=5000)


class StoreOverridesUpdate(BaseModel):
    """The overrides of the named stores (a manager's: among theirs): each store's overrides are
    replaced by those listed for it here (none listed: its overrides are removed); every other
    store's, the organization's rules and the quiet hours stay as they are."""

    model_config = ConfigDict(extra="forbid")

    location_ids: list[DbId] = Field(min_length=1, max_length=1000)
    overrides: list[AlertRuleIn] = Field(default_factory=list, max_length=5000)


class AlertRulesRead(BaseModel):
    quiet_hours: QuietHours
    rules: list[AlertRuleRead]  # every kind, the organization's
    overrides: list[AlertRuleRead]  # the stores' overrides


class AlertOccurrenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: AlertKind
    location_id: int | None
    location_name: str | None = None
    connection_id: int | None
    business_date: date | None
    summary: str
    detail: str
    link_path: str
    found_at: datetime
    closed_at: datetime | None
    mailed_at: datetime | None
    mail_due_at: datetime
    open: bool


class AlertOccurrencePage(BaseModel):
    items: list[AlertOccurrenceRead]
    total: int
