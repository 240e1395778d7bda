"""The analytics catalog: every measure, metric and breakdown, declared once.

- `measures.py`: the additive sums (per-order figures of METRICS.md, their unit and source). The
  order measures' columns on `sale_order`, the hour and day rollups and the report caches come
  from here (`columns.py`), and so do the rollups' sums, posting and the reports' additions.
- `metrics.py`: what people read — label, short label, kind, whether up is good, METRICS.md's
  definition, and for additive metrics the measures they add up (`terms`).
- `breakdowns.py`: the ways figures are split into rows — grain, labels (web tab, workbook sheet),
  the figures each row carries and shows, the export's order.
- `schemas.py`: the catalog as `GET /api/v1/reports/catalog` serves it; the web app, the workbook
  and the CSV take labels, formats, tabs and directions from it.

Adding an additive money metric (e.g. `comps`): a `Measure` in measures.py, a `Metric` in
metrics.py, its derivation from Square's order in `app/sales/facts.py` (an `OrderFacts`
attribute of the same name), and a migration adding the column to `sale_order`, `rollup_hour`,
`rollup_day` and the converted caches (see alembic/versions/2026-12-06_comps.py); then
`make client` regenerates the web app's test fixture. The web app needs no edit.

Adding a breakdown over an existing grain (e.g. dayparts from the hour): a `Breakdown` in
breakdowns.py, its member of `BreakdownBy` (app/reports/schemas.py) and of `CsvTable`
(app/exports/schemas.py) — both checked against the catalog at import — and its attribution in
`app/reports/breakdowns.py`; `make client` for the typed API client. The web app's tab, the
workbook's sheet and the CSV table follow.
"""
