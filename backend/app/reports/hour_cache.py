"""Reports: hourly reads (the heatmap, hourly series) and the cache of their days."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, Literal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app.fx.converter import Converter
from app.fx.currency import minor_digits
from app.reports import cache as report_cache
from app.reports import metrics as m
from app.reports.cache_sql import (
    _NO_CONVERSION,
    _claim_month,
    _split_in_sql,
    _split_values,
    _stale_months,
)
from app.reports.day_cache import _Read
from app.reports.engine import (
    KeyedValues,
    _aggregate,
    _as_month_sales,
    _cache_key,
    _date_keys,
    _day_measures,
    _day_sums,
    _dec,
    _every_location,
    _is_postgres,
    _Query,
    _shifted,
    _Window,
    _windows,
)
from app.reports.models import HourDaySums
from app.reports.request import ReportRequest
from app.rollups.models import RollupHour

HourDim = Literal["date", "hour"]  # what hour rollups can be read per


def _read_hours(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    keys: Sequence[HourDim],
    *,
    window: _Window | None = None,
) -> _Read:
    """Hour sums per key for the period and its comparison; or, given a `window`, for that
    window alone (a comparison read as a period of its own)."""
    h = RollupHour
    query = _Query(
        source=h.__table__,
        location=h.location_id,
        day=h.business_date,
        currency=h.currency,
        money=_day_measures(h),
        plain={"transactions": h.transactions, "units_sold": h.units_sold},
    )
    columns = {"date": h.business_date, "hour": h.hour}
    date_index = list(keys).index("date") if "date" in keys else None
    main, before = (window, None) if window is not None else _windows(req)
    result: list[dict[tuple[Any, ...], m.Sums]] = []
    for window in (main, before):
        if window is None:
            continue
        # A location-day's posted amounts shared out among its hours (ties: the earlier hour).
        at = window.converter(conv)  # constant currency: the period's rates
        found = _hours_in_sql(db, req, at, query, keys, window) if _is_postgres(db) else None
        values = _date_keys(
            found
            if found is not None
            else _aggregate(
                db,
                req,
                at,
                query,
                [columns[k] for k in keys],
                window,
                fine=True,
                order=lambda k: k[-1],
            ),
            keys,
        )
        result.append(
            _shifted(
                {
                    k: _day_sums({**_as_month_sales(v), **_NO_CONVERSION}, None)
                    for k, v in values.items()
                },
                date_index,
                window.key_shift,
            )
        )
    return _Read(result[0], result[1] if len(result) > 1 else None)


def _hours_in_sql(
    db: Session,
    req: ReportRequest,
    conv: Converter,
    query: _Query,
    keys: Sequence[HourDim],
    window: _Window,
) -> KeyedValues | None:
    """PostgreSQL: `_read_hours`' values per ([date,] hour), split in SQL; every store's from
    the hour day cache (`HourDaySums`), whose months are made the first time they are needed."""
    per_day = "date" in keys
    if (
        report_cache.enabled(db)
        and window.lfl_shift is None
        and not window.rates_shift
        and _every_location(db, req)
    ):
        return _cached_hours(db, req, conv, query, per_day, window)
    found = _split_in_sql(db, req, conv, window, query, RollupHour.hour, per_day=per_day)
    if found is None:
        return None
    return _split_values(found, query, per_day, minor_digits(conv.target))


_HOUR_GROUPING = "hour"


def _cached_hours(
    db: Session, req: ReportRequest, conv: Converter, query: _Query, per_day: bool, window: _Window
) -> KeyedValues | None:
    hours = HourDaySums
    rates_key, target = _cache_key(conv), conv.target
    stale = _stale_months(db, req, conv, _HOUR_GROUPING, window)
    digits = minor_digits(conv.target)
    names = [*query.money, *query.plain]
    for month, version in stale:
        last = report_cache.next_month(month) - timedelta(days=1)
        found = _split_in_sql(
            db, req, conv, _Window(month, last, None, 0), query, RollupHour.hour, per_day=True
        )
        if found is None:
            return None
        _claim_month(db, req, conv, _HOUR_GROUPING, month, version, rows=hours)
        values = _split_values(found, query, True, digits)
        rows = [
            {
                "org_id": req.org_id,
                "target": target,
                "rates_key": rates_key,
                "business_date": day,
                "hour": hour,
                **v,
            }
            for (day, hour), v in values.items()
        ]
        for start in range(0, len(rows), 5000):
            db.execute(insert(hours), rows[start : start + 5000])
    key = [hours.business_date, hours.hour] if per_day else [hours.hour]
    result: KeyedValues = {}
    for row in db.execute(
        select(*key, *(func.sum(getattr(hours, n)) for n in names))
        .where(
            hours.org_id == req.org_id,
            hours.target == target,
            hours.rates_key == rates_key,
            *window.within(hours.business_date),
        )
        .group_by(*key)
    ):
        n = len(key)
        result[tuple(row[:n])] = dict(zip(names, map(_dec, row[n:]), strict=True))
    return result
