"""Bounded input types for routers and request schemas: what a client may send, checked at the door.

Without these bounds a value the database or the standard library cannot hold got past the schema
and came back as a 500 (issue #20): an id past the 32-bit `integer` column (PostgreSQL) or past
int64 (SQLite), a year-1 date that overflowed when a service stepped back a comparison period, a
NUL character (PostgreSQL text refuses it), a `date_to=0` read as 1970-01-01. Each type answers 422
naming the field instead.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from annotated_types import Interval
from pydantic import AfterValidator, BeforeValidator, Field, WithJsonSchema

# Every integer primary key is a 32-bit `integer` column (mapped_column(primary_key=True) on int).
MAX_DB_ID = 2_147_483_647
# Past this an offset can only return an empty page; PostgreSQL's OFFSET stops at int64.
MAX_OFFSET = MAX_DB_ID

# Business dates a report, an export or a footfall entry may name. Services step back a year or a
# period and add a day for timezone bounds, so the edges of `date` (year 1, 9999) overflow there.
MIN_BUSINESS_DATE = date(2000, 1, 1)
MAX_BUSINESS_DATE = date(2100, 12, 31)
MIN_OPENING_DATE = date(1800, 1, 1)


def _not_a_boolean(value: object) -> object:
    # Pydantic's lax mode reads JSON `true` as 1: {"connection_id": true} chose connection 1.
    if isinstance(value, bool):
        raise ValueError("Use a whole number, not true or false")
    return value


# The bounds first, the check on booleans after: it runs before them all the same, and the
# bounds stay in the OpenAPI document (a validator wrapping `int` first hid them from it).
DbId = Annotated[int, Interval(ge=1, le=MAX_DB_ID), BeforeValidator(_not_a_boolean)]
Offset = Annotated[int, Interval(ge=0, le=MAX_OFFSET), BeforeValidator(_not_a_boolean)]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_only(value: object) -> object:
    # Pydantic's lax mode reads a number (or "0") as a Unix timestamp: date_to=0 was 1970-01-01.
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise ValueError("Use a date written YYYY-MM-DD")


def _check_between(value: date, first: date, last: date) -> date:
    if not first <= value <= last:
        raise ValueError(f"{value.isoformat()} is outside {first.isoformat()} to {last}")
    return value


def check_business_date(value: date) -> date:
    """A date inside MIN_BUSINESS_DATE..MAX_BUSINESS_DATE, or ValueError saying so."""
    return _check_between(value, MIN_BUSINESS_DATE, MAX_BUSINESS_DATE)


def _check_opening_date(value: date) -> date:
    return _check_between(value, MIN_OPENING_DATE, MAX_BUSINESS_DATE)


# The documents say the range too (format: date cannot): a pattern on the year.
_BUSINESS_YEAR = WithJsonSchema({"type": "string", "format": "date", "pattern": r"^(20\d\d|2100)-"})
_OPENING_YEAR = WithJsonSchema(
    {"type": "string", "format": "date", "pattern": r"^(1[89]\d\d|20\d\d|2100)-"}
)
BusinessDate = Annotated[
    date, BeforeValidator(_iso_date_only), AfterValidator(check_business_date), _BUSINESS_YEAR
]
# A store may have opened long before anything it can report on; only year 1 and such overflow.
OpeningDate = Annotated[
    date, BeforeValidator(_iso_date_only), AfterValidator(_check_opening_date), _OPENING_YEAR
]

# C0 controls but tab, LF and CR; DEL; C1 controls. NUL in particular: PostgreSQL text refuses it.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")


def check_text(value: str) -> str:
    """Text without control characters (tab and line breaks are allowed), or ValueError."""
    match = _CONTROL.search(value)
    if match:
        raise ValueError(f"Control character U+{ord(match.group()):04X} is not allowed")
    return value


def _single_line(value: str) -> str:
    check_text(value)
    if "\t" in value or _LINE_BREAK.search(value):
        raise ValueError("Line breaks and tabs are not allowed")
    return value


# The documents carry the same rules as patterns (the validators above give the messages).
_TEXT_PATTERN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
_SINGLE_LINE_PATTERN = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"

# Free text stored or matched in the database.
Text = Annotated[
    str, AfterValidator(check_text), Field(json_schema_extra={"pattern": _TEXT_PATTERN})
]
# Names: shown in headers, file names and one-line cells, so no line breaks either.
SingleLine = Annotated[
    str, AfterValidator(_single_line), Field(json_schema_extra={"pattern": _SINGLE_LINE_PATTERN})
]
