"""The dev mailbox: the messages the local SMTP listener (app/mail/localserver.py) stored in
LOCAL_MAILBOX_DIR, read back for the owner (development only; see Settings)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from app.core.config import get_settings
from app.core.errors import NotFound

NAME = re.compile(r"^[0-9]+-[0-9a-f]{8}$")
MAX_LISTED = 200


@dataclass(frozen=True)
class Captured:
    id: str
    received_at: datetime
    to: str
    sender: str
    subject: str
    text: str | None
    html: str | None


def folder() -> Path | None:
    """The mailbox's folder, or None when the dev mailbox is off."""
    configured = get_settings().LOCAL_MAILBOX_DIR
    return Path(configured) if configured else None


def _read(path: Path) -> Captured:
    parsed = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    assert isinstance(parsed, EmailMessage)
    text = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    stamp = int(path.stem.split("-", 1)[0])
    return Captured(
        id=path.stem,
        received_at=datetime.fromtimestamp(stamp / 1e9, tz=UTC),
        to=str(parsed.get("To", "")),
        sender=str(parsed.get("From", "")),
        subject=str(parsed.get("Subject", "")),
        text=text.get_content() if text is not None else None,
        html=html.get_content() if html is not None else None,
    )


def list_messages() -> list[Captured]:
    """The newest captured messages first (at most MAX_LISTED)."""
    where = folder()
    if where is None or not where.is_dir():
        return []
    paths = sorted(where.glob("*.eml"), key=lambda p: p.name, reverse=True)[:MAX_LISTED]
    return [_read(path) for path in paths if NAME.match(path.stem)]


def get(message_id: str) -> Captured:
    where = folder()
    if where is None or not NAME.match(message_id):
        raise NotFound("message", message_id)
    path = where / f"{message_id}.eml"
    if not path.is_file():
        raise NotFound("message", message_id)
    return _read(path)
