"""Exports are checked on the reports' scenario (tests/reports/scenario.py) synced for real."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core.config import Settings, get_settings
from tests.reports.conftest import Synced, report_simulator, synced

__all__ = ["Synced", "report_simulator", "synced"]


@pytest.fixture(autouse=True)
def export_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "exports"
    settings: Settings = get_settings()
    monkeypatch.setattr(settings, "EXPORT_DIR", str(directory))
    return directory
