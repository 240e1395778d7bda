"""Figures and dates as people read them in a digest: money in the reporting currency with its
symbol and minor unit, counts with thousands separators, conversion as a percentage, changes
signed, days and weeks spelled out. The figures themselves are the report API's, as it shows
them (strings for money, numbers otherwise); nothing here computes a metric.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app.catalog.metrics import METRICS
from app.fx.currency import minor_digits

NO_FIGURE = "—"  # an absent figure (no footfall entered, no comparison), as the web app shows it

# The symbols a reader of each currency expects in front of an amount; any other currency is
# written with its code ("CHF 1,234.50").
SYMBOLS = {
    "GBP": "£",
    "EUR": "€",
    "USD": "$",
    "AUD": "A$",
    "CAD": "CA$",
    "NZD": "NZ$",
    "HKD": "HK$",
    "SGD": "S$",
    "JPY": "¥",
    "CNY": "CN¥",
    "INR": "₹",
    "ILS": "₪",
    "KRW": "₩",
    "PHP": "₱",
    "MXN": "MX$",
    "BRL": "R$",
}

_KINDS = {metric.name: metric.kind for metric in METRICS}
_LABELS = {metric.name: metric.label for metric in METRICS}
_SHORT_LABELS = {metric.name: metric.short_label or metric.label for metric in METRICS}
_UP_IS_GOOD = {metric.name: metric.up_is_good for metric in METRICS}


def label(name: str, *, short: bool = False) -> str:
    """A metric's label from the catalog (its short label where space is tight)."""
    return (_SHORT_LABELS if short else _LABELS).get(name, name.replace("_", " ").capitalize())


def kind(name: str) -> str:
    return _KINDS.get(name, "count")


def _grouped(value: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"


def money(amount: Any, currency: str, *, whole: bool = False) -> str:
    """'£12,345.67' (whole: '£12,346'); negative '-£12.34'."""
    value = Decimal(str(amount))
    places = 0 if whole else minor_digits(currency)
    digits = _grouped(abs(value), places)
    sign = "-" if value < 0 and digits.strip("0.,") else ""
    code = currency.upper()
    symbol = SYMBOLS.get(code)
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{code} {digits}"


def figure(name: str, value: Any, currency: str) -> str:
    """A metric's figure as the report API gave it, for reading: money in `currency`, counts
    grouped, ratios to two places, percentages to one."""
    if value is None or value == "":
        return NO_FIGURE
    metric_kind = kind(name)
    if metric_kind == "money":
        return money(value, currency)
    number = Decimal(str(value))
    if metric_kind == "percent":
        return f"{_grouped(number * 100, 1)}%"
    if metric_kind == "ratio":
        return _grouped(number, 2)
    # A count; a team member's share of a split order can make one fractional.
    places = 0 if number == number.to_integral_value() else 2
    return _grouped(number, places)


def change(fraction: float | None) -> str:
    """A change as a signed percentage ('+4.2 %', '-1.0 %', '0.0 %'), or the absent mark."""
    if fraction is None:
        return NO_FIGURE
    shown = Decimal(str(fraction)) * 100
    rounded = shown.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    sign = "+" if rounded > 0 else "-" if rounded < 0 else ""
    return f"{sign}{abs(rounded)} %"


def points(now: Any, before: Any) -> str:
    """A percentage's move in points, from the two figures as shown ('+2.1 pts')."""
    if now is None or before is None:
        return NO_FIGURE
    quantum = Decimal("0.1")
    shown_now = (Decimal(str(now)) * 100).quantize(quantum, rounding=ROUND_HALF_UP)
    shown_before = (Decimal(str(before)) * 100).quantize(quantum, rounding=ROUND_HALF_UP)
    moved = shown_now - shown_before
    sign = "+" if moved > 0 else "-" if moved < 0 else "±"
    return f"{sign}{abs(moved)} pts"


def move(name: str, fraction: float | None, now: Any, before: Any) -> str:
    """How a metric moved: conversion in points, everything else by a percentage."""
    if kind(name) == "percent":
        return points(now, before)
    return change(fraction)


def tone(name: str, fraction: float | None) -> str:
    """'good', 'bad' or 'neutral': a rise of returns is bad news, of tax neither."""
    up_is_good = _UP_IS_GOOD.get(name)
    if fraction is None or fraction == 0 or up_is_good is None:
        return "neutral"
    return "good" if (fraction > 0) == up_is_good else "bad"


# English names whatever the process's locale (strftime's %A and %B follow it).
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def weekday(value: date) -> str:
    """'Sunday'."""
    return WEEKDAYS[value.weekday()]


def day(value: date) -> str:
    """'Sunday 6 December 2026'."""
    return f"{weekday(value)} {value.day} {MONTHS[value.month - 1]} {value.year}"


DASH = "\u2013"  # an en dash between the ends of a range, as the web app writes ranges


def span(start: date, end: date) -> str:
    """'30 November - 6 December 2026' (with an en dash; '28 December 2026 - 3 January 2027'
    across years)."""
    first, last = MONTHS[start.month - 1], MONTHS[end.month - 1]
    if start.year != end.year:
        return f"{start.day} {first} {start.year} {DASH} {end.day} {last} {end.year}"
    if start.month != end.month:
        return f"{start.day} {first} {DASH} {end.day} {last} {end.year}"
    return f"{start.day} {DASH} {end.day} {last} {end.year}"
