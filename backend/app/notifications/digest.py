"""A digest's content: the period it covers and its figures, read through the report service
with the recipient's own access (a manager: their stores only), so every figure equals what
`GET /reports/summary` and `GET /reports/breakdown?by=location` answer that user for the same
filters; then the subject, the text and the HTML (templates digest.txt and digest.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.catalog.breakdowns import breakdown as catalog_breakdown
from app.mail import rendering
from app.notifications import formatting as fmt
from app.notifications.models import DigestFrequency, DigestSubscription
from app.reports import service as report_service
from app.reports.schemas import BreakdownBy, BreakdownRead, Compare, SortOrder, SummaryRead
from app.users.models import User

# The aligned comparison: yesterday against the same weekday a week before (a Monday is not
# compared with a Sunday), last week against the week before (for seven days the same as the
# web app's "Last week" preset compares with). The link opens the app with this comparison.
COMPARE = Compare.previous_week
HEADLINE = "net_sales"
FOOTFALL_METRICS = frozenset({"footfall", "conversion_rate", "sales_per_visitor"})


@dataclass(frozen=True)
class Period:
    """The dates a digest covers (local business dates, first and last included)."""

    frequency: DigestFrequency
    start: date
    end: date

    @property
    def comparison(self) -> tuple[date, date]:
        return self.start - timedelta(days=7), self.end - timedelta(days=7)


def current_period(
    *, subscription: DigestSubscription, timezone: str, now: datetime
) -> Period | None:
    """The period whose digest is due at `now`, or None: a daily digest covers yesterday and is
    due from its hour today; a weekly one covers the previous Monday to Sunday and is due from
    its hour on its weekday. Only the day it falls due: after a worker was down, the current
    period's digest still goes out later that day, older ones never (no backlog)."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    today = local.date()
    # Compared on the local clock: the hour as the recipient's wall clock shows it.
    if local.replace(tzinfo=None) < datetime.combine(today, time(subscription.local_hour)):
        return None
    if subscription.frequency == DigestFrequency.daily:
        yesterday = today - timedelta(days=1)
        return Period(DigestFrequency.daily, yesterday, yesterday)
    if today.weekday() != subscription.weekday:
        return None
    monday = today - timedelta(days=today.weekday())
    return Period(DigestFrequency.weekly, monday - timedelta(days=7), monday - timedelta(days=1))


def latest_period(*, frequency: DigestFrequency, timezone: str, now: datetime) -> Period:
    """The latest whole period at `now`: yesterday, or the last Monday to Sunday (a preview)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    if frequency == DigestFrequency.daily:
        yesterday = today - timedelta(days=1)
        return Period(frequency, yesterday, yesterday)
    monday = today - timedelta(days=today.weekday())
    return Period(frequency, monday - timedelta(days=7), monday - timedelta(days=1))


@dataclass(frozen=True)
class Figures:
    """What the report service answered the recipient for the period."""

    summary: SummaryRead
    league: BreakdownRead | None


def figures(*, db: Session, user: User, period: Period, include_league: bool) -> Figures | None:
    """The period's figures as the report API gives them to `user` (their stores, the
    organization's reporting currency, the aligned comparison); None when the user may see no
    store."""
    req = report_service.prepare(
        db=db,
        user=user,
        date_from=period.start,
        date_to=period.end,
        location_ids=None,
        currency=None,
        compare=COMPARE,
        lfl=False,
    )
    if not req.location_ids:
        return None
    summary = report_service.summary(db=db, req=req)
    league = None
    if include_league:
        league = report_service.breakdown(
            db=db,
            req=req,
            by=BreakdownBy.location,
            sort=None,
            order=SortOrder.desc,
            compared=True,
        )
    return Figures(summary=summary, league=league)


def app_link(period: Period) -> str:
    """The same view in the web app: the dashboard for the period, with the same comparison
    (the query the web app writes, frontend/src/features/filters/filterParams.ts)."""
    return rendering.link(
        "/",
        **{
            "range": "custom",
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "compare": COMPARE.value,
        },
    )


def subject(*, org_name: str, period: Period, summary: SummaryRead) -> str:
    """'Yesterday at Acme: £12,345 net sales (+4.2 % vs last Sunday)'."""
    net_sales = summary.metrics.get(HEADLINE) or "0"
    when = "Yesterday" if period.frequency == DigestFrequency.daily else "Last week"
    text = f"{when} at {org_name}: {fmt.money(net_sales, summary.currency, whole=True)} net sales"
    moved = summary.change.get(HEADLINE)
    if moved is not None:
        against = (
            f"last {fmt.weekday(period.comparison[0])}"
            if period.frequency == DigestFrequency.daily
            else "the week before"
        )
        text += f" ({fmt.change(moved)} vs {against})"
    return text


def _dates(period: Period) -> tuple[str, str]:
    then_start, then_end = period.comparison
    if period.frequency == DigestFrequency.daily:
        return fmt.day(period.start), fmt.day(then_start)
    return fmt.span(period.start, period.end), fmt.span(then_start, then_end)


def _notes(metrics: list[str], summary: SummaryRead) -> list[str]:
    """What the reader must know to read the figures: footfall not entered everywhere (the
    report API's coverage), changes that would compare unlike with unlike, stores whose
    figures are being recalculated."""
    notes = []
    coverage = summary.coverage
    if FOOTFALL_METRICS & set(metrics):
        if coverage.days_with_footfall == 0:
            notes.append(
                "No footfall was entered for this period, so footfall and conversion are not shown."
            )
        elif coverage.days_with_footfall < coverage.location_days:
            notes.append(
                f"Footfall was entered for {coverage.days_with_footfall} of "
                f"{coverage.location_days} store-days; conversion covers the "
                f"{coverage.days_used_for_conversion} store-days with both footfall and sales."
            )
    # Conversion and sales per visitor share a reason: said once, for both.
    unlike: dict[str, list[str]] = {}
    for name in metrics:
        reason = summary.not_comparable.get(name)
        if reason:
            unlike.setdefault(reason, []).append(fmt.label(name).lower())
    for reason, labels in unlike.items():
        which = " and ".join(labels)
        notes.append(
            f"{reason}, so the change in {which} is not shown."
            if len(labels) == 1
            else f"{reason}, so the changes in {which} are not shown."
        )
    if summary.recalculating:
        notes.append(
            "Some stores' figures are being recalculated after a settings change and may "
            "still move."
        )
    return notes


def context(
    *,
    user: User,
    subscription: DigestSubscription,
    period: Period,
    found: Figures,
    unsubscribe_token: str,
) -> dict[str, Any]:
    """The values digest.txt and digest.html are rendered with."""
    summary = found.summary
    currency = summary.currency
    chosen = [name for name in subscription.metrics if name in summary.metrics]
    before = summary.comparison.metrics if summary.comparison else {}
    period_text, comparison_text = _dates(period)
    totals = []
    for name in chosen:
        fraction = None if name in summary.not_comparable else summary.change.get(name)
        now, then = summary.metrics.get(name), before.get(name)
        totals.append(
            {
                "label": fmt.label(name),
                "value": fmt.figure(name, now, currency),
                "comparison": fmt.figure(name, then, currency),
                "change": fmt.move(name, fraction, now, then)
                if name not in summary.not_comparable
                else fmt.NO_FIGURE,
                "tone": fmt.tone(name, fraction),
            }
        )
    league = None
    if found.league is not None:
        shown = set(catalog_breakdown(BreakdownBy.location.value).metrics)
        columns = [name for name in chosen if name in shown]
        rows = []
        for rank, row in enumerate(found.league.rows, start=1):
            fraction = (row.change or {}).get(HEADLINE)
            rows.append(
                {
                    "rank": rank,
                    "name": row.label,
                    "values": [fmt.figure(n, row.metrics.get(n), currency) for n in columns],
                    "change": fmt.change(fraction),
                    "tone": fmt.tone(HEADLINE, fraction),
                }
            )
        league = {
            "headers": [fmt.label(name, short=True) for name in columns],
            "labels": [fmt.label(name) for name in columns],
            "rows": rows,
        }
    daily = period.frequency == DigestFrequency.daily
    return {
        "full_name": user.full_name,
        "org_name": user.organization.name,
        "frequency": "daily" if daily else "weekly",
        "title": "Yesterday" if daily else "Last week",
        "period": period_text,
        "comparison": comparison_text,
        "now_heading": "Yesterday" if daily else "Last week",
        "then_heading": f"Last {fmt.weekday(period.comparison[0])}" if daily else "Week before",
        "currency": currency,
        "totals": totals,
        "notes": _notes(chosen, summary),
        "league": league,
        "stores": len(summary.location_ids),
        "link": app_link(period),
        "unsubscribe_link": rendering.link("/unsubscribe", token=unsubscribe_token),
        "settings_link": rendering.link("/settings/notifications"),
    }


def unsubscribe_headers(token: str) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: a mail client POSTs `List-Unsubscribe=One-Click` to the
    URL, no sign-in needed (app/notifications/router.py)."""
    url = rendering.link("/api/v1/notifications/unsubscribe", token=token)
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
