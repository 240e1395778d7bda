"""The reports' synced scenario, for the tests that read rates through a report."""

from __future__ import annotations

from tests.reports.conftest import report_simulator, synced

__all__ = ["report_simulator", "synced"]
