"""Reports: the breakdown by tender (payment type and card brand), and folding sums."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, literal, select
from sqlalchemy.orm import Session

from app.catalog.metrics import TOTAL_COLLECTED
from app.fx.converter import Converter
from app.fx.currency import minor_digits
from app.reports import metrics as m
from app.reports import posting
from app.reports.cache_sql import _currencies, _rates_table, _split_in_sql, _split_values
from app.reports.engine import (
    KeyedValues,
    _aggregate,
    _among,
    _day_sums,
    _day_values,
    _exact_sql,
    _is_postgres,
    _lfl,
    _Query,
    _scale,
    _Window,
    _windows,
)
from app.reports.request import ReportRequest
from app.rollups.models import RollupDay, RollupTender


def _read_tenders(
    db: Session, req: ReportRequest, conv: Converter, *, window: _Window | None = None
) -> dict[Hashable, m.Sums]:
    """Payment-method sums per (tender type, card brand) for the period: each location-day's
    posted total collected and fees shared out among its tenders by largest remainder."""
    t = RollupTender
    query = _Query(
        source=t.__table__,
        location=t.location_id,
        day=t.business_date,
        currency=t.currency,
        money={
            "collected": t.tendered - t.refunded,
            "fees": t.tender_fees - t.refund_fees,
        },
        plain={},
    )
    main = window if window is not None else _windows(req)[0]  # `window`: a comparison's
    # What each location-day posted (summary's figures), in minor units.
    digits = minor_digits(conv.target)
    totals: dict[tuple[int, date], dict[str, int]] = {}
    if not _is_postgres(db):
        days = _day_values(db, req, conv, ("location", "date"), main)[0]
        for (location_id, day), v in days.items():
            figures = m.compute(_day_sums(v, None))
            totals[(location_id, day)] = {
                "collected": int(Decimal(figures["total_collected"] or 0).scaleb(digits)),
                "fees": int(Decimal(figures["fees"] or 0).scaleb(digits)),
            }
    values: KeyedValues | None = None
    if _is_postgres(db):
        values = _tenders_in_sql(db, req, conv, query, main)
    if values is None:
        values = _aggregate(
            db,
            req,
            conv,
            query,
            [t.tender_type, t.card_brand],
            main,
            fine=True,
            order=posting.sort_text,
            totals=totals,
        )
    result: dict[Hashable, m.Sums] = {}
    for key, v in values.items():
        sums = m.Sums(tendered=v["collected"])
        sums.money["tender_fees"] = v["fees"]
        result[key] = sums
    return result


_SEPARATOR = "\x1f"  # between a tender type and its card brand in a row's text


def _tenders_in_sql(
    db: Session, req: ReportRequest, conv: Converter, query: _Query, window: _Window
) -> KeyedValues | None:
    """PostgreSQL: payment-method values per (tender type, card brand), each location-day's
    posted total collected and fees (from its day rollup, as the summary posts them) split in
    SQL."""
    d, t = RollupDay, RollupTender
    rates = _rates_table(conv, _currencies(db, req), window, name="day_rates")
    scale = _scale(conv)

    def posted(amount: Any) -> Any:
        return func.round(_exact_sql(amount * rates.c.factor, scale))

    signs = {name: sign for sign, name in TOTAL_COLLECTED}
    collected = sum((posted(getattr(d, n)) * sign for n, sign in signs.items()), literal(0))
    totals = (
        select(
            d.location_id.label("loc"),
            d.business_date.label("day"),
            func.sum(collected).label("collected"),
            func.sum(posted(d.tender_fees - d.refund_fees)).label("fees"),
        )
        .select_from(
            d.__table__.join(
                rates, and_(rates.c.currency == d.currency, rates.c.day == d.business_date)
            )
        )
        .where(
            _among(db, d.location_id, req.location_ids),
            *window.within(d.business_date),
            *_lfl(db, window, d.location_id, d.business_date),
        )
        .group_by(d.location_id, d.business_date)
        .subquery()
    )
    row = t.tender_type + _SEPARATOR + func.coalesce(t.card_brand, "")
    found = _split_in_sql(
        db,
        req,
        conv,
        window,
        query,
        row,
        per_day=False,
        totals=totals,
        order=lambda r: func.lower(r).collate("C"),
    )
    if found is None:
        return None
    values = _split_values(found, query, False, minor_digits(conv.target))
    result: KeyedValues = {}
    for (text_key,), v in values.items():
        tender_type, brand = text_key.split(_SEPARATOR)
        result[(tender_type, brand or None)] = v
    return result


def _sum_all(values: Iterable[m.Sums]) -> m.Sums:
    total = m.Sums()
    for sums in values:
        total += sums
    return total


def _fold_sums(
    values: dict[tuple[Any, ...], m.Sums], bucket: Callable[[tuple[Any, ...]], Hashable]
) -> dict[Hashable, m.Sums]:
    """`values` added up per bucket; a bucket of one key holds that key's own `Sums` (a day
    series over three years has 1,096 buckets of one day each)."""
    folded: dict[Hashable, m.Sums] = {}
    borrowed: set[Hashable] = set()
    for key, sums in values.items():
        b = bucket(key)
        mine = folded.get(b)
        if mine is None:
            folded[b] = sums
            borrowed.add(b)
            continue
        if b in borrowed:  # never add into one of `values`' own
            mine = folded[b] = _copy(mine)
            borrowed.discard(b)
        mine += sums
    return folded


def _copy(sums: m.Sums) -> m.Sums:
    total = m.Sums()
    total += sums
    return total
