"""Exchange rates: reference rates per EUR, where they come from, and converting with them.

A lower layer than the reports: app.reports imports app.fx, never the other way round.
"""
