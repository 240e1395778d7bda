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
first store) wait until the quiet hours end (`mail_due_at`); `recording.release` mails every due
occurrence once to `service.recipients`, claiming it first, so two evaluations never both mail.

The parts: the store rules' figures and judgement (`figures`), the organization's incidents
(`incidents`), recording, settling and mailing occurrences (`recording`), and the wording of
an alert (`wording`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts import service
from app.alerts.figures import (
    Figures,
    against_usual,
    business_today,
    conversion_below,
    footfall_missing_finding,
    trading,
)
from app.alerts.incidents import connection_problem, rates_problem
from app.alerts.models import AlertKind, AlertOccurrence
from app.alerts.recording import settle_day, settle_incident
from app.alerts.wording import Finding
from app.locations.models import Location
from app.organizations.models import Organization
from app.square.models import SquareConnection


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
        today, local = business_today(location, now)
        yesterday = today - timedelta(days=1)
        # Each store kind: the day it judges, and whether it judges it now (the rule is on, the
        # store trades that day, the rule's hour has come); earlier days' occurrences close
        # either way.
        checks: list[tuple[AlertKind, date, bool]] = []
        for kind in service.USUAL_KINDS:
            rule = rules.at(kind, location.id)
            day = yesterday if rule.by_hour is None else today
            hour_come = rule.by_hour is None or local.hour >= rule.by_hour
            checks.append((kind, day, rule.enabled and hour_come and trading(location, day)))
        conversion = rules.at(AlertKind.conversion_low, location.id)
        checks.append(
            (
                AlertKind.conversion_low,
                yesterday,
                conversion.enabled and trading(location, yesterday),
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
                finding = conversion_below(figures, location, rule, day)
            elif kind == AlertKind.footfall_missing:
                finding = footfall_missing_finding(db, figures, location, day, today)
            else:
                finding = against_usual(figures, location, rule, day)
            settle_day(
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
            settle_incident(
                db,
                org_id=org_id,
                kind=AlertKind.square_connection,
                finding=connection_problem(connection, now, tz),
                now=now,
                tz=tz,
                quiet=quiet,
                connection_id=connection.id,
            )
    if rules.org[AlertKind.rates_stale].enabled:
        currencies = {loc.currency for loc in locations} | {org.reporting_currency}
        settle_incident(
            db,
            org_id=org_id,
            kind=AlertKind.rates_stale,
            finding=rates_problem(db, org, currencies, now) if locations else None,
            now=now,
            tz=first_tz,
            quiet=quiet,
        )
    db.flush()
