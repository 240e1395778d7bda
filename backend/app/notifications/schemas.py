"""Notification settings as the API reads and writes them, and the unsubscribe page's answer."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.catalog.metrics import METRIC_NAMES
from app.notifications.models import DigestFrequency

# What a new digest holds: the figures a store manager reads first.
DEFAULT_METRICS = (
    "net_sales",
    "transactions",
    "average_transaction_value",
    "units_per_transaction",
    "footfall",
    "conversion_rate",
)
DEFAULT_HOUR = 7
DEFAULT_WEEKDAY = 0  # Monday: last week's digest at the start of this one

# Documented as the catalog's names (GET /reports/catalog); an unknown name is refused by the
# service, naming `metrics`.
MetricName = Annotated[str, Field(max_length=64, json_schema_extra={"enum": list(METRIC_NAMES)})]


class DigestSettings(BaseModel):
    """One digest: daily (yesterday) or weekly (the previous Monday to Sunday)."""

    model_config = ConfigDict(extra="forbid", from_attributes=True)

    frequency: DigestFrequency
    enabled: StrictBool = True
    local_hour: int = Field(
        DEFAULT_HOUR, ge=0, le=23, description="Sent at this hour in the organization's timezone"
    )
    weekday: int = Field(
        DEFAULT_WEEKDAY,
        ge=0,
        le=6,
        description="The weekly digest's day, 0 Monday .. 6 Sunday (a daily digest ignores it)",
    )
    metrics: list[MetricName] = Field(
        default_factory=lambda: list(DEFAULT_METRICS),
        min_length=1,
        max_length=64,
        description="Catalog metric names (GET /reports/catalog), in the order shown",
    )
    include_league: StrictBool = Field(True, description="Include the store league table")


class AlertSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: StrictBool = Field(True, description="Receive exception alerts by e-mail")


class NotificationsRead(BaseModel):
    """The digests a user receives (both frequencies, each on or off) and the alerts switch."""

    digests: list[DigestSettings]
    alerts: AlertSettings


class NotificationsUpdate(BaseModel):
    """The desired state: each digest listed is set as given, a frequency left out is switched
    off; `alerts` left out stays as it is."""

    model_config = ConfigDict(extra="forbid")

    digests: list[DigestSettings] | None = Field(default=None, max_length=2)
    alerts: AlertSettings | None = None


class UnsubscribeRead(BaseModel):
    """What an unsubscribe link is for (the recipient has the mail, so may see this)."""

    frequency: DigestFrequency
    enabled: bool
    email: str
    organization: str


class PreviewCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    frequency: DigestFrequency


class PreviewRead(BaseModel):
    """The preview queued: to whom, its subject and the period it covers."""

    to: str
    subject: str
    date_from: date
    date_to: date
