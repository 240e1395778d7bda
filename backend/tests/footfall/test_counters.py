"""The people-counter intake, POST /footfall/counts: rules, idempotence, roll-up, audit, limits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.footfall import counters
from app.footfall.models import FootfallCount
from tests.factories import make_location, make_org
from tests.footfall.helpers import MONDAY, Shop, listing, post, shop

COUNTS = "/api/v1/footfall/counts"
DAY = MONDAY.isoformat()  # Europe/London, summer time (+01:00)


def make_key(client: TestClient, s: Shop, location_ids: list[int] | None = None) -> dict[str, str]:
    body: dict[str, Any] = {"name": "Counters"}
    if location_ids is not None:
        body["location_ids"] = location_ids
    made = client.post("/api/v1/api-keys", json=body, headers=s.owner.headers)
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['key']}"}


def item(
    store: dict[str, Any], start: str, count: int, interval: str = "15min", **extra: Any
) -> dict[str, Any]:
    return {"store": store, "start": start, "interval": interval, "count": count, **extra}


def send(client: TestClient, key: dict[str, str], *items: dict[str, Any]) -> dict[str, Any]:
    response = client.post(COUNTS, json={"counts": list(items)}, headers=key)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def day_figures(client: TestClient, s: Shop) -> dict[tuple[int, str], int]:
    """The daily figures the grid shows: each store-day's entries summed."""
    figures: dict[tuple[int, str], int] = {}
    for e in listing(client, s.owner):
        key = (e["location_id"], e["date"])
        figures[key] = figures.get(key, 0) + (e["count"] or 0)
    return figures


def test_quarters_roll_up_into_hourly_entries_and_a_resend_replaces(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    key = make_key(client, s)
    soho = {"id": s.soho.id}
    result = send(
        client,
        key,
        item(soho, f"{DAY}T09:00:00+01:00", 10),
        item(soho, f"{DAY}T09:15:00+01:00", 12),
        item(soho, f"{DAY}T08:30:00Z", 5),  # 09:30 in London, given in UTC
        item(soho, f"{DAY}T10:00:00+01:00", 7, direction="out"),  # stored, not footfall
    )
    assert result == {"accepted": 4, "rejected": []}
    entries = listing(client, s.owner)
    assert [(e["hour"], e["count"], e["source"]) for e in entries] == [(9, 27, "api")]
    assert entries[0]["updated_by"] is None

    # The same quarter again replaces it; late and out-of-order data fills its place.
    again = send(
        client,
        key,
        item(soho, f"{DAY}T11:45:00+01:00", 4),
        item(soho, f"{DAY}T09:15:00+01:00", 20),
        item(soho, f"{DAY}T09:00:00+01:00", 10),
    )
    assert again == {"accepted": 3, "rejected": []}
    assert [(e["hour"], e["count"]) for e in listing(client, s.owner)] == [(9, 35), (11, 4)]
    assert day_figures(client, s) == {(s.soho.id, DAY): 39}
    assert db.scalar(select(func.count()).select_from(FootfallCount)) == 5  # two replaced


def test_store_by_square_location_id_or_mapped_counter_id(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    key = make_key(client, s)
    mapped = client.post(
        "/api/v1/footfall/counters",
        json={"counter_id": "FC-0042", "location_id": s.leeds.id},
        headers=s.admin.headers,
    )
    assert mapped.status_code == 201, mapped.text
    twice = client.post(
        "/api/v1/footfall/counters",
        json={"counter_id": "FC-0042", "location_id": s.soho.id},
        headers=s.admin.headers,
    )
    assert twice.status_code == 409
    assert (
        client.post(
            "/api/v1/footfall/counters",
            json={"counter_id": "X", "location_id": s.soho.id},
            headers=s.manager.headers,
        ).status_code
        == 403
    )
    rival = make_location(db, org_id=make_org(db, "Rival"), name="Rival")
    theirs = client.post(
        "/api/v1/footfall/counters",
        json={"counter_id": "R-1", "location_id": rival.id},
        headers=s.admin.headers,
    )
    assert theirs.status_code == 404
    result = send(
        client,
        key,
        item({"square_location_id": "SQ-SOHO"}, f"{DAY}T00:00:00+01:00", 300, interval="day"),
        item({"counter_id": "FC-0042"}, f"{DAY}T13:00:00+01:00", 44, interval="hour"),
        item({"counter_id": "FC-9999"}, f"{DAY}T13:00:00+01:00", 1, interval="hour"),
        item({"square_location_id": "SQ-NOPE"}, f"{DAY}T13:00:00+01:00", 1, interval="hour"),
        item({"id": s.soho.id, "counter_id": "FC-0042"}, f"{DAY}T13:00:00+01:00", 1),
    )
    assert result["accepted"] == 2
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [
        (2, "store.counter_id"),
        (3, "store.square_location_id"),
        (4, "store"),
    ]
    assert day_figures(client, s) == {(s.soho.id, DAY): 300, (s.leeds.id, DAY): 44}
    listed = client.get("/api/v1/footfall/counters", headers=s.admin.headers).json()
    assert [(c["counter_id"], c["location_id"]) for c in listed["items"]] == [
        ("FC-0042", s.leeds.id)
    ]
    gone = client.delete(
        f"/api/v1/footfall/counters/{listed['items'][0]['id']}", headers=s.admin.headers
    )
    assert gone.status_code == 204
    after = send(client, key, item({"counter_id": "FC-0042"}, f"{DAY}T14:00:00+01:00", 1))
    assert after["rejected"][0]["error"] == "Unknown store"


def test_each_bad_item_is_reported_and_writes_nothing(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    opened = client.patch(
        f"/api/v1/locations/{s.leeds.id}", json={"opened_on": DAY}, headers=s.admin.headers
    )
    assert opened.status_code == 200, opened.text
    rival = make_location(db, org_id=make_org(db, "Rival"), name="Rival")
    key = make_key(client, s)
    soho, leeds = {"id": s.soho.id}, {"id": s.leeds.id}
    result = send(
        client,
        key,
        item(soho, f"{DAY}T09:05:00+01:00", 1),  # 0: not a quarter hour
        item(soho, f"{DAY}T09:15:00+01:00", 1, interval="hour"),  # 1: not an hour
        item(soho, f"{DAY}T09:00:00+01:00", 1, interval="day"),  # 2: not the day's start
        item(soho, f"{DAY}T09:00:00+01:00", -3),  # 3: negative
        item(soho, f"{DAY}T09:00:00", 1),  # 4: no offset
        item(soho, f"{DAY}T09:00:00+01:00", 1, interval="5min"),  # 5
        item({"id": rival.id}, f"{DAY}T09:00:00+01:00", 1),  # 6: another organization's
        item(leeds, f"{(MONDAY - timedelta(days=1)).isoformat()}T12:00:00+01:00", 1),  # 7
        item(soho, "2099-01-01T09:00:00+00:00", 1),  # 8: the future
        item(soho, f"{DAY}T09:00:00+01:00", 1, direction="sideways"),  # 9
        item(soho, f"{DAY}T09:00:00+01:00", 1, colour="red"),  # 10
        item(soho, f"{DAY}T09:45:00+01:00", 9),  # 11: fine
    )
    assert result["accepted"] == 1
    assert [(r["index"], r["field"]) for r in result["rejected"]] == [
        (0, "start"),
        (1, "start"),
        (2, "start"),
        (3, "count"),
        (4, "start"),
        (5, "interval"),
        (6, "store.id"),
        (7, "start"),
        (8, "start"),
        (9, "direction"),
        (10, "colour"),
    ]
    errors = {r["index"]: r["error"] for r in result["rejected"]}
    assert "09:05 is not a quarter hour in Soho's time (Europe/London)" in errors[0]
    assert "before Leeds opened" in errors[7]
    assert errors[6] == "Unknown store"
    assert [(e["location_id"], e["hour"], e["count"]) for e in listing(client, s.owner)] == [
        (s.soho.id, 9, 9)
    ]
    assert db.scalar(select(func.count()).select_from(FootfallCount)) == 1


def test_a_key_writes_only_its_own_stores(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    key = make_key(client, s, [s.soho.id])
    result = send(
        client,
        key,
        item({"id": s.leeds.id}, f"{DAY}T09:00:00+01:00", 5),
        item({"id": s.soho.id}, f"{DAY}T09:00:00+01:00", 6),
    )
    assert result["accepted"] == 1
    assert result["rejected"] == [
        {"index": 0, "field": "store.id", "error": "Leeds is not one of this API key's stores"}
    ]
    assert day_figures(client, s) == {(s.soho.id, DAY): 6}


def test_counters_replace_typed_counts_in_the_audit_but_not_closed_days(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    assert post(client, s.manager, location_id=s.soho.id, count=500).status_code == 201
    closed_day = (MONDAY + timedelta(days=1)).isoformat()
    assert (
        post(client, s.owner, location_id=s.leeds.id, date=closed_day, closed=True).status_code
        == 201
    )
    key = make_key(client, s)
    result = send(
        client,
        key,
        item({"id": s.soho.id}, f"{DAY}T10:00:00+01:00", 40, interval="hour"),
        item({"id": s.soho.id}, f"{DAY}T11:00:00+01:00", 60, interval="hour"),
        item({"id": s.leeds.id}, f"{closed_day}T10:00:00+01:00", 3, interval="hour"),
    )
    assert result["accepted"] == 2
    assert result["rejected"][0]["index"] == 2
    assert "marked closed" in result["rejected"][0]["error"]
    assert day_figures(client, s)[(s.soho.id, DAY)] == 100
    trail = client.get("/api/v1/footfall/audit", headers=s.owner.headers).json()["items"]
    api_rows = [a for a in trail if a["source"] == "api"]
    assert sorted((a["action"], a["hour"], a["old_count"], a["new_count"]) for a in api_rows) == [
        ("create", 10, None, 40),
        ("create", 11, None, 60),
        ("delete", None, 500, None),
    ]
    key_id = client.get("/api/v1/api-keys", headers=s.owner.headers).json()["items"][0]["id"]
    assert {(a["api_key_id"], a["api_key_name"], a["changed_by"]) for a in api_rows} == {
        (key_id, "Counters", None)
    }
    # Sending the same again changes nothing, so the trail stays as it is.
    send(client, key, item({"id": s.soho.id}, f"{DAY}T10:00:00+01:00", 40, interval="hour"))
    assert client.get("/api/v1/footfall/audit", headers=s.owner.headers).json()["total"] == len(
        trail
    )


def test_finer_figures_replace_coarser_ones_for_the_same_span(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    key = make_key(client, s)
    soho = {"id": s.soho.id}
    send(client, key, item(soho, f"{DAY}T00:00:00+01:00", 1000, interval="day"))
    assert day_figures(client, s) == {(s.soho.id, DAY): 1000}
    send(client, key, item(soho, f"{DAY}T10:00:00+01:00", 80, interval="hour"))
    # The day now has an hourly figure: the day is the sum of its hours.
    assert [(e["hour"], e["count"]) for e in listing(client, s.owner)] == [(10, 80)]
    send(
        client,
        key,
        item(soho, f"{DAY}T10:00:00+01:00", 30),
        item(soho, f"{DAY}T10:15:00+01:00", 25),
        item(soho, f"{DAY}T12:00:00+01:00", 50, interval="hour"),
    )
    # Quarters replace the hourly figure of their hour; the other hour keeps its own.
    assert [(e["hour"], e["count"]) for e in listing(client, s.owner)] == [(10, 55), (12, 50)]


def test_business_day_start_hour_places_night_counts_on_the_day_before(
    client: TestClient, db: Session
) -> None:
    s = shop(client, db)
    bar = make_location(db, org_id=s.org_id, name="Bar", business_day_start_hour=4)
    key = make_key(client, s)
    tuesday = (MONDAY + timedelta(days=1)).isoformat()
    result = send(
        client,
        key,
        item({"id": bar.id}, f"{DAY}T04:00:00+01:00", 500, interval="day"),
        item({"id": bar.id}, f"{DAY}T00:00:00+01:00", 8, interval="day"),
        item({"id": bar.id}, f"{tuesday}T01:00:00+01:00", 8, interval="hour"),
    )
    assert [r["index"] for r in result["rejected"]] == [1]
    assert "starts at 04:00" in result["rejected"][0]["error"]
    entries = listing(client, s.owner)
    # Monday's whole-day figure is replaced by the hourly one that belongs to Monday's night.
    assert [(e["date"], e["hour"], e["count"]) for e in entries] == [(DAY, 1, 8)]


def test_a_bare_list_is_accepted_and_x_api_key_too(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    key = make_key(client, s)["Authorization"].removeprefix("Bearer ")
    response = client.post(
        COUNTS,
        json=[item({"id": s.soho.id}, f"{DAY}T09:00:00+01:00", 3)],
        headers={"X-API-Key": key},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 1, "rejected": []}
    too_many = client.post(
        COUNTS,
        json={"counts": [item({"id": s.soho.id}, f"{DAY}T09:00:00+01:00", 3)] * 5001},
        headers={"X-API-Key": key},
    )
    assert too_many.status_code == 422


def test_rate_limited_per_key_with_retry_after(
    client: TestClient, db: Session, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = shop(client, db)
    monkeypatch.setattr(get_settings(), "COUNTER_API_MAX_REQUESTS", 3)
    monkeypatch.setattr(get_settings(), "COUNTER_API_WINDOW_SECONDS", 3600)
    first, second = make_key(client, s), make_key(client, s)
    for _ in range(3):
        assert client.post(COUNTS, json={"counts": []}, headers=first).status_code == 200
    limited = client.post(COUNTS, json={"counts": []}, headers=first)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 3601
    # Another key has its own allowance.
    assert client.post(COUNTS, json={"counts": []}, headers=second).status_code == 200


def test_a_closed_store_refuses_days_after_its_last(client: TestClient, db: Session) -> None:
    s = shop(client, db)
    closed = client.patch(
        f"/api/v1/locations/{s.soho.id}", json={"closed_on": DAY}, headers=s.admin.headers
    )
    assert closed.status_code == 200, closed.text
    key = make_key(client, s)
    after = (MONDAY + timedelta(days=1)).isoformat()
    result = send(
        client,
        key,
        item({"id": s.soho.id}, f"{DAY}T09:00:00+01:00", 3),
        item({"id": s.soho.id}, f"{after}T09:00:00+01:00", 3),
    )
    assert result["accepted"] == 1
    assert "after Soho closed" in result["rejected"][0]["error"]
    assert day_figures(client, s) == {(s.soho.id, DAY): 3}


def test_a_new_business_day_start_dates_the_counts_again(client: TestClient, db: Session) -> None:
    """A counter's figures are instants: when the store's business day starts at 04:00 instead
    of midnight, the night's hours move to the day before (and a day they all leave is
    emptied), as its sales do; done again, nothing changes."""
    s = shop(client, db)
    key = make_key(client, s)
    soho = {"id": s.soho.id}
    tuesday = (MONDAY + timedelta(days=1)).isoformat()
    wednesday = (MONDAY + timedelta(days=2)).isoformat()
    figures = {
        (DAY, 9): 19,
        (DAY, 22): 32,
        (tuesday, 1): 101,
        (tuesday, 2): 102,
        (tuesday, 9): 109,
        (wednesday, 0): 200,
        (wednesday, 3): 203,
    }
    sent = send(
        client,
        key,
        *(
            item(soho, f"{day}T{hour:02d}:00:00+01:00", n, interval="hour")
            for (day, hour), n in figures.items()
        ),
    )
    assert sent == {"accepted": len(figures), "rejected": []}
    before = {(e["date"], e["hour"]): e["count"] for e in listing(client, s.owner)}
    assert before == figures

    patched = client.patch(
        f"/api/v1/locations/{s.soho.id}",
        json={"business_day_start_hour": 4},
        headers=s.admin.headers,
    )
    assert patched.status_code == 200, patched.text
    assert counters.redate(db=db, location_id=s.soho.id) == 4
    db.commit()
    after = {(e["date"], e["hour"], e["source"]): e["count"] for e in listing(client, s.owner)}
    assert after == {
        (DAY, 9, "api"): 19,
        (DAY, 22, "api"): 32,
        (DAY, 1, "api"): 101,  # Tuesday's night is Monday's business day now
        (DAY, 2, "api"): 102,
        (tuesday, 9, "api"): 109,
        (tuesday, 0, "api"): 200,
        (tuesday, 3, "api"): 203,
    }
    # The reports count the days as the grid shows them.
    monday = client.get(
        "/api/v1/reports/summary",
        params={"date_from": DAY, "date_to": DAY, "location_ids": s.soho.id, "compare": "none"},
        headers=s.owner.headers,
    ).json()["metrics"]
    assert monday["footfall"] == 19 + 32 + 101 + 102
    # Again: nothing moves, nothing is written.
    assert counters.redate(db=db, location_id=s.soho.id) == 0
    assert {(e["date"], e["hour"], e["source"]): e["count"] for e in listing(client, s.owner)} == (
        after
    )
