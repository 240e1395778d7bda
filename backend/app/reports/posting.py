"""Posting: how amounts in a location's currency become the reporting currency's figures.

METRICS.md "Rounding": conversion *posts* each location's business-day amounts in the reporting
currency, rounded half-up (away from zero) to its minor unit, and every figure over more than one
location-day is the sum of those posted amounts; a breakdown finer than a location-day (item,
category, team member, payment method, hour) splits each posted location-day amount across its
rows by largest remainder. So a one-store summary equals its by-store row, a month equals its
days, and every breakdown adds up to the summary, to the minor unit, in every currency.

This module is that rule and nothing else: `post` rounds one location-day amount, `split` shares
one posted amount out among rows. The report readers (app/reports/engine.py, reference.py, ...)
call them with integer minor units of the location's currency and the day's factor
(`Converter.factor`: minor units of the source into major units of the target). In a location's
own currency the factor is exact (1/100 for GBP into GBP) and nothing is ever rounded.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal
from typing import Any, TypeVar

from app.catalog.measures import ORDER_MONEY

K = TypeVar("K", bound=Hashable)

# The additive measures that are posted (METRICS.md "Rounding"); net_sales, total_collected and
# net_total follow from them by their definitions.
POSTED = (*(name for name in ORDER_MONEY if name != "tender_fees"), "fees")
ZERO = Decimal(0)
_UNIT = Decimal(1)


# Converted values are carried to 15 decimal places of a minor unit. A factor is a rate worked out
# to 28 significant digits (1 / 0.8572 = 1.16658889...), so a value that is exactly 5,000 or
# 2,500.5 at the published rates comes out a few 1e-24 off; at 15 places it is exact again, and a
# tie or a half-unit is seen as one (real differences are many orders of magnitude larger). The
# SQL of app/reports/engine.py and cache_sql.py rounds to the same places, so both agree to the
# unit.
PLACES = 15
_PLACE = Decimal(1).scaleb(-PLACES)
_WIDE = Context(prec=80)


def exact(amount: int | Decimal, factor: Decimal, digits: int) -> Decimal:
    """An amount in source minor units, converted, in target *minor* units (to PLACES)."""
    return (
        _WIDE.multiply(Decimal(amount), factor)
        .scaleb(digits)
        .quantize(_PLACE, rounding=ROUND_HALF_UP, context=_WIDE)
    )


def round_minor(value: Decimal) -> int:
    """Half-up, away from zero (METRICS.md "Rounding"), to a whole minor unit."""
    return int(value.quantize(_UNIT, rounding=ROUND_HALF_UP))


def post(amount: int | Decimal, factor: Decimal, digits: int) -> Decimal:
    """One location-day amount posted in the target currency, in its major units."""
    return Decimal(round_minor(exact(amount, factor, digits))).scaleb(-digits)


def split(
    values: Mapping[K, Decimal], posted: int, order: Callable[[K], object] | None = None
) -> dict[K, int]:
    """Share `posted` whole minor units among rows by largest remainder.

    Each row takes the floor (toward -inf) of its exact value; the units still missing to reach
    `posted` go one each to the rows with the largest fractional parts, ties to the smallest
    `order(key)`. Should `posted` lie outside what the rows' floors and ceilings can reach (rows
    that do not add up to the posted amount), the difference still goes round the rows in that
    order, so the parts always add up to `posted` exactly.
    """
    if not values:
        return {}
    floors = {k: int(v.to_integral_value(rounding=ROUND_FLOOR)) for k, v in values.items()}
    missing = posted - sum(floors.values())
    if missing == 0:
        return floors
    tie = order or (lambda k: k)
    ranked = sorted(values, key=lambda k: (floors[k] - values[k], tie(k)))  # largest part first
    if missing < 0:
        ranked.reverse()
    step = 1 if missing > 0 else -1
    n = len(ranked)
    for i in range(abs(missing)):
        floors[ranked[i % n]] += step
    return floors


def split_exact(
    rows: Mapping[K, Decimal], total: int | None = None, order: Callable[[K], object] | None = None
) -> dict[K, int]:
    """Largest remainder of exact minor-unit values against their own rounded total (or
    `total`): the rows' parts of the location-day amount that they add up to."""
    posted = round_minor(sum(rows.values(), ZERO)) if total is None else total
    return split(rows, posted, order)


def sort_text(value: Any) -> Any:
    """Ties among rows: numbers as numbers, names case-insensitively, ids as text."""
    if isinstance(value, int | Decimal):
        return (0, value, "")
    if value is None:
        return (1, 0, "")
    if isinstance(value, tuple):
        return (2, 0, tuple(str(v).casefold() if v is not None else "" for v in value))
    return (1, 0, str(value).casefold())
