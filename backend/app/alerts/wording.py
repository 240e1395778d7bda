"""What an alert says: percentages for people, the weekday, the link into the app (money as the
digests write it, app/notifications/formatting.py); and
`Finding`, an occurrence's subject, text and link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
METRIC_LABEL = {"net_sales": "net sales", "transactions": "transactions"}


@dataclass(frozen=True)
class Finding:
    """What an occurrence says: the mail's subject and text and where to look in the app."""

    summary: str
    detail: str
    link_path: str


@dataclass(frozen=True)
class DayFigures:
    net_sales: Decimal
    transactions: int
    conversion: Decimal | None  # a fraction; None without footfall


def day_name(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day:%b %Y}"


def percent_text(value: Decimal) -> str:
    return f"{value.quantize(Decimal(1), rounding=ROUND_HALF_UP)}"


def day_link(location_id: int, day: date) -> str:
    """The store's day on the dashboard."""
    return f"/?range=custom&from={day.isoformat()}&to={day.isoformat()}&stores={location_id}"


SQUARE_LINK = "/settings/square"
