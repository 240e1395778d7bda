"""Reports: item and category reads and the line caches.

Long periods on PostgreSQL read every store's lines per whole month from the month cache
(app/reports/cache.py) and only the partial months at either end from the rollups: a three-year
breakdown by item adds up a few thousand cached rows instead of half a million line rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Integer,
    String,
    and_,
    bindparam,
    case,
    column,
    delete,
    func,
    insert,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from app.fx.converter import Converter
from app.fx.currency import minor_digits
from app.reports import cache as report_cache
from app.reports import metrics as m
from app.reports import posting
from app.reports.cache_sql import _claim_month, _split_in_sql, _stale_months
from app.reports.engine import (
    Values,
    _aggregate,
    _cache_key,
    _dec,
    _every_location,
    _is_postgres,
    _Query,
    _Window,
    _windows,
)
from app.reports.grouping import _Grouping
from app.reports.models import LineDaySet, LineDaySums
from app.reports.request import ReportRequest
from app.rollups.models import RollupLine, RollupOrgLine


def _read_lines(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    grouping: _Grouping,
    *,
    window: _Window | None = None,
) -> dict[Hashable, m.Sums]:
    """Line sums per item or category row for the period: each location-day's posted gross
    sales, returns and discounts shared out among the rows by largest remainder.

    PostgreSQL: in SQL (`_lines_in_sql`); every store's rows come from the line day cache,
    whose months are made the first time a report needs them. Elsewhere, from the rollups here.
    """
    main = window if window is not None else _windows(req)[0]  # `window`: a comparison's
    values: dict[tuple[Any, ...], Values] | None = None
    if _is_postgres(db):
        if report_cache.enabled(db) and main.lfl_shift is None and _every_location(db, req):
            values = _cached_lines(db, req, conv, grouping, main)
        else:
            values = _lines_in_sql(db, req, conv, grouping, main, every=False, per_day=False)
    if values is None:
        r = RollupLine
        sale = r.kind == "sale"
        query = _Query(
            source=r.__table__,
            location=r.location_id,
            day=r.business_date,
            currency=r.currency,
            money={
                "gross_sales": case((sale, r.gross), else_=0),
                "returns": case((sale, 0), else_=r.gross),
                "discounts": case((sale, r.discount), else_=-r.discount),
            },
            plain={"units": case((sale, r.units), else_=-r.units)},
        )
        values = _aggregate(
            db,
            req,
            conv,
            query,
            [r.item_type, r.catalog_object_id, r.name],
            main,
            fine=True,
            row_of=lambda k: grouping.row((k[0], k[1], k[2] or "")),
            order=posting.sort_text,
        )
    result: dict[Hashable, m.Sums] = defaultdict(m.Sums)
    for row, v in values.items():
        sums = m.Sums()
        for name in ("gross_sales", "returns", "discounts"):
            sums.money[name] = v[name]
        sums.units_sold = v["units"]
        result[row[-2:]] += sums
    return result


def _lines_in_sql(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    grouping: _Grouping,
    window: _Window,
    *,
    every: bool,
    per_day: bool,
) -> dict[tuple[Any, ...], Values] | None:
    """PostgreSQL: item or category rows ([date,] key, label), each location-day's posted
    amounts shared out among them in SQL (`_split_in_sql`; ties to the row that sorts first).
    `every`: the organization's lines in the reporting currency are read from
    `rollup_org_line`, exact, and only the others per location. None when a rate is missing."""
    o, r = RollupOrgLine, RollupLine
    identities = db.execute(
        select(o.item_type, func.coalesce(o.catalog_object_id, ""), o.name)
        .where(o.org_id == req.org_id, *window.within(o.business_date))
        .distinct()
    ).all()
    rows = sorted(
        {grouping.row((t, c or None, n)) for t, c, n in identities}, key=posting.sort_text
    )
    index = {row: i for i, row in enumerate(rows)}
    mapping = (
        func.unnest(
            bindparam("map_types", [t for t, _, _ in identities], type_=ARRAY(String)),
            bindparam("map_ids", [c for _, c, _ in identities], type_=ARRAY(String)),
            bindparam("map_names", [n for _, _, n in identities], type_=ARRAY(String)),
            bindparam(
                "map_rows",
                [index[grouping.row((t, c or None, n))] for t, c, n in identities],
                type_=ARRAY(Integer),
            ),
        )
        .table_valued(
            column("item_type", String),
            column("cid", String),
            column("name", String),
            column("row", Integer),
        )
        .render_derived(name="map")
    )
    sale = r.kind == "sale"
    query = _Query(
        source=r.__table__.join(
            mapping,
            and_(
                mapping.c.item_type == r.item_type,
                mapping.c.cid == func.coalesce(r.catalog_object_id, ""),
                mapping.c.name == r.name,
            ),
        ),
        location=r.location_id,
        day=r.business_date,
        currency=r.currency,
        money={
            "gross_sales": case((sale, r.gross), else_=0),
            "returns": case((sale, 0), else_=r.gross),
            "discounts": case((sale, r.discount), else_=-r.discount),
        },
        plain={"units": case((sale, r.units), else_=-r.units)},
        where=[r.org_id == req.org_id, *([r.currency != conv.target] if every else [])],
    )
    found = _split_in_sql(db, req, conv, window, query, mapping.c.row, per_day=per_day)
    if found is None:
        return None
    parts = [found]
    if every:
        # In the reporting currency itself: exact minor units, nothing to share out.
        org_key = [o.business_date] if per_day else []
        o_sale = o.kind == "sale"
        parts.append(
            list(
                db.execute(
                    select(
                        *org_key,
                        mapping.c.row,
                        func.sum(case((o_sale, o.gross), else_=0)),
                        func.sum(case((o_sale, 0), else_=o.gross)),
                        func.sum(case((o_sale, o.discount), else_=-o.discount)),
                        func.sum(case((o_sale, o.units), else_=-o.units)),
                    )
                    .select_from(
                        o.__table__.join(
                            mapping,
                            and_(
                                mapping.c.item_type == o.item_type,
                                mapping.c.cid == func.coalesce(o.catalog_object_id, ""),
                                mapping.c.name == o.name,
                            ),
                        )
                    )
                    .where(
                        o.org_id == req.org_id,
                        *window.within(o.business_date),
                        o.currency == conv.target,
                    )
                    .group_by(*org_key, mapping.c.row)
                )
            )
        )
    digits = minor_digits(conv.target)
    result: dict[tuple[Any, ...], Values] = {}
    n = 1 if per_day else 0
    for part in parts:
        for found_row in part:
            row = rows[found_row[n]]
            key = (found_row[0], *row) if per_day else row
            values = result.get(key)
            if values is None:
                values = result[key] = dict.fromkeys(
                    ("gross_sales", "returns", "discounts", "units"), Decimal(0)
                )
            for i, name in enumerate(("gross_sales", "returns", "discounts")):
                values[name] += _dec(found_row[n + 1 + i]).scaleb(-digits)
            values["units"] += _dec(found_row[n + 4])
    return result


def _cached_lines(
    db: Session, req: ReportRequest, conv: Converter, grouping: _Grouping, window: _Window
) -> dict[tuple[Any, ...], Values] | None:
    """Every store's item or category rows of the window from `LineDaySums`; the months missing
    or out of date (their organization version moved, or made for another grouping) are made
    first. None when a rate is missing."""
    lines = LineDaySums
    for month, version in _stale_months(db, req, conv, grouping.digest, window):
        if not _fill_line_days(db, req, conv, grouping, month, version):
            return None
    # Whole months from their month rows (a three-year breakdown adds up 36 months of rows, not
    # 1,096 days of them), the days at either end from their day rows.
    months = report_cache.full_months(window.date_from, window.date_to)
    if months:
        end = report_cache.next_month(months[-1])
        chosen = or_(
            and_(lines.grouping == _month_rows(grouping), lines.business_date.in_(months)),
            and_(
                lines.grouping == grouping.digest,
                *window.within(lines.business_date),
                or_(lines.business_date < months[0], lines.business_date >= end),
            ),
        )
    else:
        chosen = and_(lines.grouping == grouping.digest, *window.within(lines.business_date))
    found: dict[tuple[Any, ...], Values] = {}
    for row_key, label, gross, returned, discounts, units in db.execute(
        select(
            lines.row_key,
            lines.label,
            func.sum(lines.gross_sales),
            func.sum(lines.returns),
            func.sum(lines.discounts),
            func.sum(lines.units),
        )
        .where(
            lines.org_id == req.org_id,
            lines.target == conv.target,
            lines.rates_key == _cache_key(conv),
            chosen,
        )
        .group_by(lines.row_key, lines.label)
    ):
        found[(row_key, label)] = {
            "gross_sales": _dec(gross),
            "returns": _dec(returned),
            "discounts": _dec(discounts),
            "units": _dec(units),
        }
    return found


def _fill_line_days(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    grouping: _Grouping,
    month: date,
    version: int,
) -> bool:
    """Compute one month's item or category rows per date and store them. Its `LineDaySet` row
    is written first: a second report making the same month waits on it, then replaces what
    the first stored (never adds to it). False when a rate is missing."""
    sets, lines = LineDaySet, LineDaySums
    rates_key, target = _cache_key(conv), conv.target
    last = report_cache.next_month(month) - timedelta(days=1)
    values = _lines_in_sql(
        db, req, conv, grouping, _Window(month, last, None, 0), every=True, per_day=True
    )
    if values is None:
        return False
    _claim_month(db, req, conv, grouping.digest, month, version)
    # Other groupings of the same lines are of no further use once the catalog has changed.
    db.execute(
        delete(lines).where(
            lines.org_id == req.org_id,
            lines.target == target,
            lines.rates_key == rates_key,
            lines.business_date >= month,
            lines.business_date <= last,
            lines.grouping.startswith(f"{grouping.by.value}:"),
        )
    )
    db.execute(
        delete(sets).where(
            sets.org_id == req.org_id,
            sets.month == month,
            sets.target == target,
            sets.rates_key == rates_key,
            sets.grouping != grouping.digest,
            sets.grouping.startswith(f"{grouping.by.value}:"),
        )
    )
    rows = [
        {
            "org_id": req.org_id,
            "target": target,
            "rates_key": rates_key,
            "grouping": grouping.digest,
            "business_date": day,
            "row_key": key,
            "label": label,
            **v,
        }
        for (day, key, label), v in values.items()
    ]
    whole: dict[tuple[str, str], dict[str, Decimal]] = {}
    for (_, key, label), v in values.items():
        into = whole.setdefault((key, label), dict.fromkeys(v, Decimal(0)))
        for name, value in v.items():
            into[name] += value
    rows += [
        {
            "org_id": req.org_id,
            "target": target,
            "rates_key": rates_key,
            "grouping": _month_rows(grouping),
            "business_date": month,
            "row_key": key,
            "label": label,
            **v,
        }
        for (key, label), v in whole.items()
    ]
    for start in range(0, len(rows), 5000):
        db.execute(insert(lines), rows[start : start + 5000])
    return True


def _month_rows(grouping: _Grouping) -> str:
    """`LineDaySums`' grouping of a month's rows added up (dated the month's first day)."""
    return f"{grouping.digest}/month"
