from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from app.core.inputs import SingleLine

OrgName = Annotated[
    SingleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
]
CurrencyCode = Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{3}$")]


@cache
def _timezones() -> frozenset[str]:
    # Read from the system's (or tzdata's) files: once, not per request.
    return frozenset(available_timezones())


def _known_timezone(value: str) -> str:
    if value not in _timezones():
        raise ValueError(f"{value!r} is not an IANA timezone such as 'Europe/London'")
    return value


Timezone = Annotated[str, AfterValidator(_known_timezone)]


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    reporting_currency: str
    timezone: str = Field(
        description="IANA timezone the scheduled digests keep (their local hour); until set, "
        "the most common timezone of the organization's stores"
    )
    created_at: datetime


class OrganizationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: OrgName | None = None
    reporting_currency: CurrencyCode | None = None
    timezone: Timezone | None = None
