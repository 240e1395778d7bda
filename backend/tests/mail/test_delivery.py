"""Delivery by a real Celery worker: an SMTP server that is down delays mail, loses none and
sends none twice; SMTP_URL's forms; the retry schedule."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.mail import service as mail_service
from app.mail import transport
from app.mail.models import MailMessage
from app.users.models import Role
from tests.factories import make_org, make_user, member_of
from tests.processes import free_port, start_worker, stop
from tests.smtp import BASE_URL, SmtpServer, link_in


def wait_for(check: Callable[[], Any], what: str, seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def test_mail_waits_out_a_down_smtp_server_and_arrives_once(
    client: TestClient, db: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = SmtpServer(free_port(), tmp_path / "mailbox")  # not started: the server is down
    monkeypatch.setattr(get_settings(), "APP_BASE_URL", BASE_URL)
    org_id = make_org(db)
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    member = make_user(db, org_id=org_id, role=Role.viewer)
    # The worker reads its settings from the environment: the server's port, a first retry
    # after a second (then 2, 4, 8 s...).
    worker = start_worker(
        "mail-test",
        env={"SMTP_URL": server.url, "MAIL_RETRY_BASE_SECONDS": "1"},
        concurrency=2,
        purge=True,
    )
    try:
        asked = client.post("/api/v1/auth/forgot-password", json={"email": member.email})
        assert asked.status_code == 202

        def record() -> dict[str, Any]:
            page = client.get("/api/v1/mail/messages", headers=owner.headers).json()
            assert page["total"] == 1
            return dict(page["items"][0])

        failing = wait_for(lambda: (r := record())["attempts"] >= 2 and r, "two failed attempts")
        assert failing["state"] == "queued"
        assert "Connection" in failing["last_error"]
        assert failing["next_attempt_at"] is not None
        assert server.messages() == []

        server.start()
        sent = wait_for(lambda: (r := record())["state"] == "sent" and r, "the delivery")
        assert sent["attempts"] > failing["attempts"]
        assert sent["last_error"] is None
        [mail] = server.messages()
        assert mail["To"] == member.email
        assert link_in(mail).startswith(f"{BASE_URL}/reset-password?token=")
        # Delivered, its bodies (the one-time link) are no longer kept.
        db.expire_all()
        row = db.get(MailMessage, sent["id"])
        assert row is not None and row.text_body is None and row.html_body is None
    finally:
        stop(worker)
        server.stop()


def test_a_sent_message_is_not_sent_again_by_a_late_retry_or_the_sweep(
    db: Session, smtp_server: SmtpServer
) -> None:
    from app.mail import tasks

    member = make_user(db, org_id=make_org(db), role=Role.viewer)
    from app.mail import account as account_mail

    message = account_mail.send_password_changed(
        db=db, user=member.user, changed_at=member.user.created_at
    )
    message_id = message.id
    db.commit()
    assert tasks.send.run(message_id) == "sent"
    # A duplicate task (a retry and the periodic sweep both asked) finds nothing to do.
    assert tasks.send.run(message_id) == "nothing to send"
    assert tasks.resume_queued.run() == 0
    assert len(smtp_server.messages()) == 1


def test_a_message_gives_up_after_the_last_attempt(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "MAIL_MAX_ATTEMPTS", 3)
    member = make_user(db, org_id=make_org(db), role=Role.viewer)
    from app.mail import account as account_mail

    message = account_mail.send_password_changed(
        db=db, user=member.user, changed_at=member.user.created_at
    )
    delays = [
        mail_service.record_failure(db=db, message_id=message.id, error="SMTP 421 busy")
        for _ in range(3)
    ]
    base = get_settings().MAIL_RETRY_BASE_SECONDS
    assert delays == [timedelta(seconds=base), timedelta(seconds=2 * base), None]
    assert message.state == "failed" and message.attempts == 3
    assert message.text_body is None


def test_the_retry_delay_doubles_up_to_an_hour() -> None:
    base = get_settings().MAIL_RETRY_BASE_SECONDS
    assert mail_service.retry_delay(1) == timedelta(seconds=base)
    assert mail_service.retry_delay(3) == timedelta(seconds=4 * base)
    assert mail_service.retry_delay(40) == timedelta(hours=1)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://127.0.0.1:1025", ("127.0.0.1", 1025, False, False, None, None)),
        ("smtp://relay.example.com", ("relay.example.com", 25, False, False, None, None)),
        (
            "smtp://apikey:p%40ss%3Aword@smtp.example.com:587",
            ("smtp.example.com", 587, False, True, "apikey", "p@ss:word"),
        ),
        (
            "smtp://u:p@smtp.example.com:2525?starttls=true",
            ("smtp.example.com", 2525, False, True, "u", "p"),
        ),
        (
            "smtp://u:p@smtp.example.com:587?starttls=false",
            ("smtp.example.com", 587, False, False, "u", "p"),
        ),
        ("smtps://u:p@smtp.example.com", ("smtp.example.com", 465, True, False, "u", "p")),
    ],
)
def test_smtp_url_forms(url: str, expected: tuple[object, ...]) -> None:
    target = transport.parse_smtp_url(url)
    assert (
        target.host,
        target.port,
        target.tls,
        target.starttls,
        target.username,
        target.password,
    ) == expected


@pytest.mark.parametrize("url", ["", "http://mail.example.com", "smtp://", "smtp://h:notaport"])
def test_a_bad_smtp_url_is_explained(url: str) -> None:
    with pytest.raises(transport.SmtpUrlError):
        transport.parse_smtp_url(url)
