from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict

from app.mail.models import MailKind, MailState


class MailMessageRead(BaseModel):
    """A message's record: where it went and how delivery went (never its body)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    to_address: str
    subject: str
    kind: MailKind
    state: MailState
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None


class MailMessagePage(BaseModel):
    items: list[MailMessageRead]
    total: int


class CapturedSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    received_at: datetime
    to: str
    sender: str
    subject: str


class CapturedMail(CapturedSummary):
    text: str | None
    html: str | None


class LocalMailbox(BaseModel):
    """The dev mailbox; `enabled` is false outside development (LOCAL_MAILBOX_DIR unset)."""

    enabled: bool
    items: list[CapturedSummary]
