"""The workbook's footfall marks (app/footfall/ESTIMATES.md).

A footfall figure that includes estimated store-days (`footfall_estimates=include`) is written
in grey italics as "166 (est.)", with a note saying how many; one whose store-days include a
questioned entry (app/footfall/rules.py, as the grid shows it) in amber, with the reason (a day of
one store) or how many. The cover says whether estimates were included, and how many.
"""

from __future__ import annotations

from xlsxwriter.format import Format

from app.exports import workbook as wb
from app.reports.schemas import FootfallEstimates, SummaryRead

COVER_KEY = "Footfall"


def _store_days(n: int) -> str:
    return f"{n:,} store-day{'' if n == 1 else 's'}"


def cover_line(summary: SummaryRead) -> str:
    """The cover's footfall line: estimates included (how many) or left out."""
    n = summary.footfall_estimated_days
    if summary.footfall_estimates == FootfallEstimates.include:
        if not n:
            return "Estimates included, but no store-day needed one: recorded counts only"
        return (
            f"{_store_days(n)} estimated from the same weekday of previous weeks (traded days "
            "without a count; marked (est.) in grey italics)"
        )
    could = f" ({_store_days(n)} without a count could be estimated)" if n else ""
    return f"Estimates left out: recorded counts only{could}"


def footfall_cell(
    formats: wb.Formats,
    *,
    include: bool,
    estimated: int | None,
    flagged: int | None,
    flag: str | None = None,
) -> tuple[Format | None, str | None]:
    """A footfall cell's own format and note, or (None, None) when it is not marked."""
    notes: list[str] = []
    fmt: Format | None = None
    if include and estimated:
        fmt = formats.estimated
        notes.append(
            f"(est.) Includes {_store_days(estimated)} estimated from the mean of the same "
            "weekday's counts of the previous 4 weeks"
        )
    if flagged:
        fmt = formats.flagged
        notes.append(
            f"Questioned: {flag}"
            if flag
            else f"{_store_days(flagged)} with a questioned footfall entry (see the footfall grid)"
        )
    return fmt, ("\n".join(notes) if notes else None)
