from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from app.core.inputs import SingleLine

OrgName = Annotated[
    SingleLine, StringConstraints(strip_whitespace=True, min_length=1, max_length=120)
]
CurrencyCode = Annotated[str, StringConstraints(to_upper=True, pattern=r"^[A-Za-z]{3}$")]


class OrganizationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    reporting_currency: str
    created_at: datetime


class OrganizationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: OrgName | None = None
    reporting_currency: CurrencyCode | None = None
