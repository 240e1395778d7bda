"""The real SMTP server's fixtures (tests/smtp.py)."""

from tests.smtp import mail_now, smtp_server

__all__ = ["mail_now", "smtp_server"]
