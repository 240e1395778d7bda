"""The account mails: an invitation, a password reset link, the notice of a reset, and a change
of sign-in address (the link to the new address, the notice to the old)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.mail import rendering
from app.mail import service as mail_service
from app.mail.models import MailKind, MailMessage
from app.users.models import User


def _when(moment: datetime, user: User) -> str:
    """A moment on the clock of the user's organization, its zone named ("14 Dec 2026, 09:30
    GMT"), as the digests and alerts date things; UTC for a user without one."""
    zone = ZoneInfo(user.organization.timezone if user.organization else "UTC")
    local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
    return f"{local:%d %b %Y, %H:%M} {local.tzname()}"


def _queue(
    db: Session,
    user: User,
    kind: MailKind,
    subject: str,
    context: dict[str, object],
    *,
    to: str | None = None,
) -> MailMessage:
    """Queue an account mail to the user (or `to`), from the template named as its kind, with
    the user's name in its context."""
    return mail_service.queue(
        db=db,
        org_id=user.org_id,
        to=to or user.email,
        kind=kind,
        subject=subject,
        template=kind.value,
        context={"full_name": user.full_name, **context},
    )


def send_invitation(
    *, db: Session, user: User, token: str, expires_at: datetime, inviter: User | None
) -> MailMessage:
    """Mail an invited user the link to /accept-invite."""
    org_name = user.organization.name if user.organization else ""
    return _queue(
        db,
        user,
        MailKind.invitation,
        f"You are invited to {org_name} on Teliporter",
        {
            "inviter": inviter.full_name if inviter else "An administrator",
            "org_name": org_name,
            "role": user.role.value,
            "link": rendering.link("/accept-invite", token=token),
            "expires": _when(expires_at, user),
        },
    )


def send_password_reset(*, db: Session, user: User, token: str) -> MailMessage:
    """Mail the single-use link to /reset-password."""
    return _queue(
        db,
        user,
        MailKind.password_reset,
        "Reset your Teliporter password",
        {"email": user.email, "link": rendering.link("/reset-password", token=token)},
    )


def send_password_changed(*, db: Session, user: User, changed_at: datetime) -> MailMessage:
    """Tell the user their password was reset (and how to react if it was not them)."""
    return _queue(
        db,
        user,
        MailKind.password_changed,
        "Your Teliporter password was reset",
        {
            "email": user.email,
            "changed_at": _when(changed_at, user),
            "link": rendering.link("/forgot-password"),
        },
    )


def send_email_change(
    *, db: Session, user: User, new_email: str, token: str, hours: int
) -> MailMessage:
    """Mail the new address the link to /confirm-email that makes it the sign-in address."""
    return _queue(
        db,
        user,
        MailKind.email_change,
        "Confirm your new Teliporter sign-in address",
        {
            "old_email": user.email,
            "new_email": new_email,
            "hours": hours,
            "link": rendering.link("/confirm-email", token=token),
        },
        to=new_email,
    )


def send_email_change_notice(*, db: Session, user: User, new_email: str) -> MailMessage:
    """Tell the current address that a change away from it was asked for."""
    return _queue(
        db,
        user,
        MailKind.email_change_notice,
        "A change of your Teliporter sign-in address was requested",
        {
            "old_email": user.email,
            "new_email": new_email,
            "link": rendering.link("/forgot-password"),
        },
    )
