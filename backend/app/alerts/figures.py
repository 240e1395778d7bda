"""The store rules' figures (the report API's, in the store's own currency) and their judgement:
sales or transactions against the usual weekday, conversion below a floor, footfall missing."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.alerts import service
from app.alerts.models import AlertKind
from app.alerts.wording import (
    METRIC_LABEL,
    WEEKDAYS,
    DayFigures,
    Finding,
    day_link,
    day_name,
    percent_text,
)
from app.footfall.models import FootfallEntry
from app.footfall.rules import day_problem
from app.locations.models import Location
from app.notifications.formatting import money
from app.reports import service as reports
from app.reports.schemas import Compare, Granularity

MIN_WEEKS = 2  # the usual needs at least this many traded weeks


class Figures:
    """A store's day figures from the report service, each read once per evaluation: whole days
    from one day series over the weeks a rule looks back (`LOOK_BACK_WEEKS`), whose day points
    are the summary's of each day; days cut at an hour one summary each (a series cuts only its
    last day)."""

    def __init__(self, db: Session, org_id: int) -> None:
        self.db = db
        self.org_id = org_id
        self._cache: dict[tuple[int, date, int | None], DayFigures] = {}
        self._read: set[tuple[int, date]] = set()  # (store, last day) of each series read

    def _request(self, location: Location, first: date, last: date, until_hour: int | None) -> Any:
        return reports.ReportRequest(
            org_id=self.org_id,
            date_from=first,
            date_to=last,
            location_ids=[location.id],
            currency=location.currency,
            compare=Compare.none,
            lfl=False,
            currencies=(location.currency,),
            until_hour=until_hour,
            marked=False,  # figures only: no estimated or questioned days to count
        )

    def of(self, location: Location, day: date, until_hour: int | None = None) -> DayFigures:
        key = (location.id, day, until_hour)
        if until_hour is None and key not in self._cache and (location.id, day) not in self._read:
            # The weeks a rule may look back from this day, and the week after it (a rule asks
            # for the weeks before the day it judges first), in one read.
            self._read.add((location.id, day))
            first, last = day - timedelta(weeks=LOOK_BACK_WEEKS), day + timedelta(weeks=1)
            series = reports.timeseries(
                db=self.db,
                req=self._request(location, first, last, None),
                granularity=Granularity.day,
            )
            for point in series.points:
                point_day = date.fromisoformat(point.start[:10])
                self._cache.setdefault((location.id, point_day, None), _figures(point.metrics))
        found = self._cache.get(key)
        if found is None:
            req = self._request(location, day, day, until_hour)
            found = _figures(reports.summary(db=self.db, req=req).metrics)
            self._cache[key] = found
        return found


# The longest look-back of a rule (`weeks`, at most 8 in app/alerts/schemas.py).
LOOK_BACK_WEEKS = 8


def _figures(metrics: Mapping[str, Any]) -> DayFigures:
    conversion = metrics.get("conversion_rate")
    return DayFigures(
        net_sales=Decimal(str(metrics.get("net_sales") or "0")),
        transactions=int(metrics.get("transactions") or 0),
        conversion=None if conversion is None else Decimal(str(conversion)),
    )


def business_today(location: Location, now: datetime) -> tuple[date, datetime]:
    """The store's business date at `now` and its local clock."""
    local = now.astimezone(ZoneInfo(location.timezone))
    return (local - timedelta(hours=location.business_day_start_hour)).date(), local


def trading(location: Location, day: date) -> bool:
    if location.opened_on is not None and day < location.opened_on:
        return False
    return location.closed_on is None or day <= location.closed_on


def against_usual(
    figures: Figures, location: Location, rule: service.Rule, day: date
) -> Finding | None:
    kind = rule.kind
    metric = "net_sales" if kind in (AlertKind.sales_low, AlertKind.sales_high) else "transactions"
    low = kind in (AlertKind.sales_low, AlertKind.transactions_low)
    weeks, threshold = rule.weeks or 6, rule.threshold_percent or 30

    def value_of(f: DayFigures) -> Decimal:
        return f.net_sales if metric == "net_sales" else Decimal(f.transactions)

    past: list[Decimal] = []
    for back in range(1, weeks + 1):
        earlier = day - timedelta(weeks=back)
        if not trading(location, earlier) or figures.of(location, earlier).transactions <= 0:
            continue  # the store did not trade that day
        past.append(value_of(figures.of(location, earlier, rule.by_hour)))
    if len(past) < MIN_WEEKS:
        return None
    usual = sum(past, Decimal(0)) / len(past)
    if usual <= 0:
        return None
    value = value_of(figures.of(location, day, rule.by_hour))
    bound = usual * (100 - threshold if low else 100 + threshold) / 100
    if (low and value >= bound) or (not low and value <= bound):
        return None
    off = (usual - value if low else value - usual) / usual * 100
    side = "below" if low else "above"
    weekday = WEEKDAYS[day.weekday()]
    if rule.by_hour is None:
        when, cut = "yesterday", ""
    else:
        when, cut = f"by {rule.by_hour:02d}:00 today", f" by {rule.by_hour:02d}:00"

    def shown(amount: Decimal, *, exact: bool = False) -> str:
        if metric == "net_sales":
            return money(amount, location.currency, whole=not exact)
        return f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)}"

    label = METRIC_LABEL[metric]
    if metric == "net_sales":
        subject = (
            f"{location.name}: net sales {shown(value)} {when}, {percent_text(off)} % {side} "
            f"a usual {weekday}{cut} ({shown(usual)})"
        )
    else:
        subject = (
            f"{location.name}: {shown(value)} transactions {when}, {percent_text(off)} % {side} "
            f"a usual {weekday}{cut} ({shown(usual)})"
        )
    detail = (
        f"{label.capitalize()} at {location.name} on {day_name(day)}{cut}: "
        f"{shown(value, exact=True)}. The usual {weekday}{cut}, the mean of the last "
        f"{len(past)} {weekday}s the store traded (of {weeks} weeks), is "
        f"{shown(usual, exact=True)}: this day is {percent_text(off)} % {side} it (the rule alerts "
        f"at {threshold} % {side})."
    )
    return Finding(subject, detail, day_link(location.id, day))


def conversion_below(
    figures: Figures, location: Location, rule: service.Rule, day: date
) -> Finding | None:
    conversion = figures.of(location, day).conversion
    floor = Decimal(rule.floor_percent or 10)
    if conversion is None or conversion * 100 >= floor:
        return None
    shown = (conversion * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Finding(
        f"{location.name}: conversion {shown} % yesterday, below the {floor} % floor",
        f"Conversion at {location.name} on {day_name(day)} (transactions per visitor counted) "
        f"was {shown} %, below the floor of {floor} % the rule is set to.",
        day_link(location.id, day),
    )


def footfall_missing_finding(
    db: Session, figures: Figures, location: Location, day: date, today: date
) -> Finding | None:
    if day_problem(location, day, today) is not None:
        return None  # before it opened or after it closed: no count expected
    entered = db.scalar(
        select(func.count())
        .select_from(FootfallEntry)
        .where(FootfallEntry.location_id == location.id, FootfallEntry.entry_date == day)
    )
    if entered:
        return None  # a count, hourly counts, or the day marked closed
    if figures.of(location, day).transactions <= 0:
        return None  # nothing sold: the store did not open that day
    return Finding(
        f"{location.name}: no footfall entered for yesterday ({day_name(day)})",
        f"{location.name} traded on {day_name(day)} but no visitor count has been entered for "
        "it, so its conversion cannot be worked out. Enter the count (or mark the day closed) "
        "on the Footfall page.",
        f"/footfall?stores={location.id}",
    )
