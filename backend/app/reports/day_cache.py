"""Reports' day reads through the month cache and the organization's day cache.

Long periods on PostgreSQL read their whole calendar months already converted from the month
cache (app/reports/cache.py: per location x month) and only the days of the partial months at
either end from the rollups: a three-year summary, breakdown by store or month series adds up a
few thousand cached rows instead of converting tens of thousands of location-days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.orm import Session

from app.footfall.models import FootfallEntry
from app.fx.converter import Converter
from app.locations.models import Location
from app.reports import cache as report_cache
from app.reports import metrics as m
from app.reports.engine import (
    DayKey,
    KeyedValues,
    _among,
    _cache_key,
    _day_sums,
    _day_values,
    _dec,
    _every_location,
    _month,
    _shifted,
    _Window,
    _windows,
)
from app.reports.models import MONTH_FOOTFALL, MONTH_SALES, MonthDaySums, OrgDaySums
from app.reports.request import ReportRequest
from app.rollups.models import MonthVersion, RollupDay


# --- the month cache (app/reports/cache.py) -----------------------------------------------------
def _by_month(db: Session, keys: Sequence[DayKey], window: _Window) -> bool:
    """Whether a day read can take its whole months from the month cache: PostgreSQL, no
    like-for-like (which decides per location-day), answers per location, per month or in
    total, and a period holding at least MIN_FULL_MONTHS calendar months."""
    return (
        report_cache.enabled(db)
        and window.lfl_shift is None
        and set(keys) <= {"location", "month"}
        and len(report_cache.full_months(window.date_from, window.date_to))
        >= report_cache.MIN_FULL_MONTHS
    )


def _split(window: _Window) -> tuple[list[date], list[_Window]]:
    """A long period's whole months, and the windows of the days left at either end (none when
    the period is whole months). Each end is read as its own range of dates: as "the period
    less its whole months" PostgreSQL walks every date of the period (for 50 stores over three
    years, ~55,000 rollup rows to keep 1,550)."""
    months = report_cache.full_months(window.date_from, window.date_to)
    first, end = months[0], report_cache.next_month(months[-1])
    edges = []
    if window.date_from < first:
        edges.append(replace(window, date_to=first - timedelta(days=1)))
    if end <= window.date_to:
        edges.append(replace(window, date_from=end))
    return months, edges


def _add_into(into: KeyedValues, values: KeyedValues) -> None:
    for key, v in values.items():
        mine = into.get(key)
        if mine is None:
            into[key] = dict(v)
        else:
            for name, value in v.items():
                mine[name] = mine.get(name, Decimal(0)) + value


def _day_values_by_month(
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayKey], window: _Window
) -> tuple[KeyedValues, KeyedValues]:
    """`_day_values` of a long period: its whole months from the month cache, the days of the
    partial months at either end from the rollups."""
    months, edges = _split(window)
    sales: KeyedValues = {}
    footfall: KeyedValues = {}
    for edge in edges:
        whole = _whole_edge_month(db, req, conv, keys, edge)
        edge_sales, edge_footfall = whole or _day_values(db, req, conv, keys, edge)
        _add_into(sales, edge_sales)
        _add_into(footfall, edge_footfall)
    cached_sales, cached_footfall = _cached_months(db, req, conv, keys, months)
    _add_into(sales, cached_sales)
    _add_into(footfall, cached_footfall)
    return sales, footfall


# --- the organization's day cache (app/reports/cache.py) ----------------------------------------
def _by_org_day(db: Session, keys: Sequence[DayKey], window: _Window, every: bool) -> bool:
    """Whether a day read can come from the organization's day cache: PostgreSQL, every store
    of the organization (`every`), no like-for-like, answers per date, per month or in total."""
    return (
        every
        and report_cache.enabled(db)
        and window.lfl_shift is None
        and set(keys) <= {"date", "month"}
    )


def _org_versions(org_id: int, first: date, last: date) -> Any:
    """The organization's version of each month from `first` to `last` (months never changed
    have no row: 0)."""
    v = MonthVersion
    return (
        select(v.month.label("month"), func.sum(v.version).label("version"))
        .join(Location, Location.id == v.location_id)
        .where(Location.org_id == org_id, v.month >= first, v.month <= last)
        .group_by(v.month)
        .subquery()
    )


def _org_days(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    window: _Window,
    *,
    per_date: bool,
    shown: bool,
) -> dict[tuple[Any, ...], dict[str, Any]]:
    """The window's days of every store of the organization from `OrgDaySums`, per (month, date)
    or added up per (month,): their sums (`MONTH_SALES`, `MONTH_FOOTFALL`), or per date their
    presented metrics (`shown`). One statement reads the up-to-date rows; the months with a day
    missing or out of date are computed from the rollups and stored first (their values are
    then per (month, date) whatever `per_date` says). Names the rates of the days converted."""
    c = OrgDaySums
    rates_key, target = _cache_key(conv), conv.target
    versions = _org_versions(
        req.org_id, report_cache.month_of(window.date_from), report_cache.month_of(window.date_to)
    )
    month = _month(c.business_date)
    day_text = func.to_char(c.business_date, literal_column("'YYYY-MM-DD'"))
    converted = case((c.converted != "", day_text + "=" + c.converted))
    names = ["shown"] if shown else [*MONTH_SALES, *MONTH_FOOTFALL]
    columns: list[Any]
    if per_date:  # the rows as stored
        columns = [
            month,
            c.business_date,
            literal(1),
            converted,
            *(c.__table__.c[n] for n in names),
        ]
    else:
        columns = [
            month,
            func.count(),
            func.string_agg(converted, literal_column("';'")),
            *(func.sum(c.__table__.c[n]) for n in names),
        ]
    # A row counts only at its month's current version: the versions and the rows are read in
    # one statement (one snapshot).
    statement = (
        select(*columns)
        .select_from(c)
        .outerjoin(versions, versions.c.month == month)
        .where(
            c.org_id == req.org_id,
            c.target == target,
            c.rates_key == rates_key,
            *window.within(c.business_date),
            c.version == func.coalesce(versions.c.version, 0),
        )
    )
    rows = db.execute(statement if per_date else statement.group_by(month)).all()
    n_key = 2 if per_date else 1
    expected: dict[date, int] = defaultdict(int)
    for day in window.days():
        expected[report_cache.month_of(day)] += 1
    found: dict[date, int] = defaultdict(int)
    for row in rows:
        found[row[0]] += row[n_key]
    stale = sorted(month for month, n in expected.items() if found.get(month) != n)
    fresh = set(expected) - set(stale)
    days: dict[tuple[Any, ...], dict[str, Any]] = {}
    named: list[str] = []
    for row in rows:
        if row[0] in fresh:
            if row[n_key + 1]:
                named.append(row[n_key + 1])
            # NOT NULL columns and sums over at least one row: no None to guard against.
            days[tuple(row[:n_key])] = dict(zip(names, row[n_key + 2 :], strict=True))
    # Each run of consecutive months to make is read from the rollups in one go.
    runs: list[list[date]] = []
    for month_start in stale:
        if runs and report_cache.next_month(runs[-1][-1]) == month_start:
            runs[-1].append(month_start)
        else:
            runs.append([month_start])
    for run in runs:
        for day, values in _fill_org_days(db, req, conv, window, run, rates_key).items():
            days[(report_cache.month_of(day), day)] = values
    # Names the rates, as a read from the rollups does.
    noted: dict[str, list[date]] = defaultdict(list)
    for part in named:
        for entry in part.split(";"):
            day_iso, currencies = entry.split("=")
            day = date.fromisoformat(day_iso)
            for currency in currencies.split(","):
                noted[currency].append(day)
    for currency, on in noted.items():
        conv.note(currency, on)
    return days


def _org_day_values(
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayKey], window: _Window
) -> tuple[KeyedValues, KeyedValues]:
    """`_day_values` of every store of the organization, from `OrgDaySums`."""
    days = _org_days(db, req, conv, window, per_date="date" in keys, shown=False)
    index = {"month": 0, "date": 1}
    sales: KeyedValues = {}
    footfall: KeyedValues = {}
    for key, values in days.items():
        wanted = tuple(key[index[k]] for k in keys)
        if values["rollup_days"]:
            _add_into(sales, {wanted: {n: values[n] for n in MONTH_SALES}})
        if values["footfall_days"]:
            _add_into(footfall, {wanted: {n: values[n] for n in MONTH_FOOTFALL}})
    return sales, footfall


def _org_day_shown(
    db: Session, req: ReportRequest, conv: Converter, window: _Window
) -> dict[date, dict[str, Any]]:
    """Every store's metrics per date of the window as the API shows them, from `OrgDaySums`
    (dates keyed onto the period's, for a comparison)."""
    days = _org_days(db, req, conv, window, per_date=True, shown=True)
    shift = timedelta(days=window.key_shift)
    return {key[1] + shift: values["shown"] for key, values in days.items()}


def _fill_org_days(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    window: _Window,
    stale: list[date],
    rates_key: str,
) -> dict[date, dict[str, Any]]:
    """Compute the window's days of these consecutive months from the rollups (every store) and
    store them; returns each date's sums and presented metrics (`shown`), days without sales or
    footfall included."""
    first = max(window.date_from, stale[0])
    last = min(window.date_to, report_cache.next_month(stale[-1]) - timedelta(days=1))
    # Read before any sums are computed (see _cached_months).
    versions = _org_versions(req.org_id, stale[0], stale[-1])
    known = {month: int(version) for month, version in db.execute(select(versions))}
    sales, footfall = _day_values(
        db, req, conv, ("date",), replace(window, date_from=first, date_to=last)
    )
    d = RollupDay
    currencies: dict[date, list[str]] = defaultdict(list)
    for day, currency in db.execute(
        select(d.business_date, d.currency)
        .where(
            _among(db, d.location_id, req.location_ids),
            d.business_date >= first,
            d.business_date <= last,
            d.currency != conv.target,
        )
        .distinct()
        .order_by(d.business_date, d.currency)
    ):
        currencies[day].append(currency)
    zero = Decimal(0)
    result: dict[date, dict[str, Any]] = {}
    rows = []
    day = first
    while day <= last:
        day_sales, day_footfall = sales.get((day,)), footfall.get((day,))
        values: dict[str, Any] = {
            **{n: (day_sales or {}).get(n, zero) for n in MONTH_SALES},
            **{n: (day_footfall or {}).get(n, zero) for n in MONTH_FOOTFALL},
            # What a day series shows for the date: the one computation, made once.
            "shown": m.present(m.compute(_day_sums(day_sales, day_footfall)), conv.target),
        }
        result[day] = values
        rows.append(
            {
                "org_id": req.org_id,
                "target": conv.target,
                "rates_key": rates_key,
                "business_date": day,
                "version": known.get(report_cache.month_of(day), 0),
                **values,
                "converted": ",".join(currencies.get(day, [])),
            }
        )
        day += timedelta(days=1)
    _store_sums(
        db,
        OrgDaySums,
        rows,
        key=["org_id", "target", "rates_key", "business_date"],
        also=("version", "converted", "shown"),
    )
    return result


def _store_sums(
    db: Session, model: Any, rows: list[dict[str, Any]], *, key: list[str], also: Sequence[str]
) -> None:
    """Insert or replace cached sums rows (PostgreSQL), a thousand per statement: the sums and
    `also` are overwritten on the `key` of a row already there."""
    for start in range(0, len(rows), 1000):
        statement = postgresql_insert(model).values(rows[start : start + 1000])
        db.execute(
            statement.on_conflict_do_update(
                index_elements=key,
                set_={n: statement.excluded[n] for n in (*also, *MONTH_SALES, *MONTH_FOOTFALL)},
            )
        )


def _cached_months(
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayKey], months: list[date]
) -> tuple[KeyedValues, KeyedValues]:
    """Converted day sums of whole months per key, from `MonthDaySums`; the months missing or out
    of date for a location are computed from the rollups and stored first."""
    c = MonthDaySums
    rates_key, target = _cache_key(conv), conv.target
    first, last = months[0], months[-1]
    mine = [
        c.target == target,
        c.rates_key == rates_key,
        _among(db, c.location_id, req.location_ids),
        c.month >= first,
        c.month <= last,
    ]
    converted: dict[tuple[str, date], int] = defaultdict(int)  # (currency, month) -> day bits
    # Usually every month of every location is up to date: one statement says so per month,
    # with the distinct rate days of its rows (a few rows, not one per location and month).
    fresh = _fresh_months(db, mine, len(req.location_ids))
    if fresh is not None and len(fresh) == len(months):
        for month, rate_days in fresh.items():
            for one in rate_days:
                _add_day_bits(converted, month, one)
    else:
        _refresh_months(db, req, conv, months, mine, converted)
    _note_rates(conv, converted)
    group = _month_group(keys)
    names = [*MONTH_SALES, *MONTH_FOOTFALL]
    return _month_values(
        keys,
        db.execute(
            select(*group, *(func.sum(getattr(c, n)) for n in names)).where(*mine).group_by(*group)
        ),
    )


def _month_group(keys: Sequence[DayKey]) -> list[Any]:
    c = MonthDaySums
    return [{"location": c.location_id, "month": c.month}[k] for k in keys]


def _month_values(keys: Sequence[DayKey], rows: Iterable[Any]) -> tuple[KeyedValues, KeyedValues]:
    """Rows of (key..., Σ MONTH_SALES..., Σ MONTH_FOOTFALL...) as sales and footfall per key."""
    names = [*MONTH_SALES, *MONTH_FOOTFALL]
    sales: KeyedValues = {}
    footfall: KeyedValues = {}
    for row in rows:
        key = tuple(row[: len(keys)])
        values = dict(
            zip(names, (_dec(x) for x in row[len(keys) : len(keys) + len(names)]), strict=True)
        )
        if values["rollup_days"]:
            sales[key] = {n: values[n] for n in MONTH_SALES}
        if values["footfall_days"]:
            footfall[key] = {n: values[n] for n in MONTH_FOOTFALL}
    return sales, footfall


def _note_rates(conv: Converter, converted: dict[tuple[str, date], int]) -> None:
    """The response names the rate of every day converted, as it does for days read directly."""
    for (currency, month), bits in converted.items():
        conv.note(currency, (month.replace(day=d + 1) for d in range(31) if bits >> d & 1))


def _whole_edge_month(
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayKey], edge: _Window
) -> tuple[KeyedValues, KeyedValues] | None:
    """A partial month at either end of a long period, from its whole month's cached sums when
    its other days hold nothing (no rollup or footfall row): a period ending today, or on the
    last day with sales, leaves its month's remaining days empty. None when they do not (or
    when they outnumber the edge's days), or when a location's month is not cached or out of
    date: the edge is then read from the rollups, and its month cached for the next report
    when it would have served.

    The check and the sums are one statement (one snapshot): a row at its month's current
    version holds the month as it is now, and the month's other days are empty now, so its
    sums are the edge's."""
    month = report_cache.month_of(edge.date_from)
    last = report_cache.next_month(month) - timedelta(days=1)
    if edge.date_from > month:  # the first days of the period: the month's days before them
        outside = (month, edge.date_from - timedelta(days=1))
    else:  # the last days of the period: the month's days after them
        outside = (edge.date_to + timedelta(days=1), last)
    if (outside[1] - outside[0]).days >= (edge.date_to - edge.date_from).days:
        return None
    c, v, d = MonthDaySums, MonthVersion, RollupDay
    fe = FootfallEntry.__table__.c
    ids = req.location_ids
    empty = and_(
        ~exists().where(
            _among(db, d.location_id, ids),
            d.business_date >= outside[0],
            d.business_date <= outside[1],
        ),
        ~exists().where(
            fe.org_id == req.org_id,
            _among(db, fe.location_id, ids),
            fe.entry_date >= outside[0],
            fe.entry_date <= outside[1],
        ),
    )
    mine = [
        c.target == conv.target,
        c.rates_key == _cache_key(conv),
        _among(db, c.location_id, ids),
        c.month == month,
    ]
    group = _month_group(keys)
    rows = db.execute(
        select(
            *group,
            *(func.sum(getattr(c, n)) for n in (*MONTH_SALES, *MONTH_FOOTFALL)),
            func.count(),
            func.count().filter(c.version == func.coalesce(v.version, 0)),
            func.array_agg(distinct(c.rate_days)),
        )
        .select_from(c)
        .outerjoin(v, and_(v.location_id == c.location_id, v.month == c.month))
        .where(*mine, empty)
        .group_by(*group)
    ).all()
    if rows and sum(row[-2] for row in rows) == sum(row[-3] for row in rows) == len(ids):
        converted: dict[tuple[str, date], int] = defaultdict(int)
        for row in rows:
            for rate_days in row[-1]:
                _add_day_bits(converted, month, rate_days)
        _note_rates(conv, converted)
        return _month_values(keys, rows)
    if rows or db.scalar(select(empty)):
        # The month would serve once cached: cache it (its rates are not this report's).
        _refresh_months(
            db, req, Converter(conv.target, conv.source), [month], mine, defaultdict(int)
        )
    return None


def _fresh_months(db: Session, mine: list[Any], locations: int) -> dict[date, list[str]] | None:
    """Each month whose cached rows are all at their location's current version, with the
    distinct `rate_days` of those rows; None as soon as one location's month is not."""
    c, v = MonthDaySums, MonthVersion
    fresh: dict[date, list[str]] = {}
    for month, count, rate_days in db.execute(
        select(c.month, func.count(), func.array_agg(distinct(c.rate_days)))
        .select_from(c)
        .outerjoin(v, and_(v.location_id == c.location_id, v.month == c.month))
        .where(*mine, c.version == func.coalesce(v.version, 0))
        .group_by(c.month)
    ):
        if count != locations:
            return None
        fresh[month] = list(rate_days)
    return fresh


def _refresh_months(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    months: list[date],
    mine: list[Any],
    converted: dict[tuple[str, date], int],
) -> None:
    """Compute and store the (location, month)s of `months` missing from `MonthDaySums` or out of
    date; add every month's rate days into `converted`."""
    c, v = MonthDaySums, MonthVersion
    first, last = months[0], months[-1]
    # The versions are read before any sums: sums computed after a change committed in between
    # are newer than the version stored with them (recomputed next time), never older.
    # Both in one statement (one snapshot): every month's version, and its cached row if any.
    cached = select(c.location_id, c.month, c.version, c.rate_days).where(*mine).subquery()
    known = (
        select(v.location_id, v.month, v.version)
        .where(_among(db, v.location_id, req.location_ids), v.month >= first, v.month <= last)
        .subquery()
    )
    versions: dict[tuple[int, date], int] = {}
    fresh: set[tuple[int, date]] = set()
    for location_id, month, version, made_at, rate_days in db.execute(
        select(
            func.coalesce(known.c.location_id, cached.c.location_id),
            func.coalesce(known.c.month, cached.c.month),
            func.coalesce(known.c.version, 0),
            cached.c.version,
            cached.c.rate_days,
        ).select_from(
            known.join(
                cached,
                and_(
                    cached.c.location_id == known.c.location_id,
                    cached.c.month == known.c.month,
                ),
                full=True,
            )
        )
    ):
        versions[(location_id, month)] = version
        if made_at is not None and made_at == version:
            fresh.add((location_id, month))
            _add_day_bits(converted, month, rate_days)
    stale = [(loc, month) for loc in req.location_ids for month in months]
    stale = [pair for pair in stale if pair not in fresh]
    if stale:
        made = _fill_months(db, req, conv, stale, versions, _cache_key(conv))
        for (_, month), rate_days in made.items():
            _add_day_bits(converted, month, rate_days)


def _add_day_bits(into: dict[tuple[str, date], int], month: date, rate_days: str) -> None:
    for part in filter(None, rate_days.split(";")):
        currency, bits = part.split(":")
        into[(currency, month)] |= int(bits)


def _fill_months(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    stale: list[tuple[int, date]],
    versions: dict[tuple[int, date], int],
    rates_key: str,
) -> dict[tuple[int, date], str]:
    """Compute these (location, month)s' converted sums from the rollups and store them;
    returns their `rate_days`."""
    locations = sorted({loc for loc, _ in stale})
    first = min(month for _, month in stale)
    last = report_cache.next_month(max(month for _, month in stale)) - timedelta(days=1)
    sub = replace(req, location_ids=locations)
    sales, footfall = _day_values(
        db, sub, conv, ("location", "month"), _Window(first, last, None, 0)
    )
    d = RollupDay
    day_of_month = cast(func.extract("day", d.business_date), Integer)
    day_bit = literal(1, BigInteger).op("<<")(day_of_month - 1)
    bits: dict[tuple[int, date], list[str]] = defaultdict(list)
    for location_id, month, currency, mask in db.execute(
        select(d.location_id, _month(d.business_date), d.currency, func.bit_or(day_bit))
        .where(
            _among(db, d.location_id, locations),
            d.business_date >= first,
            d.business_date <= last,
            d.currency != conv.target,
        )
        .group_by(d.location_id, _month(d.business_date), d.currency)
        .order_by(d.currency)
    ):
        bits[(location_id, month)].append(f"{currency}:{mask}")
    made = {pair: ";".join(bits.get(pair, [])) for pair in stale}
    zero = Decimal(0)
    rows = []
    for loc, month in sorted(stale):
        s_values = sales.get((loc, month), {})
        f_values = footfall.get((loc, month), {})
        rows.append(
            {
                "location_id": loc,
                "month": month,
                "target": conv.target,
                "rates_key": rates_key,
                "org_id": req.org_id,
                "version": versions.get((loc, month), 0),
                **{n: s_values.get(n, zero) for n in MONTH_SALES},
                **{n: f_values.get(n, zero) for n in MONTH_FOOTFALL},
                "rate_days": made[(loc, month)],
            }
        )
    _store_sums(
        db,
        MonthDaySums,
        rows,
        key=["location_id", "month", "target", "rates_key"],
        also=("version", "org_id", "rate_days"),
    )
    return made


@dataclass
class _Read:
    """Sums per key for the period and (shifted onto its dates) the comparison, with the
    period's day counts for coverage (day reads only)."""

    sums: dict[tuple[Any, ...], m.Sums]
    before: dict[tuple[Any, ...], m.Sums] | None
    counts: dict[str, int] = field(default_factory=dict)


def _read_days(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    keys: Sequence[DayKey],
    main_keys: Sequence[DayKey] | None = None,
) -> _Read:
    """Day sums per key for the period (per `main_keys` when given) and its comparison."""
    main, before = _windows(req)
    result: list[dict[tuple[Any, ...], m.Sums]] = []
    counts: dict[str, int] = {}
    every = report_cache.enabled(db) and _every_location(db, req)
    for window in (main, before):
        if window is None:
            continue
        these = main_keys if main_keys is not None and window is main else keys
        if _by_org_day(db, these, window, every):
            sales, footfall = _org_day_values(db, req, conv, these, window)
        elif _by_month(db, these, window):
            sales, footfall = _day_values_by_month(db, req, conv, these, window)
        else:
            sales, footfall = _day_values(db, req, conv, these, window)
        sums = {k: _day_sums(sales.get(k), footfall.get(k)) for k in sales.keys() | footfall}
        date_index = list(these).index("date") if "date" in these else None
        result.append(_shifted(sums, date_index, window.key_shift))
        if window is main:
            counts = {
                "traded": int(sum(v["traded"] for v in sales.values())),
                "used": int(sum(v["used_days"] for v in sales.values())),
                "footfall_days": int(sum(v["footfall_days"] for v in footfall.values())),
            }
    return _Read(result[0], result[1] if len(result) > 1 else None, counts)
