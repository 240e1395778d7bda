from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.scripts import create_admin


def sign_in(client: TestClient, email: str, password: str) -> int:
    return client.post(
        "/api/v1/auth/login", json={"email": email, "password": password}
    ).status_code


def test_creates_an_owner_then_resets_the_password(
    client: TestClient, db: Session, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--email", "ops@example.com", "--name", "Ops", "--org", "Acme Retail"]
    assert create_admin.main([*args, "--password", "First-Pass-123"]) == 0
    assert "Created owner ops@example.com of organization 'Acme Retail'" in capsys.readouterr().out
    assert sign_in(client, "ops@example.com", "First-Pass-123") == 200

    assert create_admin.main([*args, "--password", "Second-Pass-456"]) == 0
    assert "Reset owner" in capsys.readouterr().out
    assert sign_in(client, "ops@example.com", "First-Pass-123") == 401
    assert sign_in(client, "ops@example.com", "Second-Pass-456") == 200


def test_weak_password_is_refused_and_nothing_is_written(
    client: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    code = create_admin.main(
        ["--email", "weak@example.com", "--name", "W", "--org", "W Ltd", "--password", "short"]
    )
    assert code == 1
    assert "at least 10 characters" in capsys.readouterr().err
    assert sign_in(client, "weak@example.com", "short") == 401


def test_prompts_for_what_is_left_out(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(["prompted@example.com", "Pat Prompt", "Prompt Shops"])
    monkeypatch.setattr("builtins.input", lambda _: next(answers))
    monkeypatch.setattr("getpass.getpass", lambda _: "Granite-Pass-17")
    assert create_admin.main([]) == 0
    assert sign_in(client, "prompted@example.com", "Granite-Pass-17") == 200
