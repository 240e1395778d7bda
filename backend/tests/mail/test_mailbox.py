"""The dev mailbox: what the local SMTP listener received, for the owner, in development only."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy.orm import Session

from app.core.config import Settings, get_settings
from app.users.models import Role
from tests.factories import make_org, make_user, member_of
from tests.smtp import SmtpServer

pytestmark = pytest.mark.usefixtures("mail_now")


def test_the_owner_reads_captured_mail_with_both_parts(
    client: TestClient, db: Session, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "LOCAL_MAILBOX_DIR", str(smtp_server.folder))
    org_id = make_org(db)
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    member = make_user(db, org_id=org_id, role=Role.viewer)
    client.post("/api/v1/auth/forgot-password", json={"email": member.email})

    box = client.get("/api/v1/mail/local-mailbox", headers=owner.headers)
    assert box.status_code == 200
    assert box.json()["enabled"] is True
    [summary] = box.json()["items"]
    assert (summary["to"], summary["subject"]) == (member.email, "Reset your Teliporter password")
    one = client.get(f"/api/v1/mail/local-mailbox/{summary['id']}", headers=owner.headers)
    assert one.status_code == 200
    assert "/reset-password?token=" in one.json()["text"]
    assert "/reset-password?token=" in one.json()["html"]

    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    assert client.get("/api/v1/mail/local-mailbox", headers=admin.headers).status_code == 403
    missing = client.get("/api/v1/mail/local-mailbox/../../etc", headers=owner.headers)
    assert missing.status_code == 404
    assert (
        client.get("/api/v1/mail/local-mailbox/1-deadbeef", headers=owner.headers).status_code
        == 404
    )


def test_outside_development_the_mailbox_is_off(client: TestClient, db: Session) -> None:
    owner = member_of(client, db, org_id=make_org(db), role=Role.owner)
    box = client.get("/api/v1/mail/local-mailbox", headers=owner.headers)
    assert box.json() == {"enabled": False, "items": []}


def test_the_mailbox_cannot_read_a_real_relays_mail() -> None:
    # The run's environment (SECRET_KEY...) completes these settings.
    with pytest.raises(ValidationError, match="LOCAL_MAILBOX_DIR"):
        Settings(SMTP_URL="smtp://user:pw@smtp.example.com:587", LOCAL_MAILBOX_DIR="var/mail")
    local = Settings(SMTP_URL="smtp://127.0.0.1:8025", LOCAL_MAILBOX_DIR="var/mail")
    assert local.LOCAL_MAILBOX_DIR == "var/mail"
