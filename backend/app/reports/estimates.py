"""Reports: estimated footfall added to the day reads, and the footfall marks of rows.

`footfall_estimates=include` (app/footfall/ESTIMATES.md): the day reads (app/reports/day_cache.py
`_read_days`, whichever cache they come from) compute METRICS.md's figures as always, then add a
correction made over the estimated store-days only — their estimate to footfall and to
conversion's footfall, their transactions and net sales' parts to conversion's inputs — read
through the same aggregation as the day rollups (`engine._aggregate`: each location-day's amounts
posted in the reporting currency, keyed as the read is). The caches keep METRICS.md's figures.

The marks (`estimated_counts`, `flagged_days`) say which store-days of a period are estimated
or have a questioned footfall entry (app/footfall/rules.py), for rows and points to show.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import Session

from app.catalog.metrics import NET_SALES
from app.footfall import service as footfall_service
from app.footfall.estimates import estimated_days
from app.fx.converter import Converter
from app.reports import metrics as m
from app.reports.engine import (
    _NET_PARTS,
    DayDim,
    KeyedValues,
    _aggregate,
    _date_keys,
    _lfl,
    _month,
    _Query,
    _Window,
)
from app.reports.request import ReportRequest
from app.rollups.models import RollupDay

# The marks of a period are counted up to this many days: judging years of store-days one by one
# (and counting the days an estimate could fill) would add seconds to every long report. Asked
# for (`include`), the estimated days are always counted.
MARKED_DAYS = 92


def counts_estimates(req: ReportRequest) -> bool:
    """Whether the response counts its estimated (or estimable) store-days."""
    return req.include_estimates or (req.marked and req.days <= MARKED_DAYS)


def judges_flags(req: ReportRequest) -> bool:
    """Whether the response marks its store-days with a questioned footfall entry."""
    return req.marked and req.days <= MARKED_DAYS


def _estimated(db: Session, req: ReportRequest, window: _Window) -> Any:
    return estimated_days(
        db,
        org_id=req.org_id,
        location_ids=req.location_ids,
        date_from=window.date_from,
        date_to=window.date_to,
    )


def correction(
    db: Session, req: ReportRequest, conv: Converter, keys: Sequence[DayDim], window: _Window
) -> KeyedValues:
    """Per key of a day read, what the window's estimated store-days add: `footfall` (their
    estimates), `conv_transactions` and conversion's net sales parts (`conv_<part>`, posted per
    location-day like the day read's), and `days` (how many)."""
    d = RollupDay
    est = _estimated(db, req, window)
    query = _Query(
        source=d.__table__.join(
            est, and_(est.c.location_id == d.location_id, est.c.entry_date == d.business_date)
        ),
        base=d.__table__,
        location=d.location_id,
        day=d.business_date,
        currency=d.currency,
        money={f"conv_{n}": getattr(d, n) for n in _NET_PARTS},
        plain={"footfall": est.c.n, "conv_transactions": d.transactions, "days": literal(1)},
        # A traded day's rows, as conversion's inputs of the day read (`used`).
        where=[d.orders > 0],
    )
    columns = {"location": d.location_id, "date": d.business_date, "month": _month(d.business_date)}
    return _date_keys(_aggregate(db, req, conv, query, [columns[k] for k in keys], window), keys)


def add_estimates(sums: dict[tuple[Any, ...], m.Sums], extra: KeyedValues) -> None:
    """Count the estimated store-days of `extra` (a `correction`) in the day read's sums."""
    for key, values in extra.items():
        target = sums.get(key)
        if target is None:
            target = sums[key] = m.Sums()
        footfall = int(values["footfall"])
        target.footfall = (target.footfall or 0) + footfall
        target.conversion_footfall += footfall
        target.conversion_transactions += values["conv_transactions"]
        net = Decimal(0)
        for sign, name in NET_SALES:
            part = values[f"conv_{name}"]
            net = net + part if sign > 0 else net - part
        target.conversion_net_sales += net


def estimated_counts(
    db: Session, req: ReportRequest, window: _Window, keys: Sequence[str]
) -> dict[tuple[Any, ...], int]:
    """How many store-days of the window have an estimate, per key ("location", "date")."""
    est = _estimated(db, req, window)
    columns = {"location": est.c.location_id, "date": est.c.entry_date}
    chosen = [columns[k] for k in keys]
    result: dict[tuple[Any, ...], int] = {}
    for row in db.execute(
        select(*chosen, func.count())
        .select_from(est)
        .where(*_lfl(db, window, est.c.location_id, est.c.entry_date))
        .group_by(*chosen)
    ):
        key = tuple(
            date.fromisoformat(v) if isinstance(v, str) and k == "date" else v
            for k, v in zip(keys, row[:-1], strict=True)
        )
        result[key] = result.get(key, 0) + int(row[-1])
    return result


def flagged_days(db: Session, req: ReportRequest) -> dict[tuple[int, date], str]:
    """The period's store-days whose footfall is questioned, and why (app/footfall/rules.py)."""
    return footfall_service.day_flags(
        db=db,
        org_id=req.org_id,
        location_ids=req.location_ids,
        date_from=req.date_from,
        date_to=req.date_to,
    )
