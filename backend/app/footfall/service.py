"""Footfall: entering, importing and checking visitor counts per store and local day.

A store-day is *counted* (a whole-day figure, or hourly figures whose sum is the day's figure),
*closed* (no count expected) or *unknown* (no entry at all: never read as 0). Every change is
written to `footfall_audit`.

The "unusual value" rule (`unusual` in responses, `DayFootfall.unusual`): a count is unusual when it
is more than 3x, or less than a third of, the median of the same store's counts on the same weekday
(and, for an hourly figure, the same hour) over the 8 weeks before it. Only weeks with a count take
part (closed and unknown days are left out) and at least 3 are needed; with a median of 0 nothing is
flagged.
"""

from __future__ import annotations

import csv
import io
import re
import statistics
from collections import Counter
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.orm import Session

from app.core import bulk, csvsafe
from app.core.db import utcnow
from app.core.errors import Conflict, InvalidField, NotFound
from app.core.inputs import check_business_date
from app.footfall.models import FootfallAudit, FootfallEntry
from app.footfall.schemas import (
    MAX_COUNT,
    FootfallAuditPage,
    FootfallAuditRead,
    FootfallBulk,
    FootfallBulkResult,
    FootfallCreate,
    FootfallPage,
    FootfallRead,
    FootfallUpdate,
    ImportAction,
    ImportReport,
    ImportRow,
)
from app.locations import service as location_service
from app.locations.models import Location
from app.reports import cache as report_cache
from app.users.models import User

UNUSUAL_FACTOR = 3
UNUSUAL_WEEKS = 8
UNUSUAL_MIN_WEEKS = 3
MAX_RANGE_DAYS = 366
IMPORT_MAX_BYTES = 64 * 1024 * 1024
IMPORT_MAX_REJECTED_LISTED = 10_000
DATE_FORMATS = "YYYY-MM-DD (ISO) or DD/MM/YYYY (day first, never month first)"
TEMPLATE_HEADER = [
    "location",
    "date (YYYY-MM-DD or DD/MM/YYYY)",
    "count (or closed)",
    "hour (0-23; blank for the whole day)",
]

_ENTRY = cast(Table, FootfallEntry.__table__)

Key = tuple[int, date, int | None]  # location id, local date, hour (None: the whole day)
DayKey = tuple[int, date]
Stored = tuple[int, int | None, bool]  # existing entry: id, count, closed


@dataclass(frozen=True, slots=True)
class DayFootfall:
    """A store-day's footfall as the reports read it."""

    location_id: int
    date: date
    status: Literal["counted", "closed", "unknown"]
    count: int | None  # the whole-day figure or the sum of the hourly ones; None unless counted
    hourly: bool  # True when the count is a sum of hourly figures
    unusual: bool


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


# --- reading ---------------------------------------------------------------------------------


def list_entries(
    *,
    db: Session,
    user: User,
    location_ids: Sequence[int] | None,
    date_from: date,
    date_to: date,
    limit: int,
    offset: int,
) -> FootfallPage:
    """The entries of the locations (default: all the user may see) between two dates, inclusive."""
    _check_range(date_from, date_to)
    ids = _readable_ids(db=db, user=user, location_ids=location_ids)
    query = select(FootfallEntry).where(
        FootfallEntry.org_id == user.org_id,
        FootfallEntry.location_id.in_(ids),
        FootfallEntry.entry_date >= date_from,
        FootfallEntry.entry_date <= date_to,
    )
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    entries = db.scalars(
        query.order_by(
            FootfallEntry.entry_date,
            FootfallEntry.location_id,
            func.coalesce(FootfallEntry.hour, -1),
        )
        .limit(limit)
        .offset(offset)
    ).all()
    return FootfallPage(
        items=_reads(db=db, org_id=user.org_id, entries=entries),
        total=total,
        limit=limit,
        offset=offset,
    )


def day_footfall(
    *,
    db: Session,
    org_id: int,
    location_ids: Iterable[int],
    date_from: date,
    date_to: date,
) -> dict[DayKey, DayFootfall]:
    """Every location x date of the range (inclusive): counted, closed or unknown, with `unusual`.

    For the reports: a day with no entry is `unknown` (never 0). Locations of other organizations
    are ignored. Access checks are the caller's.
    """
    ids = sorted(set(location_ids))
    days, _, hourly_days = _series(
        db=db,
        org_id=org_id,
        location_ids=ids,
        date_from=date_from - timedelta(weeks=UNUSUAL_WEEKS),
        date_to=date_to,
    )
    result: dict[DayKey, DayFootfall] = {}
    for location_id in ids:
        day = date_from
        while day <= date_to:
            key = (location_id, day)
            if key not in days:
                status: Literal["counted", "closed", "unknown"] = "unknown"
                count = None
            else:
                count = days[key]
                status = "closed" if count is None else "counted"
            result[key] = DayFootfall(
                location_id=location_id,
                date=day,
                status=status,
                count=count,
                hourly=key in hourly_days,
                unusual=_unusual(days, location_id, day, None, count),
            )
            day += timedelta(days=1)
    return result


def days_with_footfall(
    *,
    db: Session,
    org_id: int,
    location_ids: Iterable[int],
    date_from: date,
    date_to: date,
) -> dict[int, set[date]]:
    """Per location, the dates of the range (inclusive) that have a count (closed/unknown excluded).

    Conversion rate and sales per visitor are computed only over days that have both sales and one
    of these; the reports count the days left out.
    """
    ids = sorted(set(location_ids))
    result: dict[int, set[date]] = {i: set() for i in ids}
    if not ids:
        return result
    rows = db.execute(
        select(FootfallEntry.location_id, FootfallEntry.entry_date)
        .where(
            FootfallEntry.org_id == org_id,
            FootfallEntry.location_id.in_(ids),
            FootfallEntry.entry_date >= date_from,
            FootfallEntry.entry_date <= date_to,
            FootfallEntry.closed.is_(False),
        )
        .distinct()
    )
    for location_id, day in rows:
        result[location_id].add(day)
    return result


def list_audit(
    *,
    db: Session,
    user: User,
    location_id: int | None,
    date_from: date | None,
    date_to: date | None,
    limit: int,
    offset: int,
) -> FootfallAuditPage:
    """The change trail, newest first: a manager sees only their granted locations."""
    query = select(FootfallAudit, User.full_name).outerjoin(
        User, User.id == FootfallAudit.changed_by_id
    )
    query = query.where(FootfallAudit.org_id == user.org_id)
    if location_id is not None:
        location_service.check_access(
            db=db, user=user, location_ids=[location_id], field="location_id"
        )
        query = query.where(FootfallAudit.location_id == location_id)
    else:
        allowed = location_service.granted_ids(db=db, user=user)
        if allowed is not None:
            query = query.where(FootfallAudit.location_id.in_(allowed))
    if date_from is not None:
        query = query.where(FootfallAudit.entry_date >= date_from)
    if date_to is not None:
        query = query.where(FootfallAudit.entry_date <= date_to)
    total = db.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.execute(
        query.order_by(FootfallAudit.changed_at.desc(), FootfallAudit.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    items = [
        FootfallAuditRead(
            id=a.id,
            location_id=a.location_id,
            date=a.entry_date,
            hour=a.hour,
            action=a.action,
            old_count=a.old_count,
            old_closed=a.old_closed,
            new_count=a.new_count,
            new_closed=a.new_closed,
            source=a.source,
            changed_by=a.changed_by_id,
            changed_by_name=name,
            changed_at=a.changed_at,
        )
        for a, name in rows
    ]
    return FootfallAuditPage(items=items, total=total, limit=limit, offset=offset)


# --- writing one entry -----------------------------------------------------------------------


def create(*, db: Session, user: User, entry_in: FootfallCreate) -> FootfallRead:
    """Record a day's (or an hour's) count, or mark a day closed."""
    [location] = location_service.check_access(
        db=db, user=user, location_ids=[entry_in.location_id], field="location_id"
    )
    _check_count_closed(entry_in.count, entry_in.closed, entry_in.hour, prefix="")
    problem = _day_problem(location, entry_in.date, local_today(location))
    if problem:
        raise InvalidField("date", problem)
    key = (location.id, entry_in.date, entry_in.hour)
    stored = _load_stored(
        db=db,
        org_id=user.org_id,
        location_ids=[location.id],
        date_from=entry_in.date,
        date_to=entry_in.date,
    )
    if key in stored:
        what = "a whole-day entry" if entry_in.hour is None else f"an entry for hour {key[2]}"
        raise Conflict(
            f"{location.name} already has {what} on {entry_in.date.isoformat()} "
            f"(id {stored[key][0]}); change it with PUT /api/v1/footfall/{stored[key][0]}"
        )
    mix = _shape_clash(stored, key, location)
    if mix:
        raise Conflict(mix)
    entry = FootfallEntry(
        org_id=user.org_id,
        location_id=location.id,
        entry_date=entry_in.date,
        hour=entry_in.hour,
        count=entry_in.count,
        closed=entry_in.closed,
        source=entry_in.source,
        updated_by_id=user.id,
    )
    db.add(entry)
    report_cache.touch(db, [(location.id, entry_in.date)])
    db.add(
        _audit(
            org_id=user.org_id,
            key=key,
            action="create",
            old=None,
            new=(entry_in.count, entry_in.closed),
            source=entry_in.source,
            user_id=user.id,
            now=utcnow(),
        )
    )
    db.flush()
    return _reads(db=db, org_id=user.org_id, entries=[entry])[0]


def update(*, db: Session, user: User, entry_id: int, entry_in: FootfallUpdate) -> FootfallRead:
    """Change an entry's count, or close / reopen its day; an unchanged value writes nothing."""
    entry = _get_writable(db=db, user=user, entry_id=entry_id)
    given = entry_in.model_dump(exclude_unset=True)
    count, closed = entry.count, entry.closed
    if given.get("closed") is True:
        if given.get("count") is not None:
            raise InvalidField("count", "A closed day has no count: leave count out")
        if entry.hour is not None:
            raise InvalidField("closed", "Only a whole day can be closed, not an hour")
        count, closed = None, True
    elif "count" in given:
        if given["count"] is None:
            raise InvalidField(
                "count",
                "count cannot be null: set closed true for a closed day, or delete the entry to "
                "make the day unknown",
            )
        count, closed = given["count"], False
    elif given.get("closed") is False and entry.closed:
        raise InvalidField("count", "Give the day's count to reopen a closed day")
    if (count, closed) != (entry.count, entry.closed):
        source = given.get("source") or "manual"
        db.add(
            _audit(
                org_id=user.org_id,
                key=(entry.location_id, entry.entry_date, entry.hour),
                action="update",
                old=(entry.id, entry.count, entry.closed),
                new=(count, closed),
                source=source,
                user_id=user.id,
                now=utcnow(),
            )
        )
        entry.count, entry.closed, entry.source = count, closed, source
        entry.updated_by_id, entry.updated_at = user.id, utcnow()
        report_cache.touch(db, [(entry.location_id, entry.entry_date)])
        db.flush()
    return _reads(db=db, org_id=user.org_id, entries=[entry])[0]


def delete_entry(*, db: Session, user: User, entry_id: int) -> None:
    """Remove an entry: its day (or hour) becomes unknown again."""
    entry = _get_writable(db=db, user=user, entry_id=entry_id)
    db.add(
        _audit(
            org_id=user.org_id,
            key=(entry.location_id, entry.entry_date, entry.hour),
            action="delete",
            old=(entry.id, entry.count, entry.closed),
            new=None,
            source="manual",
            user_id=user.id,
            now=utcnow(),
        )
    )
    report_cache.touch(db, [(entry.location_id, entry.entry_date)])
    db.delete(entry)
    db.flush()


# --- writing many ----------------------------------------------------------------------------


def bulk_upsert(*, db: Session, user: User, bulk_in: FootfallBulk) -> FootfallBulkResult:
    """Apply a grid of cells (location x date [x hour]) all or nothing; sending it twice is a no-op.

    A cell with a count sets it, `closed` marks the day closed, and neither clears the entry.
    """
    cells = bulk_in.entries
    locations = {
        loc.id: loc
        for loc in location_service.check_access(
            db=db, user=user, location_ids=[c.location_id for c in cells], field="entries"
        )
    }
    todays = {loc.id: local_today(loc) for loc in locations.values()}
    seen: dict[Key, int] = {}
    for i, cell in enumerate(cells):
        if cell.closed and cell.count is not None:
            raise InvalidField(f"entries.{i}.count", "A closed day has no count: send count null")
        if cell.closed and cell.hour is not None:
            raise InvalidField(f"entries.{i}.hour", "Only a whole day can be closed, not an hour")
        problem = _day_problem(locations[cell.location_id], cell.date, todays[cell.location_id])
        if problem:
            raise InvalidField(f"entries.{i}.date", problem)
        key = (cell.location_id, cell.date, cell.hour)
        if key in seen:
            raise InvalidField(
                f"entries.{i}", f"Same location, date and hour as entries.{seen[key]}"
            )
        seen[key] = i
    if not cells:
        return FootfallBulkResult(created=0, updated=0, deleted=0, unchanged=0, items=[])

    stored = _load_stored(
        db=db,
        org_id=user.org_id,
        location_ids=list(locations),
        date_from=min(c.date for c in cells),
        date_to=max(c.date for c in cells),
    )
    final: dict[Key, bool] = dict.fromkeys(stored, True)
    for cell in cells:
        final[(cell.location_id, cell.date, cell.hour)] = cell.closed or cell.count is not None
    kept = {key for key, stays in final.items() if stays}
    for i, cell in enumerate(cells):
        key = (cell.location_id, cell.date, cell.hour)
        if key in kept:
            clash = _shape_clash(kept, key, locations[key[0]])
            if clash:
                raise InvalidField(f"entries.{i}.hour", clash)

    creates: list[tuple[Key, int | None, bool]] = []
    updates: list[tuple[Key, Stored, int | None, bool]] = []
    deletes: list[tuple[Key, Stored]] = []
    unchanged = 0
    for cell in cells:
        key = (cell.location_id, cell.date, cell.hour)
        old = stored.get(key)
        if not cell.closed and cell.count is None:
            if old is None:
                unchanged += 1
            else:
                deletes.append((key, old))
        elif old is None:
            creates.append((key, cell.count, cell.closed))
        elif (old[1], old[2]) == (cell.count, cell.closed):
            unchanged += 1
        else:
            updates.append((key, old, cell.count, cell.closed))
    _write(
        db=db,
        org_id=user.org_id,
        user_id=user.id,
        source=bulk_in.source,
        creates=creates,
        updates=updates,
        deletes=deletes,
    )
    wanted = set(seen)
    entries = [
        e
        for e in db.scalars(
            select(FootfallEntry)
            .where(
                FootfallEntry.org_id == user.org_id,
                FootfallEntry.location_id.in_(list(locations)),
                FootfallEntry.entry_date >= min(c.date for c in cells),
                FootfallEntry.entry_date <= max(c.date for c in cells),
            )
            .order_by(
                FootfallEntry.entry_date,
                FootfallEntry.location_id,
                func.coalesce(FootfallEntry.hour, -1),
            )
        )
        if (e.location_id, e.entry_date, e.hour) in wanted
    ]
    return FootfallBulkResult(
        created=len(creates),
        updated=len(updates),
        deleted=len(deletes),
        unchanged=unchanged,
        items=_reads(db=db, org_id=user.org_id, entries=entries),
    )


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
        return location.id, day, _day_problem(location, day, today)

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
        stored = _load_stored(
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
    _write(
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


# --- helpers ---------------------------------------------------------------------------------


def local_today(location: Location) -> date:
    """Today's date in the store's own timezone."""
    return datetime.now(ZoneInfo(location.timezone)).date()


def _day_problem(location: Location, day: date, today: date) -> str | None:
    if day > today:
        return (
            f"{day.isoformat()} is in the future (today is {today.isoformat()} "
            f"in {location.name}'s timezone, {location.timezone})"
        )
    if location.opened_on is not None and day < location.opened_on:
        return (
            f"{day.isoformat()} is before {location.name} opened ({location.opened_on.isoformat()})"
        )
    return None


def _check_count_closed(count: int | None, closed: bool, hour: int | None, *, prefix: str) -> None:
    if closed and count is not None:
        raise InvalidField(f"{prefix}count", "A closed day has no count: leave count out")
    if closed and hour is not None:
        raise InvalidField(f"{prefix}hour", "Only a whole day can be closed, not an hour")
    if not closed and count is None:
        raise InvalidField(f"{prefix}count", "count is required unless the day is closed")


def _check_range(date_from: date, date_to: date) -> None:
    if date_from > date_to:
        raise InvalidField("date_from", "date_from is after date_to", location="query")
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        raise InvalidField(
            "date_to", f"The range is longer than {MAX_RANGE_DAYS} days", location="query"
        )


def _readable_ids(*, db: Session, user: User, location_ids: Sequence[int] | None) -> list[int]:
    if location_ids:
        return [
            loc.id
            for loc in location_service.check_access(db=db, user=user, location_ids=location_ids)
        ]
    return [loc.id for loc in location_service.list_locations(db=db, user=user)]


def _get_writable(*, db: Session, user: User, entry_id: int) -> FootfallEntry:
    entry = db.get(FootfallEntry, entry_id)
    if entry is None or entry.org_id != user.org_id:
        raise NotFound("footfall entry", entry_id)
    location_service.check_access(
        db=db, user=user, location_ids=[entry.location_id], field="location_id"
    )
    return entry


def _shape_clash(existing: Container[Key], key: Key, location: Location) -> str | None:
    """Why `key` cannot sit beside the existing entries of its day (whole-day vs hourly)."""
    loc_id, day, hour = key
    when = f"{location.name} on {day.isoformat()}"
    if hour is None:
        if any((loc_id, day, h) in existing for h in range(24)):
            return (
                f"{when} already has hourly counts; a day has either one whole-day figure "
                "or hourly figures (delete the hourly ones first)"
            )
    elif (loc_id, day, None) in existing:
        return (
            f"{when} already has a whole-day entry; a day has either one whole-day figure or "
            "hourly figures (delete the whole-day entry first)"
        )
    return None


def _day_name(key: Key) -> str:
    return f"location {key[0]} on {key[1].isoformat()}"


def _load_stored(
    *,
    db: Session,
    org_id: int,
    location_ids: Iterable[int],
    date_from: date,
    date_to: date,
) -> dict[Key, Stored]:
    """Existing entries of the locations and dates by (location, date, hour), in one query."""
    ids = sorted({int(i) for i in location_ids})
    if not ids:
        return {}
    conn = db.connection()
    bind_date = _binder(conn, _ENTRY.c.entry_date)
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    # Straight from the driver cursor: a year of hourly rows for 100 stores is 876,000 rows, and
    # SQLAlchemy's result rows would take longer than the rest of a re-import. SQLite hands dates
    # back as text: each distinct one is parsed once.
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(
            "SELECT id, location_id, entry_date, hour, count, closed FROM footfall_entry "  # noqa: S608
            f"WHERE org_id = {mark} AND location_id IN ({', '.join(str(i) for i in ids)}) "
            f"AND entry_date >= {mark} AND entry_date <= {mark}",
            (org_id, bind_date(date_from), bind_date(date_to)),
        )
        rows = cursor.fetchall()
    finally:
        cursor.close()
    days: dict[Any, date] = {}
    stored: dict[Key, Stored] = {}
    for entry_id, location_id, raw_day, hour, count, closed in rows:
        day = days.get(raw_day)
        if day is None:
            day = days[raw_day] = (
                raw_day if isinstance(raw_day, date) else date.fromisoformat(raw_day)
            )
        stored[(location_id, day, hour)] = (entry_id, count, bool(closed))
    return stored


def _series(
    *, db: Session, org_id: int, location_ids: Iterable[int], date_from: date, date_to: date
) -> tuple[dict[DayKey, int | None], dict[Key, int], set[DayKey]]:
    """Day figures (None when closed), hourly figures, and the days whose figure sums hours."""
    t = _ENTRY
    rows = db.execute(
        select(t.c.location_id, t.c.entry_date, t.c.hour, t.c.count, t.c.closed).where(
            t.c.org_id == org_id,
            t.c.location_id.in_(sorted(set(location_ids))),
            t.c.entry_date >= date_from,
            t.c.entry_date <= date_to,
        )
    )
    days: dict[DayKey, int | None] = {}
    hours: dict[Key, int] = {}
    hourly_days: set[DayKey] = set()
    for loc, day, hour, count, closed in rows:
        if hour is None:
            days[(loc, day)] = None if closed else count
        else:
            hours[(loc, day, hour)] = count or 0
            hourly_days.add((loc, day))
            days[(loc, day)] = (days.get((loc, day)) or 0) + (count or 0)
    return days, hours, hourly_days


def _unusual(
    series: Mapping[Any, int | None],
    location_id: int,
    day: date,
    hour: int | None,
    value: int | None,
) -> bool:
    if value is None:
        return False
    past: list[int] = []
    for weeks in range(1, UNUSUAL_WEEKS + 1):
        earlier = day - timedelta(weeks=weeks)
        figure = series.get(
            (location_id, earlier) if hour is None else (location_id, earlier, hour)
        )
        if figure is not None:
            past.append(figure)
    if len(past) < UNUSUAL_MIN_WEEKS:
        return False
    median = statistics.median(past)
    if median <= 0:
        return False
    return value > UNUSUAL_FACTOR * median or value * UNUSUAL_FACTOR < median


def _reads(*, db: Session, org_id: int, entries: Sequence[FootfallEntry]) -> list[FootfallRead]:
    if not entries:
        return []
    days, hours, _ = _series(
        db=db,
        org_id=org_id,
        location_ids={e.location_id for e in entries},
        date_from=min(e.entry_date for e in entries) - timedelta(weeks=UNUSUAL_WEEKS),
        date_to=max(e.entry_date for e in entries),
    )
    user_ids = {e.updated_by_id for e in entries if e.updated_by_id is not None}
    names: dict[int, str] = {}
    if user_ids:
        rows = db.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))
        names = {row[0]: row[1] for row in rows}
    return [
        FootfallRead(
            id=e.id,
            location_id=e.location_id,
            date=e.entry_date,
            count=e.count,
            hour=e.hour,
            closed=e.closed,
            source=e.source,
            updated_by=e.updated_by_id,
            updated_by_name=names.get(e.updated_by_id) if e.updated_by_id else None,
            updated_at=e.updated_at,
            unusual=_unusual(
                days if e.hour is None else hours,
                e.location_id,
                e.entry_date,
                e.hour,
                e.count,
            ),
        )
        for e in entries
    ]


def _audit(
    *,
    org_id: int,
    key: Key,
    action: str,
    old: Stored | None,
    new: tuple[int | None, bool] | None,
    source: str,
    user_id: int | None,
    now: datetime,
) -> FootfallAudit:
    return FootfallAudit(**_audit_values(org_id, key, action, old, new, source, user_id, now))


def _audit_values(
    org_id: int,
    key: Key,
    action: str,
    old: Stored | None,
    new: tuple[int | None, bool] | None,
    source: str,
    user_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    return {
        "org_id": org_id,
        "location_id": key[0],
        "entry_date": key[1],
        "hour": key[2],
        "action": action,
        "old_count": old[1] if old else None,
        "old_closed": old[2] if old else None,
        "new_count": new[0] if new else None,
        "new_closed": new[1] if new else None,
        "source": source,
        "changed_by_id": user_id,
        "changed_at": now,
    }


_ENTRY_COLUMNS = (
    "org_id",
    "location_id",
    "entry_date",
    "hour",
    "count",
    "closed",
    "source",
    "updated_by_id",
    "created_at",
    "updated_at",
)
_AUDIT_COLUMNS = (
    "org_id",
    "location_id",
    "entry_date",
    "hour",
    "action",
    "old_count",
    "old_closed",
    "new_count",
    "new_closed",
    "source",
    "changed_by_id",
    "changed_at",
)


def _write(
    *,
    db: Session,
    org_id: int,
    user_id: int,
    source: str,
    creates: Sequence[tuple[Key, int | None, bool]],
    updates: Sequence[tuple[Key, Stored, int | None, bool]],
    deletes: Sequence[tuple[Key, Stored]],
) -> None:
    """Write many entries and their audit rows in a few bulk statements (no statement per row).

    The rows go to the driver as plain tuples (executemany on SQLite, COPY on PostgreSQL):
    SQLAlchemy's per-row parameter handling would take most of a large import's time. Values are
    converted once with the columns' own bind processors, so they are stored as the ORM stores them.
    """
    db.flush()
    report_cache.touch(
        db,
        [k[:2] for k, *_ in creates] + [k[:2] for k, *_ in updates] + [k[:2] for k, _ in deletes],
    )
    conn = db.connection()
    now = _binder(conn, _ENTRY.c.updated_at)(utcnow())
    bind_date = _memo(_binder(conn, _ENTRY.c.entry_date))
    if creates:
        bulk.insert_rows(
            conn,
            "footfall_entry",
            _ENTRY_COLUMNS,
            [
                (org_id, k[0], bind_date(k[1]), k[2], count, closed, source, user_id, now, now)
                for k, count, closed in creates
            ],
        )
    if updates:
        changes = [(old[0], count, closed) for _, old, count, closed in updates]
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE TEMPORARY TABLE footfall_change "
                "(id integer PRIMARY KEY, count integer, closed boolean) ON COMMIT DROP"
            )
            bulk.insert_rows(conn, "footfall_change", ("id", "count", "closed"), changes)
            conn.exec_driver_sql(
                "UPDATE footfall_entry AS f SET count = c.count, closed = c.closed, "
                "source = %(source)s, updated_by_id = %(user_id)s, updated_at = %(now)s "
                "FROM footfall_change AS c WHERE f.id = c.id",
                {"source": source, "user_id": user_id, "now": now},
            )
            conn.exec_driver_sql("DROP TABLE footfall_change")
        else:
            conn.exec_driver_sql(
                "UPDATE footfall_entry SET count = ?, closed = ?, source = ?, updated_by_id = ?, "
                "updated_at = ? WHERE id = ?",
                [(count, closed, source, user_id, now, i) for i, count, closed in changes],
            )
    ids = [old[0] for _, old in deletes]
    for start in range(0, len(ids), 1000):
        db.execute(delete(_ENTRY).where(_ENTRY.c.id.in_(ids[start : start + 1000])))
    audits: list[tuple[Any, ...]] = [
        (org_id, k[0], bind_date(k[1]), k[2], "create", None, None, count, closed)
        for k, count, closed in creates
    ]
    audits += [
        (org_id, k[0], bind_date(k[1]), k[2], "update", old[1], old[2], count, closed)
        for k, old, count, closed in updates
    ]
    audits += [
        (org_id, k[0], bind_date(k[1]), k[2], "delete", old[1], old[2], None, None)
        for k, old in deletes
    ]
    bulk.insert_rows(
        conn,
        "footfall_audit",
        _AUDIT_COLUMNS,
        [(*a, source, user_id, now) for a in audits],
    )
    db.expire_all()


def _binder(conn: Connection, column: Any) -> Any:
    """The column type's own conversion of a Python value into what the driver is given."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process or (lambda value: value)


# --- CSV parsing -----------------------------------------------------------------------------

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DMY_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_HOUR = re.compile(r"^(\d{1,2})(?::00)?$")


def _memo(parse: Any) -> Any:
    """Cache a pure parser by its raw text: a year of hourly rows has only 365 distinct dates."""
    cache: dict[str, Any] = {}

    def cached(raw: str) -> Any:
        result = cache.get(raw)
        if result is None:
            result = cache[raw] = parse(raw)
        return result

    return cached


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


def _parse_count(raw: str) -> tuple[int | None, bool, str | None, bool]:
    """(count, closed, reason, skip): a blank count skips the row, `closed` closes the day."""
    text = raw.strip()
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

    return _memo(resolve)
