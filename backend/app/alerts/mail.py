"""The alert e-mail: one per occurrence and recipient, subject naming the store and what
happened, a link to the view in the app where it shows."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.alerts.models import AlertKind, AlertOccurrence
from app.mail import rendering
from app.mail import service as mail_service
from app.mail.models import MailKind, MailMessage
from app.users.models import User

BUTTON = {
    AlertKind.square_connection: "Open the Square settings",
    AlertKind.footfall_missing: "Enter the footfall",
    AlertKind.rates_stale: "Open the reports",
}


def send_alert(*, db: Session, occurrence: AlertOccurrence, user: User) -> MailMessage:
    """Queue the alert's mail to one recipient (sent by the mail worker)."""
    return mail_service.queue(
        db=db,
        org_id=occurrence.org_id,
        to=user.email,
        kind=MailKind.alert,
        subject=occurrence.summary,
        template="alert",
        context={
            "full_name": user.full_name,
            "summary": occurrence.summary,
            "detail": occurrence.detail,
            "link": rendering.link(occurrence.link_path),
            "label": BUTTON.get(occurrence.kind, "Open the store's day"),
        },
    )
