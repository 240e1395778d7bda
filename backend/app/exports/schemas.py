"""Export requests and job states (POST /reports/exports, GET /reports/exports/{id})."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field, StrictBool

from app.catalog.breakdowns import BREAKDOWN_NAMES
from app.core.inputs import BusinessDate, DbId, Text
from app.exports.models import ExportState
from app.reports.schemas import Compare, FootfallEstimates


class CsvTable(StrEnum):
    """The tables `export.csv?by=` can give: the summary, the daily series, or a breakdown."""

    summary = "summary"
    day = "day"
    location = "location"
    group = "group"
    item = "item"
    category = "category"
    team_member = "team_member"
    payment_method = "payment_method"
    hour = "hour"
    weekday = "weekday"


if tuple(CsvTable) != ("summary", "day", *BREAKDOWN_NAMES):
    raise RuntimeError("CsvTable must list summary, day and the catalog's breakdowns, in order")


class ExportCreate(BaseModel):
    date_from: BusinessDate
    date_to: BusinessDate
    location_ids: list[DbId] | None = Field(
        default=None, description="Default: every location the caller may see"
    )
    group_ids: list[DbId] | None = Field(
        default=None,
        description="Store groups: their stores the caller may see (with location_ids: the "
        "stores in both)",
    )
    currency: Text | None = Field(
        default=None, description="ISO 4217; default the organization's reporting currency"
    )
    compare: Compare = Compare.previous_period
    lfl: StrictBool = False
    constant_currency: StrictBool = Field(
        default=False,
        description="The comparison at the period's exchange rates (needs compare; see the "
        "reports' constant_currency)",
    )
    footfall_estimates: FootfallEstimates = Field(
        default=FootfallEstimates.leave_out,
        description="Estimated footfall in the figures (`include`) or left out (the default), "
        "as the reports' footfall_estimates",
    )
    until_hour: int | None = Field(
        default=None,
        ge=1,
        le=24,
        description="So far today, as the summary's until_hour: the Summary and By day sheets "
        "count the last day and its comparison's up to this local clock hour (periods up to "
        "31 days)",
    )


class ExportRead(BaseModel):
    id: str
    state: ExportState
    progress: float  # 0..1
    error: str | None
    filename: str | None
    download_url: str | None  # set when the file is ready and has not expired
    expires_at: datetime
    expired: bool
    size_bytes: int | None
    date_from: date
    date_to: date
    currency: str | None
    created_at: datetime
    finished_at: datetime | None
