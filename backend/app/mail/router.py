from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from app.auth.deps import AdminUser, OwnerUser
from app.core.deps import DbSession
from app.core.inputs import Offset
from app.core.routing import BoundedJsonRoute
from app.mail import mailbox
from app.mail import service as mail_service
from app.mail.schemas import (
    CapturedMail,
    CapturedSummary,
    LocalMailbox,
    MailMessagePage,
    MailMessageRead,
)

router = APIRouter(prefix="/mail", tags=["mail"], route_class=BoundedJsonRoute)

Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/messages", response_model=MailMessagePage)
def list_messages(
    db: DbSession, admin: AdminUser, limit: Limit = 50, offset: Offset = 0
) -> MailMessagePage:
    """The organization's e-mails, newest first, with their delivery state (owner or admin)."""
    rows, total = mail_service.list_messages(db=db, org_id=admin.org_id, limit=limit, offset=offset)
    return MailMessagePage(items=[MailMessageRead.model_validate(r) for r in rows], total=total)


@router.get("/local-mailbox", response_model=LocalMailbox)
def read_local_mailbox(owner: OwnerUser) -> LocalMailbox:
    """Development only: what the local SMTP listener received (every organization's mail)."""
    enabled = mailbox.folder() is not None
    items = [CapturedSummary.model_validate(m) for m in mailbox.list_messages()]
    return LocalMailbox(enabled=enabled, items=items)


@router.get("/local-mailbox/{message_id}", response_model=CapturedMail)
def read_local_mail(message_id: str, owner: OwnerUser) -> CapturedMail:
    """Development only: one captured message, with its text and HTML parts."""
    return CapturedMail.model_validate(mailbox.get(message_id))
