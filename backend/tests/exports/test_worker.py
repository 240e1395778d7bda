"""A background export made by a real Celery worker on the run's broker, polled as the SPA does."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import openpyxl
from fastapi.testclient import TestClient

from tests.exports.test_workbook import SHEETS
from tests.processes import start_worker, stop
from tests.reports.conftest import Synced


def test_a_real_worker_makes_the_export_with_progress(
    client: TestClient, synced: Synced, export_dir: Path, tmp_path: Path
) -> None:
    worker = start_worker("export-test", env={"EXPORT_DIR": str(export_dir)})
    try:
        headers = synced.owner.headers
        created = client.post(
            "/api/v1/reports/exports",
            json={"date_from": "2026-10-01", "date_to": "2026-10-31", "currency": "EUR"},
            headers=headers,
        )
        assert created.status_code == 202, created.text
        url = f"/api/v1/reports/exports/{created.json()['id']}"
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = client.get(url, headers=headers).json()
            seen.append((status["state"], status["progress"]))
            if status["state"] in ("done", "failed"):
                break
            time.sleep(0.2)
        assert status["state"] == "done", (status, seen)
        progress = [p for _, p in seen]
        assert progress == sorted(progress) and progress[-1] == 1
        file = client.get(status["download_url"], headers=headers)
        assert file.status_code == 200
        path = tmp_path / status["filename"]
        path.write_bytes(file.content)
        assert openpyxl.load_workbook(path, read_only=True).sheetnames == SHEETS
    finally:
        stop(worker)


def test_a_year_to_date_export_moves_its_progress_steadily(
    client: TestClient, synced: Synced, export_dir: Path
) -> None:
    """Polled as the SPA polls it, a long export's progress goes up through many values (from
    inside its long phases), not a few phase ends."""
    worker = start_worker("export-progress-test", env={"EXPORT_DIR": str(export_dir)})
    try:
        headers = synced.owner.headers
        created = client.post(
            "/api/v1/reports/exports",
            json={"date_from": "2026-01-01", "date_to": "2026-12-05", "currency": "GBP"},
            headers=headers,
        )
        assert created.status_code == 202, created.text
        url = f"/api/v1/reports/exports/{created.json()['id']}"
        seen: list[float] = []
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            status = client.get(url, headers=headers).json()
            if status["state"] in ("running", "done"):
                seen.append(status["progress"])
            if status["state"] in ("done", "failed"):
                break
            time.sleep(0.1)
        assert status["state"] == "done", status
        distinct = sorted(set(seen))
        assert [p for i, p in enumerate(seen) if i == 0 or p != seen[i - 1]] == distinct
        assert distinct[-1] == 1
        # The long phase, items day by day (20 % to 95 % of the bar), moves in small steps: several
        # values, none a big jump. The phases around it are quick here and may pass between two
        # polls (the summary and the file's writing are one step each; the breakdown sheets,
        # 5 % to 20 %, can all finish within one poll), so their jumps say nothing.
        long_phase = [p for p in distinct if 0.2 <= p <= 0.95]
        assert len(long_phase) >= 5, distinct
        steps = [b - a for a, b in itertools.pairwise(long_phase)]
        assert max(steps) <= 0.12, distinct
    finally:
        stop(worker)
