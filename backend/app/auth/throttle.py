"""Throttling of whatever costs a password hash, from the attempts recorded in login_attempt."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from app.auth.models import AttemptKind, LoginAttempt
from app.core.config import get_settings
from app.core.errors import TooManyRequests

# An address as stored; the column is this wide.
ADDRESS_LENGTH = 64


def window() -> timedelta:
    return timedelta(seconds=get_settings().LOGIN_FAILURE_WINDOW_SECONDS)


def check(
    db: Session,
    *,
    kind: AttemptKind,
    where: ColumnElement[bool],
    limit: int,
    now: datetime,
    message: str,
    failures_only: bool = True,
    reset_by_success: bool = False,
) -> None:
    """Raise TooManyRequests (with the seconds until the next attempt is allowed) when `limit`
    attempts matching `where` (only failed ones if `failures_only`, only those after the last
    success if `reset_by_success`) were made within the window."""
    span = window()
    start = now - span
    matching = (LoginAttempt.kind == kind, where)
    if reset_by_success:
        last_success = db.scalar(
            select(func.max(LoginAttempt.created_at)).where(
                *matching, LoginAttempt.succeeded.is_(True), LoginAttempt.created_at >= start
            )
        )
        start = max(start, last_success) if last_success else start
    query = select(LoginAttempt.created_at).where(*matching, LoginAttempt.created_at >= start)
    if failures_only:
        query = query.where(LoginAttempt.succeeded.is_(False))
    attempts = list(db.scalars(query.order_by(LoginAttempt.created_at)))
    if len(attempts) >= limit:
        # Allowed again once enough of the attempts have aged out of the window.
        unblock_at = attempts[len(attempts) - limit] + span
        retry_after = int((unblock_at - now).total_seconds()) + 1
        raise TooManyRequests(
            f"{message}; try again in {retry_after} seconds", retry_after=retry_after
        )


def record(
    db: Session,
    *,
    kind: AttemptKind,
    email: str,
    address: str,
    succeeded: bool,
    now: datetime,
    known_device_id: int | None = None,
) -> None:
    """Record an attempt and forget those too old to matter to any throttle."""
    db.add(
        LoginAttempt(
            kind=kind,
            email=email,
            address=address[:ADDRESS_LENGTH],
            succeeded=succeeded,
            known_device_id=known_device_id,
            created_at=now,
        )
    )
    db.execute(delete(LoginAttempt).where(LoginAttempt.created_at < now - timedelta(days=1)))
    db.flush()
