"""A real SMTP server for the mail tests (tests/mail, tests/alerts): app/mail/localserver.py in its
own process, on a free port, storing what it receives as .eml files; the app is pointed at it
(SMTP_URL). The test packages import its fixtures in their conftest.py."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from tests.processes import BACKEND_DIR, free_port

BASE_URL = "https://app.teliporter.test"
LINK = re.compile(r"https://app\.teliporter\.test/[a-z-]+\?token=[A-Za-z0-9_%.-]*[A-Za-z0-9_%-]")


class SmtpServer:
    """The listener process; stopped and started again on the same port to play a server that
    goes down and comes back."""

    def __init__(self, port: int, folder: Path) -> None:
        self.port = port
        self.folder = folder
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "app.mail.localserver",
                "--port",
                str(self.port),
                "--dir",
                str(self.folder),
            ],
            cwd=BACKEND_DIR,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the SMTP listener exited"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the SMTP listener did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def messages(self) -> list[EmailMessage]:
        """Everything received so far, oldest first."""
        parsed = []
        for path in sorted(self.folder.glob("*.eml")):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            assert isinstance(message, EmailMessage)
            parsed.append(message)
        return parsed

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]


@pytest.fixture
def smtp_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    from app.core.config import get_settings

    server = SmtpServer(free_port(), tmp_path / "mailbox")
    server.start()
    settings = get_settings()
    monkeypatch.setattr(settings, "SMTP_URL", server.url)
    monkeypatch.setattr(settings, "APP_BASE_URL", BASE_URL)
    monkeypatch.setattr(settings, "MAIL_FROM", "Teliporter <no-reply@teliporter.test>")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_now() -> Iterator[None]:
    """`mail.send` runs as soon as the request commits, in the test's process (Celery's eager
    mode): the mail is on the SMTP server when the response arrives."""
    from app.celery_app import celery_app

    conf = celery_app.conf
    before = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager = conf.task_eager_propagates = True
    yield
    conf.task_always_eager, conf.task_eager_propagates = before


def parts(message: EmailMessage) -> tuple[str, str]:
    """A message's plain-text and HTML parts (each must be there)."""
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None, message
    return text.get_content(), html.get_content()


def link_in(message: EmailMessage) -> str:
    """The one app link of a mail, the same in its text and HTML parts."""
    text, html = parts(message)
    in_text = set(LINK.findall(text))
    assert len(in_text) == 1, text
    link = in_text.pop()
    assert f'href="{link}"' in html
    return link


def token_of(link: str) -> str:
    from urllib.parse import parse_qs, urlsplit

    return parse_qs(urlsplit(link).query)["token"][0]
