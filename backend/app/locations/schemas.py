from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, computed_field

from app.core.inputs import DbId, OpeningDate, SingleLine, Text
from app.locations.models import RecalculationState
from app.organizations.schemas import CurrencyCode, Timezone

LocationName = Annotated[
    SingleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)
]

StartHour = Annotated[int, Field(ge=0, le=23)]


class RecalculationRead(BaseModel):
    """A location's latest re-dating of its stored sales (app/locations/recalculation.py).

    While it is queued, running or failed, the location's figures may still show sales on the
    dates the old setting gave them: reports list it in `recalculating`."""

    model_config = ConfigDict(from_attributes=True)

    location_id: int
    state: RecalculationState
    reason: str  # what changed
    done: int  # orders re-dated so far
    total: int  # orders to re-date
    error: str | None
    requested_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def progress(self) -> float:
        """From 0 to 1."""
        if self.state == RecalculationState.done:
            return 1.0
        if self.total <= 0:
            return 0.0
        return round(min(self.done / self.total, 1.0), 4)


class LocationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    square_location_id: str | None
    name: str
    timezone: str
    currency: str
    country: str | None
    status: str
    business_day_start_hour: int
    opened_on: date | None
    closed_on: date | None = None  # the last trading day of a store that has closed
    group_id: int | None = None  # its area or region (GET /location-groups)
    created_at: datetime
    # The latest re-dating after a change of business-day start or timezone (null: never).
    recalculation: RecalculationRead | None = None


class LocationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: LocationName
    timezone: Timezone
    currency: CurrencyCode
    country: Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{2}$")] | None = (
        None
    )
    square_location_id: Text | None = None
    status: Text = "ACTIVE"
    business_day_start_hour: StartHour = 0
    opened_on: OpeningDate | None = None


class LocationUpdate(BaseModel):
    """What Teliporter itself lets an admin set; the rest comes from Square."""

    model_config = ConfigDict(extra="forbid")

    business_day_start_hour: StartHour | None = None
    opened_on: OpeningDate | None = None
    closed_on: OpeningDate | None = None
    group_id: DbId | None = Field(default=None, description="Its group; null: no group")


GroupName = Annotated[
    SingleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
]


class LocationGroupCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: GroupName
    location_ids: list[DbId] = Field(
        default_factory=list, description="Stores to put in it (moved from any other group)"
    )


class LocationGroupUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: GroupName | None = None
    location_ids: list[DbId] | None = Field(
        default=None,
        description="Its stores from now on (moved from any other group); the stores left out "
        "have no group",
    )


class LocationGroupRead(BaseModel):
    id: int
    name: str
    # The stores in it that the caller may see, by name.
    location_ids: list[int]


class LocationGroupList(BaseModel):
    groups: list[LocationGroupRead]


class LocationGrants(BaseModel):
    model_config = ConfigDict(extra="forbid")

    location_ids: list[DbId]
