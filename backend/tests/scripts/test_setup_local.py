from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.scripts import setup_local


@pytest.fixture
def local_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(setup_local, "ENV_FILE", tmp_path / ".env")
    monkeypatch.setattr(setup_local, "DEMO_CREDENTIALS", tmp_path / "demo-credentials.json")
    return tmp_path


def printed_credentials(out: str) -> tuple[str, str]:
    email = re.search(r"email:\s+(\S+)", out)
    password = re.search(r"password:\s+(\S+)", out)
    assert email and password, out
    return email.group(1), password.group(1)


def test_make_run_setup_prints_demo_credentials_that_sign_in(
    client: TestClient, local_files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert setup_local.main() == 0
    out = capsys.readouterr().out
    email, password = printed_credentials(out)
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    env_text = (local_files / ".env").read_text()
    assert re.search(r"^SECRET_KEY=[0-9a-f]{64}$", env_text, re.M)
    assert re.search(r"^ENCRYPTION_KEY=\S{44}$", env_text, re.M)

    # A second run keeps the same credentials and the same secrets.
    assert setup_local.main() == 0
    assert printed_credentials(capsys.readouterr().out) == (email, password)
    assert (local_files / ".env").read_text() == env_text


def test_demo_credentials_come_from_the_environment_when_set(
    client: TestClient,
    local_files: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "DEMO_EMAIL", "boss@example.com")
    monkeypatch.setattr(get_settings(), "DEMO_PASSWORD", "Chosen-Pass-99")
    assert setup_local.main() == 0
    assert printed_credentials(capsys.readouterr().out) == ("boss@example.com", "Chosen-Pass-99")
    login = {"email": "boss@example.com", "password": "Chosen-Pass-99"}
    assert client.post("/api/v1/auth/login", json=login).status_code == 200
