"""A user's notification settings (their digests and the alerts switch), read and replaced
whole, by the user or by an owner or admin for a member of the team; unsubscribing by link."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.metrics import METRIC_NAMES
from app.core.errors import DomainError, InvalidField
from app.core.security import token_digest
from app.notifications.models import (
    DigestFrequency,
    DigestSubscription,
    DigestUnsubscribeToken,
    NotificationSettings,
)
from app.notifications.schemas import (
    AlertSettings,
    DigestSettings,
    NotificationsRead,
    NotificationsUpdate,
    UnsubscribeRead,
)
from app.users import service as user_service
from app.users.models import User

MAX_TOKEN_LENGTH = 128


class UnknownLink(DomainError):
    """An unsubscribe token that no digest carried (or a mangled one)."""

    status_code = 404

    def __init__(self) -> None:
        super().__init__("This unsubscribe link is not valid")


def _subscriptions(db: Session, user_id: int) -> dict[DigestFrequency, DigestSubscription]:
    rows = db.scalars(select(DigestSubscription).where(DigestSubscription.user_id == user_id))
    return {row.frequency: row for row in rows}


def alerts_email(*, db: Session, user_id: int) -> bool:
    """Whether the user takes exception alerts by e-mail (their own switch; on by default)."""
    row = db.get(NotificationSettings, user_id)
    return True if row is None else row.alerts_email


def read(*, db: Session, user: User) -> NotificationsRead:
    """The user's digests, both frequencies (one never set up reads as off, with the
    defaults), and their alerts switch."""
    found = _subscriptions(db, user.id)
    digests = []
    for frequency in DigestFrequency:
        row = found.get(frequency)
        if row is None:
            digests.append(DigestSettings(frequency=frequency, enabled=False))
        else:
            digests.append(DigestSettings.model_validate(row))
    return NotificationsRead(
        digests=digests, alerts=AlertSettings(email=alerts_email(db=db, user_id=user.id))
    )


def _checked_metrics(names: list[str], index: int) -> list[str]:
    chosen = list(dict.fromkeys(names))  # repeats dropped, the order kept
    unknown = [name for name in chosen if name not in METRIC_NAMES]
    if unknown:
        raise InvalidMetrics(index, f"{unknown[0][:64]!r} is not a metric of the catalog")
    return chosen


class InvalidMetrics(InvalidField):
    """Named `metrics` (the field a form shows the message at), located in its digest."""

    def __init__(self, index: int, message: str) -> None:
        super().__init__("metrics", message)
        self.index = index

    def body(self) -> dict[str, object]:
        body = super().body()
        body["detail"][0]["loc"] = ["body", "digests", self.index, "metrics"]
        return body


def update(*, db: Session, user: User, settings_in: NotificationsUpdate) -> NotificationsRead:
    """Set the user's notifications to the state given (idempotent: the same body twice leaves
    the same state)."""
    if settings_in.digests is not None:
        wanted: dict[DigestFrequency, tuple[int, DigestSettings]] = {}
        for index, digest in enumerate(settings_in.digests):
            if digest.frequency in wanted:
                raise InvalidField(
                    "digests", f"The {digest.frequency.value} digest is listed twice"
                )
            wanted[digest.frequency] = (index, digest)
        found = _subscriptions(db, user.id)
        for frequency in DigestFrequency:
            row = found.get(frequency)
            if frequency not in wanted:
                # Switched off, its settings and its record of what was sent kept: switching it
                # on again the same day does not send that day's digest a second time.
                if row is not None:
                    row.enabled = False
                continue
            index, digest = wanted[frequency]
            metrics = _checked_metrics(digest.metrics, index)
            if row is None:
                row = DigestSubscription(org_id=user.org_id, user_id=user.id, frequency=frequency)
                db.add(row)
            row.enabled = digest.enabled
            row.local_hour = digest.local_hour
            row.weekday = digest.weekday
            row.metrics = metrics
            row.include_league = digest.include_league
    if settings_in.alerts is not None:
        own = db.get(NotificationSettings, user.id)
        if own is None:
            own = NotificationSettings(user_id=user.id, org_id=user.org_id)
            db.add(own)
        own.alerts_email = settings_in.alerts.email
    db.flush()
    return read(db=db, user=user)


def read_for(*, db: Session, org_id: int, user_id: int) -> NotificationsRead:
    """A team member's notifications (another organization's user is not found)."""
    return read(db=db, user=user_service.get(db=db, org_id=org_id, user_id=user_id))


def update_for(
    *, db: Session, org_id: int, user_id: int, settings_in: NotificationsUpdate
) -> NotificationsRead:
    """Set a team member's notifications (another organization's user is not found)."""
    user = user_service.get(db=db, org_id=org_id, user_id=user_id)
    return update(db=db, user=user, settings_in=settings_in)


def _subscription_of(db: Session, token: str) -> DigestSubscription:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise UnknownLink()
    link = db.scalar(
        select(DigestUnsubscribeToken).where(
            DigestUnsubscribeToken.token_digest == token_digest(token)
        )
    )
    subscription = db.get(DigestSubscription, link.subscription_id) if link else None
    if subscription is None:
        raise UnknownLink()
    return subscription


def _described(db: Session, subscription: DigestSubscription) -> UnsubscribeRead:
    user = db.get(User, subscription.user_id)
    assert user is not None  # the subscription goes with its user (ON DELETE CASCADE)
    return UnsubscribeRead(
        frequency=subscription.frequency,
        enabled=subscription.enabled,
        email=user.email,
        organization=user.organization.name,
    )


def describe_link(*, db: Session, token: str) -> UnsubscribeRead:
    """What a digest's unsubscribe link switches off, and whether it is still on."""
    return _described(db, _subscription_of(db, token))


def unsubscribe(*, db: Session, token: str) -> UnsubscribeRead:
    """Switch off the digest a link came in (RFC 8058 one-click; idempotent)."""
    subscription = _subscription_of(db, token)
    subscription.enabled = False
    db.flush()
    return _described(db, subscription)
