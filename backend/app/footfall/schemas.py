from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from app.core.inputs import BusinessDate, DbId
from app.locations.schemas import LocationRead

# A people counter's figure for one store-day stays far below this; it also keeps the column 32-bit.
MAX_COUNT = 1_000_000

Source = Literal["manual", "import", "api"]
WriteSource = Literal["manual", "api"]  # `import` is set by the CSV import only
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Hour = Annotated[int, Field(ge=0, le=23, description="Local clock hour 0-23; null for the day")]


class FootfallRead(BaseModel):
    """An entry; `unusual` (with `unusual_reason`) flags a count that looks wrong."""

    id: int
    location_id: int
    date: dt.date
    count: int | None
    hour: int | None
    closed: bool
    source: Source
    updated_by: int | None = Field(description="id of the user who last wrote the entry")
    updated_by_name: str | None = None
    updated_at: dt.datetime
    unusual: bool = Field(
        default=False,
        description="The count is questioned (app/footfall/rules.py): fewer visitors than "
        "transactions; far from the store's usual figure for that weekday (and hour); for a "
        "store without 3 weeks of history, far from the chain's other stores that day or from "
        "its own sales; or a day marked closed with sales",
    )
    unusual_reason: str | None = Field(
        default=None, description="Why the count is questioned, in words; null when it is not"
    )


class FootfallCreate(BaseModel):
    """A count for a day (no `hour`) or an hour; or a closed day (`closed` true, no count)."""

    model_config = ConfigDict(extra="forbid")

    location_id: DbId
    date: BusinessDate
    count: Count | None = None
    hour: Hour | None = None
    closed: StrictBool = False
    source: WriteSource = "manual"


class FootfallUpdate(BaseModel):
    """New count, or `closed` true to mark the day closed (the count is then cleared)."""

    model_config = ConfigDict(extra="forbid")

    count: Count | None = None
    closed: StrictBool | None = None
    source: WriteSource | None = None


class FootfallPage(BaseModel):
    items: list[FootfallRead]
    total: int
    limit: int
    offset: int


class FootfallCell(BaseModel):
    """One cell of the grid: a count, `closed`, or neither (the day becomes unknown again)."""

    model_config = ConfigDict(extra="forbid")

    location_id: DbId
    date: BusinessDate
    hour: Hour | None = None
    count: Count | None = None
    closed: StrictBool = False


class FootfallBulk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[FootfallCell] = Field(max_length=20_000)
    source: WriteSource = "manual"


class FootfallBulkResult(BaseModel):
    created: int
    updated: int
    deleted: int
    unchanged: int
    items: list[FootfallRead] = Field(description="The grid's entries as they now stand")


ImportAction = Literal["create", "update", "unchanged", "skip", "reject"]


class ImportRow(BaseModel):
    row: int = Field(description="Line number in the file (the header is line 1)")
    location: str
    date: str
    hour: str
    count: str
    location_id: int | None = None
    action: ImportAction
    old_count: int | None = None
    old_closed: bool | None = None
    reason: str | None = None


class ImportReport(BaseModel):
    dry_run: bool
    applied: bool = Field(description="True when the rows were written")
    date_formats: str
    total_rows: int
    created: int
    updated: int
    unchanged: int
    skipped: int
    rejected: int
    rows: list[ImportRow]
    rows_truncated: bool = Field(
        description="Every rejected row is listed; other rows only up to report_limit"
    )


class FootfallAuditRead(BaseModel):
    id: int
    location_id: int
    date: dt.date
    hour: int | None
    action: Literal["create", "update", "delete"]
    old_count: int | None
    old_closed: bool | None
    new_count: int | None
    new_closed: bool | None
    source: Source
    changed_by: int | None
    changed_by_name: str | None
    changed_at: dt.datetime


class FootfallAuditPage(BaseModel):
    items: list[FootfallAuditRead]
    total: int
    limit: int
    offset: int


# Computed in app/footfall/coverage.py; the docstring, published in the OpenAPI document and the
# generated client, is left as it was.
class FootfallCoverage(BaseModel):
    """How complete a store's footfall is over a period (app/locations/service.py)."""

    date_from: dt.date
    date_to: dt.date
    days: int  # days of the period the store traded: from its opening, up to its local today
    days_counted: int  # with a count (a whole-day figure or hourly figures)
    days_closed: int  # marked closed
    days_missing: int  # neither: unknown, never read as 0
    last_entry_date: dt.date | None  # the latest day with any entry, in or outside the period


class LocationSummary(LocationRead):
    footfall_coverage: FootfallCoverage


class LocationPage(BaseModel):
    items: list[LocationSummary]
    total: int
