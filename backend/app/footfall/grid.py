"""Footfall writes: one entry (create, update, delete) and a grid of cells all or nothing.

The bulk writer (`write`) is shared with the CSV import (app.footfall.importing).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, cast

from sqlalchemy import Connection, Table, delete, func, select
from sqlalchemy.orm import Session

from app.core import bulk
from app.core.db import utcnow
from app.core.errors import Conflict, InvalidField, NotFound
from app.footfall.audit import AUDIT_COLUMNS, audit_row
from app.footfall.models import FootfallEntry
from app.footfall.rules import (
    Key,
    Stored,
    check_count_closed,
    day_problem,
    local_today,
    shape_clash,
)
from app.footfall.schemas import (
    FootfallBulk,
    FootfallBulkResult,
    FootfallCreate,
    FootfallRead,
    FootfallUpdate,
)
from app.footfall.service import reads
from app.locations import service as location_service
from app.rollups import freshness
from app.users.models import User

_ENTRY = cast(Table, FootfallEntry.__table__)


# --- writing one entry -----------------------------------------------------------------------


def create(*, db: Session, user: User, entry_in: FootfallCreate) -> FootfallRead:
    """Record a day's (or an hour's) count, or mark a day closed."""
    [location] = location_service.check_access(
        db=db, user=user, location_ids=[entry_in.location_id], field="location_id"
    )
    check_count_closed(entry_in.count, entry_in.closed, entry_in.hour, prefix="")
    problem = day_problem(location, entry_in.date, local_today(location))
    if problem:
        raise InvalidField("date", problem)
    key = (location.id, entry_in.date, entry_in.hour)
    stored = load_stored(
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
    mix = shape_clash(stored, key, location)
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
    freshness.touch(db, [(location.id, entry_in.date)])
    db.add(
        audit_row(
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
    return reads(db=db, org_id=user.org_id, entries=[entry])[0]


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
            audit_row(
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
        freshness.touch(db, [(entry.location_id, entry.entry_date)])
        db.flush()
    return reads(db=db, org_id=user.org_id, entries=[entry])[0]


def delete_entry(*, db: Session, user: User, entry_id: int) -> None:
    """Remove an entry: its day (or hour) becomes unknown again."""
    entry = _get_writable(db=db, user=user, entry_id=entry_id)
    db.add(
        audit_row(
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
    freshness.touch(db, [(entry.location_id, entry.entry_date)])
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
        problem = day_problem(locations[cell.location_id], cell.date, todays[cell.location_id])
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

    stored = load_stored(
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
            clash = shape_clash(kept, key, locations[key[0]])
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
    write(
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
        items=reads(db=db, org_id=user.org_id, entries=entries),
    )


# --- helpers ---------------------------------------------------------------------------------


def _get_writable(*, db: Session, user: User, entry_id: int) -> FootfallEntry:
    entry = db.get(FootfallEntry, entry_id)
    if entry is None or entry.org_id != user.org_id:
        raise NotFound("footfall entry", entry_id)
    location_service.check_access(
        db=db, user=user, location_ids=[entry.location_id], field="location_id"
    )
    return entry


def load_stored(
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


def write(
    *,
    db: Session,
    org_id: int,
    user_id: int | None,
    source: str,
    creates: Sequence[tuple[Key, int | None, bool]],
    updates: Sequence[tuple[Key, Stored, int | None, bool]],
    deletes: Sequence[tuple[Key, Stored]],
    api_key_id: int | None = None,
) -> None:
    """Write many entries and their audit rows in a few bulk statements (no statement per row).

    The rows go to the driver as plain tuples (executemany on SQLite, COPY on PostgreSQL):
    SQLAlchemy's per-row parameter handling would take most of a large import's time. Values are
    converted once with the columns' own bind processors, so they are stored as the ORM stores them.
    """
    db.flush()
    freshness.touch(
        db,
        [k[:2] for k, *_ in creates] + [k[:2] for k, *_ in updates] + [k[:2] for k, _ in deletes],
    )
    conn = db.connection()
    now = _binder(conn, _ENTRY.c.updated_at)(utcnow())
    bind_date = memo(_binder(conn, _ENTRY.c.entry_date))
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
        AUDIT_COLUMNS,
        [(*a, source, user_id, now, api_key_id) for a in audits],
    )
    db.expire_all()


def _binder(conn: Connection, column: Any) -> Any:
    """The column type's own conversion of a Python value into what the driver is given."""
    process = column.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    return process or (lambda value: value)


def memo(parse: Any) -> Any:
    """Cache a pure parser by its raw text: a year of hourly rows has only 365 distinct dates."""
    cache: dict[str, Any] = {}

    def cached(raw: str) -> Any:
        result = cache.get(raw)
        if result is None:
            result = cache[raw] = parse(raw)
        return result

    return cached
