"""When digests go out: every few minutes (beat, `notifications.send_digests`) the subscriptions
whose local hour has come in the organization's timezone, for a period not yet sent, each get
their digest queued — the record of the send and the mail in one transaction, the record
unique per subscription and period, so a digest goes out once however often the schedule runs
and however many workers run it at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select, tuple_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.errors import Conflict
from app.core.security import new_opaque_token, token_digest
from app.mail import service as mail_service
from app.mail.models import MailKind, MailMessage
from app.notifications import digest
from app.notifications.models import (
    DigestFrequency,
    DigestSend,
    DigestSubscription,
    DigestUnsubscribeToken,
)
from app.notifications.schemas import DEFAULT_METRICS, PreviewRead
from app.organizations.models import Organization
from app.users.models import User


class AlreadySent(Exception):
    """Another run recorded this period's digest first."""


@dataclass(frozen=True)
class Due:
    subscription_id: int
    period: digest.Period


def _receiving() -> Select[DigestSubscription, str]:
    """The subscriptions that may go out: switched on, of an active user who has signed in at
    least once (an invitation still pending has no password), in the user's organization."""
    return (
        select(DigestSubscription, Organization.timezone)
        .join(User, User.id == DigestSubscription.user_id)
        .join(Organization, Organization.id == DigestSubscription.org_id)
        .where(
            DigestSubscription.enabled.is_(True),
            User.org_id == DigestSubscription.org_id,
            User.is_active.is_(True),
            User.password_hash.is_not(None),
        )
    )


def due(*, db: Session, now: datetime) -> list[Due]:
    """Every digest due at `now` and not sent yet."""
    query = _receiving()
    candidates = []
    for subscription, timezone in db.execute(query):
        period = digest.current_period(subscription=subscription, timezone=timezone, now=now)
        if period is not None:
            candidates.append(Due(subscription.id, period))
    if not candidates:
        return []
    sent = set(
        db.execute(
            select(DigestSend.subscription_id, DigestSend.period_start).where(
                tuple_(DigestSend.subscription_id, DigestSend.period_start).in_(
                    [(c.subscription_id, c.period.start) for c in candidates]
                )
            )
        ).all()
    )
    return [c for c in candidates if (c.subscription_id, c.period.start) not in sent]


def send(*, db: Session, subscription_id: int, now: datetime) -> MailMessage | None:
    """Queue the subscription's digest for the period due at `now`; None when nothing is due
    (switched off meanwhile, not its time, or a user who may see no store). Raises AlreadySent
    when the period's digest was recorded by another run; the caller's transaction must then
    be rolled back."""
    query = _receiving().where(DigestSubscription.id == subscription_id)
    found = db.execute(query).first()
    if found is None:
        return None
    subscription, timezone = found
    period = digest.current_period(subscription=subscription, timezone=timezone, now=now)
    if period is None:
        return None
    record = DigestSend(
        org_id=subscription.org_id,
        subscription_id=subscription.id,
        period_start=period.start,
        period_end=period.end,
    )
    db.add(record)
    try:
        # First the record: a second run for the same period stops here (the unique
        # constraint), before any mail is queued.
        db.flush()
    except IntegrityError as exc:
        # (The flush's rollback expired the loaded rows: only plain values from here.)
        raise AlreadySent(f"digest {subscription_id} for {period.start}") from exc
    user = db.get(User, subscription.user_id)
    assert user is not None
    message = queue_digest(db=db, user=user, subscription=subscription, period=period)
    if message is None:
        db.delete(record)
        db.flush()
        return None
    record.mail_message_id = message.id
    db.flush()
    return message


def queue_digest(
    *, db: Session, user: User, subscription: DigestSubscription, period: digest.Period
) -> MailMessage | None:
    """Read the period's figures as `user` sees them and queue the mail, with an unsubscribe
    link of its own; None when the user may see no store."""
    found = digest.figures(
        db=db, user=user, period=period, include_league=subscription.include_league
    )
    if found is None:
        return None
    token = new_opaque_token()
    db.add(
        DigestUnsubscribeToken(subscription_id=subscription.id, token_digest=token_digest(token))
    )
    return mail_service.queue(
        db=db,
        org_id=subscription.org_id,
        to=user.email,
        kind=MailKind.digest,
        subject=digest.subject(
            org_name=user.organization.name, period=period, summary=found.summary
        ),
        template="digest",
        context=digest.context(
            user=user,
            subscription=subscription,
            period=period,
            found=found,
            unsubscribe_token=token,
        ),
        headers=digest.unsubscribe_headers(token),
    )


class NothingToReport(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "There is no store for you to report on yet, so there is no digest to send",
            field="frequency",
        )


def preview(
    *, db: Session, user: User, frequency: DigestFrequency, now: datetime | None = None
) -> PreviewRead:
    """Mail the user their digest of the latest whole period now, whatever its hour and
    whether it is on (a digest never set up is saved, off, with the defaults); the scheduled
    one still goes out."""
    subscription = db.scalar(
        select(DigestSubscription).where(
            DigestSubscription.user_id == user.id, DigestSubscription.frequency == frequency
        )
    )
    if subscription is None:
        subscription = DigestSubscription(
            org_id=user.org_id,
            user_id=user.id,
            frequency=frequency,
            enabled=False,
            metrics=list(DEFAULT_METRICS),
        )
        db.add(subscription)
        db.flush()
    period = digest.latest_period(
        frequency=frequency, timezone=user.organization.timezone, now=now or utcnow()
    )
    message = queue_digest(db=db, user=user, subscription=subscription, period=period)
    if message is None:
        raise NothingToReport()
    return PreviewRead(
        to=message.to_address,
        subject=message.subject,
        date_from=period.start,
        date_to=period.end,
    )
