"""Occurrences recorded once (their unique key), settled when their condition is gone, held
through quiet hours (`mail_due`) and mailed once (`release`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.alerts import mail as alert_mail
from app.alerts import service
from app.alerts.models import AlertKind, AlertOccurrence
from app.alerts.schemas import QuietHours
from app.alerts.wording import Finding
from app.locations.models import Location


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


def settle_day(
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


def settle_incident(
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
