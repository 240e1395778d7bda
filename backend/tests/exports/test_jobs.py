"""Background exports: queued, made by the task, downloaded, expired; who may see them."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import utcnow
from app.exports import tasks
from app.exports.models import Export
from app.users.models import Role
from tests.factories import make_org, member_of
from tests.reports.conftest import Synced

REPORTS = "/api/v1/reports"
WEEK = {"date_from": "2026-10-24", "date_to": "2026-10-28"}


def sheet_values(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    book = openpyxl.load_workbook(path)
    return {
        name: list(book[name].iter_rows(values_only=True))
        for name in book.sheetnames
        if name != "Cover"  # says when it was generated
    }


def test_a_background_export_reaches_done_and_downloads_the_same_workbook(
    client: TestClient, synced: Synced, db: Session, tmp_path: Path, export_dir: Path
) -> None:
    headers = synced.owner.headers
    created = client.post(
        f"{REPORTS}/exports", json={**WEEK, "compare": "previous_year"}, headers=headers
    )
    assert created.status_code == 202, created.text
    job = created.json()
    assert job["state"] == "queued" and job["progress"] == 0 and job["download_url"] is None
    assert job["filename"] == "Teliporter_Scenario_2026-10-24_2026-10-28_GBP.xlsx"
    waiting = client.get(f"{REPORTS}/exports/{job['id']}/download", headers=headers)
    assert waiting.status_code == 409

    tasks.build(job["id"])  # what the worker runs, here in the test's process

    status = client.get(f"{REPORTS}/exports/{job['id']}", headers=headers).json()
    assert status["state"] == "done" and status["progress"] == 1 and status["error"] is None
    assert status["download_url"] == f"/api/v1/reports/exports/{job['id']}/download"
    assert status["expired"] is False
    file = client.get(status["download_url"], headers=headers)
    assert file.status_code == 200
    assert (
        'filename="Teliporter_Scenario_2026-10-24_2026-10-28_GBP.xlsx"'
        in (file.headers["content-disposition"])
    )
    background = tmp_path / "background.xlsx"
    background.write_bytes(file.content)
    direct = client.get(
        f"{REPORTS}/export.xlsx", params={**WEEK, "compare": "previous_year"}, headers=headers
    )
    streamed = tmp_path / "direct.xlsx"
    streamed.write_bytes(direct.content)
    assert sheet_values(background) == sheet_values(streamed)
    assert len(list(export_dir.rglob("*.xlsx"))) == 1  # the direct one was deleted once sent

    # A redelivered task leaves a finished export alone.
    tasks.build(job["id"])
    assert client.get(f"{REPORTS}/exports/{job['id']}", headers=headers).json() == status

    # A day later the file expires: 410, and the beat task deletes it.
    db.execute(
        update(Export)
        .where(Export.id == job["id"])
        .values(expires_at=utcnow() - timedelta(minutes=1))
    )
    db.commit()
    gone = client.get(status["download_url"], headers=headers)
    assert gone.status_code == 410
    expired = client.get(f"{REPORTS}/exports/{job['id']}", headers=headers).json()
    assert expired["expired"] is True and expired["download_url"] is None
    stale = export_dir / "tmp" / "abandoned.xlsx"  # a direct export whose client went away
    stale.write_bytes(b"partial")
    day_ago = (utcnow() - timedelta(hours=25)).timestamp()
    os.utime(stale, (day_ago, day_ago))
    tasks.purge_expired()
    assert list(export_dir.rglob("*.xlsx")) == []
    assert client.get(status["download_url"], headers=headers).status_code == 410


def test_an_export_that_cannot_be_made_fails_with_the_reason(
    client: TestClient, synced: Synced, db: Session
) -> None:
    headers = synced.owner.headers
    job = client.post(f"{REPORTS}/exports", json={**WEEK, "currency": "XAU"}, headers=headers)
    assert job.status_code == 202, job.text
    tasks.build(job.json()["id"])
    status = client.get(f"{REPORTS}/exports/{job.json()['id']}", headers=headers).json()
    assert status["state"] == "failed"
    assert "XAU" in status["error"]
    failed = client.get(f"{REPORTS}/exports/{status['id']}/download", headers=headers)
    assert failed.status_code == 409 and "failed" in failed.json()["detail"]


def test_exports_follow_the_reports_access_rules(
    client: TestClient, db: Session, synced: Synced
) -> None:
    owner = synced.owner.headers
    manager = member_of(client, db, org_id=synced.org_id, role=Role.manager)
    granted = client.put(
        f"/api/v1/users/{manager.user.id}/locations",
        json={"location_ids": [synced.london.id]},
        headers=owner,
    )
    assert granted.status_code == 200, granted.text
    for refused in (
        client.get(
            f"{REPORTS}/export.xlsx",
            params={**WEEK, "location_ids": synced.new_york.id},
            headers=manager.headers,
        ),
        client.get(
            f"{REPORTS}/export.csv",
            params={**WEEK, "by": "item", "location_ids": synced.new_york.id},
            headers=manager.headers,
        ),
        client.post(
            f"{REPORTS}/exports",
            json={**WEEK, "location_ids": [synced.new_york.id]},
            headers=manager.headers,
        ),
    ):
        assert refused.status_code == 403, refused.text
        assert str(synced.new_york.id) in refused.json()["detail"]
        assert "New York" not in refused.json()["detail"]

    # A manager's own export holds only the granted store.
    rows = client.get(
        f"{REPORTS}/export.csv", params={**WEEK, "by": "location"}, headers=manager.headers
    ).text.splitlines()
    assert [row.split(",")[1] for row in rows[1:]] == ["London", "Total"]

    # Another user's export, in or out of the organization, is not found.
    job = client.post(f"{REPORTS}/exports", json=WEEK, headers=owner).json()
    stranger = member_of(client, db, org_id=make_org(db), role=Role.owner)
    for headers in (manager.headers, stranger.headers):
        for url in (f"{REPORTS}/exports/{job['id']}", f"{REPORTS}/exports/{job['id']}/download"):
            assert client.get(url, headers=headers).status_code == 404
    assert client.get(f"{REPORTS}/exports/{job['id']}").status_code == 401


def test_a_long_period_is_exported_in_the_background(client: TestClient, synced: Synced) -> None:
    response = client.get(
        f"{REPORTS}/export.xlsx",
        params={"date_from": "2026-01-01", "date_to": "2026-10-28"},
        headers=synced.owner.headers,
    )
    assert response.status_code == 422
    [detail] = response.json()["detail"]
    assert detail["field"] == "date_to" and "/api/v1/reports/exports" in detail["msg"]


def test_like_for_like_against_the_previous_period_says_item_by_day_is_not_available(
    client: TestClient, synced: Synced, tmp_path: Path
) -> None:
    response = client.get(
        f"{REPORTS}/export.xlsx",
        params={**WEEK, "compare": "previous_period", "lfl": "true"},
        headers=synced.owner.headers,
    )
    assert response.status_code == 200, response.text
    path = tmp_path / "lfl.xlsx"
    path.write_bytes(response.content)
    note = openpyxl.load_workbook(path)["Item by day"]["A1"].value
    assert note.startswith("Not available for like-for-like against the previous period")


def test_unwritable_export_storage_fails_the_export_and_answers_503_leaving_nothing(
    client: TestClient,
    synced: Synced,
    tmp_path: Path,
    export_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # EXPORT_DIR under a plain file: no folder can be made there, even by root (the tests may
    # run as root, for whom a chmod-ed directory is still writable).
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    monkeypatch.setattr(get_settings(), "EXPORT_DIR", str(blocker / "exports"))
    headers = synced.owner.headers
    job = client.post(f"{REPORTS}/exports", json=WEEK, headers=headers).json()

    tasks.build(job["id"])

    status = client.get(f"{REPORTS}/exports/{job['id']}", headers=headers).json()
    assert status["state"] == "failed", status
    assert "EXPORT_DIR" in status["error"] and status["download_url"] is None

    direct = client.get(f"{REPORTS}/export.xlsx", params=WEEK, headers=headers)
    assert direct.status_code == 503
    assert "EXPORT_DIR" in direct.json()["detail"]
    assert str(blocker / "exports") in caplog.text  # the operator's log says where
    assert [p.name for p in tmp_path.rglob("*")] == [blocker.name]  # nothing left behind

    # A new, empty, writable volume: the folders the exports need are made as they are needed.
    export_dir.mkdir()
    monkeypatch.setattr(get_settings(), "EXPORT_DIR", str(export_dir))
    again = client.post(f"{REPORTS}/exports", json=WEEK, headers=headers).json()
    tasks.build(again["id"])
    done = client.get(f"{REPORTS}/exports/{again['id']}", headers=headers).json()
    assert done["state"] == "done", done
    assert client.get(f"{REPORTS}/export.xlsx", params=WEEK, headers=headers).status_code == 200


def test_a_background_export_needs_one_connection(
    client: TestClient, synced: Synced, one_connection: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Progress reported at every step (a clock that moves a second a call), as on a long export.
    ticks = iter(range(1_000_000))
    monkeypatch.setattr("app.exports.jobs.time.monotonic", lambda: float(next(ticks)))
    headers = synced.owner.headers
    job = client.post(f"{REPORTS}/exports", json=WEEK, headers=headers).json()

    tasks.build(job["id"])

    status = client.get(f"{REPORTS}/exports/{job['id']}", headers=headers).json()
    assert status["state"] == "done", status
