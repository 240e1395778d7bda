"""Breakdowns: each grain read once, and each breakdown's attribution written once.

The catalog (app/catalog/breakdowns.py) declares every breakdown: its grain and what it shows.
Here each grain has two readers giving the same rows — from the rollups (through the caches) and,
for `source="orders"`, straight from the order tables — as (attributes, sums) pairs; and each
breakdown has one attribution (`ATTRIBUTIONS`): the attributes of a grain row it needs, and the
function that names the row's group, (key, label). Both readers go through the same attribution,
so the rollup path and the reference the property tests compare it with cannot disagree on it.

A new breakdown over an existing grain is its declaration in the catalog, its member of
`BreakdownBy` (app/reports/schemas.py) and its attribution here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.breakdowns import BREAKDOWN_NAMES, Breakdown
from app.fx.converter import Converter
from app.locations.models import Location, LocationGroup
from app.reports import metrics as m
from app.reports.day_cache import _read_days
from app.reports.engine import _Window, _windows
from app.reports.grouping import _Grouping, _line_grouping, _pairs, _tender_label
from app.reports.hour_cache import _read_hours
from app.reports.line_cache import _read_lines
from app.reports.reference import (
    CellKey,
    _day_cells,
    _fold,
    _hour,
    _hour_cells,
    _line_cells,
    _locations,
    _read,
    _team_cells,
    _tender_cells,
    _total,
)
from app.reports.request import NO_GROUP, UNATTRIBUTED, WEEKDAYS, ReportRequest
from app.reports.schemas import BreakdownBy
from app.reports.tenders import _fold_sums, _read_tenders, _sum_all
from app.sales.models import TeamMember

Attributes = Mapping[str, Any]  # a grain row's: location, date, hour, line, tender, member
Group = Callable[[Attributes], tuple[str, str]]  # -> (key, label) of the row's group


@dataclass(frozen=True, kw_only=True)
class Attribution:
    """How a breakdown attributes a grain row to a group. `needs`: the row attributes it reads
    (for the day and hour grains, what the rollups are read per); `group` makes the group
    function for one request (loading names it shows); line breakdowns also say how line
    identities become rows (`lines`), which the line readers apply."""

    needs: tuple[str, ...]
    group: Callable[[Session, ReportRequest], Group]
    lines: Callable[[Session, ReportRequest], _Grouping] | None = None


def _fixed(group: Group) -> Callable[[Session, ReportRequest], Group]:
    return lambda db, req: group


def _by_location(db: Session, req: ReportRequest) -> Group:
    names = {loc.id: loc.name for loc in _locations(db, req).values()}
    return lambda row: (str(row["location"]), names.get(row["location"], str(row["location"])))


def _by_group(db: Session, req: ReportRequest) -> Group:
    """Each location's group as it is now (a store moved to another area reports under the new
    one for every date); the stores in no group make one "No group" row."""
    groups = {
        location_id: (str(group_id), name)
        for location_id, group_id, name in db.execute(
            select(Location.id, LocationGroup.id, LocationGroup.name)
            .join(LocationGroup, LocationGroup.id == Location.group_id)
            .where(Location.org_id == req.org_id, LocationGroup.org_id == req.org_id)
        )
    }
    return lambda row: groups.get(row["location"], NO_GROUP)


def _by_member(db: Session, req: ReportRequest) -> Group:
    members = _pairs(
        db.execute(
            select(TeamMember.square_id, TeamMember.name).where(TeamMember.org_id == req.org_id)
        )
    )

    def group(row: Attributes) -> tuple[str, str]:
        member = row["member"]
        if not member:
            return "unattributed", UNATTRIBUTED
        return str(member), members.get(str(member), str(member))

    return group


def _lines(by: BreakdownBy) -> Callable[[Session, ReportRequest], _Grouping]:
    return lambda db, req: _line_grouping(db, req.org_id, by)


def _line_row(row: Attributes) -> tuple[str, str]:
    key, label = row["line"]  # the line readers have grouped lines into rows already
    return str(key), str(label)


ATTRIBUTIONS: dict[str, Attribution] = {
    "location": Attribution(needs=("location",), group=_by_location),
    "group": Attribution(needs=("location",), group=_by_group),
    "item": Attribution(needs=("line",), group=_fixed(_line_row), lines=_lines(BreakdownBy.item)),
    "category": Attribution(
        needs=("line",), group=_fixed(_line_row), lines=_lines(BreakdownBy.category)
    ),
    "team_member": Attribution(needs=("member",), group=_by_member),
    "payment_method": Attribution(
        needs=("tender",), group=_fixed(lambda row: _tender_label(row["tender"]))
    ),
    "hour": Attribution(
        needs=("hour",),
        group=_fixed(lambda row: (str(row["hour"]), f"{_hour(row['hour']):02d}:00")),
    ),
    "weekday": Attribution(
        needs=("date",),
        group=_fixed(lambda row: (str(row["date"].weekday()), WEEKDAYS[row["date"].weekday()])),
    ),
}

if set(ATTRIBUTIONS) != set(BREAKDOWN_NAMES):
    raise RuntimeError("Every breakdown of the catalog needs its attribution here, and only those")

# The attribute a reference cell's third key part is, per grain (CellKey: location, date, extra).
_CELL_EXTRA = {"day": None, "hour": "hour", "line": "line", "tender": "tender", "team": "member"}


@dataclass(frozen=True)
class Grouped:
    """A breakdown's sums per (key, label) group and the summary's sums for the filters; when
    compared, the same for the comparison period read as a period of its own, its rows grouped
    by its own dates (a weekday row compares the comparison's Mondays with the period's)."""

    rows: dict[Hashable, m.Sums]
    total: m.Sums
    before: dict[Hashable, m.Sums] | None = None
    before_total: m.Sums | None = None


def groups(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    spec: Breakdown,
    *,
    from_orders: bool,
    compared: bool = False,
) -> Grouped:
    """Sums per (key, label) group of the breakdown, and the summary's sums for the filters;
    with `compared` (and a comparison in the request), the comparison period's too."""
    attribution = ATTRIBUTIONS[spec.name]
    group = attribution.group(db, req)
    lines = attribution.lines(db, req) if attribution.lines is not None else None
    if from_orders or spec.grain == "team":
        # Team members split each order by its payments: always from the order tables.
        return _from_orders(db, req, conv, spec, group, lines, compared=compared)
    _, before = _windows(req)
    read = functools.partial(_read_groups, db, req, conv, spec, attribution.needs, group, lines)
    folded, total = read(None)
    before_rows = before_total = None
    if compared and before is not None:
        # Like-for-like stays as the window says; the dates stay the comparison's own.
        before_rows, before_total = read(replace(before, key_shift=0))
    if total is None or (before_rows is not None and before_total is None):
        days = _read_days(db, req, conv, ())  # the summary's own read
        total = _sum_all(days.sums.values()) if total is None else total
        if before_rows is not None and before_total is None and days.before is not None:
            before_total = _sum_all(days.before.values())
    return Grouped(folded, total, before_rows, before_total)


def _read_groups(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    spec: Breakdown,
    needs: tuple[str, ...],
    group: Group,
    lines: _Grouping | None,
    window: _Window | None,
) -> tuple[dict[Hashable, m.Sums], m.Sums | None]:
    """One window's groups from the rollups (the period's when `window` is None), with its
    total when the grain's read gives it."""
    if spec.grain == "day":
        read = _read_days(db, req, conv, needs, window=window)  # type: ignore[arg-type]
        folded = _fold_sums(read.sums, lambda k: group(dict(zip(needs, k, strict=True))))
        return folded, _sum_all(read.sums.values())
    if spec.grain == "hour":
        hours = _read_hours(db, req, conv, needs, window=window)  # type: ignore[arg-type]
        return _fold_sums(hours.sums, lambda k: group(dict(zip(needs, k, strict=True)))), None
    if spec.grain == "line":
        assert lines is not None
        return _fold_sums(
            {(k,): v for k, v in _read_lines(db, req, conv, lines, window=window).items()},
            lambda k: group({"line": k[0]}),
        ), None
    return _fold_sums(
        {(k,): v for k, v in _read_tenders(db, req, conv, window=window).items()},
        lambda k: group({"tender": k[0]}),
    ), None


def _from_orders(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    spec: Breakdown,
    group: Group,
    lines: _Grouping | None,
    *,
    compared: bool,
) -> Grouped:
    """The straight computation's groups, from cells of the order tables."""
    day_cells, day_before = _read(db, req, conv, _day_cells)
    if spec.grain == "day":
        cells, before = day_cells, day_before
    elif spec.grain == "hour":
        cells, before = _read(db, req, conv, _hour_cells)
    elif spec.grain == "line":
        assert lines is not None
        cells, before = _read(db, req, conv, _line_cells, rekey=lines.row)
    elif spec.grain == "tender":
        cells, before = _read(db, req, conv, _tender_cells, payments=True)
    else:
        cells, before = _read(db, req, conv, _team_cells)
    extra = _CELL_EXTRA[spec.grain]

    def attributes(key: CellKey, shift: timedelta = timedelta(0)) -> Attributes:
        row = {"location": key[0], "date": key[1] - shift}
        if extra is not None:
            row[extra] = key[2]
        return row

    grouped = Grouped(
        _fold(cells.sums.items(), lambda key: group(attributes(key))), _total(day_cells)
    )
    if not compared or before is None or day_before is None:
        return grouped
    # `_read` lands the comparison on the period's dates: back to its own for the groups.
    shift = timedelta(days=req.offset or 0)
    return replace(
        grouped,
        before=_fold(before.sums.items(), lambda key: group(attributes(key, shift))),
        before_total=_total(day_before),
    )
