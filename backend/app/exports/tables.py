"""The report figures as export tables: which metrics a table shows, their labels and cell kinds,
and the CSV tables.

Every figure comes from the report service's public functions (`summary`, `timeseries`,
`breakdown`), the same calls the API answers with, so the export cannot disagree with the API:
each cell holds the API's figure (money as its decimal string, converted and rounded exactly as
the API shows it). A table's total row is a `SUM` formula over its rows; for ratios and footfall,
which do not add up, the total row holds the API's figure for the whole period. Every row is a sum
of posted amounts (METRICS.md "Rounding": each location-day converted and rounded once, finer rows
split by largest remainder), so each `SUM` equals the summary's figure to the minor unit: one
total per figure in the whole workbook.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.catalog import breakdowns as catalog_breakdowns
from app.catalog import metrics as catalog_metrics
from app.core import csvsafe
from app.core.errors import InvalidField
from app.exports import workbook as wb
from app.exports.schemas import CsvTable
from app.reports import metrics as m
from app.reports import service as report_service
from app.reports.schemas import BreakdownBy, BreakdownRead, Granularity, SortOrder
from app.reports.service import ReportRequest

COUNTS = ("transactions", "units_sold")
# Figures whose total is the API's, not a SUM: ratios, and footfall (unknown days are not 0).
NOT_ADDITIVE = ("footfall", *m.MONEY_RATIOS, *m.NUMBER_RATIOS)


def metric_label(name: str) -> str:
    """The metric's label, as the catalog names it (the web app shows the same)."""
    return catalog_metrics.label(name)


_CELL_KINDS = {"money": wb.MONEY, "percent": wb.PERCENT, "ratio": wb.NUMBER, "count": wb.COUNT}


def kind(name: str, *, fractional_counts: bool = False) -> str:
    found = catalog_metrics.BY_NAME.get(name)
    cell = _CELL_KINDS[found.kind] if found is not None else wb.COUNT
    return wb.NUMBER if cell == wb.COUNT and fractional_counts and name in COUNTS else cell


def metric_columns(names: Iterable[str], *, fractional_counts: bool = False) -> list[wb.Column]:
    return [
        wb.Column(
            metric_label(name),
            kind(name, fractional_counts=fractional_counts),
            "value" if name in NOT_ADDITIVE else "sum",
        )
        for name in names
    ]


# --- reading the reports --------------------------------------------------------------------------
def breakdown(db: Session, req: ReportRequest, by: BreakdownBy) -> BreakdownRead:
    """A breakdown in the catalog's order for it: its own order, by label, or by a figure."""
    spec = catalog_breakdowns.breakdown(by.value)
    sort = spec.export_sort
    order = SortOrder.asc if sort == "label" else SortOrder.desc
    result = report_service.breakdown(db=db, req=req, by=by, sort=sort, order=order)
    if spec.ordinal:
        result.rows.sort(key=lambda row: int(row.key))
    return result


def values(metrics: dict[str, Any], names: Iterable[str]) -> list[Any]:
    return [metrics.get(name) for name in names]


# An average below zero (issue #23, point 6): where a row's returns exceeded its sales, ATV, UPT
# and sales per visitor come out negative by METRICS.md's definition, which no manager reads as
# an average sale. The web app's tables show "—*" with a note (frontend metrics.ts
# `returnsExceededSales`); the workbook's tables show the same mark and note.
NO_FIGURE = wb.Mark("—*")
RETURNS_EXCEEDED_SALES = "Returns exceeded sales"


def below_zero_average(name: str, value: Any) -> bool:
    """The web app's rule: a figure that does not add up over rows (an average or a rate, not
    money or a count) and is below zero."""
    found = catalog_metrics.BY_NAME.get(name)
    if value is None or value == "" or found is None or found.additive or found.kind == "count":
        return False
    return Decimal(str(value)) < 0


def shown_values(metrics: dict[str, Any], names: Iterable[str]) -> tuple[list[Any], bool]:
    """A table row's figures as the web app's table shows them: an average below zero as
    `NO_FIGURE`; and whether any was."""
    shown = [NO_FIGURE if below_zero_average(n, metrics.get(n)) else metrics.get(n) for n in names]
    return shown, any(value is NO_FIGURE for value in shown)


def returns_exceeded_note(noun: str) -> str:
    """The footnote under a table with `NO_FIGURE`s (the web app's, word for word but the
    last sentence)."""
    return (
        f"* {RETURNS_EXCEEDED_SALES} in this {noun}: its net sales or units are below zero, so "
        "an average per sale or per visitor would be too, and is not shown. The API keeps the "
        "figure as defined (net sales ÷ transactions)."
    )


# --- CSV -----------------------------------------------------------------------------------------
def csv_table(*, db: Session, req: ReportRequest, table: CsvTable) -> str:
    """One table as CSV: the API's figures under their METRICS.md names, blanks for null.

    Names from Square that a spreadsheet would run as a formula get a leading ' (app.core.csvsafe).
    """
    if req.until_hour is not None and table not in (CsvTable.summary, CsvTable.day):
        raise InvalidField(
            "until_hour",
            "Only the summary and day tables are cut at an hour of the last day; "
            f"the {table.value} table counts whole days (leave until_hour out)",
            location="query",
        )
    out = io.StringIO()
    writer = csvsafe.writer(out)
    if table == CsvTable.summary:
        summary = report_service.summary(db=db, req=req)
        comparison = summary.comparison.metrics if summary.comparison else {}
        writer.writerow(["metric", "period", "comparison", "change"])
        for name, value in summary.metrics.items():
            writer.writerow([name, value, comparison.get(name), summary.change.get(name)])
    elif table == CsvTable.day:
        series = report_service.timeseries(db=db, req=req, granularity=Granularity.day)
        names = list(m.METRIC_NAMES)
        compared = series.comparison is not None
        writer.writerow(["date", *names, *(f"comparison_{n}" for n in names if compared)])
        for point in series.points:
            before = point.comparison_metrics or {}
            writer.writerow(
                [
                    point.start,
                    *(point.metrics.get(n) for n in names),
                    *(before.get(n) for n in names if compared),
                ]
            )
    else:
        result = breakdown(db, req, BreakdownBy(table.value))
        names = list(result.rows[0].metrics) if result.rows else shown(BreakdownBy(table.value))
        writer.writerow(["key", "label", *names])
        for row in result.rows:
            writer.writerow([row.key, row.label, *(row.metrics.get(n) for n in names)])
        writer.writerow(["total", "Total", *(result.total.metrics.get(n) for n in names)])
    return out.getvalue()


def shown(by: BreakdownBy) -> list[str]:
    """The figures a breakdown's rows carry (the catalog's)."""
    return list(catalog_breakdowns.breakdown(by.value).metrics)
