"""A local SMTP listener for development and tests: every message it receives is stored as an
.eml file in a folder, which the dev mailbox (GET /api/v1/mail/local-mailbox, the web app's
/dev/mailbox) reads. `make run` starts it on 127.0.0.1:8025 unless SMTP_URL is configured.

    python -m app.mail.localserver --port 8025 --dir var/mail

It accepts any sender and recipient, without authentication or TLS: never expose it.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


class StoreInFolder:
    """aiosmtpd handler: one file per message, written whole then renamed into place, so a
    reader never sees half a message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        recipients = ", ".join(str(r) for r in envelope.rcpt_tos)
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"
        part = self.folder / f".{name}.part"
        part.write_bytes(f"X-Envelope-To: {recipients}\r\n".encode() + content)
        os.replace(part, self.folder / f"{name}.eml")
        return "250 Message accepted for delivery"


def serve(host: str, port: int, folder: Path) -> Controller:
    """Start listening in a background thread (stop with .stop())."""
    controller = Controller(StoreInFolder(folder), hostname=host, port=port)
    controller.start()
    return controller


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--dir", type=Path, required=True, help="folder for the .eml files")
    args = parser.parse_args(argv)
    controller = serve(args.host, args.port, args.dir)
    print(f"SMTP listener on {args.host}:{args.port}, storing mail in {args.dir}", flush=True)
    stop = threading.Event()

    def _stop(*_: Any) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
