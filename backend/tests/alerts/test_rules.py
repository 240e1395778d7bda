"""GET/PUT /api/v1/alerts/rules and GET /api/v1/alerts: defaults, validation naming the field,
roles, store overrides at work in the evaluation, and no way into another organization."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.alerts import tasks as alert_tasks
from app.users.models import Role
from tests.alerts.helpers import add_store, make_chain, manager_of, sell
from tests.factories import login, make_location, make_org, member_of
from tests.smtp import SmtpServer

RULES = "/api/v1/alerts/rules"


def org_rule(body: dict[str, Any], kind: str) -> dict[str, Any]:
    [rule] = [r for r in body["rules"] if r["kind"] == kind]
    return rule


def test_a_new_organization_has_useful_alerts_switched_on(db: Session, client: TestClient) -> None:
    org_id = make_org(db)
    viewer = member_of(client, db, org_id=org_id, role=Role.viewer)
    body = client.get(RULES, headers=viewer.headers).json()
    on = {r["kind"] for r in body["rules"] if r["enabled"]}
    assert on == {"sales_low", "footfall_missing", "square_connection", "rates_stale"}
    assert org_rule(body, "sales_low") == {
        "kind": "sales_low",
        "location_id": None,
        "location_name": None,
        "enabled": True,
        "threshold_percent": 30,
        "weeks": 6,
        "by_hour": None,
        "floor_percent": None,
        "at_hour": None,
    }
    assert org_rule(body, "footfall_missing")["at_hour"] == 10
    assert body["quiet_hours"] == {"enabled": True, "from_hour": 21, "to_hour": 7}
    assert body["overrides"] == []


def test_an_admin_saves_rules_and_overrides_and_reads_them_back(
    db: Session, client: TestClient
) -> None:
    org_id = make_org(db)
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    store = make_location(db, org_id=org_id, name="Clapham")
    body = {
        "quiet_hours": {"enabled": True, "from_hour": 22, "to_hour": 8},
        "rules": [
            {"kind": "sales_low", "enabled": True, "threshold_percent": 20, "weeks": 8},
            {"kind": "conversion_low", "enabled": True, "floor_percent": 12},
        ],
        "overrides": [
            {
                "kind": "sales_low",
                "location_id": store.id,
                "enabled": True,
                "threshold_percent": 50,
                "by_hour": 14,
            }
        ],
    }
    saved = client.put(RULES, json=body, headers=admin.headers)
    assert saved.status_code == 200, saved.text
    again = client.get(RULES, headers=admin.headers).json()
    assert again == saved.json()
    assert again["quiet_hours"] == {"enabled": True, "from_hour": 22, "to_hour": 8}
    low = org_rule(again, "sales_low")
    assert (low["threshold_percent"], low["weeks"]) == (20, 8)
    assert org_rule(again, "conversion_low")["enabled"] is True
    # Kinds left out are back to their defaults.
    assert org_rule(again, "footfall_missing")["enabled"] is True
    [override] = again["overrides"]
    assert override["location_name"] == "Clapham"
    assert (override["threshold_percent"], override["weeks"], override["by_hour"]) == (50, 6, 14)
    # Saving the same again is the same state (a retried PUT).
    assert client.put(RULES, json=body, headers=admin.headers).json() == again


def field_of(response: Any) -> list[Any]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    # Pydantic's checks give list indexes as numbers, the service's as text: both name the field.
    return [[str(part) for part in d["loc"]] for d in detail]


def test_bad_rules_are_refused_naming_the_field_and_nothing_is_saved(
    db: Session, client: TestClient
) -> None:
    org_id = make_org(db)
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    store = make_location(db, org_id=org_id)

    def put(rules: list[Any], overrides: list[Any] | None = None) -> Any:
        return client.put(
            RULES, json={"rules": rules, "overrides": overrides or []}, headers=owner.headers
        )

    weeks = put([{"kind": "sales_low", "enabled": True, "weeks": 3}])
    assert field_of(weeks) == [["body", "rules", "0", "weeks"]]
    threshold = put([{"kind": "sales_high", "enabled": True, "threshold_percent": 0}])
    assert field_of(threshold) == [["body", "rules", "0", "threshold_percent"]]
    hour = put([{"kind": "footfall_missing", "enabled": True, "at_hour": 24}])
    assert field_of(hour) == [["body", "rules", "0", "at_hour"]]
    wrong = put([{"kind": "sales_low", "enabled": True, "floor_percent": 10}])
    assert field_of(wrong) == [["body", "rules", "0", "floor_percent"]]
    twice = put(
        [{"kind": "rates_stale", "enabled": True}, {"kind": "rates_stale", "enabled": False}]
    )
    assert field_of(twice) == [["body", "rules", "1", "kind"]]
    org_only = put([], [{"kind": "square_connection", "location_id": store.id, "enabled": False}])
    assert field_of(org_only) == [["body", "overrides", "0", "kind"]]
    no_store = put([], [{"kind": "sales_low", "enabled": False}])
    assert field_of(no_store) == [["body", "overrides", "0", "location_id"]]
    quiet = client.put(
        RULES, json={"quiet_hours": {"from_hour": 25, "to_hour": 7}}, headers=owner.headers
    )
    assert field_of(quiet) == [["body", "quiet_hours", "from_hour"]]
    # A valid rule beside a bad override: neither is saved.
    half = put(
        [{"kind": "sales_low", "enabled": False}],
        [{"kind": "sales_low", "location_id": store.id, "enabled": True, "weeks": 9}],
    )
    assert field_of(half) == [["body", "overrides", "0", "weeks"]]
    assert org_rule(client.get(RULES, headers=owner.headers).json(), "sales_low")["enabled"]


def test_only_owners_and_admins_change_rules(db: Session, client: TestClient) -> None:
    org_id = make_org(db)
    for role in (Role.manager, Role.viewer):
        member = member_of(client, db, org_id=org_id, role=role)
        assert client.get(RULES, headers=member.headers).status_code == 200
        refused = client.put(RULES, json={"rules": []}, headers=member.headers)
        assert refused.status_code == 403


def test_a_manager_tunes_the_rules_of_their_own_stores_only(
    db: Session, client: TestClient
) -> None:
    chain = make_chain(db)
    mine, theirs = add_store(db, chain, "Clapham"), add_store(db, chain, "Brixton")
    manager = manager_of(db, chain, mine)
    manager_headers = login(client, manager).headers
    admin_headers = login(client, chain.admin).headers
    viewer_headers = login(client, chain.viewer).headers
    admin_rules = {
        "quiet_hours": {"enabled": True, "from_hour": 22, "to_hour": 6},
        "rules": [{"kind": "conversion_low", "enabled": True, "floor_percent": 15}],
        "overrides": [{"kind": "sales_low", "location_id": theirs.id, "enabled": False}],
    }
    assert client.put(RULES, json=admin_rules, headers=admin_headers).status_code == 200
    before = client.get(RULES, headers=admin_headers).json()

    mine_only = {
        "location_ids": [mine.id],
        "overrides": [
            {"kind": "sales_low", "location_id": mine.id, "enabled": True, "threshold_percent": 45},
            {"kind": "footfall_missing", "location_id": mine.id, "enabled": False},
        ],
    }
    saved = client.put(f"{RULES}/overrides", json=mine_only, headers=manager_headers)
    assert saved.status_code == 200, saved.text
    # The manager sees their store's overrides only; the retried PUT leaves the same state.
    assert {(o["location_name"], o["kind"]) for o in saved.json()["overrides"]} == {
        ("Clapham", "sales_low"),
        ("Clapham", "footfall_missing"),
    }
    again = client.put(f"{RULES}/overrides", json=mine_only, headers=manager_headers)
    assert again.json() == saved.json()
    # The admin sees both stores' overrides; the organization's rules and quiet hours are as
    # the admin left them.
    after = client.get(RULES, headers=admin_headers).json()
    assert after["rules"] == before["rules"]
    assert after["quiet_hours"] == before["quiet_hours"]
    assert {(o["location_name"], o["kind"], o["enabled"]) for o in after["overrides"]} == {
        ("Brixton", "sales_low", False),
        ("Clapham", "sales_low", True),
        ("Clapham", "footfall_missing", False),
    }
    [clapham_low] = [
        o for o in after["overrides"] if (o["location_name"], o["kind"]) == ("Clapham", "sales_low")
    ]
    assert clapham_low["threshold_percent"] == 45

    # Another store's rules are not the manager's to change, named or slipped in.
    theirs_too = {
        "location_ids": [theirs.id],
        "overrides": [{"kind": "sales_low", "location_id": theirs.id, "enabled": True}],
    }
    refused = client.put(f"{RULES}/overrides", json=theirs_too, headers=manager_headers)
    assert refused.status_code == 403
    slipped = {
        "location_ids": [mine.id],
        "overrides": [{"kind": "sales_low", "location_id": theirs.id, "enabled": True}],
    }
    assert field_of(client.put(f"{RULES}/overrides", json=slipped, headers=manager_headers)) == [
        ["body", "overrides", "0", "location_id"]
    ]
    org_kind = {
        "location_ids": [mine.id],
        "overrides": [{"kind": "rates_stale", "location_id": mine.id, "enabled": False}],
    }
    assert field_of(client.put(f"{RULES}/overrides", json=org_kind, headers=manager_headers)) == [
        ["body", "overrides", "0", "kind"]
    ]
    assert client.get(RULES, headers=admin_headers).json() == after
    # A viewer changes nothing; the whole rule set stays the owner's and admins'.
    viewer = client.put(f"{RULES}/overrides", json=mine_only, headers=viewer_headers)
    assert viewer.status_code == 403
    assert client.put(RULES, json=admin_rules, headers=manager_headers).status_code == 403

    # Saving the store with no overrides removes its own; the other store keeps its.
    cleared = client.put(
        f"{RULES}/overrides",
        json={"location_ids": [mine.id], "overrides": []},
        headers=manager_headers,
    )
    assert cleared.json()["overrides"] == []
    assert [
        (o["location_name"], o["kind"])
        for o in client.get(RULES, headers=admin_headers).json()["overrides"]
    ] == [("Brixton", "sales_low")]


def test_no_way_into_another_organizations_alerts(
    db: Session, client: TestClient, smtp_server: SmtpServer, mail_now: None
) -> None:
    chain = make_chain(db)
    store = add_store(db, chain, "Clapham")
    tuesday = date(2026, 12, 1)
    sell(
        db, chain, store, {**{tuesday - timedelta(weeks=w): 90000 for w in (1, 2, 3)}, tuesday: 100}
    )
    assert alert_tasks.run(datetime(2026, 12, 2, 9, 0, tzinfo=UTC)) == 1

    other_org = make_org(db)
    intruder = member_of(client, db, org_id=other_org, role=Role.owner)
    assert client.get("/api/v1/alerts", headers=intruder.headers).json() == {
        "items": [],
        "total": 0,
    }
    # Overriding a rule at another organization's store: not found, and nothing saved.
    response = client.put(
        RULES,
        json={"overrides": [{"kind": "sales_low", "location_id": store.id, "enabled": False}]},
        headers=intruder.headers,
    )
    assert response.status_code == 404
    assert client.get(RULES, headers=intruder.headers).json()["overrides"] == []
    owner = login(client, chain.owner)
    assert client.get(RULES, headers=owner.headers).json()["overrides"] == []
    assert client.get("/api/v1/alerts", headers=owner.headers).json()["total"] == 1


def test_a_stores_override_replaces_the_organizations_rule_there(
    db: Session, client: TestClient, smtp_server: SmtpServer, mail_now: None
) -> None:
    chain = make_chain(db)
    quiet = add_store(db, chain, "Quiet")
    busy = add_store(db, chain, "Busy")
    tuesday = date(2026, 12, 1)
    usual = {tuesday - timedelta(weeks=w): 100000 for w in range(1, 7)}
    sell(db, chain, quiet, {**usual, tuesday: 60000})  # 40 % below
    sell(db, chain, busy, {**usual, tuesday: 160000})  # 60 % above
    manager = manager_of(db, chain, quiet)
    admin = login(client, chain.admin)
    saved = client.put(
        RULES,
        json={
            "rules": [
                {"kind": "sales_high", "enabled": True, "threshold_percent": 50},
                {"kind": "footfall_missing", "enabled": False},
            ],
            "overrides": [
                # At Quiet, a weak day is one 50 % below: 40 % is not.
                {
                    "kind": "sales_low",
                    "location_id": quiet.id,
                    "enabled": True,
                    "threshold_percent": 50,
                },
            ],
        },
        headers=admin.headers,
    )
    assert saved.status_code == 200, saved.text
    assert alert_tasks.run(datetime(2026, 12, 2, 11, 0, tzinfo=UTC)) == 1
    assert [m["Subject"] for m in smtp_server.to(chain.owner.email)] == [
        "Busy: net sales £1,600 yesterday, 60 % above a usual Tuesday (£1,000)"
    ]
    assert smtp_server.to(manager.email) == []
