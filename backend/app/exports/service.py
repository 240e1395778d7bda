"""Excel and CSV exports of the reports, and exports made in the background.

Every figure comes from the report service's public functions (`summary`, `timeseries`,
`breakdown`), the same calls the API answers with, so the export cannot disagree with the API:
each cell holds the API's figure (money as its decimal string, converted and rounded exactly as
the API shows it). A table's total row is a `SUM` formula over its rows; for ratios and footfall,
which do not add up, the total row holds the API's figure for the whole period. Every row is a sum
of posted amounts (METRICS.md "Rounding": each location-day converted and rounded once, finer rows
split by largest remainder), so each `SUM` equals the summary's figure to the minor unit: one
total per figure in the whole workbook.

Workbook: Cover (organization, period, comparison, locations, currency, the rates' source, pairs
and dates, generated at), Summary (period, comparison, change; a line chart of the daily trend),
By day, By location, By item, By category, By team member, By payment method, By hour, By weekday,
Item by day (continued on further sheets past Excel's 1,048,576 rows), and Rates (each business
date converted and the publication date of the rate used, per currency pair, for an audit). When
the newest rate used is more than 3 days older than a date converted (METRICS.md "Currency"), the
Cover and the Summary sheet say so above the figures. Written with XlsxWriter in constant-memory
mode (`app.exports.workbook`), into a file that is then streamed.

Background exports (`POST /reports/exports`) run as the Celery task `exports.build` with progress
in the `report_export` row; the file lives in EXPORT_DIR for EXPORT_EXPIRY_HOURS, then the beat
task `exports.purge_expired` deletes it and a download answers 410.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import secrets
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from xlsxwriter.exceptions import XlsxFileError

from app.core import csvsafe
from app.core.config import get_settings
from app.core.db import on_commit, session_scope, utcnow
from app.core.errors import Conflict, DomainError, InvalidField, NotFound
from app.exports import workbook as wb
from app.exports.models import Export, ExportState
from app.exports.schemas import CsvTable, ExportCreate, ExportRead
from app.locations.models import Location
from app.reports import metrics as m
from app.reports import service as report_service
from app.reports.request import ReportRequest, prepare
from app.reports.schemas import (
    BreakdownBy,
    BreakdownRead,
    Compare,
    Granularity,
    RatesUsed,
    SortOrder,
    SummaryRead,
    TimeseriesRead,
)
from app.users.models import User

log = logging.getLogger(__name__)

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_LABELS = {
    "average_transaction_value": "Average transaction value",
    "units_per_transaction": "Units per transaction",
    "refunds_by_amount": "Refunds by amount",
    "net_total": "Net total",
}
COUNTS = ("transactions", "units_sold")
# Figures whose total is the API's, not a SUM: ratios, and footfall (unknown days are not 0).
NOT_ADDITIVE = ("footfall", *m.MONEY_RATIOS, *m.NUMBER_RATIOS)
BREAKDOWN_SHEETS: tuple[tuple[BreakdownBy, str, str], ...] = (
    (BreakdownBy.location, "By location", "Location"),
    (BreakdownBy.item, "By item", "Item"),
    (BreakdownBy.category, "By category", "Category"),
    (BreakdownBy.team_member, "By team member", "Team member"),
    (BreakdownBy.payment_method, "By payment method", "Payment method"),
    (BreakdownBy.hour, "By hour", "Hour"),
    (BreakdownBy.weekday, "By weekday", "Weekday"),
)


class Gone(DomainError):
    """The export's file has expired and was (or is about to be) deleted."""

    status_code = 410


class StorageUnavailable(DomainError):
    """EXPORT_DIR cannot be written: the server's set-up, not the request, so 503 (the operator
    finds the path and the system's reason in the log)."""

    status_code = 503

    def __init__(self) -> None:
        super().__init__(
            "Exports cannot be written on the server at the moment; "
            "an administrator must check its export storage (EXPORT_DIR)"
        )


def _unwritable(path: Path, exc: BaseException) -> StorageUnavailable:
    log.error("export storage %s cannot be written (check EXPORT_DIR): %s", path, exc)
    return StorageUnavailable()


def export_subdir(*parts: str) -> Path:
    """A folder under EXPORT_DIR, made when missing: the directory may be a new, empty volume."""
    path = Path(get_settings().EXPORT_DIR).joinpath(*parts)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _unwritable(path, exc) from exc
    return path


def metric_label(name: str) -> str:
    return _LABELS.get(name) or name.replace("_", " ").capitalize()


def _kind(name: str, *, fractional_counts: bool = False) -> str:
    if name in m.MONEY_METRICS or name in m.MONEY_RATIOS:
        return wb.MONEY
    if name == "conversion_rate":
        return wb.PERCENT
    if name == "units_per_transaction" or (fractional_counts and name in COUNTS):
        return wb.NUMBER
    return wb.COUNT


def metric_columns(names: Iterable[str], *, fractional_counts: bool = False) -> list[wb.Column]:
    return [
        wb.Column(
            metric_label(name),
            _kind(name, fractional_counts=fractional_counts),
            "value" if name in NOT_ADDITIVE else "sum",
        )
        for name in names
    ]


# --- names --------------------------------------------------------------------------------------
def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-") or "Organization"


def filename(org_name: str, req: ReportRequest, extension: str, table: str | None = None) -> str:
    """What is inside: Teliporter_Acme-Retail_2026-10-01_2026-10-31_GBP.xlsx (…_item.csv)."""
    parts = ["Teliporter", _slug(org_name), req.date_from.isoformat(), req.date_to.isoformat()]
    parts.append(req.currency)
    if table:
        parts.append(table)
    return "_".join(parts) + "." + extension


# --- reading the reports --------------------------------------------------------------------------
def _breakdown(db: Session, req: ReportRequest, by: BreakdownBy) -> BreakdownRead:
    sort, order = "net_sales", SortOrder.desc
    if by in (BreakdownBy.location, BreakdownBy.team_member):
        sort, order = "label", SortOrder.asc
    elif by == BreakdownBy.payment_method:
        sort = "total_collected"
    result = report_service.breakdown(db=db, req=req, by=by, sort=sort, order=order)
    if by in (BreakdownBy.hour, BreakdownBy.weekday):
        result.rows.sort(key=lambda row: int(row.key))
    return result


def _values(metrics: dict[str, Any], names: Iterable[str]) -> list[Any]:
    return [metrics.get(name) for name in names]


def _location_names(db: Session, req: ReportRequest) -> list[str]:
    return list(
        db.scalars(
            select(Location.name)
            .where(Location.org_id == req.org_id, Location.id.in_(req.location_ids))
            .order_by(Location.name)
        )
    )


# --- CSV -----------------------------------------------------------------------------------------
def csv_table(*, db: Session, req: ReportRequest, table: CsvTable) -> str:
    """One table as CSV: the API's figures under their METRICS.md names, blanks for null.

    Names from Square that a spreadsheet would run as a formula get a leading ' (app.core.csvsafe).
    """
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
        result = _breakdown(db, req, BreakdownBy(table.value))
        names = list(result.rows[0].metrics) if result.rows else _shown(BreakdownBy(table.value))
        writer.writerow(["key", "label", *names])
        for row in result.rows:
            writer.writerow([row.key, row.label, *(row.metrics.get(n) for n in names)])
        writer.writerow(["total", "Total", *(result.total.metrics.get(n) for n in names)])
    return out.getvalue()


def _shown(by: BreakdownBy) -> list[str]:
    if by in (BreakdownBy.item, BreakdownBy.category):
        return list(m.LINE_METRICS)
    if by == BreakdownBy.payment_method:
        return list(m.PAYMENT_METRICS)
    return list(m.METRIC_NAMES)


# --- the workbook --------------------------------------------------------------------------------
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
    day_rows = _write_days(day_sheet, formats, series, summary)
    _write_summary(book, summary_sheet, formats, summary, day_rows=day_rows)
    steps = len(BREAKDOWN_SHEETS)
    for index, (by, title, label) in enumerate(BREAKDOWN_SHEETS):
        result = _breakdown(db, req, by)
        _write_breakdown(book.add_worksheet(title), formats, result, label, by)
        report(0.05 + 0.15 * (index + 1) / steps)
    _write_item_by_day(book, formats, db=db, req=req, progress=report)
    _write_rates(book.add_worksheet("Rates"), formats, summary.rates, req.currency)
    report(0.97)
    book.close()


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
        kind = "previous year" if req.compare == Compare.previous_year else "previous period"
        comparison = (
            f"{summary.comparison.date_from.isoformat()} to "
            f"{summary.comparison.date_to.isoformat()} ({kind})"
        )
    rates = summary.rates
    lines: list[tuple[str, str]] = [
        ("Organization", user.organization.name),
        ("Period", f"{req.date_from.isoformat()} to {req.date_to.isoformat()} ({req.days} days)"),
        ("Comparison", comparison),
        ("Like-for-like", "Yes" if req.lfl else "No"),
        ("Locations", ", ".join(_location_names(db, req)) or "None"),
        ("Currency", req.currency),
        ("Exchange rates", _rates_line(rates, req.currency)),
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
    sheet.write_string(0, 0, f"{title} ({summary.currency})", formats.title)
    if summary.rates.notice:
        sheet.write_string(1, 0, summary.rates.notice, formats.warning)
    header = 2
    for col, text in enumerate(("Metric", "Period", "Comparison", "Change")):
        sheet.write_string(header, col, text, formats.header)
    sheet.freeze_panes(header + 1, 1)
    comparison = summary.comparison.metrics if summary.comparison else {}
    row = header
    for name, value in summary.metrics.items():
        row += 1
        fmt = formats.by_kind[_kind(name)]
        sheet.write_string(row, 0, metric_label(name))
        for col, figure in ((1, value), (2, comparison.get(name))):
            if figure is not None:
                sheet.write_number(row, col, float(figure), fmt)
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
    sheet: Any, formats: wb.Formats, series: TimeseriesRead, summary: SummaryRead
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
    table = wb.Table(sheet, formats, columns, freeze_columns=2)
    for point in series.points:
        day = date.fromisoformat(point.start)
        values: list[Any] = [day, WEEKDAYS[day.weekday()], *_values(point.metrics, names)]
        if compared:
            before = point.comparison_metrics or {}
            values += [before.get("net_sales"), before.get("transactions")]
        table.add(values)
    first, last = table.header_row + 1, table.next_row - 1
    totals = [None, None, *_values(summary.metrics, names)] + ([None, None] if compared else [])
    table.close(totals)
    return first, last, compared


def _write_breakdown(
    sheet: Any, formats: wb.Formats, result: BreakdownRead, label: str, by: BreakdownBy
) -> None:
    names = _shown(by)
    columns = [
        wb.Column(label, wb.TEXT),
        *metric_columns(names, fractional_counts=by == BreakdownBy.team_member),
    ]
    table = wb.Table(sheet, formats, columns)
    for row in result.rows:
        table.add([row.label, *_values(row.metrics, names)])
    table.close([None, *_values(result.total.metrics, names)])


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
    writer = ItemByDayWriter(book, formats, columns)
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
            writer.add([day, row.label, *_values(row.metrics, names)])
        progress(0.2 + 0.75 * (index + 1) / days)
    writer.close()


class ItemByDayWriter:
    """Item-by-day rows over as many sheets as Excel's row limit needs."""

    def __init__(self, book: Any, formats: wb.Formats, columns: list[wb.Column]) -> None:
        self.book = book
        self.formats = formats
        self.columns = columns
        self.sheets = 1
        self.table = wb.Table(book.add_worksheet(ITEM_BY_DAY), formats, columns, freeze_columns=2)

    def add(self, values: list[Any]) -> None:
        if self.table.full:
            self.table.close()
            self.sheets += 1
            sheet = self.book.add_worksheet(f"{ITEM_BY_DAY} ({self.sheets})")
            self.table = wb.Table(sheet, self.formats, self.columns, freeze_columns=2)
        self.table.add(values)

    def close(self) -> None:
        self.table.close()


def direct_workbook(*, db: Session, user: User, req: ReportRequest) -> tuple[Path, str]:
    """Build the workbook for a GET while the client waits; returns (temporary file, filename).
    Longer periods go through a background export."""
    limit = get_settings().EXPORT_DIRECT_MAX_DAYS
    if req.days > limit:
        raise InvalidField(
            "date_to",
            f"Periods longer than {limit} days are exported in the background: "
            "POST /api/v1/reports/exports",
            location="query",
        )
    directory = export_subdir("tmp")
    try:
        handle, name = tempfile.mkstemp(suffix=".xlsx", dir=directory)
    except OSError as exc:  # an existing directory this process may not write to
        raise _unwritable(directory, exc) from exc
    os.close(handle)
    path = Path(name)
    try:
        write_workbook(db=db, user=user, req=req, target=path)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, filename(user.organization.name, req, "xlsx")


def file_chunks(path: Path, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """The file's bytes, then the file is deleted (a direct export is made for one response)."""
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(chunk_size):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


# --- background exports --------------------------------------------------------------------------
def _params(req: ReportRequest) -> dict[str, Any]:
    return {
        "date_from": req.date_from.isoformat(),
        "date_to": req.date_to.isoformat(),
        "location_ids": req.location_ids,
        "currency": req.currency,
        "compare": req.compare.value,
        "lfl": req.lfl,
    }


def create(*, db: Session, user: User, body: ExportCreate, dispatch: bool = True) -> Export:
    """Check the request as a report would (403 naming an ungranted store) and queue it."""
    req = prepare(
        db=db,
        user=user,
        date_from=body.date_from,
        date_to=body.date_to,
        location_ids=body.location_ids,
        currency=body.currency,
        compare=body.compare,
        lfl=body.lfl,
    )
    now = utcnow()
    export = Export(
        id=secrets.token_hex(16),
        org_id=user.org_id,
        user_id=user.id,
        params=_params(req),
        state=ExportState.queued,
        progress=0.0,
        filename=filename(user.organization.name, req, "xlsx"),
        created_at=now,
        expires_at=now + timedelta(hours=get_settings().EXPORT_EXPIRY_HOURS),
    )
    db.add(export)
    db.flush()
    if dispatch:
        export_id = export.id

        def _send() -> None:
            from app.exports import tasks

            tasks.build.delay(export_id)

        on_commit(db, _send)
    return export


def get(*, db: Session, user: User, export_id: str) -> Export:
    """An export the caller made (anyone else's, in or out of the organization, is not found)."""
    export = db.get(Export, export_id)
    if export is None or export.org_id != user.org_id or export.user_id != user.id:
        raise NotFound("export", export_id)
    return export


def _expired(export: Export, now: datetime | None = None) -> bool:
    return export.expires_at <= (now or utcnow())


def read(export: Export, *, api_prefix: str = "/api/v1") -> ExportRead:
    expired = _expired(export)
    ready = export.state == ExportState.done and not expired and export.file_path is not None
    return ExportRead(
        id=export.id,
        state=export.state,
        progress=round(export.progress, 4),
        error=export.error,
        filename=export.filename,
        download_url=f"{api_prefix}/reports/exports/{export.id}/download" if ready else None,
        expires_at=export.expires_at,
        expired=expired,
        size_bytes=export.size_bytes,
        date_from=date.fromisoformat(export.params["date_from"]),
        date_to=date.fromisoformat(export.params["date_to"]),
        currency=export.params.get("currency"),
        created_at=export.created_at,
        finished_at=export.finished_at,
    )


def download(*, db: Session, user: User, export_id: str) -> tuple[Path, str]:
    """The finished file of the caller's export: 409 while it is being made, 410 once expired."""
    export = get(db=db, user=user, export_id=export_id)
    if export.state == ExportState.failed:
        raise Conflict(f"Export {export_id} failed: {export.error}")
    if export.state != ExportState.done:
        raise Conflict(f"Export {export_id} is {export.state.value}; it is not ready yet")
    path = _file(export)
    if _expired(export) or path is None or not path.exists():
        raise Gone(f"Export {export_id} expired at {export.expires_at.isoformat()}; make it again")
    return path, export.filename or path.name


def _file(export: Export) -> Path | None:
    if not export.file_path:
        return None
    return Path(get_settings().EXPORT_DIR) / export.file_path


def _set(export_id: str, **values: Any) -> None:
    with session_scope() as db:
        db.execute(update(Export).where(Export.id == export_id).values(**values))


def run(export_id: str) -> ExportState | None:
    """Make an export's workbook (the Celery task `exports.build`). A finished export is left
    as it is, so a redelivered task does nothing; one interrupted mid-way is made again."""
    with session_scope() as db:
        export = db.get(Export, export_id)
        if export is None or export.state in (ExportState.done, ExportState.failed):
            return export.state if export is not None else None
        export.state = ExportState.running
        export.started_at = utcnow()
        export.progress = 0.0
        export.error = None
        org_id, user_id, params = export.org_id, export.user_id, dict(export.params)
    relative = Path(str(org_id)) / f"{export_id}.xlsx"
    final = Path(get_settings().EXPORT_DIR) / relative
    partial = final.with_suffix(".xlsx.part")
    last = [time.monotonic()]

    # Everything that can fail, the files' folder included, ends the export as failed with a
    # reason: an exception left out of here would leave it `running` for ever.
    try:
        export_subdir(str(org_id))
        with session_scope() as db:

            def progress(value: float) -> None:
                # At most twice a second, committed at once so a poller sees it; on the export's
                # own connection, not a second one (a worker child may have only one:
                # DATABASE_POOL_SIZE=1 waited for itself here). Between two reports, which
                # read or fill caches, a commit loses nothing.
                now = time.monotonic()
                if now - last[0] >= 0.5:
                    last[0] = now
                    db.execute(
                        update(Export)
                        .where(Export.id == export_id)
                        .values(progress=min(max(value, 0.0), 0.99))
                    )
                    db.commit()

            user = db.get(User, user_id)
            if user is None or not user.is_active:
                raise NotFound("user", user_id)
            req = prepare(
                db=db,
                user=user,
                date_from=date.fromisoformat(params["date_from"]),
                date_to=date.fromisoformat(params["date_to"]),
                location_ids=params.get("location_ids"),
                currency=params.get("currency"),
                compare=Compare(params.get("compare", Compare.previous_period.value)),
                lfl=bool(params.get("lfl")),
            )
            write_workbook(db=db, user=user, req=req, target=partial, progress=progress)
        os.replace(partial, final)
    except Exception as exc:
        with contextlib.suppress(OSError):  # nothing to delete where nothing could be made
            partial.unlink(missing_ok=True)
        if isinstance(exc, DomainError):
            message = exc.detail
        elif isinstance(exc, OSError | XlsxFileError):  # the file, not the figures
            message = _unwritable(final, exc).detail
        else:
            log.exception("export %s failed", export_id)
            message = f"The export could not be made ({type(exc).__name__}); try again"
        _set(export_id, state=ExportState.failed, error=message, finished_at=utcnow())
        return ExportState.failed
    finished = utcnow()
    _set(
        export_id,
        state=ExportState.done,
        progress=1.0,
        file_path=str(relative),
        size_bytes=final.stat().st_size,
        finished_at=finished,
        expires_at=finished + timedelta(hours=get_settings().EXPORT_EXPIRY_HOURS),
    )
    return ExportState.done


KEEP_EXPIRED_ROWS = timedelta(days=7)


def purge_expired(now: datetime | None = None) -> int:
    """Delete the files of expired exports (beat); forget exports a week after they expired
    (until then a download answers 410, after that 404). Returns the files deleted."""
    now = now or datetime.now(UTC)
    deleted = 0
    with session_scope() as db:
        expired = list(
            db.scalars(
                select(Export).where(Export.expires_at <= now, Export.file_path.is_not(None))
            )
        )
        for export in expired:
            path = _file(export)
            if path is not None:
                path.unlink(missing_ok=True)
                deleted += 1
            export.file_path = None
        db.execute(delete(Export).where(Export.expires_at <= now - KEEP_EXPIRED_ROWS))
    # Leftovers of direct exports whose client went away, and of workers stopped mid-way.
    root = Path(get_settings().EXPORT_DIR)
    cutoff = (now - timedelta(hours=get_settings().EXPORT_EXPIRY_HOURS)).timestamp()
    for pattern in ("tmp/*", "*/*.part"):
        for path in root.glob(pattern):
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                deleted += 1
    return deleted
