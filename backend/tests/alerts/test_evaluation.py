"""Alert evaluation through the real SMTP server process: each occurrence recorded and mailed
once, to the right people, held in quiet hours, and a resolved condition closing it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.alerts import tasks as alert_tasks
from app.alerts.models import AlertKind, AlertOccurrence
from app.footfall.models import FootfallEntry
from app.square.models import ConnectionStatus
from tests.alerts.helpers import add_store, make_chain, manager_of, sell
from tests.factories import login
from tests.smtp import BASE_URL, SmtpServer, parts

TUESDAY = date(2026, 12, 1)  # "yesterday" in these tests
MORNING = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 09:00 in London, outside quiet hours


def usual_tuesdays(amount: int, weeks: int = 6) -> dict[date, int]:
    return {TUESDAY - timedelta(weeks=w): amount for w in range(1, weeks + 1)}


def subjects(server: SmtpServer, address: str) -> list[str]:
    return [str(m["Subject"]) for m in server.to(address)]


def test_a_weak_day_mails_the_owner_and_the_stores_manager_once(
    db: Session, client: TestClient, smtp_server: SmtpServer, mail_now: None
) -> None:
    chain = make_chain(db)
    clapham = add_store(db, chain, "Clapham")
    brixton = add_store(db, chain, "Brixton")
    clapham_manager = manager_of(db, chain, clapham)
    brixton_manager = manager_of(db, chain, brixton)
    sell(db, chain, clapham, {**usual_tuesdays(138000), TUESDAY: 81240})
    sell(db, chain, brixton, {**usual_tuesdays(50000), TUESDAY: 49000})  # a usual day

    assert alert_tasks.run(MORNING) == 1

    subject = "Clapham: net sales £812 yesterday, 41 % below a usual Tuesday (£1,380)"
    for member in (chain.owner, chain.admin, clapham_manager):
        [mail] = smtp_server.to(member.email)
        assert mail["Subject"] == subject
        text, html = parts(mail)
        link = f"{BASE_URL}/?range=custom&from=2026-12-01&to=2026-12-01&stores={clapham.id}"
        assert link in text
        assert f'href="{link.replace("&", "&amp;")}"' in html
        assert "£812.40" in text and "£1,380.00" in text and "6 Tuesdays" in text
    assert smtp_server.to(brixton_manager.email) == []
    assert smtp_server.to(chain.viewer.email) == []

    # Later runs the same day find the same occurrence: nothing more is sent.
    assert alert_tasks.run(MORNING + timedelta(minutes=15)) == 0
    assert len(smtp_server.messages()) == 3
    # By 14:00 footfall is missing for both stores (a different alert, on by default); the weak
    # day is still mailed only once.
    assert alert_tasks.run(MORNING + timedelta(hours=5)) == 2
    assert alert_tasks.run(MORNING + timedelta(hours=6)) == 0
    assert subjects(smtp_server, chain.owner.email).count(subject) == 1
    assert subjects(smtp_server, clapham_manager.email) == [
        subject,
        "Clapham: no footfall entered for yesterday (Tuesday 1 Dec 2026)",
    ]

    # The list in the app, as the owner and the managers see it.
    owner = login(client, chain.owner)
    body = client.get("/api/v1/alerts", headers=owner.headers).json()
    assert body["total"] == 3
    item = body["items"][-1]
    assert (item["kind"], item["location_name"], item["open"]) == ("sales_low", "Clapham", True)
    assert item["summary"] == subject
    mine = client.get("/api/v1/alerts", headers=login(client, clapham_manager).headers).json()
    assert {i["location_name"] for i in mine["items"]} == {"Clapham"}
    other = client.get("/api/v1/alerts", headers=login(client, brixton_manager).headers).json()
    assert [i["kind"] for i in other["items"]] == ["footfall_missing"]

    # The next day, Tuesday is no longer judged: its occurrence is closed.
    alert_tasks.run(MORNING + timedelta(days=1))
    closed = client.get("/api/v1/alerts?state=closed", headers=owner.headers).json()
    assert subject in [i["summary"] for i in closed["items"]]
    assert closed["total"] == 3


def test_quiet_hours_hold_the_mail_until_they_end_and_release_it_once(
    db: Session, smtp_server: SmtpServer, mail_now: None
) -> None:
    chain = make_chain(db)
    clapham = add_store(db, chain, "Clapham")
    sell(db, chain, clapham, {**usual_tuesdays(100000), TUESDAY: 20000})

    early = datetime(2026, 12, 2, 5, 30, tzinfo=UTC)  # 05:30 in London: quiet until 07:00
    assert alert_tasks.run(early) == 0
    assert alert_tasks.run(early + timedelta(minutes=75)) == 0  # 06:45
    assert smtp_server.messages() == []
    [held] = db.scalars(select(AlertOccurrence)).all()
    assert held.mail_due_at == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    db.rollback()  # the test's connection back to the pool

    assert alert_tasks.run(datetime(2026, 12, 2, 7, 0, tzinfo=UTC)) == 1
    assert alert_tasks.run(datetime(2026, 12, 2, 7, 15, tzinfo=UTC)) == 0
    [mail] = smtp_server.to(chain.owner.email)
    assert mail["Subject"].startswith("Clapham: net sales £200 yesterday, 80 % below")


def test_quiet_hours_are_the_stores_own_clock(
    db: Session, smtp_server: SmtpServer, mail_now: None
) -> None:
    chain = make_chain(db)
    new_york = add_store(db, chain, "Fifth Avenue", timezone="America/New_York")
    sell(db, chain, new_york, {**usual_tuesdays(100000), TUESDAY: 20000})
    # 09:00 in London is 04:00 in New York: quiet there until 07:00 (12:00 UTC).
    assert alert_tasks.run(MORNING) == 0
    assert alert_tasks.run(datetime(2026, 12, 2, 12, 0, tzinfo=UTC)) == 1
    assert len(smtp_server.to(chain.owner.email)) == 1


def test_footfall_missing_fires_by_its_hour_and_not_for_a_closed_day(
    db: Session, client: TestClient, smtp_server: SmtpServer, mail_now: None
) -> None:
    chain = make_chain(db)
    clapham = add_store(db, chain, "Clapham")
    shut = add_store(db, chain, "Shut on Tuesdays")  # sold nothing on Tuesday: closed
    closed_down = add_store(db, chain, "Closed down")
    closed_down.closed_on = TUESDAY - timedelta(days=3)  # its last trading day
    marked = add_store(db, chain, "Marked closed")
    deactivated = add_store(db, chain, "Deactivated in Square")
    sell(db, chain, clapham, {TUESDAY: 5000})
    sell(db, chain, shut, {TUESDAY - timedelta(days=1): 5000})
    sell(db, chain, closed_down, {TUESDAY - timedelta(days=4): 5000})
    sell(db, chain, marked, {TUESDAY: 5000})
    sell(db, chain, deactivated, {TUESDAY: 5000})
    deactivated.status = "INACTIVE"
    db.add(
        FootfallEntry(
            org_id=chain.org_id,
            location_id=marked.id,
            entry_date=TUESDAY,
            hour=None,
            count=None,
            closed=True,
            source="manual",
        )
    )
    db.commit()

    # 09:45 in London: the count is due by 10:00.
    assert alert_tasks.run(datetime(2026, 12, 2, 9, 45, tzinfo=UTC)) == 0
    assert alert_tasks.run(datetime(2026, 12, 2, 10, 0, tzinfo=UTC)) == 1
    assert subjects(smtp_server, chain.owner.email) == [
        "Clapham: no footfall entered for yesterday (Tuesday 1 Dec 2026)"
    ]
    [mail] = smtp_server.to(chain.owner.email)
    assert f"{BASE_URL}/footfall?stores={clapham.id}" in parts(mail)[0]

    # The count entered: the occurrence closes, and no more mail comes.
    db.add(
        FootfallEntry(
            org_id=chain.org_id,
            location_id=clapham.id,
            entry_date=TUESDAY,
            hour=None,
            count=140,
            closed=False,
            source="manual",
        )
    )
    db.commit()
    assert alert_tasks.run(datetime(2026, 12, 2, 11, 0, tzinfo=UTC)) == 0
    [occurrence] = db.scalars(select(AlertOccurrence)).all()
    db.refresh(occurrence)
    assert occurrence.kind == AlertKind.footfall_missing and occurrence.closed_at is not None
    assert len(smtp_server.messages()) == 2  # the owner's and the admin's, nothing since


def test_a_revoked_connection_alerts_once_and_again_only_after_it_broke_again(
    db: Session, smtp_server: SmtpServer, mail_now: None
) -> None:
    chain = make_chain(db)
    add_store(db, chain, "Clapham")
    manager = manager_of(db, chain)
    noon = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)

    def set_status(status: ConnectionStatus) -> None:
        chain.connection.status = status
        db.commit()

    set_status(ConnectionStatus.needs_reconnect)
    assert alert_tasks.run(noon) == 1
    assert alert_tasks.run(noon + timedelta(minutes=15)) == 0
    assert subjects(smtp_server, chain.owner.email) == [
        "Test merchant: the Square connection needs reconnecting"
    ]
    [mail] = smtp_server.to(chain.owner.email)
    assert f"{BASE_URL}/settings/square" in parts(mail)[0]
    assert smtp_server.to(manager.email) == []  # not about a store of theirs

    set_status(ConnectionStatus.active)  # reconnected
    assert alert_tasks.run(noon + timedelta(minutes=30)) == 0
    set_status(ConnectionStatus.needs_reconnect)  # revoked again
    assert alert_tasks.run(noon + timedelta(minutes=45)) == 1
    assert len(smtp_server.to(chain.owner.email)) == 2
    rows = db.scalars(select(AlertOccurrence).order_by(AlertOccurrence.id)).all()
    for row in rows:
        db.refresh(row)
    assert [(r.occurrence_key, r.closed_at is None) for r in rows] == [
        (f"{chain.connection.id}:1", False),
        (f"{chain.connection.id}:2", True),
    ]


def test_a_sync_failing_for_over_an_hour_alerts(
    db: Session, smtp_server: SmtpServer, mail_now: None
) -> None:
    chain = make_chain(db)
    add_store(db, chain, "Clapham")
    noon = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    chain.connection.last_sync_at = noon - timedelta(minutes=50)
    chain.connection.last_error = "Square answered 503"
    db.commit()
    assert alert_tasks.run(noon) == 0  # failing, but not for an hour yet
    assert alert_tasks.run(noon + timedelta(minutes=15)) == 1
    [mail] = smtp_server.to(chain.owner.email)
    assert mail["Subject"] == "Test merchant: the Square sync has been failing for over an hour"
    text = parts(mail)[0]
    assert "Square answered 503" in text
    assert "its last successful sync was at 02 Dec 2026, 11:10 GMT" in text  # London's clock


def test_a_rule_by_hour_judges_today_so_far_against_the_usual_by_that_hour(
    db: Session, client: TestClient, smtp_server: SmtpServer, mail_now: None
) -> None:
    chain = make_chain(db)
    clapham = add_store(db, chain, "Clapham")
    wednesday = TUESDAY + timedelta(days=1)
    # Every Wednesday a sale at noon; this Wednesday nothing by 14:00, then one at 15:00.
    sell(db, chain, clapham, {wednesday - timedelta(weeks=w): 4000 for w in range(1, 5)})
    admin = login(client, chain.admin)
    saved = client.put(
        "/api/v1/alerts/rules",
        json={
            "rules": [
                {"kind": "sales_low", "enabled": False},
                {"kind": "transactions_low", "enabled": True, "weeks": 4, "by_hour": 14},
                {"kind": "footfall_missing", "enabled": False},
            ]
        },
        headers=admin.headers,
    )
    assert saved.status_code == 200, saved.text

    assert alert_tasks.run(datetime(2026, 12, 2, 13, 45, tzinfo=UTC)) == 0  # not 14:00 yet
    # Through the Celery task, as beat calls it (with the moment as ISO 8601).
    assert alert_tasks.evaluate.apply(args=["2026-12-02T14:00:00+00:00"]).get() == 1
    assert subjects(smtp_server, chain.owner.email) == [
        "Clapham: 0 transactions by 14:00 today, 100 % below a usual Wednesday by 14:00 (1)"
    ]
    [occurrence] = db.scalars(select(AlertOccurrence)).all()
    assert occurrence.business_date == wednesday


def test_conversion_below_the_floor_alerts_only_where_footfall_is_entered(
    db: Session, client: TestClient, smtp_server: SmtpServer, mail_now: None
) -> None:
    chain = make_chain(db)
    counted = add_store(db, chain, "Counted")
    uncounted = add_store(db, chain, "Uncounted")
    sell(db, chain, counted, {TUESDAY: 5000})
    sell(db, chain, uncounted, {TUESDAY: 5000})
    db.add(
        FootfallEntry(
            org_id=chain.org_id,
            location_id=counted.id,
            entry_date=TUESDAY,
            hour=None,
            count=40,  # 1 transaction in 40 visitors: 2.5 %
            closed=False,
            source="manual",
        )
    )
    db.commit()
    admin = login(client, chain.admin)
    saved = client.put(
        "/api/v1/alerts/rules",
        json={
            "rules": [
                {"kind": "conversion_low", "enabled": True, "floor_percent": 5},
                {"kind": "footfall_missing", "enabled": False},
            ]
        },
        headers=admin.headers,
    )
    assert saved.status_code == 200, saved.text
    assert alert_tasks.run(MORNING) == 1
    assert subjects(smtp_server, chain.owner.email) == [
        "Counted: conversion 2.5 % yesterday, below the 5 % floor"
    ]


def test_stale_exchange_rates_alert_once_where_the_organization_converts(
    db: Session, smtp_server: SmtpServer, mail_now: None
) -> None:
    from app.fx import sources

    chain = make_chain(db)
    add_store(db, chain, "London")
    newest = sources.provider(db).last_published("USD")
    assert newest is not None
    fresh = datetime.combine(newest + timedelta(days=3), datetime.min.time(), UTC) + timedelta(
        hours=12
    )
    stale = fresh + timedelta(days=3)
    assert alert_tasks.run(stale) == 0  # one currency only: nothing is converted
    add_store(db, chain, "New York", timezone="America/New_York", currency="USD")
    assert alert_tasks.run(fresh) == 0  # yesterday's rate is 2 days old: fine
    assert alert_tasks.run(stale) == 1
    assert alert_tasks.run(stale + timedelta(hours=1)) == 0
    assert subjects(smtp_server, chain.owner.email) == ["Chain: exchange rates are stale"]
