"""What the whole test run logged, checked for secrets when it ends (tests/conftest.py).

Every record the run's loggers emit, at the level the app is configured to log (the tests' own
LOG_LEVEL), is written to one file: the message, its fields and any traceback, as the app's JSON
formatter writes them to production logs. When the session finishes, that file is searched for
what must never reach a log: a password the tests use, an Argon2 hash, a JSON web token, a Fernet
token (Square tokens at rest), a Square access token, the run's SECRET_KEY and ENCRYPTION_KEY, and
the Square application secrets. A hit fails the run, naming the kind and the line.

Logs of the subprocesses some tests start (workers, uvicorn, nginx) are not read here: those
tests send them to their own files or nowhere.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

from app.core.logging import JsonFormatter

PATTERNS: dict[str, re.Pattern[str]] = {
    "a JSON web token": re.compile(
        r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    ),
    "an Argon2 hash": re.compile(r"\$argon2(?:id|i|d)\$"),
    "a Fernet token": re.compile(r"gAAAAA[A-Za-z0-9_=-]{40,}"),
    "a Square access token": re.compile(r"\bEAAA[A-Za-z0-9_-]{20,}"),
    "a Square refresh token": re.compile(r"\bEQAA[A-Za-z0-9_-]{20,}"),
    "a Square application secret": re.compile(r"\bsq0csp-[A-Za-z0-9_-]{10,}"),
    "a Square authorization code": re.compile(r"\bsq0cgp-[A-Za-z0-9_-]{10,}"),
}


class _AsProduction(logging.Formatter):
    """The app's JSON lines. (A wrapper, not a JsonFormatter: app.core.logging.configure_logging
    takes a root handler with a JsonFormatter for its own and would then add none.)"""

    def __init__(self) -> None:
        super().__init__()
        self.json = JsonFormatter()

    def format(self, record: logging.LogRecord) -> str:
        return self.json.format(record)


class RunLog(logging.Handler):
    """Appends every record it is given to `path`, one JSON line each. The file is opened for
    each record: logging.config.dictConfig (uvicorn calls it when a test serves the app) closes
    every handler there is, and a handler holding its file open would record nothing after."""

    def __init__(self, path: Path) -> None:
        super().__init__(level=logging.DEBUG)
        self.path = path
        self.setFormatter(_AsProduction())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record).replace("\n", "\\n")
            with self.path.open("a", encoding="utf-8") as file:
                file.write(line + "\n")
        except Exception:  # a handler must never break the code that logs
            self.handleError(record)


def find_secrets(lines: Iterable[str], literals: Iterable[str]) -> list[str]:
    """Each line holding a secret, as `kind: line` (the line cut to 300 characters)."""
    named = [(f"the literal secret {value[:4]}…", value) for value in literals if len(value) >= 8]
    found = []
    for line in lines:
        kinds = [kind for kind, pattern in PATTERNS.items() if pattern.search(line)]
        kinds += [kind for kind, value in named if value in line]
        if kinds:
            found.append(f"{', '.join(kinds)}: {line.strip()[:300]}")
    return found
