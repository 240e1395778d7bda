"""Mail as records: queue a message (rendered now, sent by the worker), claim it for a delivery
attempt, record the outcome with its retry schedule, list an organization's messages.

Delivery is at least once: a message is marked sent only after the SMTP server accepted it, and
a worker holds it (`claimed_until`) while it tries, so two deliveries of one message never
overlap. Every attempt carries the same Message-ID.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from app.core import crypto
from app.core.config import get_settings
from app.core.db import on_commit, utcnow
from app.mail import rendering
from app.mail.models import MailKind, MailMessage, MailState

# Between two attempts, at most this long; and how long a delivery attempt holds its message
# (well past SMTP_TIMEOUT_SECONDS per step of the conversation).
MAX_RETRY_DELAY = timedelta(hours=1)
CLAIM_SECONDS_PER_TIMEOUT = 4
LAST_ERROR_LENGTH = 1000


@dataclass(frozen=True)
class Outgoing:
    """A claimed message, ready for the transport."""

    id: int
    message: EmailMessage


def queue(
    *,
    db: Session,
    org_id: int | None,
    to: str,
    kind: MailKind,
    subject: str,
    template: str,
    context: dict[str, Any],
    dispatch: bool = True,
    headers: dict[str, str] | None = None,
) -> MailMessage:
    """Record a message rendered from `template`; once the transaction commits the worker is
    asked to send it (the periodic `mail.resume_queued` catches any request that got lost).
    `headers`: extra headers of the message (List-Unsubscribe...), kept encrypted until sent."""
    text, html = rendering.render(template, subject=subject, context=context)
    domain = _from_domain()
    now = utcnow()
    message = MailMessage(
        org_id=org_id,
        to_address=to,
        subject=subject,
        kind=kind,
        state=MailState.queued,
        attempts=0,
        message_id=make_msgid(domain=domain),
        text_body=crypto.encrypt(text),
        html_body=crypto.encrypt(html),
        extra_headers=crypto.encrypt(json.dumps(headers)) if headers else None,
        created_at=now,
        next_attempt_at=now,
    )
    db.add(message)
    db.flush()
    if dispatch:
        message_id = message.id

        def _send() -> None:
            from app.mail import tasks

            tasks.send.delay(message_id)

        on_commit(db, _send)
    return message


def _from_domain() -> str:
    sender = get_settings().MAIL_FROM
    address = sender.rsplit("<", 1)[-1].rstrip(">").strip()
    return address.rsplit("@", 1)[-1] or "teliporter.localhost"


def claim(*, db: Session, message_id: int, now: datetime | None = None) -> Outgoing | None:
    """Take a queued message for one delivery attempt; None when it is sent, failed, or another
    worker holds it."""
    now = now or utcnow()
    hold = timedelta(seconds=get_settings().SMTP_TIMEOUT_SECONDS * CLAIM_SECONDS_PER_TIMEOUT)
    taken = db.execute(
        update(MailMessage)
        .where(
            MailMessage.id == message_id,
            MailMessage.state == MailState.queued,
            # Not before its time: a retry and the periodic sweep may both ask for one attempt.
            or_(MailMessage.next_attempt_at.is_(None), MailMessage.next_attempt_at <= now),
            or_(MailMessage.claimed_until.is_(None), MailMessage.claimed_until < now),
        )
        .values(claimed_until=now + hold)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        return None
    row = db.get(MailMessage, message_id)
    if row is None or row.text_body is None or row.html_body is None:
        return None
    db.refresh(row)
    return Outgoing(id=row.id, message=_email(row))


def _email(row: MailMessage) -> EmailMessage:
    settings = get_settings()
    email = EmailMessage()
    email["From"] = settings.MAIL_FROM
    email["To"] = row.to_address
    email["Subject"] = row.subject
    email["Date"] = format_datetime(row.created_at)
    email["Message-ID"] = row.message_id
    if row.extra_headers:
        for name, value in json.loads(crypto.decrypt(row.extra_headers)).items():
            email[name] = value
    email.set_content(crypto.decrypt(row.text_body or ""))
    email.add_alternative(crypto.decrypt(row.html_body or ""), subtype="html")
    # Headers are folded at 998 characters (RFC 5322's limit), not 78: a header without spaces
    # that is longer (List-Unsubscribe's URL) would otherwise be sent as RFC 2047 encoded words,
    # which no mail client reads as a URL. The bodies are encoded by now and stay as they are.
    email.policy = email.policy.clone(max_line_length=998)
    return email


def record_sent(*, db: Session, message_id: int) -> None:
    """The SMTP server accepted the message: sent, and its bodies (one-time links) erased."""
    row = db.get(MailMessage, message_id)
    if row is None:
        return
    now = utcnow()
    row.state = MailState.sent
    row.attempts += 1
    row.sent_at = now
    row.last_error = None
    row.next_attempt_at = None
    row.claimed_until = None
    row.text_body = row.html_body = row.extra_headers = None


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: doubling from MAIL_RETRY_BASE_SECONDS."""
    base = get_settings().MAIL_RETRY_BASE_SECONDS
    return min(timedelta(seconds=base * 2 ** max(0, attempts - 1)), MAX_RETRY_DELAY)


def record_failure(
    *, db: Session, message_id: int, error: str, permanent: bool = False
) -> timedelta | None:
    """Note a failed attempt; the delay before the next one, or None when the message failed
    for good (a permanent refusal, or MAIL_MAX_ATTEMPTS reached)."""
    row = db.get(MailMessage, message_id)
    if row is None:
        return None
    now = utcnow()
    row.attempts += 1
    row.last_error = error[:LAST_ERROR_LENGTH]
    row.claimed_until = None
    if permanent or row.attempts >= get_settings().MAIL_MAX_ATTEMPTS:
        row.state = MailState.failed
        row.next_attempt_at = None
        row.text_body = row.html_body = row.extra_headers = None
        return None
    delay = retry_delay(row.attempts)
    row.next_attempt_at = now + delay
    return delay


def due(*, db: Session, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Queued messages whose next attempt is due and that no worker holds."""
    now = now or utcnow()
    return list(
        db.scalars(
            select(MailMessage.id)
            .where(
                MailMessage.state == MailState.queued,
                MailMessage.next_attempt_at <= now,
                or_(MailMessage.claimed_until.is_(None), MailMessage.claimed_until < now),
            )
            .order_by(MailMessage.next_attempt_at, MailMessage.id)
            .limit(limit)
        )
    )


def list_messages(
    *, db: Session, org_id: int, limit: int, offset: int
) -> tuple[list[MailMessage], int]:
    """The organization's messages, newest first, and how many there are."""
    where = MailMessage.org_id == org_id
    total = db.scalar(select(func.count()).select_from(MailMessage).where(where)) or 0
    rows = db.scalars(
        select(MailMessage)
        .where(where)
        .order_by(MailMessage.created_at.desc(), MailMessage.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total
