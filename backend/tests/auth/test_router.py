from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import jwt
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import utcnow
from app.users.models import User
from tests.factories import PASSWORD, login, make_org, make_user

REGISTER = {
    "email": "Owner@Example.com",
    "password": "Sturdy-Password-9",
    "full_name": "Olive Owner",
    "organization_name": "Olive's Shops",
}


def refresh_cookie(response: httpx.Response) -> str:
    return response.cookies["refresh_token"]


def post_with_cookie(client: TestClient, action: str, token: str) -> httpx.Response:
    """POST to /auth/<action> presenting exactly this refresh token, as a browser would."""
    client.cookies.clear()
    client.cookies.set("refresh_token", token, path="/api/v1/auth")
    return client.post(f"/api/v1/auth/{action}")


def test_register_creates_organization_and_owner_who_can_sign_in(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json=REGISTER)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["user"]["email"] == "owner@example.com"
    assert body["user"]["role"] == "owner"
    assert body["organization"]["name"] == "Olive's Shops"
    assert body["organization"]["reporting_currency"] == "GBP"

    login_response = client.post(
        "/api/v1/auth/login", json={"email": "owner@example.com", "password": REGISTER["password"]}
    )
    assert login_response.status_code == 200
    token = login_response.json()["access_token"]
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["organization"]["id"] == body["organization"]["id"]


def test_register_twice_with_one_email_is_a_conflict_on_email(client: TestClient) -> None:
    assert client.post("/api/v1/auth/register", json=REGISTER).status_code == 201
    again = client.post("/api/v1/auth/register", json={**REGISTER, "email": "owner@EXAMPLE.com"})
    assert again.status_code == 409
    assert again.json()["field"] == "email"


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1!", "at least 10 characters"),
        ("onlyletterslong", "one letter and one digit"),
        ("password123", "too common"),
        ("owner-secret-123", "must not contain your email"),
    ],
)
def test_register_refuses_weak_passwords_naming_the_field(
    client: TestClient, password: str, message: str
) -> None:
    response = client.post("/api/v1/auth/register", json={**REGISTER, "password": password})
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["field"] == "password"
    assert message in error["msg"]
    # Nothing half-written: the organization was not created either.
    assert client.post("/api/v1/auth/register", json=REGISTER).status_code == 201


def test_register_with_bad_email_names_the_field(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json={**REGISTER, "email": "not-an-email"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["detail"]] == ["email"]


def test_register_with_missing_fields_names_each(client: TestClient) -> None:
    response = client.post("/api/v1/auth/register", json={"email": "a@example.com"})
    assert response.status_code == 422
    fields = {e["field"] for e in response.json()["detail"]}
    assert fields == {"password", "full_name", "organization_name"}


def test_registration_can_be_switched_off(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "ALLOW_REGISTRATION", False)
    response = client.post("/api/v1/auth/register", json=REGISTER)
    assert response.status_code == 403
    assert "sign-up is switched off" in response.json()["detail"]


def test_login_answers_bearer_token_and_sets_strict_httponly_refresh_cookie(
    client: TestClient, db: Session
) -> None:
    member = make_user(db, org_id=make_org(db))
    response = client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 15 * 60
    cookie = response.headers["set-cookie"]
    assert "refresh_token=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Path=/api/v1/auth" in cookie
    assert "Max-Age=604800" in cookie
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["sub"] == str(member.user.id)


def test_login_with_wrong_password_or_unknown_email_is_401(client: TestClient, db: Session) -> None:
    member = make_user(db, org_id=make_org(db))
    wrong = client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": "Nope-12345"}
    )
    unknown = client.post(
        "/api/v1/auth/login", json={"email": "x@example.com", "password": PASSWORD}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "Incorrect email or password"


def test_repeated_failures_lock_the_account_with_retry_after(
    client: TestClient, db: Session
) -> None:
    member = make_user(db, org_id=make_org(db))
    limit = get_settings().LOGIN_MAX_FAILURES_PER_ACCOUNT
    for _ in range(limit):
        response = client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": "Wrong-pass-1"}
        )
        assert response.status_code == 401
    # Even the right password is refused while the account is locked.
    locked = client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert locked.status_code == 429
    retry_after = int(locked.headers["Retry-After"])
    assert 0 < retry_after <= get_settings().LOGIN_FAILURE_WINDOW_SECONDS + 1
    assert "Too many failed sign-in attempts" in locked.json()["detail"]
    # Another account from the same address is not locked by it.
    other = make_user(db, org_id=make_org(db))
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": other.email, "password": PASSWORD}
        ).status_code
        == 200
    )


def test_many_failures_from_one_address_are_refused(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "LOGIN_MAX_FAILURES_PER_ADDRESS", 3)
    member = make_user(db, org_id=make_org(db))
    for n in range(3):
        client.post(
            "/api/v1/auth/login",
            json={"email": f"guess{n}@example.com", "password": "Wrong-pass-1"},
        )
    response = client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "this address" in response.json()["detail"]


def test_refresh_rotates_and_reuse_of_an_old_token_revokes_the_family(
    client: TestClient, db: Session
) -> None:
    member = make_user(db, org_id=make_org(db))
    first = client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    old = refresh_cookie(first)

    rotated = post_with_cookie(client, "refresh", old)
    assert rotated.status_code == 200
    new = refresh_cookie(rotated)
    assert new != old
    assert (
        client.get(
            "/api/v1/users/me",
            headers={"Authorization": f"Bearer {rotated.json()['access_token']}"},
        ).status_code
        == 200
    )

    # Replaying the rotated token: refused, and the newest token of the family dies with it.
    replay = post_with_cookie(client, "refresh", old)
    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]
    assert post_with_cookie(client, "refresh", new).status_code == 401


def test_refresh_without_cookie_or_with_garbage_is_401(client: TestClient) -> None:
    assert client.post("/api/v1/auth/refresh").status_code == 401
    assert post_with_cookie(client, "refresh", "garbage").status_code == 401


def test_expired_refresh_token_is_refused(client: TestClient, db: Session) -> None:
    from sqlalchemy import update

    from app.auth.models import RefreshToken

    member = make_user(db, org_id=make_org(db))
    token = refresh_cookie(
        client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    )
    db.execute(update(RefreshToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    response = post_with_cookie(client, "refresh", token)
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_logout_revokes_the_refresh_token_and_clears_the_cookie(
    client: TestClient, db: Session
) -> None:
    member = make_user(db, org_id=make_org(db))
    token = refresh_cookie(
        client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    )
    out = post_with_cookie(client, "logout", token)
    assert out.status_code == 204
    assert 'refresh_token=""' in out.headers["set-cookie"]
    assert post_with_cookie(client, "refresh", token).status_code == 401
    # Logging out twice is harmless.
    assert post_with_cookie(client, "logout", token).status_code == 204


def test_expired_access_token_is_refused(client: TestClient, db: Session) -> None:
    member = make_user(db, org_id=make_org(db))
    settings = get_settings()
    now = utcnow()
    expired = jwt.encode(
        {
            "sub": str(member.user.id),
            "org": member.user.org_id,
            "type": "access",
            "iat": now - timedelta(minutes=20),
            "exp": now - timedelta(minutes=5),
        },
        settings.SECRET_KEY,
        algorithm=settings.ALGORITHM,
    )
    response = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401
    assert response.json()["detail"] == "Access token has expired"
    assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("secret", ["another-secret-that-is-long-enough-123456"])
def test_token_signed_with_another_key_is_refused(
    client: TestClient, db: Session, secret: str
) -> None:
    member = make_user(db, org_id=make_org(db))
    now = utcnow()
    forged = jwt.encode(
        {
            "sub": str(member.user.id),
            "org": member.user.org_id,
            "type": "access",
            "iat": now,
            "exp": now + timedelta(minutes=5),
        },
        secret,
        algorithm="HS256",
    )
    assert (
        client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {forged}"}).status_code
        == 401
    )


def test_deactivated_user_loses_access_at_once(client: TestClient, db: Session) -> None:
    org_id = make_org(db)
    owner = login(client, make_user(db, org_id=org_id))
    viewer = login(client, make_user(db, org_id=org_id, role="viewer"))  # type: ignore[arg-type]
    response = client.patch(
        f"/api/v1/users/{viewer.user.id}", json={"is_active": False}, headers=owner.headers
    )
    assert response.status_code == 200
    assert client.get("/api/v1/users/me", headers=viewer.headers).status_code == 401
    relogin = client.post("/api/v1/auth/login", json={"email": viewer.email, "password": PASSWORD})
    assert relogin.status_code == 401


def test_invited_user_sets_a_password_once(client: TestClient, db: Session) -> None:
    owner = login(client, make_user(db, org_id=make_org(db)))
    created = client.post(
        "/api/v1/users",
        json={"email": "new@example.com", "full_name": "New Person", "role": "manager"},
        headers=owner.headers,
    )
    assert created.status_code == 201
    token = created.json()["invite_token"]
    assert created.json()["user"]["invite_pending"] is True
    # Cannot sign in before accepting.
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": "new@example.com", "password": "x" * 10}
        ).status_code
        == 401
    )

    weak = client.post("/api/v1/auth/accept-invite", json={"token": token, "password": "weak"})
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["field"] == "password"
    accepted = client.post(
        "/api/v1/auth/accept-invite", json={"token": token, "password": "Brand-New-Pass-7"}
    )
    assert accepted.status_code == 200
    assert accepted.json()["invite_pending"] is False
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": "new@example.com", "password": "Brand-New-Pass-7"}
        ).status_code
        == 200
    )
    again = client.post(
        "/api/v1/auth/accept-invite", json={"token": token, "password": "Other-New-Pass-7"}
    )
    assert again.status_code == 422
    assert again.json()["detail"][0]["field"] == "token"


def test_no_log_record_holds_a_password_its_hash_or_a_token(
    client: TestClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy")  # every statement, its parameters, rows
    # alembic.ini's logging (applied by any migration run earlier in the process, e.g. make run's
    # set-up test) sets sqlalchemy.engine's own level: set it too, whatever ran before.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    secrets = [REGISTER["password"], "Another-Sturdy-Password-7"]

    def stored_hash() -> str:
        db.rollback()  # a fresh read of what the API committed
        digest = db.scalar(select(User.password_hash).where(User.email == "owner@example.com"))
        assert digest
        return digest

    assert client.post("/api/v1/auth/register", json=REGISTER).status_code == 201
    secrets.append(stored_hash())
    signed_in = client.post(
        "/api/v1/auth/login", json={"email": REGISTER["email"], "password": secrets[0]}
    )
    assert signed_in.status_code == 200
    secrets += [signed_in.json()["access_token"], refresh_cookie(signed_in)]
    refreshed = post_with_cookie(client, "refresh", refresh_cookie(signed_in))
    assert refreshed.status_code == 200
    secrets += [refreshed.json()["access_token"], refresh_cookie(refreshed)]
    changed = client.patch(
        "/api/v1/users/me",
        json={"current_password": secrets[0], "new_password": secrets[1]},
        headers={"Authorization": f"Bearer {secrets[-2]}"},
    )
    assert changed.status_code == 200, changed.text
    secrets.append(stored_hash())
    again = client.post(
        "/api/v1/auth/login", json={"email": REGISTER["email"], "password": secrets[1]}
    )
    assert again.status_code == 200
    secrets += [again.json()["access_token"], refresh_cookie(again)]
    assert post_with_cookie(client, "logout", refresh_cookie(again)).status_code == 204

    logged = [
        record.getMessage() + (caplog.handler.format(record) if record.exc_info else "")
        for record in caplog.records
    ]
    assert any('INSERT INTO "user"' in line or "INSERT INTO user" in line for line in logged)
    leaks = [(secret, line) for secret in secrets for line in logged if secret in line]
    assert leaks == []


def test_address_limit_is_not_reset_by_a_success_in_between(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Password spraying: failures on other people's accounts, interleaved with sign-ins to the
    # attacker's own account, must still add up for the address.
    monkeypatch.setattr(get_settings(), "LOGIN_MAX_FAILURES_PER_ADDRESS", 4)
    own = make_user(db, org_id=make_org(db))
    victim = make_user(db, org_id=make_org(db))
    for n in range(4):
        wrong = client.post(
            "/api/v1/auth/login",
            json={"email": f"victim{n}@example.com", "password": "Wrong-pass-1"},
        )
        assert wrong.status_code == 401
        if n < 3:
            ok = client.post("/api/v1/auth/login", json={"email": own.email, "password": PASSWORD})
            assert ok.status_code == 200
    refused = client.post("/api/v1/auth/login", json={"email": victim.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert "this address" in refused.json()["detail"]
    assert int(refused.headers["Retry-After"]) > 0


def test_known_device_signs_in_while_strangers_have_locked_the_account(
    client: TestClient, db: Session
) -> None:
    member = make_user(db, org_id=make_org(db))
    first = client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    device = first.cookies["known_device"]
    cookie = next(c for c in first.headers.get_list("set-cookie") if "known_device=" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Path=/api/v1/auth" in cookie
    assert f"Max-Age={90 * 86400}" in cookie

    # A stranger, without the cookie, exhausts the account's failures.
    client.cookies.clear()
    for _ in range(get_settings().LOGIN_MAX_FAILURES_PER_ACCOUNT):
        wrong = client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": "Wrong-pass-1"}
        )
        assert wrong.status_code == 401
    locked = client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert locked.status_code == 429

    # The owner's browser, which has signed in before, is not held back by them.
    client.cookies.clear()
    client.cookies.set("known_device", device, path="/api/v1/auth")
    owner = client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert owner.status_code == 200, owner.text
    # Without the cookie, still refused; and the cookie of another account does not help.
    client.cookies.clear()
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": PASSWORD}
        ).status_code
        == 429
    )
    other = make_user(db, org_id=make_org(db))
    other_device = client.post(
        "/api/v1/auth/login", json={"email": other.email, "password": PASSWORD}
    ).cookies["known_device"]
    client.cookies.clear()
    client.cookies.set("known_device", other_device, path="/api/v1/auth")
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": PASSWORD}
        ).status_code
        == 429
    )


def test_a_known_device_has_its_own_failure_limit(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "LOGIN_MAX_FAILURES_PER_DEVICE", 2)
    member = make_user(db, org_id=make_org(db))
    device = client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": PASSWORD}
    ).cookies["known_device"]
    client.cookies.clear()
    client.cookies.set("known_device", device, path="/api/v1/auth")
    for _ in range(2):
        wrong = client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": "Wrong-pass-1"}
        )
        assert wrong.status_code == 401
    refused = client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert refused.status_code == 429
    assert "this device" in refused.json()["detail"]
    # Its failures are its own: the account is not throttled for other browsers.
    client.cookies.clear()
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": PASSWORD}
        ).status_code
        == 200
    )


def test_an_expired_known_device_is_a_stranger(client: TestClient, db: Session) -> None:
    from sqlalchemy import update

    from app.auth.models import KnownDevice

    member = make_user(db, org_id=make_org(db))
    device = client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": PASSWORD}
    ).cookies["known_device"]
    db.execute(update(KnownDevice).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.commit()
    client.cookies.clear()
    for _ in range(get_settings().LOGIN_MAX_FAILURES_PER_ACCOUNT):
        client.post("/api/v1/auth/login", json={"email": member.email, "password": "Wrong-pass-1"})
    client.cookies.set("known_device", device, path="/api/v1/auth")
    response = client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == 429


def test_sign_ups_are_limited_per_address(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "REGISTER_MAX_PER_ADDRESS", 2)
    for n in range(2):
        created = client.post(
            "/api/v1/auth/register", json={**REGISTER, "email": f"owner{n}@example.com"}
        )
        assert created.status_code == 201
    refused = client.post("/api/v1/auth/register", json=REGISTER)
    assert refused.status_code == 429
    assert (
        0 < int(refused.headers["Retry-After"]) <= get_settings().LOGIN_FAILURE_WINDOW_SECONDS + 1
    )
    assert "Too many sign-ups" in refused.json()["detail"]


def test_only_the_newest_known_devices_are_kept(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy import func, select

    from app.auth import service as auth_service
    from app.auth.models import KnownDevice

    monkeypatch.setattr(auth_service, "KNOWN_DEVICES_PER_USER", 2)
    member = make_user(db, org_id=make_org(db))
    devices = []
    for _ in range(3):
        client.cookies.clear()
        response = client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": PASSWORD}
        )
        devices.append(response.cookies["known_device"])
    count = select(func.count()).select_from(KnownDevice)
    assert db.scalar(count.where(KnownDevice.user_id == member.user.id)) == 2
    # The oldest is forgotten: with it, a locked account stays locked.
    client.cookies.clear()
    for _ in range(get_settings().LOGIN_MAX_FAILURES_PER_ACCOUNT):
        client.post("/api/v1/auth/login", json={"email": member.email, "password": "Wrong-pass-1"})
    for device, status in ((devices[0], 429), (devices[2], 200)):
        client.cookies.clear()
        client.cookies.set("known_device", device, path="/api/v1/auth")
        response = client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": PASSWORD}
        )
        assert response.status_code == status


def test_a_known_device_is_still_held_to_the_address_limit(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "LOGIN_MAX_FAILURES_PER_ADDRESS", 3)
    member = make_user(db, org_id=make_org(db))
    device = client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": PASSWORD}
    ).cookies["known_device"]
    for n in range(3):
        client.post(
            "/api/v1/auth/login", json={"email": f"guess{n}@example.com", "password": "Wrong-1x"}
        )
    client.cookies.clear()
    client.cookies.set("known_device", device, path="/api/v1/auth")
    response = client.post("/api/v1/auth/login", json={"email": member.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "this address" in response.json()["detail"]
