"""Workbooks with XlsxWriter in constant-memory mode, fast enough for a million-row sheet.

XlsxWriter's `constant_memory` mode keeps one row in memory and appends each finished row's XML to
a temporary file. Its per-cell `write_*` calls cost a few microseconds each, which for a
1,000,000-row item-by-day sheet is minutes; `Table` therefore writes its data rows itself, one
prebuilt `<row>` string each, into that same temporary file, in exactly the XML XlsxWriter would
write (`<c r="B7" s="3"><v>12.34</v></c>`, inline strings), and then tells the worksheet where the
data ended. Headers, total rows (SUM formulas), formats, freeze panes, autofilters, column widths
and charts go through XlsxWriter's public API as usual.

Money arrives as the API's decimal strings ("12.34") and is written as those digits, so a cell holds
exactly the figure the API shows (no float detour); totals are `SUM` formulas over the rows, with
the exact sum cached so a viewer that does not recalculate shows it too.
"""

from __future__ import annotations

import math
import operator
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

import xlsxwriter.workbook
from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from app.fx.currency import minor_digits


class _FastZip(zipfile.ZipFile):
    """Deflate at level 1: a sheet of a million rows is ~400 MB of XML; level 1 packs it twice as
    fast as the default level for a file about a quarter larger. Only exports use XlsxWriter."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("compresslevel", 1)
        super().__init__(*args, **kwargs)


xlsxwriter.workbook.ZipFile = _FastZip

EXCEL_MAX_ROWS = 1_048_576
EXCEL_EPOCH = date(1899, 12, 30)
_NEEDS_ESCAPE = re.compile(r"[&<>\x00-\x08\x0b\x0c\x0e-\x1f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "AUD": "A$", "CAD": "C$", "JPY": "¥"}

# Column kinds: how a value is written and formatted.
TEXT, DATE, MONEY, COUNT, NUMBER, PERCENT = "text", "date", "money", "count", "number", "percent"


def money_format(currency: str) -> str:
    """Excel number format of an amount in the currency, e.g. "£"#,##0.00 or #,##0 "JPY"."""
    digits = minor_digits(currency)
    body = "#,##0" + ("." + "0" * digits if digits else "")
    symbol = _SYMBOLS.get(currency.upper())
    if symbol:
        return f'"{symbol}"{body};-"{symbol}"{body}'
    return f'{body} "{currency.upper()}";-{body} "{currency.upper()}"'


ESTIMATED_FORMAT = '#,##0" (est.)"'  # a figure with estimates in it: "166 (est.)"


class Formats:
    """The workbook's cell formats, once each (Excel keeps a table of them)."""

    def __init__(self, book: Workbook, currency: str) -> None:
        money = money_format(currency)
        self.title = book.add_format({"bold": True, "font_size": 14})
        self.bold = book.add_format({"bold": True})
        self.header = book.add_format(
            {"bold": True, "bg_color": "#DDE4EE", "bottom": 1, "text_wrap": True, "valign": "top"}
        )
        self.wrap = book.add_format({"text_wrap": True, "valign": "top"})
        # A notice the figures depend on (rates weeks old): where the figures are, hard to miss.
        self.warning = book.add_format(
            {"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE", "text_wrap": True}
        )
        self.by_kind: dict[str, Format | None] = {
            TEXT: None,
            DATE: book.add_format({"num_format": "yyyy-mm-dd"}),
            MONEY: book.add_format({"num_format": money}),
            COUNT: book.add_format({"num_format": "#,##0"}),
            NUMBER: book.add_format({"num_format": "#,##0.00"}),
            PERCENT: book.add_format({"num_format": "0.00%"}),
        }
        self.total_by_kind: dict[str, Format] = {
            TEXT: book.add_format({"bold": True, "top": 1}),
            DATE: book.add_format({"bold": True, "top": 1, "num_format": "yyyy-mm-dd"}),
            MONEY: book.add_format({"bold": True, "top": 1, "num_format": money}),
            COUNT: book.add_format({"bold": True, "top": 1, "num_format": "#,##0"}),
            NUMBER: book.add_format({"bold": True, "top": 1, "num_format": "#,##0.00"}),
            PERCENT: book.add_format({"bold": True, "top": 1, "num_format": "0.00%"}),
        }
        # Footfall that includes estimated store-days (app/footfall/ESTIMATES.md): grey italics;
        # footfall with a questioned entry: Excel's "neutral" amber. Each with a note on the cell.
        self.estimated = book.add_format(
            {"num_format": ESTIMATED_FORMAT, "italic": True, "font_color": "#7F7F7F"}
        )
        self.flagged = book.add_format(
            {"num_format": "#,##0", "font_color": "#9C5700", "bg_color": "#FFEB9C"}
        )


class Mark(str):
    """Text in a figure's cell instead of the figure: the page's "—*" for an average below zero
    (`Table.add(..., marked=True)` writes it as an inline string in the column's format)."""

    __slots__ = ()


@dataclass(frozen=True)
class Column:
    title: str
    kind: str
    # Total row: "sum" (a SUM formula), "value" (a figure given at the end, e.g. a ratio), "none".
    total: str = "none"
    width: float | None = None


def excel_serial(day: date) -> int:
    return (day - EXCEL_EPOCH).days


def _serial(day: date) -> str:
    return str((day - EXCEL_EPOCH).days)


def _number(value: Any) -> str:
    if isinstance(value, str):
        return value  # the API's decimal string, written as it is
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return repr(float(value))


def _text(value: Any) -> str:
    text = str(value)
    if _NEEDS_ESCAPE.search(text):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
    if text[:1].isspace() or text[-1:].isspace():
        return f'<t xml:space="preserve">{text}</t>'
    return f"<t>{text}</t>"


def _exact(value: Any) -> Decimal:
    if isinstance(value, str | int | Decimal):
        return Decimal(value)
    return Decimal(str(value))


class _TextCells(dict[str, str]):
    """Inline strings of one column, escaped once per distinct text (a lookup is a C call);
    tracks the widest text for the column's width."""

    LIMIT = 100_000

    def __init__(self, title: str) -> None:
        super().__init__()
        self.width = max(len(title) * 0.9, 8.0)

    def __missing__(self, value: str) -> str:
        text = _text(value)
        self.width = max(self.width, float(len(str(value))))
        if len(self) < self.LIMIT:
            self[value] = text
        return text


class _DateCells(dict[date, str]):
    def __missing__(self, day: date) -> str:
        serial = self[day] = _serial(day)
        return serial


class Table:
    """A sheet's table: bold frozen header with autofilter, data rows, a total row, widths.

    Rows must come in order (constant-memory mode writes each row once). `add` takes one value per
    column: str/Decimal/int/float for numbers, `date` for dates, None for an empty cell.

    Hot path: a full row is one `str.format` of a row template whose cells are converted by C
    calls only (a dict lookup for texts and dates, `str` for numbers: the API's decimal strings
    pass through); rows are written 512 at a time, and the running sums behind the total row's
    cached results are taken per batch with `map(float, ...)`.
    """

    _FLUSH_EVERY = 512

    def __init__(
        self,
        sheet: Worksheet,
        formats: Formats,
        columns: Sequence[Column],
        *,
        first_row: int = 0,
        freeze_columns: int = 1,
    ) -> None:
        self.sheet = sheet
        self.formats = formats
        self.columns = list(columns)
        self.header_row = first_row
        self.next_row = first_row + 1
        self.rows = 0
        for col, column in enumerate(self.columns):
            sheet.write_string(first_row, col, column.title, formats.header)
        sheet.freeze_panes(first_row + 1, freeze_columns)
        sheet.repeat_rows(first_row)  # printed at the top of every page (print titles)
        # Hand the header to the temporary file; from here on rows are appended directly.
        sheet._write_single_row(self.next_row)
        self._file: IO[str] = sheet.row_data_fh
        self._pending: list[str] = []
        self._batch: list[Sequence[Any]] = []  # full rows since the last flush, for the sums
        self._texts: dict[int, _TextCells] = {}
        # Per column: ('<c r="B', '" s="3"><v>', convert, '</v></c>'); the row number goes after
        # the letter. Used for rows with empty cells.
        self._cells: list[tuple[str, str, Callable[[Any], str], str]] = []
        self._styles: list[str] = []  # each column's ' s="n"' (or ""), for marks
        # For full rows: one generated function whose body is a single f-string, the texts and
        # dates looked up in their caches inside it (C calls only). Its source is made from the
        # column letters and style numbers above, never from data.
        lookups: dict[str, Any] = {}
        fields = []
        for col, column in enumerate(self.columns):
            fmt = formats.by_kind[column.kind]
            style = f' s="{fmt._get_xf_index()}"' if fmt is not None else ""
            head = f'<c r="{xl_col_to_name(col)}'
            self._styles.append(style)
            cell: tuple[str, str, Callable[[Any], str], str]
            if column.kind == TEXT:
                texts = self._texts[col] = _TextCells(column.title)
                cell = (head, f'"{style} t="inlineStr"><is>', texts.__getitem__, "</is></c>")
                lookups[f"L{col}"] = texts
                value = f"{{L{col}[v{col}]}}"
            elif column.kind == DATE:
                dates = _DateCells()
                cell = (head, f'"{style}><v>', dates.__getitem__, "</v></c>")
                lookups[f"L{col}"] = dates
                value = f"{{L{col}[v{col}]}}"
            else:
                # The API's decimal strings go in as they are; ints, Decimals and floats as
                # f-strings format them, which are valid xsd:double (what <v> holds).
                cell = (head, f'"{style}><v>', _number, "</v></c>")
                value = f"{{v{col}}}"
            self._cells.append(cell)
            fields.append(f"{cell[0]}{{n}}{cell[1]}{value}{cell[3]}")
        args = ", ".join(f"v{col}" for col in range(len(self.columns)))
        body = '<row r="{n}">' + "".join(fields) + "</row>"
        source = f"def row(n, {args}):\n    return f'{body}'\n"
        exec(compile(source, "<export-row>", "exec"), lookups)  # noqa: S102
        self._row: Callable[..., str] = lookups["row"]
        self._sum_cols = [i for i, c in enumerate(self.columns) if c.total == "sum"]
        self._sums = [0.0] * len(self.columns)

    @property
    def full(self) -> bool:
        """No room for another row and the total row."""
        return self.next_row >= EXCEL_MAX_ROWS - 1

    def add(
        self,
        values: Sequence[Any],
        *,
        marked: bool = False,
        styles: Mapping[int, Format] | None = None,
        notes: Mapping[int, str] | None = None,
    ) -> None:
        """Add a row; `marked`: some of its values may be `Mark`s (text in a figure's column);
        `styles`: formats of some of its cells instead of their column's, by column; `notes`:
        a comment on some of its cells, by column."""
        if self.next_row >= EXCEL_MAX_ROWS - 1:
            raise ValueError("the sheet is full (Excel's 1,048,576 rows)")
        self.next_row += 1
        n = self.next_row  # Excel's 1-based number of the row just added
        for col, note in (notes or {}).items():
            # Before the table closes: a constant-memory sheet takes no cell above its last row.
            self.sheet.write_comment(n - 1, col, note)
        if marked or styles or None in values:
            parts = [f'<row r="{n}">']
            for col, ((head, mid, convert, close), style, value) in enumerate(
                zip(self._cells, self._styles, values, strict=True)
            ):
                if styles and col in styles:  # a figure's cell in a format of its own
                    style = f' s="{styles[col]._get_xf_index()}"'
                    mid = f'"{style}><v>'
                if isinstance(value, Mark):
                    parts.append(f'{head}{n}"{style} t="inlineStr"><is>{_text(value)}</is></c>')
                elif value is not None:
                    parts.append(f"{head}{n}{mid}{convert(value)}{close}")
            parts.append("</row>")
            row = "".join(parts)
            for col in self._sum_cols:
                if values[col] is not None and not isinstance(values[col], Mark):
                    self._sums[col] += float(values[col])
        else:
            row = self._row(str(n), *values)
            self._batch.append(values)
        pending = self._pending
        pending.append(row)
        if len(pending) >= self._FLUSH_EVERY:
            self._flush()
        self.rows += 1

    def _flush(self) -> None:
        if self._pending:
            self._file.write("".join(self._pending))
            self._pending.clear()
        if self._batch:
            for col in self._sum_cols:
                self._sums[col] += math.fsum(map(float, map(operator.itemgetter(col), self._batch)))
            self._batch.clear()

    def close(self, totals: Sequence[Any] | None = None, *, label: str = "Total") -> int | None:
        """Finish the table: tell the worksheet where the data ended, write the total row (SUM
        formulas with their sums cached, figures given in `totals` for "value" columns), the
        autofilter and the column widths. Returns the total row's index, if any."""
        self._flush()
        last_data = self.next_row - 1
        sheet = self.sheet
        if self.rows:
            sheet._check_dimensions(last_data, len(self.columns) - 1)
        sheet.previous_row = self.next_row
        total_row: int | None = None
        if totals is not None or self._sum_cols:
            total_row = self.next_row
            fmt = self.formats.total_by_kind
            sheet.write_string(total_row, 0, label, fmt[TEXT])
            for col, column in enumerate(self.columns):
                if col == 0:
                    continue
                if column.total == "sum":
                    if self.rows:
                        first = xl_rowcol_to_cell(self.header_row + 1, col)
                        last = xl_rowcol_to_cell(last_data, col)
                        cached = round(self._sums[col], 6)
                        formula = f"=SUM({first}:{last})"
                        sheet.write_formula(total_row, col, formula, fmt[column.kind], cached)
                    else:
                        sheet.write_number(total_row, col, 0, fmt[column.kind])
                elif (
                    column.total == "value" and totals is not None and isinstance(totals[col], Mark)
                ):
                    sheet.write_string(total_row, col, str(totals[col]), fmt[column.kind])
                elif column.total == "value" and totals is not None and totals[col] is not None:
                    sheet.write_number(total_row, col, float(_exact(totals[col])), fmt[column.kind])
                else:
                    sheet.write_blank(total_row, col, None, fmt[column.kind])
            self.next_row += 1
        sheet.autofilter(self.header_row, 0, max(last_data, self.header_row), len(self.columns) - 1)
        for col, column in enumerate(self.columns):
            texts = self._texts.get(col)
            width = column.width or (
                min(texts.width + 2, 60)
                if texts is not None
                else max(len(column.title) * 0.9 + 2, 8)
            )
            if column.kind in (MONEY, NUMBER):
                width = max(width, 13)
            elif column.kind == DATE:
                width = max(width, 11)
            sheet.set_column(col, col, width)
        return total_row


# XlsxWriter's paper sizes; Letter where the stores are in the United States or Canada.
A4, LETTER = 9, 1
LETTER_COUNTRIES = frozenset({"US", "CA"})
_HEADER_LIMIT = 255  # characters Excel keeps of a header or footer, codes included


@dataclass(frozen=True)
class PrintSetup:
    """How every sheet prints: landscape, one page wide, a header with the report's name and
    period, and page numbers."""

    title: str
    period: str
    letter: bool = False


def _escaped(text: str, room: int) -> str:
    # A lone "&" starts a header code in Excel; "&&" prints one.
    return text[:room].replace("&", "&&")


def set_up_printing(book: Workbook, setup: PrintSetup) -> None:
    """Print set-up of every sheet: landscape on A4 (Letter), scaled to one page wide (as many
    pages tall as needed), the report's name, period and sheet name on top of each page, "Page n
    of m" below. Tables repeat their header row on each page (`Table`)."""
    period = _escaped(setup.period, 60)
    room = _HEADER_LIMIT - len(period) - 40
    header = f'&L&"-,Bold"{_escaped(setup.title, room)}&C{period}&R&A'
    for sheet in book.worksheets():
        sheet.set_landscape()
        sheet.set_paper(LETTER if setup.letter else A4)
        sheet.fit_to_pages(1, 0)
        sheet.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.6)
        sheet.set_header(header, {"margin": 0.3})
        sheet.set_footer("&CPage &P of &N", {"margin": 0.3})


def new_workbook(target: str | IO[bytes], *, tmpdir: str | None = None) -> Workbook:
    """A workbook that streams its sheets through temporary files (constant memory)."""
    options: dict[str, Any] = {
        "constant_memory": True,
        "strings_to_numbers": False,
        "strings_to_formulas": False,
        "strings_to_urls": False,
        "use_zip64": True,
        "default_date_format": "yyyy-mm-dd",
    }
    if tmpdir:
        options["tmpdir"] = tmpdir
    return Workbook(target, options)


def generated_at() -> str:
    from datetime import UTC

    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
