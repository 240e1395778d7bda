"""The worker's side of mail: `mail.send` delivers one message, retried with a doubling delay
while the SMTP server is unreachable or asks to try later; `mail.resume_queued` (beat, every
minute) re-sends what is due, so a message whose task was lost (broker restart, retries run
out of a dead worker) is still delivered. A message is never lost to a down server: it stays
queued until MAIL_MAX_ATTEMPTS attempts have failed, and is then marked failed (listed at
GET /api/v1/mail/messages).
"""

from __future__ import annotations

import logging

from celery import Task

from app.celery_app import celery_app
from app.core.db import session_scope
from app.mail import service as mail_service
from app.mail import transport

log = logging.getLogger(__name__)


@celery_app.task(name="mail.send", bind=True, acks_late=True, max_retries=None)
def send(self: Task, message_id: int) -> str:
    """Deliver one message (a no-op for one already sent, failed or in another worker's hands)."""
    with session_scope() as db:
        outgoing = mail_service.claim(db=db, message_id=message_id)
    if outgoing is None:
        return "nothing to send"
    try:
        transport.send(outgoing.message)
    except transport.DeliveryError as exc:
        with session_scope() as db:
            delay = mail_service.record_failure(
                db=db, message_id=message_id, error=str(exc), permanent=exc.permanent
            )
        if delay is None:
            log.error("mail %s failed for good: %s", message_id, exc)
            return "failed"
        log.warning("mail %s not sent, retrying in %ss: %s", message_id, delay, exc)
        raise self.retry(countdown=delay.total_seconds(), exc=exc) from exc
    with session_scope() as db:
        mail_service.record_sent(db=db, message_id=message_id)
    return "sent"


@celery_app.task(name="mail.resume_queued")
def resume_queued() -> int:
    """Queue a `mail.send` for every message whose next attempt is due."""
    with session_scope() as db:
        ids = mail_service.due(db=db)
    for message_id in ids:
        send.delay(message_id)
    return len(ids)
