"""GET/PUT /users/me/notifications and the admin routes for a team member: defaults, the whole
desired state, validation naming the field, roles, and no reach into another organization."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.notifications import service as notification_service
from app.users.models import Role
from tests.factories import make_org, member_of

ME = "/api/v1/users/me/notifications"
DEFAULT_METRICS = [
    "net_sales",
    "transactions",
    "average_transaction_value",
    "units_per_transaction",
    "footfall",
    "conversion_rate",
]


def daily(**changes: Any) -> dict[str, Any]:
    return {
        "frequency": "daily",
        "enabled": True,
        "local_hour": 7,
        "weekday": 0,
        "metrics": ["net_sales", "transactions"],
        "include_league": True,
        **changes,
    }


def test_a_new_user_has_both_digests_off_with_the_defaults_and_alerts_on(
    client: TestClient, db: Session
) -> None:
    viewer = member_of(client, db, org_id=make_org(db), role=Role.viewer)
    response = client.get(ME, headers=viewer.headers)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "digests": [
            {
                "frequency": frequency,
                "enabled": False,
                "local_hour": 7,
                "weekday": 0,
                "metrics": DEFAULT_METRICS,
                "include_league": True,
            }
            for frequency in ("daily", "weekly")
        ],
        "alerts": {"email": True},
    }


def test_put_sets_the_whole_state_and_repeating_it_changes_nothing(
    client: TestClient, db: Session
) -> None:
    manager = member_of(client, db, org_id=make_org(db), role=Role.manager)
    body = {
        "digests": [
            daily(local_hour=6, metrics=["footfall", "net_sales", "footfall"]),
            {"frequency": "weekly", "weekday": 4, "include_league": False},
        ],
        "alerts": {"email": False},
    }
    first = client.put(ME, json=body, headers=manager.headers)
    assert first.status_code == 200, first.text
    second = client.put(ME, json=body, headers=manager.headers)
    assert second.json() == first.json()
    assert client.get(ME, headers=manager.headers).json() == first.json()
    by_frequency = {d["frequency"]: d for d in first.json()["digests"]}
    assert by_frequency["daily"]["metrics"] == ["footfall", "net_sales"]  # repeats dropped
    assert by_frequency["daily"]["local_hour"] == 6
    assert by_frequency["weekly"] == {
        "frequency": "weekly",
        "enabled": True,
        "local_hour": 7,
        "weekday": 4,
        "metrics": DEFAULT_METRICS,
        "include_league": False,
    }
    assert first.json()["alerts"] == {"email": False}
    assert notification_service.alerts_email(db=db, user_id=manager.user.id) is False

    # A frequency left out is switched off, its settings kept; alerts left out stay as they are.
    only_daily = client.put(ME, json={"digests": [daily()]}, headers=manager.headers)
    assert only_daily.status_code == 200
    weekly = only_daily.json()["digests"][1]
    assert (weekly["enabled"], weekly["weekday"]) == (False, 4)
    assert only_daily.json()["alerts"] == {"email": False}
    alerts_only = client.put(ME, json={"alerts": {"email": True}}, headers=manager.headers)
    assert alerts_only.json()["digests"] == only_daily.json()["digests"]
    assert alerts_only.json()["alerts"] == {"email": True}


def field_of(response: Any) -> str:
    assert response.status_code == 422, response.text
    return str(response.json()["detail"][0]["field"])


def test_invalid_settings_are_refused_naming_the_field(client: TestClient, db: Session) -> None:
    owner = member_of(client, db, org_id=make_org(db), role=Role.owner)
    before = client.get(ME, headers=owner.headers).json()

    def put(*digests: dict[str, Any]) -> Any:
        return client.put(ME, json={"digests": list(digests)}, headers=owner.headers)

    unknown = put(daily(metrics=["net_sales", "happiness"]))
    assert field_of(unknown) == "metrics"
    assert unknown.json()["detail"][0]["loc"] == ["body", "digests", 0, "metrics"]
    assert "happiness" in unknown.json()["detail"][0]["msg"]
    assert field_of(put(daily(), {"frequency": "weekly", "metrics": []})) == "digests.1.metrics"
    assert field_of(put(daily(local_hour=24))) == "digests.0.local_hour"
    assert field_of(put(daily(local_hour=-1))) == "digests.0.local_hour"
    assert field_of(put(daily(weekday=7))) == "digests.0.weekday"
    assert field_of(put(daily(frequency="hourly"))) == "digests.0.frequency"
    assert field_of(put(daily(), daily())) == "digests"
    assert field_of(put(daily(enabled="yes"))) == "digests.0.enabled"
    assert field_of(put(daily(colour="blue"))) == "digests.0.colour"
    # Nothing was changed by any of them.
    assert client.get(ME, headers=owner.headers).json() == before


def test_admins_set_up_a_team_members_digests_within_their_organization(
    client: TestClient, db: Session
) -> None:
    org_id = make_org(db)
    admin = member_of(client, db, org_id=org_id, role=Role.admin)
    manager = member_of(client, db, org_id=org_id, role=Role.manager)
    url = f"/api/v1/users/{manager.user.id}/notifications"
    body = {"digests": [daily(local_hour=8)], "alerts": {"email": False}}
    response = client.put(url, json=body, headers=admin.headers)
    assert response.status_code == 200, response.text
    assert client.get(url, headers=admin.headers).json() == response.json()
    # The member sees what was set up for them, and may change it.
    assert client.get(ME, headers=manager.headers).json() == response.json()

    # Only an owner or an admin sets up someone else's; a manager or viewer may not.
    viewer = member_of(client, db, org_id=org_id, role=Role.viewer)
    assert client.get(url, headers=manager.headers).status_code == 403
    assert client.put(url, json=body, headers=viewer.headers).status_code == 403
    assert client.get(url).status_code == 401

    # Another organization's user is not found, to read or to change, and nothing changes.
    other_owner = member_of(client, db, org_id=make_org(db), role=Role.owner)
    assert client.get(url, headers=other_owner.headers).status_code == 404
    changed = client.put(
        url, json={"digests": [], "alerts": {"email": True}}, headers=other_owner.headers
    )
    assert changed.status_code == 404
    assert client.get(url, headers=admin.headers).json() == response.json()
    mine = f"/api/v1/users/{other_owner.user.id}/notifications"
    assert client.get(mine, headers=admin.headers).status_code == 404
    assert client.get("/api/v1/users/999999/notifications", headers=admin.headers).status_code == (
        404
    )


def test_unsubscribe_with_an_unknown_token_is_not_found(client: TestClient) -> None:
    url = "/api/v1/notifications/unsubscribe"
    for token in ("made-up", "x" * 128):
        assert client.get(url, params={"token": token}).status_code == 404
        posted = client.post(url, params={"token": token}, data={"List-Unsubscribe": "One-Click"})
        assert posted.status_code == 404
        assert posted.json() == {"detail": "This unsubscribe link is not valid"}
    assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 422
    assert client.post(url, params={"token": "x" * 129}).status_code == 422
