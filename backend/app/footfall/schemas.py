from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

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


class FootfallEstimate(BaseModel):
    """A traded store-day without an entry, estimated from the same weekday of previous weeks
    (app/footfall/ESTIMATES.md): the grid shows it greyed as "est."."""

    location_id: int
    date: dt.date
    estimate: int
    weeks: int = Field(description="How many previous same weekdays with a count it is the mean of")
    basis: str = Field(description='How it was made: "mean of 4 previous Mondays"')


class FootfallPage(BaseModel):
    items: list[FootfallRead]
    total: int
    limit: int
    offset: int
    estimates: list[FootfallEstimate] = Field(
        default_factory=list,
        description="The range's traded store-days with no entry that have an estimate (every "
        "one of the range, whatever the page), by date then location",
    )


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
    api_key_id: int | None = Field(
        default=None, description="The API key that wrote it, for counts from counters"
    )
    api_key_name: str | None = None


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


# --- the people-counter intake (app/footfall/counters.py) ------------------------------------

MAX_COUNTS_PER_REQUEST = 5_000
Interval = Literal["15min", "hour", "day"]
Direction = Literal["in", "out"]
CounterName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class CountStore(BaseModel):
    """Which store: exactly one of our id, its Square location id, or a counter id mapped to it."""

    model_config = ConfigDict(extra="forbid")

    id: DbId | None = None
    square_location_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    counter_id: CounterName | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> CountStore:
        given = [v for v in (self.id, self.square_location_id, self.counter_id) if v is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of id, square_location_id or counter_id")
        return self


class CountItem(BaseModel):
    """One counter figure: how many people went in (or out) during one interval."""

    model_config = ConfigDict(extra="forbid")

    store: CountStore
    start: AwareDatetime = Field(
        description="ISO 8601 with its UTC offset, aligned to the interval in the store's local "
        "time (a day starts at the store's business-day start hour)"
    )
    interval: Interval
    count: Count
    direction: Direction = "in"


# The JSON schema of an item, published as is. Items are taken as plain objects and validated one
# by one (CountItem), so one bad item is reported in `rejected` instead of refusing the batch.
COUNT_ITEM_SCHEMA: dict[str, Any] = {
    "title": "CountItem",
    "type": "object",
    "required": ["store", "start", "interval", "count"],
    "properties": {
        "store": {
            "type": "object",
            "description": "Exactly one of id, square_location_id or counter_id",
            "properties": {
                "id": {"type": "integer", "description": "The store's Teliporter id"},
                "square_location_id": {"type": "string", "maxLength": 64},
                "counter_id": {
                    "type": "string",
                    "maxLength": 64,
                    "description": "A counter id mapped to the store (POST /footfall/counters)",
                },
            },
        },
        "start": {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 with an offset, aligned to the interval in the store's time",
        },
        "interval": {"type": "string", "enum": ["15min", "hour", "day"]},
        "count": {"type": "integer", "minimum": 0, "maximum": MAX_COUNT},
        "direction": {"type": "string", "enum": ["in", "out"], "default": "in"},
    },
}
RawCount = Annotated[dict[str, Any], WithJsonSchema(COUNT_ITEM_SCHEMA)]

COUNT_EXAMPLE: dict[str, Any] = {
    "counts": [
        {
            "store": {"square_location_id": "L8QXZ4K1N2P3"},
            "start": "2026-12-05T09:00:00+00:00",
            "interval": "15min",
            "count": 37,
        },
        {
            "store": {"counter_id": "FC-0042"},
            "start": "2026-12-05T09:15:00+00:00",
            "interval": "15min",
            "count": 41,
            "direction": "in",
        },
        {
            "store": {"id": 12},
            "start": "2026-12-05T10:00:00+01:00",
            "interval": "hour",
            "count": 150,
        },
    ]
}


class CountBatch(BaseModel):
    """Up to 5,000 counts, in any order; the same store, start, interval and direction sent again
    replaces the earlier figure."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [COUNT_EXAMPLE]})

    counts: list[RawCount] = Field(max_length=MAX_COUNTS_PER_REQUEST)


class CountRejection(BaseModel):
    index: int = Field(description="The item's position in `counts`, from 0")
    field: str = Field(description="The item's field at fault, e.g. start, store.id, count")
    error: str


class CountResult(BaseModel):
    """How many items were applied (in one transaction) and why each other one was not; a
    rejected item writes nothing."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "accepted": 2,
                    "rejected": [
                        {
                            "index": 2,
                            "field": "start",
                            "error": "10:05 is not the start of an hour in Leeds's time "
                            "(Europe/London)",
                        }
                    ],
                }
            ]
        }
    )

    accepted: int
    rejected: list[CountRejection]


class CounterCreate(BaseModel):
    """Map a counter's own id to a store, so the counter can send counts by its id."""

    model_config = ConfigDict(extra="forbid")

    counter_id: CounterName
    location_id: DbId


class CounterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    counter_id: str
    location_id: int
    created_at: dt.datetime


class CounterPage(BaseModel):
    items: list[CounterRead]
    total: int
