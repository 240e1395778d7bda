"""Invitation and password-reset mail, delivered through a real SMTP server, links followed."""

from __future__ import annotations

from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth.models import PasswordResetToken
from app.core.config import get_settings
from app.core.db import utcnow
from app.organizations.models import Organization
from app.users.models import Role, User
from tests.factories import make_org, make_user, member_of
from tests.smtp import BASE_URL, SmtpServer, link_in, parts, token_of

pytestmark = pytest.mark.usefixtures("mail_now")

NEW_PASSWORD = "Brand-New-Secret-77"


def test_an_invitation_is_mailed_and_its_link_lets_the_person_in(
    client: TestClient, db: Session, smtp_server: SmtpServer
) -> None:
    org_id = make_org(db, "Harbour Coffee")
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    created = client.post(
        "/api/v1/users",
        json={"email": "new.manager@example.com", "full_name": "Nia Manager", "role": "manager"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text

    [mail] = smtp_server.to("new.manager@example.com")
    assert mail["Subject"] == "You are invited to Harbour Coffee on Teliporter"
    assert mail["From"] == "Teliporter <no-reply@teliporter.test>"
    text, html = parts(mail)
    assert "Nia Manager" in text and "Harbour Coffee" in html
    link = link_in(mail)
    assert link.startswith(f"{BASE_URL}/accept-invite?token=")
    # The link carries the same token the API returns for copying by hand.
    assert token_of(link) == created.json()["invite_token"]

    accepted = client.post(
        "/api/v1/auth/accept-invite", json={"token": token_of(link), "password": NEW_PASSWORD}
    )
    assert accepted.status_code == 200, accepted.text
    signed_in = client.post(
        "/api/v1/auth/login", json={"email": "new.manager@example.com", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 200

    # The owner sees the message and that it was delivered; a manager may not look.
    listed = client.get("/api/v1/mail/messages", headers=owner.headers)
    assert listed.status_code == 200
    [record] = listed.json()["items"]
    assert record["to_address"] == "new.manager@example.com"
    assert (record["kind"], record["state"], record["attempts"]) == ("invitation", "sent", 1)
    manager = member_of(client, db, org_id=org_id, role=Role.manager)
    assert client.get("/api/v1/mail/messages", headers=manager.headers).status_code == 403
    other = member_of(client, db, org_id=make_org(db), role=Role.owner)
    assert client.get("/api/v1/mail/messages", headers=other.headers).json()["total"] == 0


def test_mail_dates_a_moment_on_the_organizations_clock(
    client: TestClient, db: Session, smtp_server: SmtpServer
) -> None:
    # A New York business reads its invitation's expiry in New York time, its zone named, not
    # in UTC.
    org_id = make_org(db, "Hudson Books")
    db.get(Organization, org_id).timezone = "America/New_York"  # type: ignore[union-attr]
    db.commit()
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    created = client.post(
        "/api/v1/users",
        json={"email": "ny.manager@example.com", "full_name": "Ny Manager", "role": "manager"},
        headers=owner.headers,
    )
    assert created.status_code == 201, created.text
    invited = db.scalars(select(User).where(User.email == "ny.manager@example.com")).one()
    assert invited.invite_expires_at is not None
    expires = invited.invite_expires_at.replace(tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    [mail] = smtp_server.to("ny.manager@example.com")
    text, html = parts(mail)
    local = f"{expires:%d %b %Y, %H:%M} {expires.tzname()}"
    assert expires.tzname() in {"EST", "EDT"}
    assert f"valid until {local}" in text
    assert local in html and "UTC" not in text


def test_a_resent_invitation_replaces_the_old_link_and_a_revoked_one_stops_working(
    client: TestClient, db: Session, smtp_server: SmtpServer
) -> None:
    owner = member_of(client, db, org_id=make_org(db), role=Role.owner)
    created = client.post(
        "/api/v1/users",
        json={"email": "late@example.com", "full_name": "Late Reader", "role": "viewer"},
        headers=owner.headers,
    )
    user_id = created.json()["user"]["id"]
    resent = client.post(f"/api/v1/users/{user_id}/invite", headers=owner.headers)
    assert resent.status_code == 200, resent.text
    first, second = smtp_server.to("late@example.com")
    old, new = token_of(link_in(first)), token_of(link_in(second))
    assert old != new

    refused = client.post(
        "/api/v1/auth/accept-invite", json={"token": old, "password": NEW_PASSWORD}
    )
    assert refused.status_code == 422
    assert resent.json()["user"]["invite_open"] is True
    revoked = client.delete(f"/api/v1/users/{user_id}/invite", headers=owner.headers)
    assert revoked.status_code == 200
    assert (revoked.json()["invite_pending"], revoked.json()["invite_open"]) == (True, False)
    refused = client.post(
        "/api/v1/auth/accept-invite", json={"token": new, "password": NEW_PASSWORD}
    )
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "token"

    # Someone who already has a password has no invitation to resend.
    assert (
        client.post(f"/api/v1/users/{owner.user.id}/invite", headers=owner.headers).status_code
        == 409
    )


def test_forgot_password_answers_alike_for_every_address_and_mails_only_accounts(
    client: TestClient, db: Session, smtp_server: SmtpServer
) -> None:
    member = make_user(db, org_id=make_org(db), role=Role.viewer, email="kim@example.com")
    unknown = client.post("/api/v1/auth/forgot-password", json={"email": "nobody@example.com"})
    known = client.post("/api/v1/auth/forgot-password", json={"email": "KIM@example.com"})
    assert (unknown.status_code, unknown.content) == (known.status_code, known.content)
    assert known.status_code == 202

    [mail] = smtp_server.messages()
    assert mail["To"] == member.email
    assert mail["Subject"] == "Reset your Teliporter password"
    text, html = parts(mail)
    assert "within the next hour" in text and "within the next hour" in html
    assert link_in(mail).startswith(f"{BASE_URL}/reset-password?token=")
    # Only a digest of the token is stored.
    [row] = db.scalars(select(PasswordResetToken)).all()
    assert token_of(link_in(mail)) not in row.token_digest
    assert row.expires_at - row.created_at == timedelta(hours=1)

    bad = client.post("/api/v1/auth/forgot-password", json={"email": "not an address"})
    assert bad.status_code == 422


def test_a_reset_link_sets_the_password_once_and_signs_out_every_session(
    client: TestClient, db: Session, smtp_server: SmtpServer
) -> None:
    member = make_user(db, org_id=make_org(db), role=Role.admin)
    old_session = client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": member.password}
    )
    old_access = old_session.json()["access_token"]
    old_refresh = old_session.cookies["refresh_token"]

    client.post("/api/v1/auth/forgot-password", json={"email": member.email})
    [mail] = smtp_server.to(member.email)
    token = token_of(link_in(mail))

    weak = client.post("/api/v1/auth/reset-password", json={"token": token, "password": "short"})
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["field"] == "password"

    reset = client.post(
        "/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}
    )
    assert reset.status_code == 200, reset.text
    assert reset.json()["email"] == member.email

    # Every earlier session is out: its access token at once, its refresh token too.
    me = client.get("/api/v1/users/me", headers={"Authorization": f"Bearer {old_access}"})
    assert me.status_code == 401
    client.cookies.clear()
    client.cookies.set("refresh_token", old_refresh, path="/api/v1/auth")
    refreshed = client.post("/api/v1/auth/refresh")
    assert refreshed.status_code == 401
    old_password = client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": member.password}
    )
    assert old_password.status_code == 401
    new_password = client.post(
        "/api/v1/auth/login", json={"email": member.email, "password": NEW_PASSWORD}
    )
    assert new_password.status_code == 200

    again = client.post(
        "/api/v1/auth/reset-password", json={"token": token, "password": "Another-Secret-88"}
    )
    assert again.status_code == 422
    assert again.json()["detail"][0]["field"] == "token"
    assert "already used or expired" in again.json()["detail"][0]["msg"]

    # The owner of the account is told.
    _, notice = smtp_server.to(member.email)
    assert notice["Subject"] == "Your Teliporter password was reset"
    text, _html = parts(notice)
    assert "every session was signed out" in text


def test_an_expired_reset_link_is_refused_clearly(
    client: TestClient, db: Session, smtp_server: SmtpServer
) -> None:
    member = make_user(db, org_id=make_org(db), role=Role.viewer)
    client.post("/api/v1/auth/forgot-password", json={"email": member.email})
    token = token_of(link_in(smtp_server.to(member.email)[0]))
    row = db.scalars(select(PasswordResetToken)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()

    expired = client.post(
        "/api/v1/auth/reset-password", json={"token": token, "password": NEW_PASSWORD}
    )
    assert expired.status_code == 422
    assert expired.json()["detail"][0]["field"] == "token"
    assert "expired" in expired.json()["detail"][0]["msg"]
    assert (
        client.post(
            "/api/v1/auth/login", json={"email": member.email, "password": member.password}
        ).status_code
        == 200
    )


def test_repeated_reset_requests_for_one_address_are_not_all_mailed(
    client: TestClient, db: Session, smtp_server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "PASSWORD_RESET_MAX_PER_EMAIL", 2)
    monkeypatch.setattr(get_settings(), "PASSWORD_RESET_MAX_PER_ADDRESS", 4)
    member = make_user(db, org_id=make_org(db), role=Role.viewer)
    answers = [
        client.post("/api/v1/auth/forgot-password", json={"email": member.email}).status_code
        for _ in range(4)
    ]
    assert answers == [202, 202, 202, 202]
    assert len(smtp_server.to(member.email)) == 2
    # Past the address's limit the caller is told to wait (whichever address it asks about).
    flooded = client.post("/api/v1/auth/forgot-password", json={"email": "x@example.com"})
    assert flooded.status_code == 429
    assert int(flooded.headers["Retry-After"]) > 0


def test_a_new_sign_in_address_is_confirmed_from_a_link_mailed_to_it(
    client: TestClient, db: Session, smtp_server: SmtpServer
) -> None:
    """The address changes only once the link mailed to the new address is opened (a typo
    cannot lock anyone out); the old address hears of it; the link works once."""
    org_id = make_org(db, "Harbour Coffee")
    member = member_of(client, db, org_id=org_id, role=Role.manager)
    old = member.email
    url = "/api/v1/users/me/email"
    wrong = client.post(
        url,
        json={"new_email": "nia@new.example.com", "current_password": "not-it-at-all"},
        headers=member.headers,
    )
    assert wrong.status_code == 422 and wrong.json()["detail"][0]["field"] == "current_password"
    taken = make_user(db, org_id=make_org(db), role=Role.viewer)
    refused = client.post(
        url,
        json={"new_email": taken.email.upper(), "current_password": member.password},
        headers=member.headers,
    )
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "new_email"
    assert smtp_server.messages() == []  # nothing mailed for refused requests

    asked = client.post(
        url,
        json={"new_email": "Nia@New.Example.com", "current_password": member.password},
        headers=member.headers,
    )
    assert asked.status_code == 202, asked.text
    assert asked.json() == {"pending_email": "nia@new.example.com", "expires_in_hours": 24}
    [confirm] = smtp_server.to("nia@new.example.com")
    assert confirm["Subject"] == "Confirm your new Teliporter sign-in address"
    text, html = parts(confirm)
    assert old in text and "nia@new.example.com" in html
    link = link_in(confirm)
    assert link.startswith(f"{BASE_URL}/confirm-email?token=")
    [notice] = smtp_server.to(old)
    assert notice["Subject"] == "A change of your Teliporter sign-in address was requested"
    assert "nia@new.example.com" in parts(notice)[0]
    # Until the link is opened, nothing has changed.
    me = client.get("/api/v1/users/me", headers=member.headers).json()
    assert me["email"] == old

    confirmed = client.post("/api/v1/auth/confirm-email", json={"token": token_of(link)})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["email"] == "nia@new.example.com"
    new_login = client.post(
        "/api/v1/auth/login",
        json={"email": "nia@new.example.com", "password": member.password},
    )
    assert new_login.status_code == 200
    old_login = client.post("/api/v1/auth/login", json={"email": old, "password": member.password})
    assert old_login.status_code == 401
    # Once used, the link is refused, and so is a forged one.
    again = client.post("/api/v1/auth/confirm-email", json={"token": token_of(link)})
    assert again.status_code == 422 and again.json()["detail"][0]["field"] == "token"
    forged = client.post("/api/v1/auth/confirm-email", json={"token": token_of(link)[:-4] + "AAAA"})
    assert forged.status_code == 422 and forged.json()["detail"][0]["field"] == "token"
