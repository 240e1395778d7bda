"""Input a client can send that the database or the standard library cannot hold (issue #20).

Each case answered 500 (or was misread) before app/core/inputs.py: it must be a 422 naming the
field, and nothing may be written.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import app.models  # noqa: F401
from app.core.db import Base
from app.organizations.models import Organization
from app.users import service as user_service
from app.users.models import Role, User
from tests.factories import make_location, make_org, member_of

PAST_INT32 = 2_147_483_648
PAST_INT64 = 9_223_372_036_854_775_808
HUGE = "9" * 5000  # past int()'s 4,300-digit limit for strings
PERIOD = {"date_from": "2024-01-01", "date_to": "2024-01-07"}


@dataclass
class World:
    headers: dict[str, str]
    location_id: int
    user_id: int


@dataclass
class Case:
    method: str
    url: str
    loc: tuple[str | int, ...]
    json: Any = None
    content: str | None = None
    params: dict[str, Any] | None = None


def _cases() -> dict[str, Case]:
    cases = {
        # ids past the 32-bit integer columns (PostgreSQL) or int64 (SQLite)
        "user path id": Case("GET", "/users/{big}", ("path", "user_id")),
        "user patch id": Case("PATCH", "/users/{huge64}", ("path", "user_id"), json={}),
        "location path id": Case("GET", "/locations/{big}", ("path", "location_id")),
        "grants path id": Case("GET", "/users/{big}/locations", ("path", "user_id")),
        # JSON true is not the id 1
        "sync connection true": Case(
            "POST", "/square/sync", ("body", "connection_id"), json={"connection_id": True}
        ),
        "grants body id true": Case(
            "PUT",
            "/users/{user}/locations",
            ("body", "location_ids", 0),
            json={"location_ids": [True]},
        ),
        "footfall body location true": Case(
            "POST",
            "/footfall",
            ("body", "location_id"),
            json={"location_id": True, "date": "2024-01-01", "count": 5},
        ),
        "grants body ids": Case(
            "PUT",
            "/users/{user}/locations",
            ("body", "location_ids", 0),
            json={"location_ids": [PAST_INT32]},
        ),
        "footfall location_ids": Case(
            "GET", "/footfall", ("query", "location_ids"), params={"location_ids": PAST_INT32}
        ),
        "footfall location_ids int64": Case(
            "GET", "/footfall", ("query", "location_ids"), params={"location_ids": PAST_INT64}
        ),
        "footfall location_ids digits": Case(
            "GET", "/footfall", ("query", "location_ids"), params={"location_ids": HUGE}
        ),
        "footfall offset": Case(
            "GET", "/footfall", ("query", "offset"), params={"offset": PAST_INT64}
        ),
        "footfall audit location": Case(
            "GET", "/footfall/audit", ("query", "location_id"), params={"location_id": PAST_INT32}
        ),
        "footfall audit offset": Case(
            "GET", "/footfall/audit", ("query", "offset"), params={"offset": PAST_INT64}
        ),
        "footfall entry id": Case(
            "PUT", "/footfall/{big}", ("path", "entry_id"), json={"count": 1}
        ),
        "footfall delete id": Case("DELETE", "/footfall/{big}", ("path", "entry_id")),
        "footfall body location": Case(
            "POST",
            "/footfall",
            ("body", "location_id"),
            json={"location_id": PAST_INT32, "date": "2024-01-01", "count": 1},
        ),
        "report location_ids": Case(
            "GET",
            "/reports/summary",
            ("query", "location_ids"),
            params={**PERIOD, "location_ids": f"1,{PAST_INT32}"},
        ),
        "sync run id": Case("GET", "/square/sync-runs/{big}", ("path", "run_id")),
        "connection id": Case("GET", "/square/connections/{big}", ("path", "connection_id")),
        "sync body connection": Case(
            "POST", "/square/sync", ("body", "connection_id"), json={"connection_id": PAST_INT32}
        ),
        "export body location_ids": Case(
            "POST",
            "/reports/exports",
            ("body", "location_ids", 0),
            json={**PERIOD, "location_ids": [PAST_INT64]},
        ),
        # dates at the edges of `date`, which overflow in comparisons and timezone bounds
        "summary year 1": Case(
            "GET",
            "/reports/summary",
            ("query", "date_from"),
            params={"date_from": "0001-01-01", "date_to": "2024-01-01"},
        ),
        "timeseries year 9999": Case(
            "GET",
            "/reports/timeseries",
            ("query", "date_to"),
            params={"date_from": "2024-01-01", "date_to": "9999-12-31"},
        ),
        "breakdown year 1": Case(
            "GET",
            "/reports/breakdown",
            ("query", "date_from"),
            params={"date_from": "0001-01-01", "date_to": "2024-01-01", "by": "location"},
        ),
        "xlsx year 1": Case(
            "GET",
            "/reports/export.xlsx",
            ("query", "date_from"),
            params={"date_from": "0001-01-01", "date_to": "2024-01-01"},
        ),
        "csv year 9999": Case(
            "GET",
            "/reports/export.csv",
            ("query", "date_to"),
            params={"date_from": "2024-01-01", "date_to": "9999-12-31"},
        ),
        "background export year 1": Case(
            "POST",
            "/reports/exports",
            ("body", "date_from"),
            json={"date_from": "0001-01-01", "date_to": "0001-01-07"},
        ),
        "footfall year 1": Case(
            "POST",
            "/footfall",
            ("body", "date"),
            json={"location_id": "{location}", "date": "0001-01-01", "count": 5},
        ),
        "footfall bulk year 1": Case(
            "PUT",
            "/footfall/bulk",
            ("body", "entries", 0, "date"),
            json={"entries": [{"location_id": "{location}", "date": "0001-01-01", "count": 5}]},
        ),
        "footfall list year 1": Case(
            "GET",
            "/footfall",
            ("query", "date_from"),
            params={"date_from": "0001-01-01", "date_to": "2024-01-01"},
        ),
        "locations coverage year 9999": Case(
            "GET", "/locations", ("query", "date_to"), params={"date_to": "9999-12-31"}
        ),
        "location opened year 1": Case(
            "PATCH",
            "/locations/{location}",
            ("body", "opened_on"),
            json={"opened_on": "0001-01-01"},
        ),
        # numbers are not dates
        "date_to=0": Case(
            "GET",
            "/reports/summary",
            ("query", "date_to"),
            params={"date_from": "2024-01-01", "date_to": "0"},
        ),
        "date_from=0": Case(
            "GET",
            "/reports/timeseries",
            ("query", "date_from"),
            params={"date_from": "0", "date_to": "1970-01-07"},
        ),
        "footfall date_from=0": Case(
            "GET",
            "/footfall",
            ("query", "date_from"),
            params={"date_from": "0", "date_to": "1970-01-07"},
        ),
        "footfall date as a number": Case(
            "POST",
            "/footfall",
            ("body", "date"),
            json={"location_id": "{location}", "date": 1704067200, "count": 5},
        ),
        # counts
        "footfall count 5000 digits": Case(
            "POST",
            "/footfall",
            ("body", "count"),
            content='{"location_id": {location}, "date": "2024-01-01", "count": ' + HUGE + "}",
        ),
        "footfall update count 5000 digits": Case(
            "PUT", "/footfall/1", ("body", "count"), content='{"count": ' + HUGE + "}"
        ),
        "footfall bulk count too large": Case(
            "PUT",
            "/footfall/bulk",
            ("body", "entries", 0, "count"),
            json={
                "entries": [{"location_id": "{location}", "date": "2024-01-01", "count": 10**12}]
            },
        ),
        # control characters
        "organization name NUL": Case(
            "PATCH", "/organization", ("body", "name"), json={"name": "Shop\x00s"}
        ),
        "organization name CRLF": Case(
            "PATCH", "/organization", ("body", "name"), json={"name": "Shop\r\nSet-Cookie: x"}
        ),
        "my full name NUL": Case(
            "PATCH", "/users/me", ("body", "full_name"), json={"full_name": "A\x00"}
        ),
        "user full name NUL": Case(
            "POST",
            "/users",
            ("body", "full_name"),
            json={"email": "new@example.com", "full_name": "New\x00", "password": "Good-Pass-123"},
        ),
        "user password NUL": Case(
            "POST",
            "/users",
            ("body", "password"),
            json={"email": "new@example.com", "full_name": "New", "password": "Good-Pass\x00123"},
        ),
        "sign-up organization NUL": Case(
            "POST",
            "/auth/register",
            ("body", "organization_name"),
            json={
                "email": "new@example.com",
                "password": "Good-Pass-123",
                "full_name": "New",
                "organization_name": "Shop\x00",
            },
        ),
        "sign-up full name NUL": Case(
            "POST",
            "/auth/register",
            ("body", "full_name"),
            json={
                "email": "new@example.com",
                "password": "Good-Pass-123",
                "full_name": "\x00",
                "organization_name": "Shop",
            },
        ),
        "export id NUL": Case("GET", "/reports/exports/ab%00cd", ("path", "export_id")),
        "report sort NUL": Case(
            "GET",
            "/reports/breakdown",
            ("query", "sort"),
            params={**PERIOD, "by": "location", "sort": "net\x00"},
        ),
        "export currency NUL": Case(
            "POST", "/reports/exports", ("body", "currency"), json={**PERIOD, "currency": "G\x00B"}
        ),
        # booleans are JSON booleans
        "is_active 0": Case("PATCH", "/users/{user}", ("body", "is_active"), json={"is_active": 0}),
        "footfall closed 1": Case(
            "PUT",
            "/footfall/bulk",
            ("body", "entries", 0, "closed"),
            json={"entries": [{"location_id": "{location}", "date": "2024-01-01", "closed": 1}]},
        ),
        "export lfl string": Case(
            "POST", "/reports/exports", ("body", "lfl"), json={**PERIOD, "lfl": "yes"}
        ),
    }
    return cases


CASES = _cases()


def _fill(value: Any, world: World) -> Any:
    names = {
        "big": PAST_INT32,
        "huge64": PAST_INT64,
        "location": world.location_id,
        "user": world.user_id,
    }
    if isinstance(value, str):
        for name, number in names.items():
            if value == f"{{{name}}}":
                return number
            value = value.replace(f"{{{name}}}", str(number))
        return value
    if isinstance(value, dict):
        return {k: _fill(v, world) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, world) for v in value]
    return value


def snapshot(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, to show a refused request wrote nothing."""
    db.rollback()
    return {
        table.name: sorted(map(tuple, db.execute(select(table)).all()), key=repr)
        for table in Base.metadata.sorted_tables
    }


@pytest.fixture
def world(client: TestClient, db: Session) -> World:
    org_id = make_org(db, "Corner Shops")
    owner = member_of(client, db, org_id=org_id, role=Role.owner)
    other = member_of(client, db, org_id=org_id, role=Role.viewer)
    location = make_location(db, org_id=org_id)
    assert owner.token
    return World(headers=owner.headers, location_id=location.id, user_id=other.user.id)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_a_422_naming_the_field_and_writes_nothing(
    client: TestClient, db: Session, world: World, name: str
) -> None:
    case = CASES[name]
    before = snapshot(db)
    headers = dict(world.headers)
    kwargs: dict[str, Any] = {"params": _fill(case.params, world)}
    if case.content is not None:
        kwargs["content"] = _fill(case.content, world)
        headers["Content-Type"] = "application/json"
    elif case.json is not None:
        kwargs["json"] = _fill(case.json, world)
    response = client.request(
        case.method, "/api/v1" + _fill(case.url, world), headers=headers, **kwargs
    )
    assert response.status_code == 422, response.text
    locs = [tuple(item["loc"]) for item in response.json()["detail"]]
    assert case.loc in locs, locs
    assert snapshot(db) == before


def _import(client: TestClient, world: World, rows: str) -> Any:
    return client.post(
        "/api/v1/footfall/import",
        files={"file": ("footfall.csv", f"location,date,count\n{rows}".encode(), "text/csv")},
        headers=world.headers,
    )


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ("{location},2024-01-01," + HUGE, "larger than"),
        ("{location},2024-01-01,00000000000000012345678", "larger than"),
        ("{location},0001-01-01,5", "outside"),
        ("{location},31/12/9999,5", "outside"),
        ("Shop\x00,2024-01-01,5", "Unknown location"),
        ("{location},2024-01-01\x00,5", "Bad date"),
    ],
)
def test_footfall_import_reports_the_row_instead_of_a_500(
    client: TestClient, db: Session, world: World, cells: str, reason: str
) -> None:
    before = snapshot(db)
    response = _import(client, world, _fill(cells, world) + "\n")
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"][0]["loc"] == ["body", "file"]
    (row,) = body["report"]["rows"]
    assert row["row"] == 2
    assert row["action"] == "reject"
    assert reason in row["reason"]
    assert snapshot(db) == before


def _sign_up(client: TestClient, name: str) -> Any:
    return client.post(
        "/api/v1/auth/register",
        json={
            "email": "same@example.com",
            "password": "Good-Pass-123",
            "full_name": name,
            "organization_name": f"Org of {name}",
        },
    )


def test_racing_sign_up_is_a_409_not_a_500(
    client: TestClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forced race: the pre-check sees no user, as when two sign-ups run side by side."""
    assert _sign_up(client, "First").status_code == 201
    monkeypatch.setattr(user_service, "get_by_email", lambda **_: None)
    before = snapshot(db)
    response = _sign_up(client, "Second")
    assert response.status_code == 409, response.text
    assert response.json()["field"] == "email"
    assert snapshot(db) == before  # the second organization was rolled back too


@pytest.mark.postgres  # SQLite serialises writers; the race needs PostgreSQL's concurrency
def test_simultaneous_sign_ups_one_wins_the_rest_409(
    client: TestClient, db: Session, db_kind: str
) -> None:
    from app.main import app

    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def sign_up(i: int) -> None:
        with TestClient(app) as own:
            barrier.wait()
            statuses.append(_sign_up(own, f"Racer {i}").status_code)

    threads = [threading.Thread(target=sign_up, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409, 409, 409, 409, 409]
    db.rollback()
    assert db.scalar(select(func.count()).select_from(User)) == 1
    assert db.scalar(select(func.count()).select_from(Organization)) == 1
    assert _sign_up(client, "Late").status_code == 409


def test_in_range_values_still_pass(client: TestClient, world: World) -> None:
    """The bounds leave real input alone: a store opened in 1985, a 2099 report period."""
    opened = client.patch(
        f"/api/v1/locations/{world.location_id}",
        json={"opened_on": "1985-06-01"},
        headers=world.headers,
    )
    assert opened.status_code == 200, opened.text
    assert opened.json()["opened_on"] == "1985-06-01"
    period = {"date_from": "2099-12-01", "date_to": "2099-12-31"}
    summary = client.get("/api/v1/reports/summary", params=period, headers=world.headers)
    assert summary.status_code == 200, summary.text
    renamed = client.patch(
        "/api/v1/organization", json={"name": "Café\tÜber"}, headers=world.headers
    )
    assert renamed.status_code == 422
    assert (
        client.patch(
            "/api/v1/organization", json={"name": "Café Über ☕"}, headers=world.headers
        ).json()["name"]
        == "Café Über ☕"
    )


def test_the_documents_give_the_date_ranges_as_a_pattern_on_the_year() -> None:
    """format: date cannot bound a date, so a pattern does (Schemathesis sent year 0065)."""
    from app.main import app as api

    params = api.openapi()["paths"]["/api/v1/reports/summary"]["get"]["parameters"]
    [date_from] = [p["schema"] for p in params if p["name"] == "date_from"]
    business = re.compile(date_from["pattern"])
    assert business.match("2000-01-01") and business.match("2100-12-31")
    assert not business.match("1999-12-31") and not business.match("2101-01-01")
    opening = api.openapi()["components"]["schemas"]["LocationUpdate"]["properties"]["opened_on"]
    pattern = re.compile(next(s for s in opening["anyOf"] if s.get("type") == "string")["pattern"])
    assert pattern.match("1800-01-01") and not pattern.match("1799-12-31")


def test_the_documented_text_patterns_refuse_what_the_validators_refuse() -> None:
    """fullmatch: in ECMAScript, as in the documents, $ does not match before a final newline."""
    from app.core import inputs

    text, single = re.compile(inputs._TEXT_PATTERN), re.compile(inputs._SINGLE_LINE_PATTERN)
    for code in range(0x00, 0xA1):
        char = chr(code)
        try:
            inputs.check_text(char)
            text_ok = True
        except ValueError:
            text_ok = False
        try:
            inputs._single_line(char)
            single_ok = True
        except ValueError:
            single_ok = False
        assert bool(text.fullmatch(char)) is text_ok, hex(code)
        assert bool(single.fullmatch(char)) is single_ok, hex(code)
