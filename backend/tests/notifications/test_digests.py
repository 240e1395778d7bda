"""Scheduled digests through the real SMTP server process: each sent once at 07:00 in its own
organization's timezone as the clock moves, with figures equal to the report API's for the
recipient (a manager: their store only), and switched off by the one-click unsubscribe link."""

from __future__ import annotations

import threading
from decimal import Decimal
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.db import get_sessionmaker
from app.mail.models import MailKind, MailMessage, MailState
from app.notifications import formatting as fmt
from app.notifications import schedule, tasks
from app.notifications.models import DigestSend, DigestSubscription, DigestUnsubscribeToken
from app.users import service as user_service
from app.users.models import Role
from app.users.schemas import UserCreate, UserUpdate
from tests.factories import Member, member_of
from tests.notifications.conftest import YESTERDAY, Chains
from tests.smtp import BASE_URL, SmtpServer, parts

pytestmark = pytest.mark.usefixtures("mail_now")

ME = "/api/v1/users/me/notifications"
METRICS = [
    "net_sales",
    "transactions",
    "average_transaction_value",
    "units_per_transaction",
    "footfall",
    "conversion_rate",
]
# Wednesday 18 November 2026: GMT in London (UTC+0), EST in New York (UTC-5).
LONDON_0659 = "2026-11-18T06:59:00+00:00"
LONDON_0700 = "2026-11-18T07:00:00+00:00"
LONDON_0900 = "2026-11-18T09:00:00+00:00"
NEW_YORK_0659 = "2026-11-18T11:59:00+00:00"
NEW_YORK_0700 = "2026-11-18T12:00:00+00:00"
NEXT_DAY = "2026-11-19T12:30:00+00:00"  # after 07:00 in both


def subscribe(client: TestClient, member: Member, **digest: Any) -> None:
    body = {"digests": [{"frequency": "daily", "local_hour": 7, **digest}]}
    response = client.put(ME, json=body, headers=member.headers)
    assert response.status_code == 200, response.text


def run_at(now: str) -> int:
    return int(tasks.send_digests(now))


def digests_to(smtp: SmtpServer, member: Member) -> list[EmailMessage]:
    return smtp.to(member.email)


def test_each_digest_goes_out_once_at_seven_in_its_own_timezone(
    client: TestClient, db: Session, chains: Chains, smtp_server: SmtpServer
) -> None:
    london, new_york = chains.acme_manager, chains.diner_owner
    # The organizations took their stores' timezones.
    acme = client.get("/api/v1/organization", headers=chains.acme_owner.headers).json()
    diner = client.get("/api/v1/organization", headers=new_york.headers).json()
    assert (acme["timezone"], diner["timezone"]) == ("Europe/London", "America/New_York")
    subscribe(client, london)
    subscribe(client, new_york)

    assert run_at(LONDON_0659) == 0
    assert smtp_server.messages() == []
    assert run_at(LONDON_0700) == 1
    assert (len(digests_to(smtp_server, london)), len(digests_to(smtp_server, new_york))) == (1, 0)
    # Later the same morning, and again: nothing more.
    assert run_at(LONDON_0900) == 0
    assert run_at(LONDON_0900) == 0
    assert run_at(NEW_YORK_0659) == 0
    assert len(smtp_server.messages()) == 1
    assert run_at(NEW_YORK_0700) == 1
    assert run_at(NEW_YORK_0700) == 0
    assert (len(digests_to(smtp_server, london)), len(digests_to(smtp_server, new_york))) == (1, 1)

    [to_london] = digests_to(smtp_server, london)
    [to_new_york] = digests_to(smtp_server, new_york)
    assert to_london["Subject"] == "Yesterday at Acme: £135 net sales (+147.9 % vs last Tuesday)"
    assert to_new_york["Subject"] == "Yesterday at Diner: $76 net sales (+51.5 % vs last Tuesday)"
    assert to_london["From"] == "Teliporter <no-reply@teliporter.test>"
    for mail in (to_london, to_new_york):
        text, html = parts(mail)
        assert "Yesterday: Tuesday 17 November 2026" in text
        assert "Compared with Tuesday 10 November 2026" in text
        assert "Tuesday 17 November 2026" in html
    # Each recorded once, for Tuesday, delivered.
    sends = db.scalars(select(DigestSend)).all()
    assert sorted((s.period_start, s.period_end) for s in sends) == [(YESTERDAY, YESTERDAY)] * 2
    records = db.scalars(select(MailMessage).where(MailMessage.kind == MailKind.digest)).all()
    assert [(r.state, r.attempts) for r in records] == [(MailState.sent, 1)] * 2
    # The unsubscribe token, in the bodies and the headers, is not kept once sent.
    assert all(r.text_body is r.html_body is r.extra_headers is None for r in records)
    db.rollback()  # the connection back to the pool (of two), for the sends to come

    # The next day's digests, each once; no backlog of the day before is ever sent.
    assert run_at(NEXT_DAY) == 2
    assert run_at(NEXT_DAY) == 0
    assert len(smtp_server.messages()) == 4


def test_the_hour_and_a_changed_timezone_are_the_organizations(
    client: TestClient, chains: Chains, smtp_server: SmtpServer
) -> None:
    owner = chains.acme_owner
    subscribe(client, owner, local_hour=9)
    assert run_at(LONDON_0700) == 0
    changed = client.patch(
        "/api/v1/organization", json={"timezone": "Asia/Tokyo"}, headers=owner.headers
    )
    assert changed.status_code == 200, changed.text
    # 07:00 in London is 16:00 in Tokyo: Tokyo's 09:00 has passed, and there "yesterday" is
    # Tuesday 17 November too.
    assert run_at(LONDON_0700) == 1
    [mail] = smtp_server.to(owner.email)
    assert "Yesterday: Tuesday 17 November 2026" in parts(mail)[0]


def test_a_managers_digest_holds_only_their_stores_figures_equal_to_the_report_api(
    client: TestClient, chains: Chains, smtp_server: SmtpServer
) -> None:
    manager, owner = chains.acme_manager, chains.acme_owner
    subscribe(client, manager)
    subscribe(client, owner, metrics=[*METRICS, "sales_per_visitor"])
    assert run_at(LONDON_0700) == 2

    for member, stores in ((manager, ["Soho"]), (owner, ["Leeds", "Soho"])):
        [mail] = smtp_server.to(member.email)
        text, html = parts(mail)
        params = {
            "date_from": YESTERDAY.isoformat(),
            "date_to": YESTERDAY.isoformat(),
            "compare": "previous_week",
        }
        summary = client.get("/api/v1/reports/summary", params=params, headers=member.headers)
        assert summary.status_code == 200, summary.text
        total = summary.json()
        assert sorted(total["location_ids"]) == sorted(chains.stores[s].id for s in stores)
        chosen = METRICS if member is manager else [*METRICS, "sales_per_visitor"]
        lines = text.splitlines()
        for name in chosen:
            now, then = total["metrics"][name], total["comparison"]["metrics"][name]
            if name in total["not_comparable"]:
                moved = fmt.NO_FIGURE
            else:
                moved = fmt.move(name, total["change"][name], now, then)
            expected = (
                f"{fmt.label(name)}: {fmt.figure(name, now, 'GBP')} "
                f"(Last Tuesday: {fmt.figure(name, then, 'GBP')}, change {moved})"
            )
            assert expected in lines, (expected, text)
            assert f">{fmt.figure(name, now, 'GBP')}<" in html

        league = client.get(
            "/api/v1/reports/breakdown", params={**params, "by": "location"}, headers=member.headers
        ).json()
        assert [row["label"] for row in league["rows"]] == sorted(
            stores,
            key=lambda s: (
                -Decimal(next(r["metrics"]["net_sales"] for r in league["rows"] if r["label"] == s))
            ),
        )
        for rank, row in enumerate(league["rows"], start=1):
            figures = "; ".join(
                f"{fmt.label(n)} {fmt.figure(n, row['metrics'][n], 'GBP')}" for n in chosen
            )
            change = fmt.change(row["change"]["net_sales"])
            assert f"{rank}. {row['label']}: {figures} (net sales change {change})" in lines
            assert f"{rank}. {row['label']}</td>" in html
        if member is manager:
            assert "Leeds" not in text and "Leeds" not in html
            # Soho alone: 45.00 + 12.90 + 77.20 against 33.00 + 21.50.
            assert "Net sales: £135.10 (Last Tuesday: £54.50, change +147.9 %)" in lines
            assert "Conversion rate: 2.5% (Last Tuesday: 2.2%, change +0.3 pts)" in lines
        else:
            # Footfall was entered for Leeds yesterday only: not compared, and said why.
            assert "Footfall: 320 (Last Tuesday: 90, change —)" in lines
            reason = total["not_comparable"]["footfall"]
            assert f"{reason}, so the change in footfall is not shown." in lines
            assert "Footfall was entered for 2 of 2 store-days" not in text

        # The link opens the same view in the app: the dashboard, that day, that comparison.
        link = f"{BASE_URL}/?range=custom&from=2026-11-17&to=2026-11-17&compare=previous_week"
        assert link in lines
        assert f'href="{link.replace("&", "&amp;")}"' in html


def unsubscribe_url(mail: EmailMessage, raw: bytes) -> str:
    header = str(mail["List-Unsubscribe"])
    # On the wire as written: a URL in angle brackets, not RFC 2047 encoded words.
    assert f"\r\nList-Unsubscribe: {header}\r\n".encode() in raw
    assert header.startswith(f"<{BASE_URL}/api/v1/notifications/unsubscribe?token=")
    assert header.endswith(">")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return header[1:-1]


def test_the_one_click_unsubscribe_link_stops_the_digests_without_signing_in(
    client: TestClient, db: Session, chains: Chains, smtp_server: SmtpServer
) -> None:
    manager, other = chains.acme_manager, chains.acme_owner
    subscribe(client, manager)
    subscribe(client, other)
    assert run_at(LONDON_0700) == 2
    [mail] = smtp_server.to(manager.email)
    [raw] = [
        path.read_bytes()
        for path in smtp_server.folder.glob("*.eml")
        if f"\r\nTo: {manager.email}\r\n".encode() in path.read_bytes()
    ]
    url = unsubscribe_url(mail, raw)
    token = parse_qs(urlsplit(url).query)["token"][0]
    # The body's link goes to the web page that asks before doing the same.
    text, html = parts(mail)
    page = f"{BASE_URL}/unsubscribe?token={token}"
    assert page in text and f'href="{page}"' in html
    assert f"{BASE_URL}/settings/notifications" in text
    # Only a digest of the token is kept.
    links = db.scalars(select(DigestUnsubscribeToken)).all()
    assert len(links) == 2 and all(token not in link.token_digest for link in links)
    db.rollback()  # the connection back to the pool (of two), for the sends to come

    path = url.removeprefix(BASE_URL)
    described = client.get(path)
    assert described.status_code == 200
    assert described.json() == {
        "frequency": "daily",
        "enabled": True,
        "email": manager.email,
        "organization": "Acme",
    }
    # As a mail client sends it (RFC 8058): a form POST, no credentials.
    for _ in range(2):  # idempotent
        done = client.post(path, data={"List-Unsubscribe": "One-Click"})
        assert done.status_code == 200, done.text
        assert done.json()["enabled"] is False
    settings = client.get(ME, headers=manager.headers).json()
    assert [d["enabled"] for d in settings["digests"]] == [False, False]

    assert run_at(NEXT_DAY) == 1  # the other subscriber's only
    assert len(smtp_server.to(manager.email)) == 1
    assert len(smtp_server.to(other.email)) == 2


def test_inactive_users_and_pending_invitations_get_no_digest(
    client: TestClient, db: Session, chains: Chains, smtp_server: SmtpServer
) -> None:
    owner = chains.acme_owner
    leaver = member_of(client, db, org_id=chains.acme_id, role=Role.viewer)
    subscribe(client, leaver)
    invited, _ = user_service.create(
        db=db,
        org_id=chains.acme_id,
        user_in=UserCreate(email="invited@example.com", full_name="Not Yet", role=Role.viewer),
    )
    db.commit()
    set_up = client.put(
        f"/api/v1/users/{invited.id}/notifications",
        json={"digests": [{"frequency": "daily"}]},
        headers=owner.headers,
    )
    assert set_up.status_code == 200
    user_service.update(
        db=db,
        org_id=chains.acme_id,
        user_id=leaver.user.id,
        user_in=UserUpdate(is_active=False),
        actor=owner.user,
    )
    db.commit()
    assert run_at(LONDON_0900) == 0
    assert [m["To"] for m in smtp_server.messages()] == ["invited@example.com"]  # the invitation


def test_a_weekly_digest_covers_the_previous_monday_to_sunday_on_its_weekday(
    client: TestClient, chains: Chains, smtp_server: SmtpServer
) -> None:
    owner = chains.acme_owner
    body = {
        "digests": [{"frequency": "weekly", "weekday": 2, "local_hour": 8, "include_league": False}]
    }
    assert client.put(ME, json=body, headers=owner.headers).status_code == 200
    assert run_at("2026-11-17T09:00:00+00:00") == 0  # a Tuesday
    assert run_at(LONDON_0700) == 0  # Wednesday, before 08:00
    assert run_at(LONDON_0900) == 1
    assert run_at("2026-11-19T09:00:00+00:00") == 0  # Thursday
    [mail] = smtp_server.to(owner.email)
    # 9-15 November holds Tuesday 10th's sales; the week before had none to compare with.
    assert mail["Subject"] == "Last week at Acme: £183 net sales"
    text, html = parts(mail)
    assert "Last week: 9 \u2013 15 November 2026" in text
    assert "Compared with 2 \u2013 8 November 2026" in text
    assert "Stores by net sales" not in text and "Stores by net sales" not in html
    link = f"{BASE_URL}/?range=custom&from=2026-11-09&to=2026-11-15&compare=previous_week"
    assert link in text


def test_a_second_run_racing_the_first_queues_nothing(
    client: TestClient, db: Session, chains: Chains, smtp_server: SmtpServer
) -> None:
    from datetime import datetime

    subscribe(client, chains.acme_manager)
    now = datetime.fromisoformat(LONDON_0700)
    # Both runs found the digest due; the first sends it, the second's record is refused.
    [first] = schedule.due(db=db, now=now)
    [second] = schedule.due(db=db, now=now)
    db.rollback()
    assert run_at(LONDON_0700) == 1
    with get_sessionmaker()() as session, pytest.raises(schedule.AlreadySent):
        schedule.send(db=session, subscription_id=second.subscription_id, now=now)
    assert first == second
    assert len(smtp_server.messages()) == 1
    assert db.scalar(select(func.count()).select_from(MailMessage)) == 1


@pytest.mark.postgres
def test_two_workers_at_once_send_one_digest(
    clean_db: Any,
    client: TestClient,
    db: Session,
    chains: Chains,
    smtp_server: SmtpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sqlalchemy.orm import sessionmaker

    from app.core import db as core_db

    subscribe(client, chains.acme_manager)
    subscribe(client, chains.acme_owner)
    # Each worker its own connections (the run's pool has two): its session, and the mail's
    # delivery, which the test runs at once (eagerly) where a worker would queue it.
    engine = core_db.make_engine(
        clean_db.url.render_as_string(hide_password=False), pool_size=6, pool_timeout=10
    )
    maker = sessionmaker(bind=engine, expire_on_commit=False)
    monkeypatch.setattr(core_db, "get_sessionmaker", lambda: maker)
    # Both workers compute what is due before either sends.
    barrier = threading.Barrier(2, timeout=30)
    due = schedule.due

    def due_together(**kwargs: Any) -> list[schedule.Due]:
        found = due(**kwargs)
        barrier.wait()
        return found

    monkeypatch.setattr(schedule, "due", due_together)
    counts: list[int] = []
    workers = [
        threading.Thread(target=lambda: counts.append(run_at(LONDON_0700))) for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(counts) in ([0, 2], [1, 1])
    assert len(smtp_server.to(chains.acme_manager.email)) == 1
    assert len(smtp_server.to(chains.acme_owner.email)) == 1
    assert db.scalar(select(func.count()).select_from(DigestSubscription)) == 2
    engine.dispose()


def test_a_preview_is_mailed_now_and_the_scheduled_digest_still_goes_out(
    client: TestClient, db: Session, chains: Chains, smtp_server: SmtpServer
) -> None:
    manager = chains.acme_manager
    url = f"{ME}/preview"
    # Never set up: previewed with the defaults, and saved switched off.
    previewed = client.post(url, json={"frequency": "daily"}, headers=manager.headers)
    assert previewed.status_code == 202, previewed.text
    [mail] = smtp_server.to(manager.email)
    assert previewed.json()["to"] == manager.email
    assert previewed.json()["subject"] == mail["Subject"]
    assert mail["Subject"].startswith("Yesterday at Acme: ")
    assert client.get(ME, headers=manager.headers).json()["digests"][0]["enabled"] is False
    weekly = client.post(url, json={"frequency": "weekly"}, headers=manager.headers)
    assert weekly.status_code == 202
    assert weekly.json()["subject"].startswith("Last week at Acme: ")
    assert db.scalar(select(func.count()).select_from(DigestSend)) == 0
    db.rollback()  # the connection back to the pool (of two), for the sends to come

    subscribe(client, manager)
    assert run_at(LONDON_0700) == 1
    assert len(smtp_server.to(manager.email)) == 3

    # Someone with no store to report on has nothing to preview.
    storeless = member_of(client, db, org_id=chains.acme_id, role=Role.manager)
    refused = client.post(url, json={"frequency": "daily"}, headers=storeless.headers)
    assert refused.status_code == 409
    assert refused.json()["field"] == "frequency"
    assert client.post(url, json={"frequency": "monthly"}, headers=manager.headers).status_code == (
        422
    )
    assert client.post(url, json={"frequency": "daily"}).status_code == 401
