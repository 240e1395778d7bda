from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.users.models import Role
from tests.factories import make_location, make_org, member_of
from tests.footfall.helpers import MONDAY, URL, listing, post, shop


def test_crud_round_trip_records_who_and_when(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    created = post(client, s.manager, location_id=s.soho.id, count=412)
    assert created.status_code == 201, created.text
    entry = created.json()
    assert {k: entry[k] for k in ("location_id", "date", "count", "hour", "closed", "source")} == {
        "location_id": s.soho.id,
        "date": MONDAY.isoformat(),
        "count": 412,
        "hour": None,
        "closed": False,
        "source": "manual",
    }
    assert entry["updated_by"] == s.manager.user.id
    assert entry["updated_by_name"] == s.manager.user.full_name
    assert entry["updated_at"] and entry["unusual"] is False

    changed = client.put(f"{URL}/{entry['id']}", json={"count": 415}, headers=s.admin.headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["count"] == 415
    assert changed.json()["updated_by"] == s.admin.user.id
    assert [e["count"] for e in listing(client, s.owner)] == [415]

    gone = client.delete(f"{URL}/{entry['id']}", headers=s.owner.headers)
    assert gone.status_code == 204
    assert listing(client, s.owner) == []
    assert client.delete(f"{URL}/{entry['id']}", headers=s.owner.headers).status_code == 404


def test_closed_day_has_no_count_and_unknown_days_are_absent(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    closed = post(client, s.owner, location_id=s.soho.id, closed=True)
    assert closed.status_code == 201, closed.text
    assert (closed.json()["count"], closed.json()["closed"]) == (None, True)
    # The day after has no entry: it is simply not there (unknown), never a 0.
    assert [e["date"] for e in listing(client, s.owner)] == [MONDAY.isoformat()]

    both = post(client, s.owner, location_id=s.leeds.id, closed=True, count=3)
    assert both.status_code == 422
    assert both.json()["detail"][0]["field"] == "count"
    neither = post(client, s.owner, location_id=s.leeds.id)
    assert neither.status_code == 422
    assert "count is required" in neither.json()["detail"][0]["msg"]
    closed_hour = post(client, s.owner, location_id=s.leeds.id, closed=True, hour=10)
    assert closed_hour.status_code == 422
    assert closed_hour.json()["detail"][0]["field"] == "hour"

    reopened = client.put(
        f"{URL}/{closed.json()['id']}", json={"closed": False}, headers=s.owner.headers
    )
    assert reopened.status_code == 422
    assert reopened.json()["detail"][0]["field"] == "count"
    counted = client.put(
        f"{URL}/{closed.json()['id']}", json={"count": 90}, headers=s.owner.headers
    )
    assert (counted.json()["count"], counted.json()["closed"]) == (90, False)
    reclosed = client.put(
        f"{URL}/{closed.json()['id']}", json={"closed": True}, headers=s.owner.headers
    )
    assert (reclosed.json()["count"], reclosed.json()["closed"]) == (None, True)


def test_hourly_counts_and_whole_day_figures_do_not_mix(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    for hour, count in ((9, 20), (10, 35)):
        response = post(client, s.owner, location_id=s.soho.id, hour=hour, count=count)
        assert response.status_code == 201, response.text
    again = post(client, s.owner, location_id=s.soho.id, hour=9, count=21)
    assert again.status_code == 409
    assert "already has an entry for hour 9" in again.json()["detail"]
    daily = post(client, s.owner, location_id=s.soho.id, count=55)
    assert daily.status_code == 409
    assert "already has hourly counts" in daily.json()["detail"]
    bad_hour = post(client, s.owner, location_id=s.soho.id, hour=24, count=1)
    assert bad_hour.status_code == 422
    assert bad_hour.json()["detail"][0]["field"] == "hour"
    hours = [(e["hour"], e["count"]) for e in listing(client, s.owner)]
    assert hours == [(9, 20), (10, 35)]


def test_one_grid_save_swaps_a_whole_day_figure_for_hours_and_back(
    client: TestClient, db: Session
) -> None:
    """The hourly editor replaces a day's whole-day figure by its hours in one all-or-nothing
    request: the whole-day cell sent cleared beside the hours; and clearing every hour beside a
    whole-day figure goes the other way."""
    s = shop(client, db)
    day = MONDAY.isoformat()
    assert post(client, s.owner, location_id=s.soho.id, count=840).status_code == 201
    hours = [
        {"location_id": s.soho.id, "date": day, "hour": h, "count": c}
        for h, c in ((9, 20), (10, 35))
    ]

    # Hours alone still clash with the stored whole-day figure, and nothing is written.
    refused = client.put(f"{URL}/bulk", json={"entries": hours}, headers=s.owner.headers)
    assert refused.status_code == 422, refused.text
    assert refused.json()["detail"][0]["field"] == "entries.0.hour"
    assert [(e["hour"], e["count"]) for e in listing(client, s.owner)] == [(None, 840)]

    cleared_day = {"location_id": s.soho.id, "date": day, "count": None}
    swapped = client.put(
        f"{URL}/bulk", json={"entries": [cleared_day, *hours]}, headers=s.owner.headers
    )
    assert swapped.status_code == 200, swapped.text
    body = swapped.json()
    assert (body["created"], body["deleted"]) == (2, 1)
    assert [(e["hour"], e["count"]) for e in body["items"]] == [(9, 20), (10, 35)]
    assert [(e["hour"], e["count"]) for e in listing(client, s.owner)] == [(9, 20), (10, 35)]

    back = [{**cell, "count": None} for cell in hours] + [{**cleared_day, "count": 55}]
    undone = client.put(f"{URL}/bulk", json={"entries": back}, headers=s.owner.headers)
    assert undone.status_code == 200, undone.text
    assert [(e["hour"], e["count"]) for e in listing(client, s.owner)] == [(None, 55)]


def test_dates_in_the_future_before_opening_or_after_closing_are_refused(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    # Auckland is ahead of every other timezone: "tomorrow" there is refused wherever we run.
    far = make_location(
        db, org_id=s.org_id, name="Auckland", timezone="Pacific/Auckland", currency="NZD"
    )
    tomorrow = date.today() + timedelta(days=2)
    future = post(client, s.owner, location_id=far.id, date=tomorrow.isoformat(), count=5)
    assert future.status_code == 422
    assert future.json()["detail"][0]["field"] == "date"
    assert "in the future" in future.json()["detail"][0]["msg"]
    assert "Pacific/Auckland" in future.json()["detail"][0]["msg"]

    opened = client.patch(
        f"/api/v1/locations/{s.leeds.id}", json={"opened_on": "2025-06-10"}, headers=s.admin.headers
    )
    assert opened.status_code == 200, opened.text
    early = post(client, s.owner, location_id=s.leeds.id, count=5)
    assert early.status_code == 422
    assert "before Leeds opened (2025-06-10)" in early.json()["detail"][0]["msg"]
    assert (
        post(client, s.owner, location_id=s.leeds.id, date="2025-06-10", count=5).status_code == 201
    )
    closed = client.patch(
        f"/api/v1/locations/{s.leeds.id}", json={"closed_on": "2025-06-20"}, headers=s.admin.headers
    )
    assert closed.status_code == 200, closed.text
    late = post(client, s.owner, location_id=s.leeds.id, date="2025-06-21", count=5)
    assert late.status_code == 422
    assert late.json()["detail"][0]["field"] == "date"
    assert (
        "after Leeds closed (its last trading day was 2025-06-20)"
        in (late.json()["detail"][0]["msg"])
    )
    assert (
        post(client, s.owner, location_id=s.leeds.id, date="2025-06-20", count=5).status_code == 201
    )


def test_permissions_per_location_and_role(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    mine = post(client, s.manager, location_id=s.soho.id, count=10)
    assert mine.status_code == 201
    theirs = post(client, s.manager, location_id=s.leeds.id, count=10)
    assert theirs.status_code == 403
    # The store is named by id only: a manager must not learn the names of stores they cannot see.
    assert f"location {s.leeds.id}" in theirs.json()["detail"]
    assert "Leeds" not in theirs.json()["detail"]

    leeds_entry = post(client, s.admin, location_id=s.leeds.id, count=30).json()
    assert (
        client.put(
            f"{URL}/{leeds_entry['id']}", json={"count": 1}, headers=s.manager.headers
        ).status_code
        == 403
    )
    assert client.delete(f"{URL}/{leeds_entry['id']}", headers=s.manager.headers).status_code == 403

    # The manager reads only Soho; asking for Leeds is a 403 naming its id, not its name.
    assert [e["location_id"] for e in listing(client, s.manager)] == [s.soho.id]
    refused = client.get(URL, params={"location_ids": s.leeds.id}, headers=s.manager.headers)
    assert refused.status_code == 403
    assert str(s.leeds.id) in refused.json()["detail"]
    assert "Leeds" not in refused.json()["detail"]

    # Viewers read everything and write nothing.
    assert sorted(e["location_id"] for e in listing(client, s.viewer)) == sorted(
        [s.soho.id, s.leeds.id]
    )
    assert post(client, s.viewer, location_id=s.soho.id, count=1).status_code == 403
    assert (
        client.put(
            f"{URL}/{mine.json()['id']}", json={"count": 1}, headers=s.viewer.headers
        ).status_code
        == 403
    )
    assert client.delete(f"{URL}/{mine.json()['id']}", headers=s.viewer.headers).status_code == 403
    assert (
        client.put(f"{URL}/bulk", json={"entries": []}, headers=s.viewer.headers).status_code == 403
    )
    assert client.get(f"{URL}/audit", headers=s.viewer.headers).status_code == 403
    assert [e["count"] for e in listing(client, s.owner, location_ids=s.soho.id)] == [10]


def test_another_organizations_locations_and_entries_are_not_found(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    other_org = make_org(db, "Other")
    elsewhere = make_location(db, org_id=other_org, name="Elsewhere")
    other_owner = member_of(client, db, org_id=other_org, role=Role.owner)
    theirs = post(client, other_owner, location_id=elsewhere.id, count=5).json()

    assert post(client, s.owner, location_id=elsewhere.id, count=5).status_code == 404
    assert (
        client.get(URL, params={"location_ids": elsewhere.id}, headers=s.owner.headers).status_code
        == 404
    )
    assert (
        client.put(f"{URL}/{theirs['id']}", json={"count": 6}, headers=s.owner.headers).status_code
        == 404
    )
    assert client.delete(f"{URL}/{theirs['id']}", headers=s.owner.headers).status_code == 404
    assert listing(client, s.owner) == []
    assert [e["count"] for e in listing(client, other_owner)] == [5]


def test_list_filters_by_locations_and_dates(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    for offset in range(3):
        day = (MONDAY + timedelta(days=offset)).isoformat()
        post(client, s.owner, location_id=s.soho.id, date=day, count=100 + offset)
        post(client, s.owner, location_id=s.leeds.id, date=day, count=200 + offset)
    window = listing(
        client,
        s.owner,
        location_ids=f"{s.soho.id},{s.leeds.id}",
        date_from=(MONDAY + timedelta(days=1)).isoformat(),
        date_to=(MONDAY + timedelta(days=2)).isoformat(),
    )
    assert [e["count"] for e in window] == [101, 201, 102, 202]
    only_leeds = listing(client, s.owner, location_ids=[s.leeds.id])
    assert [e["count"] for e in only_leeds] == [200, 201, 202]

    backwards = client.get(
        URL, params={"date_from": "2025-06-05", "date_to": "2025-06-01"}, headers=s.owner.headers
    )
    assert backwards.status_code == 422
    assert backwards.json()["detail"][0]["field"] == "date_from"
    junk = client.get(URL, params={"location_ids": "soho"}, headers=s.owner.headers)
    assert junk.status_code == 422
    assert junk.json()["detail"][0]["field"] == "location_ids"


def test_grid_upsert_creates_updates_clears_and_is_idempotent(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    days = [(MONDAY + timedelta(days=i)).isoformat() for i in range(3)]
    grid = {
        "entries": [
            {"location_id": s.soho.id, "date": days[0], "count": 120},
            {"location_id": s.soho.id, "date": days[1], "count": 130},
            {"location_id": s.soho.id, "date": days[2], "closed": True},
            {"location_id": s.leeds.id, "date": days[0], "count": 80},
            {"location_id": s.leeds.id, "date": days[1]},  # nothing typed: stays unknown
        ]
    }
    first = client.put(f"{URL}/bulk", json=grid, headers=s.admin.headers)
    assert first.status_code == 200, first.text
    body = first.json()
    assert (body["created"], body["updated"], body["deleted"], body["unchanged"]) == (4, 0, 0, 1)
    assert len(body["items"]) == 4

    again = client.put(f"{URL}/bulk", json=grid, headers=s.admin.headers).json()
    assert (again["created"], again["updated"], again["deleted"], again["unchanged"]) == (
        0,
        0,
        0,
        5,
    )

    grid["entries"][0]["count"] = 125
    grid["entries"][3] = {"location_id": s.leeds.id, "date": days[0]}  # cleared
    third = client.put(f"{URL}/bulk", json=grid, headers=s.admin.headers).json()
    assert (third["created"], third["updated"], third["deleted"], third["unchanged"]) == (
        0,
        1,
        1,
        3,
    )
    state = {
        (e["location_id"], e["date"]): (e["count"], e["closed"]) for e in listing(client, s.owner)
    }
    assert state == {
        (s.soho.id, days[0]): (125, False),
        (s.soho.id, days[1]): (130, False),
        (s.soho.id, days[2]): (None, True),
    }


def test_grid_upsert_is_all_or_nothing_and_checks_every_cell(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    future = (date.today() + timedelta(days=3)).isoformat()
    cases = [
        ({"location_id": s.soho.id, "date": future, "count": 1}, "entries.1.date", "in the future"),
        (
            {"location_id": s.soho.id, "date": MONDAY.isoformat(), "count": 2},
            "entries.1",
            "Same location",
        ),
        (
            {"location_id": s.soho.id, "date": "2025-06-03", "count": 2, "closed": True},
            "entries.1.count",
            "closed",
        ),
    ]
    for cell, field, words in cases:
        grid = {
            "entries": [{"location_id": s.soho.id, "date": MONDAY.isoformat(), "count": 1}, cell]
        }
        response = client.put(f"{URL}/bulk", json=grid, headers=s.owner.headers)
        assert response.status_code == 422, response.text
        assert response.json()["detail"][0]["field"] == field
        assert words in response.json()["detail"][0]["msg"]
    negative = client.put(
        f"{URL}/bulk",
        json={"entries": [{"location_id": s.soho.id, "date": MONDAY.isoformat(), "count": -4}]},
        headers=s.owner.headers,
    )
    assert negative.status_code == 422
    assert negative.json()["detail"][0]["field"] == "entries.0.count"

    # A manager's grid touching an ungranted store is refused whole, naming the store.
    mixed = {
        "entries": [
            {"location_id": s.soho.id, "date": MONDAY.isoformat(), "count": 1},
            {"location_id": s.leeds.id, "date": MONDAY.isoformat(), "count": 1},
        ]
    }
    refused = client.put(f"{URL}/bulk", json=mixed, headers=s.manager.headers)
    assert refused.status_code == 403
    assert str(s.leeds.id) in refused.json()["detail"]
    assert "Leeds" not in refused.json()["detail"]
    assert listing(client, s.owner) == []


def test_bulk_route_is_not_taken_for_an_entry_id(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    response = client.put(f"{URL}/bulk", json={"entries": []}, headers=s.owner.headers)
    assert response.status_code == 200, response.text
    assert response.json()["items"] == []
    assert client.get(f"{URL}/audit", headers=s.owner.headers).status_code == 200


def test_audit_trail_records_every_change(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    entry = post(client, s.manager, location_id=s.soho.id, count=50).json()
    client.put(f"{URL}/{entry['id']}", json={"count": 55}, headers=s.manager.headers)
    client.put(f"{URL}/{entry['id']}", json={"count": 55}, headers=s.manager.headers)  # no change
    client.delete(f"{URL}/{entry['id']}", headers=s.admin.headers)
    post(client, s.admin, location_id=s.leeds.id, count=70)

    trail = client.get(
        f"{URL}/audit", params={"location_id": s.soho.id}, headers=s.admin.headers
    ).json()
    steps = [
        (a["action"], a["old_count"], a["new_count"], a["changed_by"])
        for a in reversed(trail["items"])
    ]
    assert steps == [
        ("create", None, 50, s.manager.user.id),
        ("update", 50, 55, s.manager.user.id),
        ("delete", 55, None, s.admin.user.id),
    ]
    assert all(a["date"] == MONDAY.isoformat() and a["source"] == "manual" for a in trail["items"])
    assert trail["items"][0]["changed_by_name"] == s.admin.user.full_name

    everything = client.get(f"{URL}/audit", headers=s.owner.headers).json()
    assert everything["total"] == 4
    # The manager sees Soho's trail, not Leeds'.
    managers = client.get(f"{URL}/audit", headers=s.manager.headers).json()
    assert {a["location_id"] for a in managers["items"]} == {s.soho.id}
    assert (
        client.get(
            f"{URL}/audit", params={"location_id": s.leeds.id}, headers=s.manager.headers
        ).status_code
        == 403
    )
    dated = client.get(
        f"{URL}/audit", params={"date_from": "2025-06-03"}, headers=s.owner.headers
    ).json()
    assert dated["total"] == 0


def test_unusual_counts_are_flagged(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    weeks = [MONDAY - timedelta(weeks=k) for k in range(1, 9)]
    grid = [
        {"location_id": s.soho.id, "date": d.isoformat(), "count": c}
        for d, c in zip(weeks, [100, 110, 90, 105, 95, 100, 120, 80], strict=True)
    ]
    assert (
        client.put(f"{URL}/bulk", json={"entries": grid}, headers=s.owner.headers).status_code
        == 200
    )
    typo = post(client, s.owner, location_id=s.soho.id, count=1000).json()
    assert typo["unusual"] is True
    fixed = client.put(f"{URL}/{typo['id']}", json={"count": 104}, headers=s.owner.headers).json()
    assert fixed["unusual"] is False
    low = client.put(f"{URL}/{typo['id']}", json={"count": 30}, headers=s.owner.headers).json()
    assert low["unusual"] is True
    # Leeds has no history, so nothing is judged there.
    assert post(client, s.owner, location_id=s.leeds.id, count=100000).json()["unusual"] is False
    flags = {e["date"]: e["unusual"] for e in listing(client, s.owner, location_ids=s.soho.id)}
    assert flags[MONDAY.isoformat()] is True
    assert not any(v for d, v in flags.items() if d != MONDAY.isoformat())
