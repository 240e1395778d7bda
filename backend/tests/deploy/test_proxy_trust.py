"""The API believes X-Forwarded-Proto / -For only from FORWARDED_ALLOW_IPS (the proxy)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.main import app
from tests.factories import make_org, make_user


def sign_in_cookie(db: Session, address: str, headers: dict[str, str]) -> str:
    member = make_user(db, org_id=make_org(db))
    with TestClient(app, base_url="http://testserver", client=(address, 50000)) as client:
        response = client.post(
            "/api/v1/auth/login",
            json={"email": member.email, "password": member.password},
            headers=headers,
        )
    assert response.status_code == 200, response.text
    return response.headers["set-cookie"].lower()


def test_the_default_trusts_only_the_local_proxy() -> None:
    assert get_settings().FORWARDED_ALLOW_IPS == "127.0.0.1,::1"


def test_https_from_the_proxy_makes_the_refresh_cookie_secure(db: Session) -> None:
    cookie = sign_in_cookie(db, "127.0.0.1", {"X-Forwarded-Proto": "https"})
    assert "refresh_token=" in cookie
    assert "secure" in cookie


@pytest.mark.parametrize("address", ["203.0.113.7", "10.0.0.2"])
def test_forwarded_headers_from_anyone_else_are_ignored(db: Session, address: str) -> None:
    cookie = sign_in_cookie(db, address, {"X-Forwarded-Proto": "https"})
    assert "refresh_token=" in cookie
    assert "secure" not in cookie


def test_plain_http_from_the_proxy_stays_plain(db: Session) -> None:
    cookie = sign_in_cookie(db, "127.0.0.1", {"X-Forwarded-Proto": "http"})
    assert "secure" not in cookie
