"""The workbook: every sheet and table of the Excel export, written from the report service.

Workbook: Cover (organization, period, comparison, locations, currency, the rates' source, pairs
and dates, generated at), Summary (period, comparison, change; a line chart of the daily trend),
By day, By store, By item, By category, By team member, By payment method, By hour, By weekday,
Item by day (continued on further sheets past Excel's 1,048,576 rows), and Rates (each business
date converted and the publication date of the rate used, per currency pair, for an audit). When
the newest rate used is more than 3 days older than a date converted (METRICS.md "Currency"), the
Cover and the Summary sheet say so above the figures. "So far today" (`until_hour`): the Summary
and By day sheets count the last day and its comparison's up to the hour, as the web app's summary
(the same API figures); the other sheets count whole days and carry no comparison, and each sheet
says which above its table, the cover too. An average below zero (returns exceeded sales) shows
as the web app's tables show it, "—*" with a footnote under the table; the cover lists the store
groups filtered by, with their stores. Written with XlsxWriter in constant-memory
mode (`app.exports.workbook`), into a file that is then streamed. Which figures a table shows and
how its total row adds up: `app.exports.tables`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.catalog.breakdowns import BREAKDOWNS, breakdown
from app.exports import marks, tables
from app.exports import workbook as wb
from app.exports.storage import export_subdir
from app.exports.tables import metric_columns, metric_label
from app.fx.schemas import RatesUsed
from app.locations.models import Location, LocationGroup
from app.reports import metrics as m
from app.reports import service as report_service
from app.reports.schemas import (
    COMPARISON_NAMES,
    BreakdownBy,
    BreakdownRead,
    Compare,
    FootfallEstimates,
    Granularity,
    SortOrder,
    SummaryRead,
    TimeseriesRead,
)
from app.reports.service import ReportRequest
from app.users.models import User

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
# One sheet per breakdown of the catalog: (by, sheet title, header of its names column).
BREAKDOWN_SHEETS: tuple[tuple[BreakdownBy, str, str], ...] = tuple(
    (BreakdownBy(b.name), b.sheet, b.sheet_header) for b in BREAKDOWNS
)


def _location_names(db: Session, req: ReportRequest) -> list[str]:
    return list(
        db.scalars(
            select(Location.name)
            .where(Location.org_id == req.org_id, Location.id.in_(req.location_ids))
            .order_by(Location.name)
        )
    )


def _group_names(db: Session, req: ReportRequest) -> list[str]:
    """The names of the groups the report was filtered by (the caller's organization's)."""
    return list(
        db.scalars(
            select(LocationGroup.name)
            .where(LocationGroup.org_id == req.org_id, LocationGroup.id.in_(req.group_ids or ()))
            .order_by(LocationGroup.name_key)
        )
    )


SO_FAR = "So far today"


def _clock(hour: int) -> str:
    return f"{hour:02d}:00"


def cut_line(req: ReportRequest) -> str:
    """What a workbook cut at `until_hour` counts, for its cover: which sheets are cut, how."""
    assert req.until_hour is not None
    window = req.comparison_range()
    last = req.date_to.isoformat()
    days = last if window is None else f"{last} and the comparison's {window[1].isoformat()}"
    both = "The period" if window is None else "Both periods"
    return (
        f"{both} up to {_clock(req.until_hour)} on the last day ({days}), in each store's "
        "local time, on the Summary and By day sheets (as the web app's summary); a cut day's "
        "footfall is left out of both. The other sheets count whole days and have no "
        "comparison columns."
    )


def _cut_note(req: ReportRequest, *, cut: bool) -> str | None:
    """The line above a table of a workbook cut at `until_hour`: cut as the summary, or not."""
    if req.until_hour is None:
        return None
    if cut:
        both = "" if req.comparison_range() is None else " and its comparison's"
        return f"Last day{both} up to {_clock(req.until_hour)} (so far today), as the Summary sheet"
    return (
        f"Whole days, the last one included; the Summary and By day sheets count the last day "
        f"up to {_clock(req.until_hour)} (so far today)"
    )


Progress = Callable[[float], None]


def write_workbook(
    *,
    db: Session,
    user: User,
    req: ReportRequest,
    target: str | Path,
    progress: Progress | None = None,
) -> None:
    """Write the whole workbook for the request into `target` (a path)."""
    report = progress or (lambda _: None)
    tmpdir = export_subdir("tmp")
    book = wb.new_workbook(str(target), tmpdir=str(tmpdir))
    formats = wb.Formats(book, req.currency)
    summary = report_service.summary(db=db, req=req)
    series = report_service.timeseries(db=db, req=req, granularity=Granularity.day)
    report(0.05)
    cover = book.add_worksheet("Cover")
    summary_sheet = book.add_worksheet("Summary")
    day_sheet = book.add_worksheet("By day")
    _write_cover(cover, formats, db=db, user=user, req=req, summary=summary)
    day_rows = _write_days(day_sheet, formats, series, summary, req)
    _write_summary(book, summary_sheet, formats, summary, day_rows=day_rows)
    steps = len(BREAKDOWN_SHEETS)
    for index, (by, title, label) in enumerate(BREAKDOWN_SHEETS):
        result = tables.breakdown(db, req, by)
        _write_breakdown(book.add_worksheet(title), formats, result, label, by, req)
        report(0.05 + 0.15 * (index + 1) / steps)
    _write_item_by_day(book, formats, db=db, req=req, progress=report)
    _write_rates(book.add_worksheet("Rates"), formats, summary.rates, req.currency)
    wb.set_up_printing(book, _print_setup(db, user, req))
    report(0.97)
    book.close()


def _print_setup(db: Session, user: User, req: ReportRequest) -> wb.PrintSetup:
    """Letter paper when every store of the report is in the US or Canada, else A4."""
    countries = set(
        db.scalars(
            select(Location.country).where(
                Location.org_id == req.org_id, Location.id.in_(req.location_ids)
            )
        )
    )
    return wb.PrintSetup(
        title=f"Teliporter sales report: {user.organization.name}",
        period=f"{req.date_from.isoformat()} to {req.date_to.isoformat()}",
        letter=bool(countries) and countries <= wb.LETTER_COUNTRIES,
    )


RATES_NOTICE = "Rates notice"


def _write_cover(
    sheet: Any,
    formats: wb.Formats,
    *,
    db: Session,
    user: User,
    req: ReportRequest,
    summary: SummaryRead,
) -> None:
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, 1, 70)
    sheet.write_string(0, 0, "Teliporter sales report", formats.title)
    comparison = "None"
    if summary.comparison is not None:
        kind = COMPARISON_NAMES.get(req.compare, "previous period")
        comparison = (
            f"{summary.comparison.date_from.isoformat()} to "
            f"{summary.comparison.date_to.isoformat()} ({kind})"
        )
        if summary.comparison.rates == "constant":
            comparison += ", at constant currency: each day at the rate of the day it compares with"
    rates = summary.rates
    lines: list[tuple[str, str]] = [
        ("Organization", user.organization.name),
        ("Period", f"{req.date_from.isoformat()} to {req.date_to.isoformat()} ({req.days} days)"),
        ("Comparison", comparison),
    ]
    if req.until_hour is not None:
        lines.append((SO_FAR, cut_line(req)))
    lines += [
        ("Like-for-like", "Yes" if req.lfl else "No"),
    ]
    if req.group_ids:
        lines.append(("Store groups", ", ".join(_group_names(db, req)) or "None"))
    lines += [
        ("Stores", ", ".join(_location_names(db, req)) or "None"),
        ("Currency", req.currency),
        ("Exchange rates", _rates_line(rates, req.currency)),
        (marks.COVER_KEY, marks.cover_line(summary)),
    ]
    if rates.oldest_rate_date and rates.newest_rate_date:
        lines.append(
            (
                "Rate dates",
                f"{_span(rates.oldest_rate_date, rates.newest_rate_date)} for the business dates "
                f"{_span(rates.first_converted_date, rates.last_converted_date)}; each date on "
                "the Rates sheet",
            )
        )
    if rates.notice:
        lines.append((RATES_NOTICE, rates.notice))
    lines += [
        ("Generated at", wb.generated_at()),
        ("Generated by", user.email),
        (
            "Notes",
            "Figures follow Teliporter's metric definitions (Square's Sales Summary). Money "
            "is converted per business day, then rounded to the currency's minor unit per row; "
            "a total row adds the rows shown, so it can differ from the Summary sheet by that "
            "rounding. Ratios and footfall in a total row are the period's own figures.",
        ),
    ]
    row = 2
    for key, value in lines:
        warn = key == RATES_NOTICE
        sheet.write_string(row, 0, key, formats.warning if warn else formats.bold)
        sheet.write_string(row, 1, value, formats.warning if warn else formats.wrap)
        row += 1


def _rates_line(rates: RatesUsed, currency: str) -> str:
    if rates.source is None:
        return f"None needed: every sale of the period and its comparison is in {currency}"
    return (
        f"{rates.source} reference rates; {', '.join(rates.pairs)}; each business day at that "
        "day's rate (weekends and holidays: the last rate published before)"
    )


def _span(first: date | None, last: date | None) -> str:
    if first is None or last is None:
        return ""
    return first.isoformat() if first == last else f"{first.isoformat()} to {last.isoformat()}"


def _write_rates(sheet: Any, formats: wb.Formats, rates: RatesUsed, currency: str) -> None:
    """Each business date converted and the publication date of the rate used, per pair."""
    sheet.set_column(0, 0, 16)
    sheet.set_column(1, 1 + len(rates.pair_dates), 18)
    sheet.write_string(0, 0, f"Exchange rates used ({currency})", formats.title)
    sheet.write_string(1, 0, _rates_line(rates, currency))
    header = 3
    if rates.notice:
        sheet.write_string(2, 0, rates.notice, formats.warning)
    if not rates.dates:
        return
    pairs = list(rates.pair_dates)
    sheet.write_string(header, 0, "Business date", formats.header)
    for col, pair in enumerate(pairs, start=1):
        sheet.write_string(header, col, f"{pair.replace('->', ' to ')} rate of", formats.header)
    sheet.freeze_panes(header + 1, 1)
    sheet.repeat_rows(header)
    date_format = formats.by_kind[wb.DATE]
    row = header
    for business_date in sorted(rates.dates):
        row += 1
        sheet.write_datetime(row, 0, datetime.fromisoformat(business_date), date_format)
        for col, pair in enumerate(pairs, start=1):
            rate_date = rates.pair_dates[pair].get(business_date)
            if rate_date is not None:  # no sale in that currency that day: nothing converted
                sheet.write_datetime(row, col, datetime.fromisoformat(rate_date), date_format)
    sheet.autofilter(header, 0, row, len(pairs))


def _write_summary(
    book: Any,
    sheet: Any,
    formats: wb.Formats,
    summary: SummaryRead,
    *,
    day_rows: tuple[int, int, bool],
) -> None:
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 3, 16)
    sheet.set_column(4, 4, 11)
    title = f"Summary {summary.date_from.isoformat()} to {summary.date_to.isoformat()}"
    title = f"{title} ({summary.currency})"
    if summary.until_hour is not None:  # so far today: both periods' last day, as the cover says
        title += f", last days up to {_clock(summary.until_hour)}"
    sheet.write_string(0, 0, title, formats.title)
    if summary.rates.notice:
        sheet.write_string(1, 0, summary.rates.notice, formats.warning)
    header = 2
    for col, text in enumerate(("Metric", "Period", "Comparison", "Change")):
        sheet.write_string(header, col, text, formats.header)
    sheet.freeze_panes(header + 1, 1)
    sheet.repeat_rows(header)
    comparison = summary.comparison.metrics if summary.comparison else {}
    row = header
    for name, value in summary.metrics.items():
        row += 1
        fmt = formats.by_kind[tables.kind(name)]
        sheet.write_string(row, 0, metric_label(name))
        for col, figure in ((1, value), (2, comparison.get(name))):
            if figure is not None:
                own, note = (None, None)
                if name == "footfall" and col == 1:
                    own, note = marks.footfall_cell(
                        formats,
                        include=summary.footfall_estimates == FootfallEstimates.include,
                        estimated=summary.footfall_estimated_days,
                        flagged=0,
                    )
                sheet.write_number(row, col, float(figure), own or fmt)
                if note:
                    sheet.write_comment(row, col, note)
        change = summary.change.get(name)
        if change is not None:
            sheet.write_number(row, 3, change, formats.by_kind[wb.PERCENT])
    sheet.autofilter(header, 0, row, 3)
    first, last, compared = day_rows
    if last >= first:
        chart = book.add_chart({"type": "line"})
        net = list(m.METRIC_NAMES).index("net_sales") + 2  # after Date and Weekday
        chart.add_series(
            {
                "name": "Net sales",
                "categories": ["By day", first, 0, last, 0],
                "values": ["By day", first, net, last, net],
            }
        )
        if compared:
            comparison_col = 2 + len(m.METRIC_NAMES)
            chart.add_series(
                {
                    "name": "Net sales (comparison)",
                    "categories": ["By day", first, 0, last, 0],
                    "values": ["By day", first, comparison_col, last, comparison_col],
                    "line": {"dash_type": "dash"},
                }
            )
        chart.set_title({"name": f"Daily net sales ({summary.currency})"})
        chart.set_x_axis({"date_axis": True, "num_format": "dd mmm"})
        chart.set_y_axis({"num_format": wb.money_format(summary.currency)})
        chart.set_legend({"position": "bottom"})
        sheet.insert_chart(2, 5, chart, {"x_scale": 1.6, "y_scale": 1.4})


def _write_days(
    sheet: Any,
    formats: wb.Formats,
    series: TimeseriesRead,
    summary: SummaryRead,
    req: ReportRequest,
) -> tuple[int, int, bool]:
    """The daily series; returns (first row, last row, has comparison) for the chart."""
    names = list(m.METRIC_NAMES)
    compared = series.comparison is not None
    columns = [wb.Column("Date", wb.DATE), wb.Column("Weekday", wb.TEXT), *metric_columns(names)]
    if compared:
        columns += [
            wb.Column("Net sales (comparison)", wb.MONEY, "sum"),
            wb.Column("Transactions (comparison)", wb.COUNT, "sum"),
        ]
    table = wb.Table(sheet, formats, columns, freeze_columns=2, first_row=_note(sheet, req, True))
    flagged = False
    footfall = 2 + names.index("footfall")  # after Date and Weekday
    include = series.footfall_estimates == FootfallEstimates.include
    for point in series.points:
        day = date.fromisoformat(point.start)
        figures, marked = tables.shown_values(point.metrics, names)
        values: list[Any] = [day, WEEKDAYS[day.weekday()], *figures]
        if compared:
            before = point.comparison_metrics or {}
            values += [before.get("net_sales"), before.get("transactions")]
        own, note = marks.footfall_cell(
            formats,
            include=include,
            estimated=point.footfall_estimated_days,
            flagged=point.footfall_flagged_days,
            flag=point.footfall_flag,
        )
        table.add(
            values,
            marked=marked,
            styles={footfall: own} if own is not None else None,
            notes={footfall: note} if note else None,
        )
        flagged = flagged or marked
    first, last = table.header_row + 1, table.next_row - 1
    figures, marked = tables.shown_values(summary.metrics, names)
    totals = [None, None, *figures] + ([None, None] if compared else [])
    table.close(totals)
    _footnote(sheet, table, "day", flagged or marked)
    return first, last, compared


def _note(sheet: Any, req: ReportRequest, cut: bool) -> int:
    """Writes the cut note above a table, if any; returns the table's header row."""
    note = _cut_note(req, cut=cut)
    if note is None:
        return 0
    sheet.write_string(0, 0, note)
    return 1


def _footnote(sheet: Any, table: wb.Table, noun: str, flagged: bool) -> None:
    """Under a table showing an average below zero as "—*": what the mark means."""
    if flagged:
        sheet.write_string(table.next_row + 1, 0, tables.returns_exceeded_note(noun))


def _write_breakdown(
    sheet: Any,
    formats: wb.Formats,
    result: BreakdownRead,
    label: str,
    by: BreakdownBy,
    req: ReportRequest,
) -> None:
    names = tables.shown(by)
    columns = [
        wb.Column(label, wb.TEXT),
        *metric_columns(names, fractional_counts=breakdown(by.value).fractional_counts),
    ]
    table = wb.Table(sheet, formats, columns, first_row=_note(sheet, req, False))
    flagged = False
    footfall = 1 + names.index("footfall") if "footfall" in names else None
    include = result.footfall_estimates == FootfallEstimates.include
    for row in result.rows:
        figures, marked = tables.shown_values(row.metrics, names)
        own, note = marks.footfall_cell(
            formats,
            include=include,
            estimated=row.footfall_estimated_days,
            flagged=row.footfall_flagged_days,
        )
        table.add(
            [row.label, *figures],
            marked=marked,
            styles={footfall: own} if own is not None and footfall is not None else None,
            notes={footfall: note} if note and footfall is not None else None,
        )
        flagged = flagged or marked
    figures, marked = tables.shown_values(result.total.metrics, names)
    table.close([None, *figures])
    _footnote(sheet, table, label.lower(), flagged or marked)


ITEM_BY_DAY = "Item by day"


def item_by_day_columns() -> list[wb.Column]:
    """Date, Item, then the item figures of METRICS.md (gross sales ... units sold)."""
    return [
        wb.Column("Date", wb.DATE),
        wb.Column("Item", wb.TEXT),
        *metric_columns(m.LINE_METRICS),
    ]


def _write_item_by_day(
    book: Any,
    formats: wb.Formats,
    *,
    db: Session,
    req: ReportRequest,
    progress: Progress,
) -> None:
    """Items per business date: each date's item breakdown, as the API gives it for that date."""
    names = list(m.LINE_METRICS)
    columns = item_by_day_columns()
    if req.lfl and req.compare == Compare.previous_period:
        # A one-day request would compare each date with the day before, not with the period's
        # comparison date: like-for-like against the previous period has no per-day equivalent.
        sheet = book.add_worksheet(ITEM_BY_DAY)
        sheet.write_string(
            0,
            0,
            "Not available for like-for-like against the previous period; "
            "see By item for the period.",
        )
        return
    writer = ItemByDayWriter(book, formats, columns, note=_cut_note(req, cut=False))
    days = req.days
    for index in range(days):
        day = req.date_from + timedelta(days=index)
        day_req = replace(req, date_from=day, date_to=day)
        if not req.lfl:
            day_req = replace(day_req, compare=Compare.none)
        result = report_service.breakdown(
            db=db, req=day_req, by=BreakdownBy.item, sort="net_sales", order=SortOrder.desc
        )
        for row in result.rows:
            writer.add([day, row.label, *tables.values(row.metrics, names)])
        progress(0.2 + 0.75 * (index + 1) / days)
    writer.close()


class ItemByDayWriter:
    """Item-by-day rows over as many sheets as Excel's row limit needs."""

    def __init__(
        self, book: Any, formats: wb.Formats, columns: list[wb.Column], note: str | None = None
    ) -> None:
        self.book = book
        self.formats = formats
        self.columns = columns
        self.sheets = 1
        sheet = book.add_worksheet(ITEM_BY_DAY)
        if note is not None:
            sheet.write_string(0, 0, note)
        first_row = 0 if note is None else 1
        self.table = wb.Table(sheet, formats, columns, freeze_columns=2, first_row=first_row)

    def add(self, values: list[Any]) -> None:
        if self.table.full:
            self.table.close()
            self.sheets += 1
            sheet = self.book.add_worksheet(f"{ITEM_BY_DAY} ({self.sheets})")
            self.table = wb.Table(sheet, self.formats, self.columns, freeze_columns=2)
        self.table.add(values)

    def close(self) -> None:
        self.table.close()
