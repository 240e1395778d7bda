from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from app.core.config import DEFAULT_SECRET_KEY, Settings, var_dir

GOOD = {"SECRET_KEY": "a" * 64, "ENCRYPTION_KEY": Fernet.generate_key().decode()}
BACKEND_DIR = Path(__file__).resolve().parents[2]
IGNORE_CACHES = shutil.ignore_patterns("__pycache__")


@pytest.fixture(autouse=True)
def bare_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests state every variable they need; the test run's own ones stay out."""
    for name in list(os.environ):
        if name in Settings.model_fields:
            monkeypatch.delenv(name)


def make(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"ENCRYPTION_KEY": GOOD["ENCRYPTION_KEY"]}, "SECRET_KEY"),
        ({**GOOD, "SECRET_KEY": DEFAULT_SECRET_KEY}, "SECRET_KEY"),
        ({**GOOD, "SECRET_KEY": "<generated-hex-key>"}, "SECRET_KEY"),
        ({**GOOD, "SECRET_KEY": "too-short"}, "SECRET_KEY"),
        ({"SECRET_KEY": GOOD["SECRET_KEY"]}, "ENCRYPTION_KEY"),
        ({**GOOD, "ENCRYPTION_KEY": "<generated-fernet-key>"}, "ENCRYPTION_KEY"),
    ],
)
def test_production_settings_refuse_missing_or_default_secrets(
    env: dict[str, str], variable: str
) -> None:
    with pytest.raises(ValidationError) as info:
        make(DEBUG="False", **env)
    assert variable in str(info.value)


def test_debug_mode_accepts_the_development_defaults() -> None:
    settings = make(DEBUG="True")
    assert settings.SECRET_KEY == DEFAULT_SECRET_KEY


def test_plan_values_parse_as_the_plan_writes_them() -> None:
    settings = make(
        **GOOD,
        DATABASE_URL="postgresql://teliporter:pw@db.example:25060/teliporter?sslmode=require",
        CORS_ORIGINS='["https://app.teliporter.com"]',
        ACCESS_TOKEN_EXPIRE_MINUTES="15",
        REFRESH_TOKEN_EXPIRE_DAYS="7",
        SQUARE_ENVIRONMENT="production",
    )
    assert settings.DATABASE_URL == (
        "postgresql+psycopg://teliporter:pw@db.example:25060/teliporter?sslmode=require"
    )
    assert settings.CORS_ORIGINS == ["https://app.teliporter.com"]
    assert settings.square_base_url == "https://connect.squareup.com"


def test_square_api_base_url_overrides_the_environment_host() -> None:
    sandbox = make(**GOOD, SQUARE_ENVIRONMENT="sandbox")
    assert sandbox.square_base_url == "https://connect.squareupsandbox.com"
    pointed = make(
        **GOOD, SQUARE_ENVIRONMENT="production", SQUARE_API_BASE_URL="http://127.0.0.1:9/"
    )
    assert pointed.square_base_url == "http://127.0.0.1:9"


def test_embedded_defaults_need_nothing_installed() -> None:
    settings = make(**GOOD)
    assert settings.DATABASE_URL.startswith("sqlite:///")
    assert settings.DATABASE_URL.endswith("backend/var/teliporter.sqlite3")
    assert settings.CELERY_BROKER_URL.startswith("sqla+sqlite:///")
    assert settings.REDIS_URL == ""
    assert settings.SQUARE_ENVIRONMENT == "simulator"


def test_var_dir_is_backend_var_in_a_checkout_and_the_working_directorys_once_installed(
    tmp_path: Path,
) -> None:
    # A checkout (this one): backend/var, wherever the process runs from.
    assert var_dir(BACKEND_DIR, cwd=tmp_path) == BACKEND_DIR / "var"
    # Installed as a wheel, "BACKEND_DIR" is site-packages (no alembic.ini, no pyproject.toml):
    # the working directory's var/, which is /app/var in the image.
    site_packages = tmp_path / "opt" / "venv" / "lib" / "python3.11" / "site-packages"
    (site_packages / "app" / "core").mkdir(parents=True)
    workdir = tmp_path / "app"
    assert var_dir(site_packages, cwd=workdir) == workdir / "var"


def test_the_installed_layout_puts_the_defaults_under_the_working_directory(
    tmp_path: Path,
) -> None:
    # The package copied alone (as a wheel installs it), imported from another directory.
    site_packages = tmp_path / "site-packages"
    shutil.copytree(BACKEND_DIR / "app", site_packages / "app", ignore=IGNORE_CACHES)
    workdir = tmp_path / "workdir"
    workdir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in Settings.model_fields}
    env.update(PYTHONPATH=str(site_packages), TELIPORTER_ENV_FILE="", DEBUG="true")
    code = (
        "from app.core.config import get_settings as g; s = g(); "
        "print(s.EXPORT_DIR); print(s.DATABASE_URL)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    export_dir, database_url = result.stdout.split()
    assert export_dir == str(workdir / "var" / "exports")
    assert database_url == f"sqlite:///{workdir / 'var' / 'teliporter.sqlite3'}"


def test_env_file_is_read(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"SECRET_KEY={'b' * 40}\nENCRYPTION_KEY={GOOD['ENCRYPTION_KEY']}\nAPP_NAME=From File\n"
    )
    settings = Settings(_env_file=env_file)
    assert settings.APP_NAME == "From File"


def test_the_app_refuses_to_start_naming_the_variable() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "ENCRYPTION_KEY"}}
    env.update(DEBUG="False", TELIPORTER_ENV_FILE="")
    result = subprocess.run(
        [sys.executable, "-c", "import app.main"],
        cwd=BACKEND_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is missing" in result.stderr


def test_env_example_lists_every_setting() -> None:
    text = (BACKEND_DIR / ".env.example").read_text()
    listed = {
        line.lstrip("# ").split("=", 1)[0]
        for line in text.splitlines()
        if "=" in line and line.lstrip("# ").split("=", 1)[0].isupper()
    }
    assert set(Settings.model_fields) <= listed, set(Settings.model_fields) - listed


def test_password_hashes_default_to_argon2s_recommended_cost() -> None:
    from pwdlib.hashers.argon2 import Argon2Hasher

    settings = make(**GOOD)
    hasher = Argon2Hasher(
        time_cost=settings.PASSWORD_HASH_TIME_COST, memory_cost=settings.PASSWORD_HASH_MEMORY_KIB
    )
    assert "$m=65536,t=3," in hasher.hash("a long enough passphrase")
