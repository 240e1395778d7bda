"""The reports' synced scenario (two stores with sales), for the counter intake's report test."""

from tests.reports.conftest import report_simulator, synced

__all__ = ["report_simulator", "synced"]
