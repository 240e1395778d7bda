"""Footfall's CSV import (checked row by row, written all or nothing) and its template."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core import csvsafe
from app.core.errors import InvalidField
from app.core.inputs import check_business_date
from app.footfall.grid import load_stored, memo, write
from app.footfall.rules import DayKey, Key, Stored, day_problem, local_today
from app.footfall.schemas import MAX_COUNT, ImportAction, ImportReport, ImportRow
from app.locations import service as location_service
from app.locations.models import Location
from app.users.models import User

IMPORT_MAX_BYTES = 64 * 1024 * 1024
IMPORT_MAX_REJECTED_LISTED = 10_000
DATE_FORMATS = "YYYY-MM-DD (ISO) or DD/MM/YYYY (day first, never month first)"
TEMPLATE_HEADER = [
    "location",
    "date (YYYY-MM-DD or DD/MM/YYYY)",
    "count (or closed)",
    "hour (0-23; blank for the whole day)",
]


class ImportRejected(InvalidField):
    """An import with rejected rows: nothing is written; the body carries the row report."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__(
            "file",
            f"{report.rejected} of {report.total_rows} rows were rejected, so nothing was "
            "imported; see report.rows for the reasons",
        )
        self.report = report

    def body(self) -> dict[str, Any]:
        return {**super().body(), "report": self.report.model_dump(mode="json")}


def import_csv(
    *, db: Session, user: User, content: bytes, dry_run: bool, report_limit: int = 1000
) -> ImportReport:
    """Check a CSV of counts row by row and, unless a dry run, write it all or nothing.

    Columns: `location` (Teliporter id, Square location id or exact name), `date` (see
    DATE_FORMATS), `count` (a whole number, `closed`, or blank to skip the row), optional `hour`.
    Existing entries are read once into a dict, each distinct (location, date) pair is checked once,
    and the writes are bulk statements, so a year of hourly counts for 100 stores (~876,000 rows)
    takes seconds. Re-importing a file changes nothing.
    """
    if len(content) > IMPORT_MAX_BYTES:
        raise InvalidField("file", f"The file is larger than {IMPORT_MAX_BYTES // 2**20} MB")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidField("file", "The file is not UTF-8 text: save it as 'CSV UTF-8'") from exc
    reader = csv.reader(io.StringIO(text, newline=""))  # a lone CR ends a line, as in a file
    header = next(reader, None)
    if not header:
        raise InvalidField("file", "The file is empty: download the template to start from")
    columns: dict[str, int] = {}
    for i, name in enumerate(header):
        columns.setdefault(name.split("(", 1)[0].strip().lower(), i)
    missing = [c for c in ("location", "date", "count") if c not in columns]
    if missing:
        raise InvalidField(
            "file",
            f"Missing column(s) {', '.join(missing)}: the first line must name the columns "
            "location, date, count and optionally hour",
        )
    c_loc, c_date, c_count = columns["location"], columns["date"], columns["count"]
    c_hour = columns.get("hour")
    width = max(columns.values()) + 1

    resolve = _location_resolver(db=db, user=user)
    todays: dict[int, date] = {}

    def check_cell(raw_loc: str, raw_date: str) -> tuple[int | None, date | None, str | None]:
        location, reason = resolve(raw_loc)
        location_id = location.id if location is not None else None
        if location is None or reason is not None:
            return location_id, None, reason
        day, reason = _parse_date(raw_date)
        if day is None:
            return location_id, None, reason
        today = todays.get(location.id)
        if today is None:
            today = todays[location.id] = local_today(location)
        return location.id, day, day_problem(location, day, today)

    # Hot loop: plain tuples and dict look-ups; a (location, date) pair is checked once.
    cells: dict[tuple[str, str], tuple[int | None, date | None, str | None]] = {}
    hours: dict[str, tuple[int | None, str | None]] = {}
    rows: list[tuple[int, str, str, str, str, int | None]] = []
    actions: list[ImportAction] = []
    reasons: dict[int, str] = {}
    valid: list[tuple[int, Key, int | None, bool]] = []
    seen: dict[Key, int] = {}
    day_shape: dict[DayKey, tuple[bool, int]] = {}
    count: int | None
    for line, record in enumerate(reader, start=2):
        if not any(record):
            continue  # blank lines (spreadsheets leave some at the end)
        if len(record) < width:
            record += [""] * (width - len(record))
        raw_loc, raw_date, raw_count = record[c_loc], record[c_date], record[c_count]
        raw_hour = record[c_hour] if c_hour is not None else ""
        index = len(rows)
        cell = cells.get((raw_loc, raw_date))
        if cell is None:
            cell = cells[(raw_loc, raw_date)] = check_cell(raw_loc, raw_date)
        location_id, day, reason = cell
        rows.append((line, raw_loc, raw_date, raw_hour, raw_count, location_id))
        actions.append("reject")
        if len(record) > len(header) and any(v.strip() for v in record[len(header) :]):
            # `Clapham,2026-11-25,1,025`: a count written with a thousands separator, or a
            # shifted column. Cutting the row to fit would store 1 visitor, not 1,025.
            reasons[index] = (
                f"This row has {len(record)} values but the first line names {len(header)} "
                "columns: write counts without a thousands separator (1025, not 1,025) or "
                "quote them"
            )
            continue
        if reason is None:
            parsed_hour = hours.get(raw_hour)
            if parsed_hour is None:
                parsed_hour = hours[raw_hour] = _parse_hour(raw_hour)
            hour, reason = parsed_hour
        if reason is None:
            # At most 7 digits: more is past MAX_COUNT, and int() refuses over 4,300 digits.
            if raw_count.isdecimal() and len(raw_count) <= 7:
                whole = int(raw_count)
                count, closed = whole, False
                if whole > MAX_COUNT:
                    reason = f"Count {whole} is larger than {MAX_COUNT}"
            else:
                count, closed, reason, skip = _parse_count(raw_count)
                if skip:
                    actions[index] = "skip"
                    reasons[index] = reason or ""
                    continue
                if reason is None and closed and hour is not None:
                    reason = "Only a whole day can be closed: leave hour blank"
        if reason is None:
            assert location_id is not None and day is not None
            key = (location_id, day, hour)
            first = seen.get(key)
            if first is not None:
                reason = f"Duplicate of row {first} (same location, date and hour)"
            else:
                seen[key] = line
                shape = day_shape.get((location_id, day))
                if shape is None:
                    day_shape[(location_id, day)] = (hour is not None, line)
                elif shape[0] != (hour is not None):
                    reason = (
                        f"Row {shape[1]} gives {'hourly' if shape[0] else 'a whole-day'} "
                        "figure(s) for this day; a day has either one whole-day figure or "
                        "hourly figures"
                    )
        if reason is not None:
            reasons[index] = reason
            continue
        valid.append((index, key, count, closed))

    stored: dict[Key, Stored] = {}
    if valid:
        stored = load_stored(
            db=db,
            org_id=user.org_id,
            location_ids={v[1][0] for v in valid},
            date_from=min(v[1][1] for v in valid),
            date_to=max(v[1][1] for v in valid),
        )
    stored_daily = {k[:2] for k in stored if k[2] is None}
    stored_hourly = {k[:2] for k in stored if k[2] is not None}
    creates: list[tuple[Key, int | None, bool]] = []
    updates: list[tuple[Key, Stored, int | None, bool]] = []
    olds: dict[int, Stored] = {}
    for index, key, count, closed in valid:
        if stored_hourly and key[2] is None and key[:2] in stored_hourly:
            reasons[index] = f"This day already has hourly counts ({_day_name(key)})"
            continue
        if stored_daily and key[2] is not None and key[:2] in stored_daily:
            reasons[index] = f"This day already has a whole-day entry ({_day_name(key)})"
            continue
        old = stored.get(key)
        if old is None:
            creates.append((key, count, closed))
            actions[index] = "create"
            continue
        olds[index] = old
        if old[1] == count and old[2] == closed:
            actions[index] = "unchanged"
        else:
            updates.append((key, old, count, closed))
            actions[index] = "update"

    counts = Counter(actions)
    listed: list[ImportRow] = []
    others = rejected = 0
    for index, action in enumerate(actions):
        if action == "reject":
            rejected += 1
            if rejected > IMPORT_MAX_REJECTED_LISTED:
                continue
        else:
            others += 1
            if others > report_limit:
                continue
        line, raw_loc, raw_date, raw_hour, raw_count, location_id = rows[index]
        old = olds.get(index)
        listed.append(
            ImportRow(
                row=line,
                location=raw_loc,
                date=raw_date,
                hour=raw_hour,
                count=raw_count,
                location_id=location_id,
                action=action,
                reason=reasons.get(index),
                old_count=old[1] if old else None,
                old_closed=old[2] if old else None,
            )
        )
    report = ImportReport(
        dry_run=dry_run,
        applied=False,
        date_formats=DATE_FORMATS,
        total_rows=len(rows),
        created=counts["create"],
        updated=counts["update"],
        unchanged=counts["unchanged"],
        skipped=counts["skip"],
        rejected=counts["reject"],
        rows=listed,
        rows_truncated=len(listed) < len(rows),
    )
    if dry_run:
        return report
    if report.rejected:
        raise ImportRejected(report)
    write(
        db=db,
        org_id=user.org_id,
        user_id=user.id,
        source="import",
        creates=creates,
        updates=updates,
        deletes=[],
    )
    report.applied = True
    return report


def template_csv(*, db: Session, user: User) -> str:
    """A CSV to fill in: a row per location the user may write, dated yesterday, count blank.

    A store is named as the import will find it again: by name, which csvsafe may quote ('=x), or
    by id when another store has the same name, or is named like the quoted one.
    """
    locations = location_service.list_locations(db=db, user=user)
    names = Counter(
        loc.name for loc in db.scalars(select(Location).where(Location.org_id == user.org_id))
    )
    out = io.StringIO()
    writer = csvsafe.writer(out)
    writer.writerow(TEMPLATE_HEADER)
    for loc in locations:
        quoted = csvsafe.cell(loc.name)
        unique = names[loc.name] == 1 and (quoted == loc.name or quoted not in names)
        label = loc.name if unique else str(loc.id)
        writer.writerow([label, (local_today(loc) - timedelta(days=1)).isoformat(), "", ""])
    return out.getvalue()


def _day_name(key: Key) -> str:
    return f"location {key[0]} on {key[1].isoformat()}"


# --- CSV parsing -----------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DMY_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_HOUR = re.compile(r"^(\d{1,2})(?::00)?$")


def _parse_date(raw: str) -> tuple[date | None, str | None]:
    text = raw.strip()
    day = None
    try:
        if _ISO_DATE.match(text):
            day = date.fromisoformat(text)
        elif match := _DMY_DATE.match(text):
            d, m, y = (int(g) for g in match.groups())
            day = date(y, m, d)
    except ValueError:
        pass
    if day is not None:
        try:
            return check_business_date(day), None
        except ValueError as exc:
            return None, f"Bad date {text!r}: {exc}"
    if not text:
        return None, f"date is empty: use {DATE_FORMATS}"
    return None, f"Bad date {text!r}: use {DATE_FORMATS}"


def _parse_hour(raw: str) -> tuple[int | None, str | None]:
    text = raw.strip()
    if not text:
        return None, None
    match = _HOUR.match(text)
    if match and int(match.group(1)) <= 23:
        return int(match.group(1)), None
    return None, f"Hour {text!r} is out of range: use the local clock hour 0-23, or leave it blank"


# A whole number with thousands separators, as a formatted spreadsheet cell saves it.
_GROUPED = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+")


def _parse_count(raw: str) -> tuple[int | None, bool, str | None, bool]:
    """(count, closed, reason, skip): a blank count skips the row, `closed` closes the day."""
    text = raw.strip()
    if _GROUPED.fullmatch(text):  # "1,040": Excel's number format, quoted in the file
        text = text.replace(",", "")
    if text.isascii() and text.isdigit():
        if len(text.lstrip("0")) > len(str(MAX_COUNT)):
            return None, False, f"Count {text[:20]}… is larger than {MAX_COUNT}", False
        count = int(text)
        if count > MAX_COUNT:
            return None, False, f"Count {count} is larger than {MAX_COUNT}", False
        return count, False, None, False
    if not text:
        return None, False, "No count given (blank): row skipped", True
    if text.lower() == "closed":
        return None, True, None, False
    if text.startswith("-") and text[1:].strip().replace(".", "", 1).isdigit():
        return None, False, f"Count {text} is negative", False
    return None, False, f"Count {text!r} is not a whole number", False


def _location_resolver(*, db: Session, user: User) -> Any:
    """Map the `location` column (id, Square id or exact name) to a location the user may write.

    A name as the template writes it, '=x for a store named =x (app.core.csvsafe), finds the store
    too, unless another store is named '=x itself.
    """
    locations = list(db.scalars(select(Location).where(Location.org_id == user.org_id)))
    allowed = location_service.granted_ids(db=db, user=user)
    by_id = {str(loc.id): loc for loc in locations}
    by_square = {loc.square_location_id: loc for loc in locations if loc.square_location_id}
    by_name: dict[str, list[Location]] = {}
    for loc in locations:
        by_name.setdefault(loc.name, []).append(loc)

    def resolve(raw: str) -> tuple[Location | None, str | None]:
        text = raw.strip()
        location = by_id.get(text) or by_square.get(text)
        if location is None:
            named = (
                by_name.get(text)
                or by_name.get(raw)
                or by_name.get(csvsafe.unescape(raw))
                or by_name.get(csvsafe.unescape(text))
                or []
            )
            if len(named) > 1:
                return None, f"{len(named)} locations are named {text!r}: use the id instead"
            location = named[0] if named else None
        if location is None:
            if not text:
                return None, "location is empty"
            return None, (
                f"Unknown location {text!r}: use the Teliporter id, the Square location id or the "
                "exact name"
            )
        if allowed is not None and location.id not in allowed:
            return location, f"You do not have access to location {location.id}"
        return location, None

    return memo(resolve)
