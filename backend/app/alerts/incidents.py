"""The organization's incidents: a Square connection that needs reconnecting or has failed to sync
for over an hour, and stale exchange rates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.alerts.wording import SQUARE_LINK, Finding, day_name
from app.fx import sources as fx_sources
from app.fx.converter import STALE_AFTER_DAYS
from app.organizations.models import Organization
from app.square.models import ConnectionStatus, SquareConnection

SYNC_FAILING_AFTER = timedelta(hours=1)


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def connection_problem(connection: SquareConnection, now: datetime, tz: ZoneInfo) -> Finding | None:
    name = connection.merchant_name or connection.merchant_id
    if connection.status == ConnectionStatus.needs_reconnect:
        return Finding(
            f"{name}: the Square connection needs reconnecting",
            f"Square refused Teliporter's access to the account {name} (the access was revoked "
            "or has expired), so its sales are no longer synced. An owner or admin can reconnect "
            "it on the Square settings page.",
            SQUARE_LINK,
        )
    if connection.status != ConnectionStatus.active or not connection.last_error:
        return None
    since = _aware(connection.last_sync_at or connection.created_at)
    if now - since <= SYNC_FAILING_AFTER:
        return None
    hours = int((now - since) / timedelta(hours=1))
    failing = "over an hour" if hours < 2 else f"{hours} hours"
    last = (
        f"its last successful sync was at {since.astimezone(tz):%d %b %Y, %H:%M %Z}"
        if connection.last_sync_at
        else "it has not synced successfully yet"
    )
    return Finding(
        f"{name}: the Square sync has been failing for {failing}",
        f"The sync of the Square account {name} is failing ({connection.last_error[:300]}); "
        f"{last}. Sales after that are missing from the reports until it works again.",
        SQUARE_LINK,
    )


def rates_problem(
    db: Session, org: Organization, currencies: set[str], now: datetime
) -> Finding | None:
    if len(currencies) < 2:
        return None  # nothing is converted
    rates = fx_sources.provider(db, currencies=currencies)
    yesterday = now.date() - timedelta(days=1)
    newest: list[tuple[date | None, str]] = [
        (rates.last_published(c), c) for c in sorted(currencies) if c != fx_sources.EUR
    ]
    missing = [c for day, c in newest if day is None]
    dated = [(day, c) for day, c in newest if day is not None]
    oldest = min(dated) if dated else None
    if not missing and (oldest is None or (yesterday - oldest[0]).days <= STALE_AFTER_DAYS):
        return None
    if missing:
        what = f"no exchange rate has been published for {', '.join(missing)}"
    else:
        assert oldest is not None
        what = (
            f"the newest {oldest[1]} rate is of {day_name(oldest[0])}, "
            f"{(yesterday - oldest[0]).days} days before yesterday"
        )
    return Finding(
        f"{org.name}: exchange rates are stale",
        f"Reports converting into {org.reporting_currency} use old rates: {what}. Figures of "
        "later days are converted at the last rate known until new rates arrive.",
        "/reports",
    )
