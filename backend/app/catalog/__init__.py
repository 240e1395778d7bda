"""The analytics catalog: every measure, metric and breakdown, declared once (see catalog.py)."""
