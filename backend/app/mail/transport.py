"""SMTP delivery: SMTP_URL parsed, one message handed to the server with smtplib."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from app.core.config import get_settings

TRUE_WORDS = {"1", "true", "yes", "on"}


class SmtpUrlError(ValueError):
    """SMTP_URL is missing or malformed."""


class DeliveryError(Exception):
    """The SMTP server did not take the message; `permanent` when trying again cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: bool  # smtps: TLS from the first byte
    starttls: bool
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://[user:password@]host[:port][?starttls=true|false] or smtps://... (see Settings)."""
    if not url:
        raise SmtpUrlError("SMTP_URL is not set")
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"}:
        raise SmtpUrlError("SMTP_URL must start with smtp:// or smtps://")
    if not parts.hostname:
        raise SmtpUrlError("SMTP_URL has no host")
    tls = parts.scheme == "smtps"
    try:
        port = parts.port or (465 if tls else 25)
    except ValueError as exc:
        raise SmtpUrlError("SMTP_URL has an invalid port") from exc
    query = parse_qs(parts.query)
    if "starttls" in query:
        starttls = query["starttls"][-1].lower() in TRUE_WORDS
    else:
        starttls = not tls and port == 587  # the submission port speaks STARTTLS
    return SmtpTarget(
        host=parts.hostname,
        port=port,
        tls=tls,
        starttls=starttls and not tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


def send(message: EmailMessage) -> None:
    """Hand one message to the configured SMTP server; raises DeliveryError."""
    settings = get_settings()
    try:
        target = parse_smtp_url(settings.SMTP_URL)
    except SmtpUrlError as exc:
        raise DeliveryError(str(exc)) from exc
    timeout = settings.SMTP_TIMEOUT_SECONDS
    context = ssl.create_default_context()
    try:
        smtp: smtplib.SMTP
        if target.tls:
            smtp = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(target.host, target.port, timeout=timeout)
        with smtp:
            if target.starttls:
                smtp.starttls(context=context)
            if target.username:
                smtp.login(target.username, target.password or "")
            refused = smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=True) from exc
    except smtplib.SMTPResponseException as exc:
        # 5xx is the server's final word (bad address, policy); 4xx asks to try later.
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else ""
        raise DeliveryError(
            f"SMTP {exc.smtp_code} {text}".strip(), permanent=500 <= exc.smtp_code < 600
        ) from exc
    except (OSError, smtplib.SMTPException) as exc:
        # Connection refused, timeout, TLS failure, server gone: all worth another try.
        raise DeliveryError(f"{type(exc).__name__}: {exc}") from exc
    if refused:
        raise DeliveryError(f"recipient refused: {refused}", permanent=True)
