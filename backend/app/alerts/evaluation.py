"""The evaluation of alert rules: what is unusual now, recorded once per occurrence, mailed once.

`evaluate_org` checks every enabled rule of one organization at `now` (a parameter, so tests
move the clock) and records each occurrence found in `alert_occurrence`, whose unique key makes
it one row however often the evaluation runs:

- sales/transactions against the usual (`sales_low`, `sales_high`, `transactions_low`,
  `transactions_high`): the store's net sales (METRICS.md, in the store's own currency, so a
  currency move is never read as a weak day) or transactions of yesterday, or of today so far once
  its local clock passes `by_hour`, against the mean of the same weekday over the last `weeks`
  weeks the store traded (at least `MIN_WEEKS` of them; a week counts when the store had a
  transaction that day), cut at the same hour. The figures are the report API's
  (`reports.summary` of the store and day), so an alert and the dashboard agree.
  Key: store and business date.
- `conversion_low`: yesterday's conversion (transactions / footfall, only where footfall is
  entered) below `floor_percent`. Key: store and business date.
- `footfall_missing`: once the store's local clock passes `at_hour`, yesterday has no footfall
  entry although the store traded that day and was open by the footfall rules
  (app/footfall/rules.py `day_problem`: not before it opened, not after it closed); a day marked
  closed is an entry, so it never alerts. Key: store and business date.
- `square_connection`: a connection Square refused (status needs_reconnect: token revoked or
  expired), or with a sync error and no successful sync for over an hour. Key: the connection
  and its incident's number; the occurrence closes once the connection works again, and a later
  breakage is a new incident.
- `rates_stale`: the organization converts between currencies and the newest published rate of
  one of them is more than `STALE_AFTER_DAYS` days older than yesterday (the reports' notice,
  app/fx/converter.py). Key: the incident's number.

Stores deactivated in Square (status INACTIVE) are not judged. A store's day occurrence closes
when its condition is found gone (a late sync, footfall entered) or once its day is no longer the
one judged. Occurrences found in the organization's quiet hours
(in the store's timezone; a connection's or the rates' in the timezone of the organization's
first store) wait until the quiet hours end (`mail_due_at`); `release` mails every due
occurrence once to `service.recipients`, claiming it first, so two evaluations never both mail.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.alerts import mail as alert_mail
from app.alerts import service
from app.alerts.models import AlertKind, AlertOccurrence
from app.alerts.schemas import QuietHours
from app.footfall.models import FootfallEntry
from app.footfall.rules import day_problem
from app.fx import sources as fx_sources
from app.fx.converter import STALE_AFTER_DAYS
from app.fx.currency import minor_digits
from app.locations.models import Location
from app.organizations.models import Organization
from app.reports import service as reports
from app.reports.schemas import Compare
from app.square.models import ConnectionStatus, SquareConnection

log = logging.getLogger(__name__)

MIN_WEEKS = 2  # the usual needs at least this many traded weeks
SYNC_FAILING_AFTER = timedelta(hours=1)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹"}
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


# --- formatting -------------------------------------------------------------------------------
def money(amount: Decimal, currency: str, *, exact: bool = False) -> str:
    """£1,380 (whole units, as a subject shows it) or £1,380.25 (`exact`)."""
    digits = minor_digits(currency) if exact else 0
    rounded = amount.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)
    text = f"{rounded:,.{digits}f}"
    symbol = SYMBOLS.get(currency)
    if symbol is None:
        return f"{currency} {text}"
    return f"-{symbol}{text[1:]}" if text.startswith("-") else f"{symbol}{text}"


def _day_name(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day:%b %Y}"


def _percent(value: Decimal) -> str:
    return f"{value.quantize(Decimal(1), rounding=ROUND_HALF_UP)}"


def day_link(location_id: int, day: date) -> str:
    """The store's day on the dashboard."""
    return f"/?range=custom&from={day.isoformat()}&to={day.isoformat()}&stores={location_id}"


SQUARE_LINK = "/settings/square"


# --- quiet hours ------------------------------------------------------------------------------
def mail_due(now: datetime, tz: ZoneInfo, quiet: QuietHours) -> datetime:
    """`now`, or the end of the quiet hours `now` falls in (the store's local clock)."""
    start, end = quiet.from_hour, quiet.to_hour
    if not quiet.enabled or start == end:
        return now
    local = now.astimezone(tz)
    hour = local.hour
    inside = start <= hour < end if start < end else (hour >= start or hour < end)
    if not inside:
        return now
    end_day = local.date() if hour < end else local.date() + timedelta(days=1)
    return datetime.combine(end_day, time(end), tzinfo=tz).astimezone(UTC)


# --- figures ----------------------------------------------------------------------------------
class Figures:
    """A store's day figures from the report service, each read once per evaluation."""

    def __init__(self, db: Session, org_id: int) -> None:
        self.db = db
        self.org_id = org_id
        self._cache: dict[tuple[int, date, int | None], DayFigures] = {}

    def of(self, location: Location, day: date, until_hour: int | None = None) -> DayFigures:
        key = (location.id, day, until_hour)
        found = self._cache.get(key)
        if found is None:
            req = reports.ReportRequest(
                org_id=self.org_id,
                date_from=day,
                date_to=day,
                location_ids=[location.id],
                currency=location.currency,
                compare=Compare.none,
                lfl=False,
                currencies=(location.currency,),
                until_hour=until_hour,
            )
            metrics = reports.summary(db=self.db, req=req).metrics
            conversion = metrics.get("conversion_rate")
            found = DayFigures(
                net_sales=Decimal(str(metrics.get("net_sales") or "0")),
                transactions=int(metrics.get("transactions") or 0),
                conversion=None if conversion is None else Decimal(str(conversion)),
            )
            self._cache[key] = found
        return found


def _business_today(location: Location, now: datetime) -> tuple[date, datetime]:
    """The store's business date at `now` and its local clock."""
    local = now.astimezone(ZoneInfo(location.timezone))
    return (local - timedelta(hours=location.business_day_start_hour)).date(), local


def _trading(location: Location, day: date) -> bool:
    if location.opened_on is not None and day < location.opened_on:
        return False
    return location.closed_on is None or day <= location.closed_on


def _against_usual(
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
        if not _trading(location, earlier) or figures.of(location, earlier).transactions <= 0:
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
            return money(amount, location.currency, exact=exact)
        return f"{amount.quantize(Decimal(1), rounding=ROUND_HALF_UP)}"

    label = METRIC_LABEL[metric]
    if metric == "net_sales":
        subject = (
            f"{location.name}: net sales {shown(value)} {when}, {_percent(off)} % {side} "
            f"a usual {weekday}{cut} ({shown(usual)})"
        )
    else:
        subject = (
            f"{location.name}: {shown(value)} transactions {when}, {_percent(off)} % {side} "
            f"a usual {weekday}{cut} ({shown(usual)})"
        )
    detail = (
        f"{label.capitalize()} at {location.name} on {_day_name(day)}{cut}: "
        f"{shown(value, exact=True)}. The usual {weekday}{cut}, the mean of the last "
        f"{len(past)} {weekday}s the store traded (of {weeks} weeks), is "
        f"{shown(usual, exact=True)}: this day is {_percent(off)} % {side} it (the rule alerts "
        f"at {threshold} % {side})."
    )
    return Finding(subject, detail, day_link(location.id, day))


def _conversion(
    figures: Figures, location: Location, rule: service.Rule, day: date
) -> Finding | None:
    conversion = figures.of(location, day).conversion
    floor = Decimal(rule.floor_percent or 10)
    if conversion is None or conversion * 100 >= floor:
        return None
    shown = (conversion * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Finding(
        f"{location.name}: conversion {shown} % yesterday, below the {floor} % floor",
        f"Conversion at {location.name} on {_day_name(day)} (transactions per visitor counted) "
        f"was {shown} %, below the floor of {floor} % the rule is set to.",
        day_link(location.id, day),
    )


def _footfall_missing(
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
        f"{location.name}: no footfall entered for yesterday ({_day_name(day)})",
        f"{location.name} traded on {_day_name(day)} but no visitor count has been entered for "
        "it, so its conversion cannot be worked out. Enter the count (or mark the day closed) "
        "on the Footfall page.",
        f"/footfall?stores={location.id}",
    )


# --- recording --------------------------------------------------------------------------------
def _record(
    db: Session,
    *,
    org_id: int,
    kind: AlertKind,
    key: str,
    finding: Finding,
    now: datetime,
    tz: ZoneInfo,
    quiet: QuietHours,
    location_id: int | None = None,
    connection_id: int | None = None,
    business_date: date | None = None,
) -> bool:
    """Insert the occurrence unless it is there already (a concurrent evaluation's included)."""
    exists = db.scalar(
        select(AlertOccurrence.id).where(
            AlertOccurrence.org_id == org_id,
            AlertOccurrence.kind == kind,
            AlertOccurrence.occurrence_key == key,
        )
    )
    if exists is not None:
        return False
    try:
        with db.begin_nested():
            db.add(
                AlertOccurrence(
                    org_id=org_id,
                    kind=kind,
                    occurrence_key=key,
                    location_id=location_id,
                    connection_id=connection_id,
                    business_date=business_date,
                    summary=finding.summary[:255],
                    detail=finding.detail,
                    link_path=finding.link_path,
                    found_at=now,
                    mail_due_at=mail_due(now, tz, quiet),
                )
            )
    except IntegrityError:
        return False
    return True


def _settle_day(
    db: Session,
    *,
    org_id: int,
    kind: AlertKind,
    location: Location,
    day: date,
    finding: Finding | None,
    judged: bool,
    now: datetime,
    quiet: QuietHours,
) -> None:
    """A store's day: if `judged`, record it once when found and close it when gone; either
    way close the occurrences of earlier days (no longer judged)."""
    open_rows = db.scalars(
        select(AlertOccurrence).where(
            AlertOccurrence.org_id == org_id,
            AlertOccurrence.kind == kind,
            AlertOccurrence.location_id == location.id,
            AlertOccurrence.closed_at.is_(None),
        )
    ).all()
    for row in open_rows:
        earlier = row.business_date is None or row.business_date < day
        if earlier or (judged and row.business_date == day and finding is None):
            row.closed_at = now
    if finding is not None:
        _record(
            db,
            org_id=org_id,
            kind=kind,
            key=f"{location.id}:{day.isoformat()}",
            finding=finding,
            now=now,
            tz=ZoneInfo(location.timezone),
            quiet=quiet,
            location_id=location.id,
            business_date=day,
        )


def _settle_incident(
    db: Session,
    *,
    org_id: int,
    kind: AlertKind,
    finding: Finding | None,
    now: datetime,
    tz: ZoneInfo,
    quiet: QuietHours,
    connection_id: int | None = None,
) -> None:
    """A condition without a day (a connection, the rates): one occurrence per incident, closed
    when the condition is gone; the next breakage is the next incident."""
    scope = [AlertOccurrence.org_id == org_id, AlertOccurrence.kind == kind]
    if connection_id is not None:
        scope.append(AlertOccurrence.connection_id == connection_id)
    current = db.scalars(
        select(AlertOccurrence).where(*scope, AlertOccurrence.closed_at.is_(None))
    ).all()
    if finding is None:
        for row in current:
            row.closed_at = now
        return
    if current:
        return
    number = (db.scalar(select(func.count()).select_from(AlertOccurrence).where(*scope)) or 0) + 1
    prefix = f"{connection_id}:" if connection_id is not None else ""
    _record(
        db,
        org_id=org_id,
        kind=kind,
        key=f"{prefix}{number}",
        finding=finding,
        now=now,
        tz=tz,
        quiet=quiet,
        connection_id=connection_id,
    )


def _aware(instant: datetime) -> datetime:
    return instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)


def _connection_problem(
    connection: SquareConnection, now: datetime, tz: ZoneInfo
) -> Finding | None:
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


def _rates_problem(
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
            f"the newest {oldest[1]} rate is of {_day_name(oldest[0])}, "
            f"{(yesterday - oldest[0]).days} days before yesterday"
        )
    return Finding(
        f"{org.name}: exchange rates are stale",
        f"Reports converting into {org.reporting_currency} use old rates: {what}. Figures of "
        "later days are converted at the last rate known until new rates arrive.",
        "/reports",
    )


# --- the evaluation ---------------------------------------------------------------------------
def evaluate_org(db: Session, org_id: int, now: datetime) -> None:
    """Judge every enabled rule of the organization at `now` and record what is found."""
    org = db.get(Organization, org_id)
    if org is None:
        return
    rules = service.rule_set(db, org_id)
    quiet = rules.quiet
    figures = Figures(db, org_id)
    locations = list(
        db.scalars(select(Location).where(Location.org_id == org_id).order_by(Location.id))
    )
    for location in locations:
        if location.status != "ACTIVE":
            # Deactivated in Square: not judged, and what was open about it is closed.
            for row in db.scalars(
                select(AlertOccurrence).where(
                    AlertOccurrence.location_id == location.id,
                    AlertOccurrence.closed_at.is_(None),
                )
            ):
                row.closed_at = now
            continue
        today, local = _business_today(location, now)
        yesterday = today - timedelta(days=1)
        # Each store kind: the day it judges, and whether it judges it now (the rule is on, the
        # store trades that day, the rule's hour has come); earlier days' occurrences close
        # either way.
        checks: list[tuple[AlertKind, date, bool]] = []
        for kind in service.USUAL_KINDS:
            rule = rules.at(kind, location.id)
            day = yesterday if rule.by_hour is None else today
            hour_come = rule.by_hour is None or local.hour >= rule.by_hour
            checks.append((kind, day, rule.enabled and hour_come and _trading(location, day)))
        conversion = rules.at(AlertKind.conversion_low, location.id)
        checks.append(
            (
                AlertKind.conversion_low,
                yesterday,
                conversion.enabled and _trading(location, yesterday),
            )
        )
        footfall = rules.at(AlertKind.footfall_missing, location.id)
        checks.append(
            (
                AlertKind.footfall_missing,
                yesterday,
                footfall.enabled and local.hour >= (footfall.at_hour or 0),
            )
        )
        for kind, day, judged in checks:
            rule = rules.at(kind, location.id)
            finding: Finding | None = None
            if not judged:
                pass
            elif kind == AlertKind.conversion_low:
                finding = _conversion(figures, location, rule, day)
            elif kind == AlertKind.footfall_missing:
                finding = _footfall_missing(db, figures, location, day, today)
            else:
                finding = _against_usual(figures, location, rule, day)
            _settle_day(
                db,
                org_id=org_id,
                kind=kind,
                location=location,
                day=day,
                finding=finding,
                judged=judged,
                now=now,
                quiet=quiet,
            )
    first_tz = ZoneInfo(locations[0].timezone) if locations else ZoneInfo("UTC")
    if rules.org[AlertKind.square_connection].enabled:
        connections = db.scalars(
            select(SquareConnection)
            .where(SquareConnection.org_id == org_id)
            .order_by(SquareConnection.id)
        ).all()
        for connection in connections:
            stores = [loc for loc in locations if loc.connection_id == connection.id]
            tz = ZoneInfo(stores[0].timezone) if stores else first_tz
            _settle_incident(
                db,
                org_id=org_id,
                kind=AlertKind.square_connection,
                finding=_connection_problem(connection, now, tz),
                now=now,
                tz=tz,
                quiet=quiet,
                connection_id=connection.id,
            )
    if rules.org[AlertKind.rates_stale].enabled:
        currencies = {loc.currency for loc in locations} | {org.reporting_currency}
        _settle_incident(
            db,
            org_id=org_id,
            kind=AlertKind.rates_stale,
            finding=_rates_problem(db, org, currencies, now) if locations else None,
            now=now,
            tz=first_tz,
            quiet=quiet,
        )
    db.flush()


def release(db: Session, now: datetime) -> int:
    """Mail every occurrence whose time has come (found outside quiet hours, or held until
    their end) to its recipients, once: each is claimed before its mails are queued. The
    number of occurrences mailed."""
    due = db.scalars(
        select(AlertOccurrence.id)
        .where(AlertOccurrence.mailed_at.is_(None), AlertOccurrence.mail_due_at <= now)
        .order_by(AlertOccurrence.mail_due_at, AlertOccurrence.id)
    ).all()
    mailed = 0
    for occurrence_id in due:
        claimed = db.execute(
            update(AlertOccurrence)
            .where(AlertOccurrence.id == occurrence_id, AlertOccurrence.mailed_at.is_(None))
            .values(mailed_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        occurrence = db.get(AlertOccurrence, occurrence_id)
        assert occurrence is not None
        db.refresh(occurrence)
        users = service.recipients(db, occurrence.org_id, occurrence.location_id)
        for user in users:
            alert_mail.send_alert(db=db, occurrence=occurrence, user=user)
        occurrence.recipients = len(users)
        mailed += 1
    db.flush()
    return mailed
