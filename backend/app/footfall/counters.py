"""The people-counter intake: POST /footfall/counts, authenticated by an organization API key.

Each item is one interval's count (15 minutes, an hour or a business day) for a store. Items are
checked one by one; the valid ones are applied together in the request's one transaction, and
each invalid one is reported (`rejected`: index, field, error) and writes nothing.

Storage and roll-up:
- Raw figures go to `footfall_count`, one row per (store, start, interval, direction): the same
  interval sent again replaces its row, so a resend never doubles and late or out-of-order data
  simply fills its place.
- Every store-day an item touches is then rolled up afresh from all of its raw "in" figures into
  `footfall_entry` (source `api`), through the same writer as the grid and the CSV import (audit
  rows, report cache versions). "out" figures are kept but are not footfall.
- Mixed granularities never double count: finer data replaces coarser for the same span. An hour
  with 15-minute figures is their sum (an hourly figure for it is ignored); an hour without them
  takes its hourly figure; a day with any 15-minute or hourly figure is the sum of those hours
  (its whole-day figure is ignored), and a day with only a whole-day figure takes that.
- Counter data is authoritative for the days it covers: a typed count (whole-day or hourly) of
  such a day is replaced by the counter's, and the audit log shows each change with the key that
  made it. A day marked closed refuses counts (reopen it first): closing is a person's decision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.apikeys.models import ApiKey
from app.core.db import utcnow
from app.core.errors import Conflict, NotFound
from app.footfall import grid
from app.footfall.models import FootfallCount, FootfallCounter, FootfallEntry
from app.footfall.rules import Key, Stored, day_problem, local_today
from app.footfall.schemas import (
    CounterCreate,
    CounterPage,
    CounterRead,
    CountItem,
    CountRejection,
    CountResult,
)
from app.locations.models import Location
from app.sales.facts import business_day

_COUNT = cast(Table, FootfallCount.__table__)
MINUTES = {"15min": 15, "hour": 60, "day": 1440}


@dataclass(frozen=True, slots=True)
class _Accepted:
    index: int
    location: Location
    start: datetime  # UTC
    minutes: int
    direction: str
    business_date: date
    hour: int | None
    count: int


def receive(*, db: Session, key: ApiKey, items: Sequence[dict[str, Any]]) -> CountResult:
    """Apply a batch of counter figures sent with an API key; report each item refused."""
    rejected: list[CountRejection] = []
    parsed: list[tuple[int, CountItem]] = []
    for index, raw in enumerate(items):
        try:
            parsed.append((index, CountItem.model_validate(raw)))
        except ValidationError as exc:
            error = exc.errors()[0]
            loc = [str(p) for p in error["loc"] if not isinstance(p, int)]
            rejected.append(
                CountRejection(index=index, field=".".join(loc) or "item", error=error["msg"])
            )
    stores = _resolve_stores(db=db, org_id=key.org_id, items=[item for _, item in parsed])
    now = utcnow()
    todays: dict[int, date] = {}
    candidates: list[_Accepted] = []
    for index, item in parsed:
        field, location = stores[_store_ref(item)]
        if location is None:
            rejected.append(CountRejection(index=index, field=field, error="Unknown store"))
            continue
        if key.location_ids is not None and location.id not in key.location_ids:
            rejected.append(
                CountRejection(
                    index=index,
                    field=field,
                    error=f"{location.name} is not one of this API key's stores",
                )
            )
            continue
        accepted, problem = _place(item, location, now, todays, index)
        if accepted is None:
            rejected.append(CountRejection(index=index, field=problem[0], error=problem[1]))
        else:
            candidates.append(accepted)
    if candidates:
        # One writer at a time per store: a roll-up reads every raw figure of its days, so a
        # concurrent request's must be committed first (and two must not create the same
        # entries). NO KEY UPDATE leaves the sync's inserts (foreign keys: KEY SHARE) unblocked;
        # SQLite has one writer anyway and ignores it.
        db.execute(
            select(Location.id)
            .where(Location.id.in_(sorted({a.location.id for a in candidates})))
            .order_by(Location.id)
            .with_for_update(key_share=True)
        ).all()
    stored = (
        grid.load_stored(
            db=db,
            org_id=key.org_id,
            location_ids={a.location.id for a in candidates},
            date_from=min(a.business_date for a in candidates),
            date_to=max(a.business_date for a in candidates),
        )
        if candidates
        else {}
    )
    valid: list[_Accepted] = []
    for a in candidates:
        entry = stored.get((a.location.id, a.business_date, None))
        if entry is not None and entry[2]:
            rejected.append(
                CountRejection(
                    index=a.index,
                    field="start",
                    error=f"{a.location.name} is marked closed on {a.business_date.isoformat()}: "
                    "reopen the day to send counts for it",
                )
            )
        else:
            valid.append(a)
    if valid:
        _upsert(db=db, org_id=key.org_id, key_id=key.id, accepted=valid, now=now)
        _roll_up(
            db=db,
            org_id=key.org_id,
            key_id=key.id,
            days={(a.location.id, a.business_date) for a in valid},
            stored=stored,
        )
    rejected.sort(key=lambda r: r.index)
    return CountResult(accepted=len(valid), rejected=rejected)


def _store_ref(item: CountItem) -> tuple[str, Any]:
    s = item.store
    if s.id is not None:
        return ("store.id", s.id)
    if s.square_location_id is not None:
        return ("store.square_location_id", s.square_location_id)
    return ("store.counter_id", s.counter_id)


def _resolve_stores(
    *, db: Session, org_id: int, items: Sequence[CountItem]
) -> dict[tuple[str, Any], tuple[str, Location | None]]:
    """Each store reference of the batch → (its field, the organization's store or None), in
    three queries. Another organization's store is simply not found (no leak)."""
    refs = {_store_ref(item) for item in items}
    wanted: dict[str, set[Any]] = defaultdict(set)
    for field, value in refs:
        wanted[field].add(value)
    by_id: dict[int, Location] = {}
    by_square: dict[str, Location] = {}
    by_counter: dict[str, Location] = {}
    if wanted["store.id"]:
        by_id = {
            loc.id: loc
            for loc in db.scalars(
                select(Location).where(
                    Location.org_id == org_id, Location.id.in_(wanted["store.id"])
                )
            )
        }
    if wanted["store.square_location_id"]:
        by_square = {
            cast(str, loc.square_location_id): loc
            for loc in db.scalars(
                select(Location).where(
                    Location.org_id == org_id,
                    Location.square_location_id.in_(wanted["store.square_location_id"]),
                )
            )
        }
    if wanted["store.counter_id"]:
        # A comprehension, not dict(result): a Result has keys() and would be read as a mapping.
        by_counter = {
            row[0]: row[1]
            for row in db.execute(
                select(FootfallCounter.counter_id, Location)
                .join(Location, Location.id == FootfallCounter.location_id)
                .where(
                    FootfallCounter.org_id == org_id,
                    Location.org_id == org_id,
                    FootfallCounter.counter_id.in_(wanted["store.counter_id"]),
                )
            )
        }
    tables: dict[str, dict[Any, Location]] = {
        "store.id": cast(dict[Any, Location], by_id),
        "store.square_location_id": cast(dict[Any, Location], by_square),
        "store.counter_id": cast(dict[Any, Location], by_counter),
    }
    return {(field, value): (field, tables[field].get(value)) for field, value in refs}


def _place(
    item: CountItem, location: Location, now: datetime, todays: dict[int, date], index: int
) -> tuple[_Accepted | None, tuple[str, str]]:
    """The item placed in its store's business day, or (None, (field, why not))."""
    local = item.start.astimezone(ZoneInfo(location.timezone))
    where = f"{location.name}'s time ({location.timezone})"
    clock = local.strftime("%H:%M:%S") if local.second else local.strftime("%H:%M")
    if item.interval == "15min":
        if local.minute % 15 or local.second or local.microsecond:
            return None, ("start", f"{clock} is not a quarter hour in {where}")
    elif item.interval == "hour":
        if local.minute or local.second or local.microsecond:
            return None, ("start", f"{clock} is not the start of an hour in {where}")
    elif (local.hour, local.minute, local.second, local.microsecond) != (
        location.business_day_start_hour,
        0,
        0,
        0,
    ):
        return None, (
            "start",
            f"A day starts at {location.business_day_start_hour:02d}:00 in {where} (its "
            f"business-day start), not {clock}",
        )
    start = item.start.astimezone(now.tzinfo)
    if start > now:
        return None, ("start", f"{item.start.isoformat()} is in the future")
    day, hour = business_day(start, location.timezone, location.business_day_start_hour)
    if location.id not in todays:
        todays[location.id] = local_today(location)
    problem = day_problem(location, day, todays[location.id])
    if problem:
        return None, ("start", problem)
    minutes = MINUTES[item.interval]
    return (
        _Accepted(
            index=index,
            location=location,
            start=start,
            minutes=minutes,
            direction=item.direction,
            business_date=day,
            hour=None if minutes == 1440 else hour,
            count=item.count,
        ),
        ("", ""),
    )


def _upsert(
    *, db: Session, org_id: int, key_id: int, accepted: Sequence[_Accepted], now: datetime
) -> None:
    """Write the raw figures: an interval already there is replaced (the last one sent wins)."""
    rows: dict[tuple[int, datetime, int, str], dict[str, Any]] = {}
    for a in accepted:  # within a batch too, the later item wins
        rows[(a.location.id, a.start, a.minutes, a.direction)] = {
            "org_id": org_id,
            "location_id": a.location.id,
            "start_at": a.start,
            "interval_minutes": a.minutes,
            "direction": a.direction,
            "business_date": a.business_date,
            "hour": a.hour,
            "count": a.count,
            "api_key_id": key_id,
            "received_at": now,
        }
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(_COUNT)
    # One statement run for many rows (SQLAlchemy batches it into multi-row INSERTs, compiled
    # once): a statement with 5,000 rows' values spelled out cost more to compile than to run.
    db.execute(
        statement.on_conflict_do_update(
            index_elements=["location_id", "start_at", "interval_minutes", "direction"],
            set_={
                "count": statement.excluded.count,
                "api_key_id": statement.excluded.api_key_id,
                "received_at": statement.excluded.received_at,
            },
        ),
        list(rows.values()),
    )


def _roll_up(
    *,
    db: Session,
    org_id: int,
    key_id: int | None,
    days: set[tuple[int, date]],
    stored: dict[Key, Stored],
    vacated: set[tuple[int, date]] = frozenset(),  # type: ignore[assignment]
) -> None:
    """Recompute the footfall entries of these store-days from all their raw "in" figures; of
    the `vacated` ones (store-days the counter's figures have left), whatever is not rolled up
    again is removed."""
    ids = sorted({loc for loc, _ in days})
    rows = db.execute(
        select(
            _COUNT.c.location_id,
            _COUNT.c.business_date,
            _COUNT.c.hour,
            _COUNT.c.interval_minutes,
            _COUNT.c.count,
        ).where(
            _COUNT.c.location_id.in_(ids),
            _COUNT.c.business_date >= min(d for _, d in days),
            _COUNT.c.business_date <= max(d for _, d in days),
            _COUNT.c.direction == "in",
        )
    )
    # Per store-day: the whole-day figure, and per hour the 15-minute and the hourly sums.
    whole: dict[tuple[int, date], int] = {}
    quarters: dict[tuple[int, date], dict[int, int]] = defaultdict(dict)
    hours: dict[tuple[int, date], dict[int, int]] = defaultdict(dict)
    for loc, day, hour, minutes, count in rows:
        if (loc, day) not in days:
            continue
        if minutes == 1440:
            whole[(loc, day)] = count
        else:
            # Summed: the hour a clock change repeats has two hourly figures (and 8 quarters).
            target = quarters if minutes == 15 else hours
            target[(loc, day)][hour] = target[(loc, day)].get(hour, 0) + count
    wanted: dict[Key, int] = {}
    covered: set[tuple[int, date]] = set()
    for pair in days:
        loc, day = pair
        by_hour = {**hours.get(pair, {}), **quarters.get(pair, {})}  # quarters replace hours
        if by_hour:
            wanted.update({(loc, day, h): n for h, n in by_hour.items()})
        elif pair in whole:
            wanted[(loc, day, None)] = whole[pair]
        else:
            continue  # only "out" figures: the day's footfall is left as it is
        covered.add(pair)
    creates: list[tuple[Key, int | None, bool]] = []
    updates: list[tuple[Key, Stored, int | None, bool]] = []
    deletes: list[tuple[Key, Stored]] = []
    for k, old in stored.items():
        if (k[:2] in covered or k[:2] in vacated) and k not in wanted:
            deletes.append((k, old))
    for k, count in wanted.items():
        before = stored.get(k)
        if before is None:
            creates.append((k, count, False))
        elif (before[1], before[2]) != (count, False):
            updates.append((k, before, count, False))
    if creates or updates or deletes:
        grid.write(
            db=db,
            org_id=org_id,
            user_id=None,
            source="api",
            creates=creates,
            updates=updates,
            deletes=deletes,
            api_key_id=key_id,
        )


# --- re-dating --------------------------------------------------------------------------------


def redate(*, db: Session, location_id: int) -> int:
    """Date a store's raw counter figures again by its current timezone and business-day start
    (after either changed: a figure is an instant, its business day and hour follow the
    settings), and roll up the store-days they leave and arrive on; returns how many figures
    moved. Only counter-made entries are removed from a day the figures left, and a day marked
    closed stays closed (its figures are kept, not rolled up). Run again, it changes nothing."""
    location = db.scalar(
        select(Location)
        .where(Location.id == location_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)  # the settings as committed, locked
    )
    if location is None:
        return 0
    moved: list[dict[str, Any]] = []
    left: set[tuple[int, date]] = set()
    days: set[tuple[int, date]] = set()
    for row_id, start, minutes, stored_day, stored_hour in db.execute(
        select(
            _COUNT.c.id,
            _COUNT.c.start_at,
            _COUNT.c.interval_minutes,
            _COUNT.c.business_date,
            _COUNT.c.hour,
        ).where(_COUNT.c.location_id == location_id)
    ):
        aware = start if start.tzinfo else start.replace(tzinfo=UTC)
        day, hour = business_day(aware, location.timezone, location.business_day_start_hour)
        placed = (day, None if minutes == 1440 else hour)
        if placed != (stored_day, stored_hour):
            moved.append({"c_id": row_id, "c_date": placed[0], "c_hour": placed[1]})
            left.add((location_id, stored_day))
            days |= {(location_id, stored_day), (location_id, day)}
    if not moved:
        return 0
    db.execute(
        update(_COUNT)
        .where(_COUNT.c.id == bindparam("c_id"))
        .values(business_date=bindparam("c_date"), hour=bindparam("c_hour")),
        moved,
    )
    stored = grid.load_stored(
        db=db,
        org_id=location.org_id,
        location_ids={location_id},
        date_from=min(d for _, d in days),
        date_to=max(d for _, d in days),
    )
    closed = {k[:2] for k, (_, _, is_closed) in stored.items() if is_closed}
    typed = {
        (location_id, day, hour)
        for day, hour in db.execute(
            select(FootfallEntry.entry_date, FootfallEntry.hour).where(
                FootfallEntry.location_id == location_id,
                FootfallEntry.entry_date.in_(sorted({d for _, d in days})),
                FootfallEntry.source != "api",
            )
        )
    }
    _roll_up(
        db=db,
        org_id=location.org_id,
        key_id=None,
        days=days - closed,
        # A day the figures left keeps what people typed; what the counter made goes.
        stored={k: v for k, v in stored.items() if k[:2] not in closed},
        vacated={pair for pair in left - closed if not any(k[:2] == pair for k in typed)},
    )
    return len(moved)


# --- counter ids ------------------------------------------------------------------------------


def list_counters(*, db: Session, org_id: int) -> CounterPage:
    """The organization's counter ids and the stores they are mapped to."""
    rows = db.scalars(
        select(FootfallCounter)
        .where(FootfallCounter.org_id == org_id)
        .order_by(FootfallCounter.counter_id)
    ).all()
    return CounterPage(items=[CounterRead.model_validate(r) for r in rows], total=len(rows))


def create_counter(*, db: Session, org_id: int, counter_in: CounterCreate) -> CounterRead:
    """Map a counter id to a store of the organization (an id maps to one store)."""
    location = db.get(Location, counter_in.location_id)
    if location is None or location.org_id != org_id:
        raise NotFound("location", counter_in.location_id)
    taken = db.scalar(
        select(FootfallCounter).where(
            FootfallCounter.org_id == org_id, FootfallCounter.counter_id == counter_in.counter_id
        )
    )
    if taken is not None:
        raise Conflict(f"Counter {counter_in.counter_id!r} is already mapped (id {taken.id})")
    row = FootfallCounter(org_id=org_id, location_id=location.id, counter_id=counter_in.counter_id)
    db.add(row)
    db.flush()
    return CounterRead.model_validate(row)


def delete_counter(*, db: Session, org_id: int, counter_pk: int) -> None:
    """Unmap a counter id (its counts already received stay)."""
    row = db.get(FootfallCounter, counter_pk)
    if row is None or row.org_id != org_id:
        raise NotFound("counter", counter_pk)
    db.delete(row)
    db.flush()


__all__ = ["create_counter", "delete_counter", "list_counters", "receive"]
