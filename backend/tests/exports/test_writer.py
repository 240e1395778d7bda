"""The fast row writer under the workbook: what it writes reads back as written."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from app.exports import workbook as wb
from app.exports.sheets import ItemByDayWriter, item_by_day_columns
from tests.exports.helpers import libreoffice_sheets


def test_texts_numbers_dates_and_blanks_read_back_as_written(tmp_path: Path) -> None:
    path = tmp_path / "cells.xlsx"
    book = wb.new_workbook(str(path), tmpdir=str(tmp_path))
    formats = wb.Formats(book, "JPY")
    columns = [
        wb.Column("Name", wb.TEXT),
        wb.Column("Day", wb.DATE),
        wb.Column("Amount", wb.MONEY, "sum"),
        wb.Column("Count", wb.COUNT, "sum"),
        wb.Column("Rate", wb.PERCENT, "value"),
    ]
    table = wb.Table(book.add_worksheet("Data"), formats, columns)
    rows: list[list[Any]] = [
        ["Fish & Chips <large>", date(2026, 10, 25), "1200", 2, 0.5],
        ["  padded ", date(2024, 2, 29), "-300", 1, None],
        ["tab\tand\x07bell", date(2026, 1, 1), Decimal("12.5"), None, 0.125],
        ["Crème brûlée 🍮", date(2026, 12, 31), 7.25, 3, 1],
    ]
    for row in rows:
        table.add(row)
    table.close([None, None, None, None, "0.4"])
    book.close()

    sheet = openpyxl.load_workbook(path)["Data"]
    got = list(sheet.iter_rows(min_row=2, max_row=5, values_only=True))
    # A control character is written as Excel's _xHHHH_ escape (Excel decodes it; openpyxl not).
    names = ["Fish & Chips <large>", "  padded ", "tab\tand_x0007_bell", rows[3][0]]
    assert [r[0] for r in got] == names
    assert [r[1].date() for r in got] == [r[1] for r in rows]
    assert [r[2] for r in got] == [1200, -300, 12.5, 7.25]
    assert [r[3] for r in got] == [2, 1, None, 3]
    assert [r[4] for r in got] == [0.5, None, 0.125, 1]
    total = [c.value for c in sheet[6]]
    assert total == ["Total", None, "=SUM(C2:C5)", "=SUM(D2:D5)", 0.4]
    assert sheet["C2"].number_format == '"¥"#,##0;-"¥"#,##0'

    computed = libreoffice_sheets(path, tmp_path)["Data"]
    amounts = sum((Decimal(str(r[2])) for r in rows), Decimal(0))
    counts = sum(r[3] for r in rows if r[3] is not None)
    assert [Decimal(v) for v in computed[5][2:4]] == [amounts, counts]


def test_item_by_day_continues_on_a_new_sheet_at_excels_row_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wb, "EXCEL_MAX_ROWS", 6)  # header + 4 rows + total per sheet
    path = tmp_path / "split.xlsx"
    book = wb.new_workbook(str(path), tmpdir=str(tmp_path))
    writer = ItemByDayWriter(book, wb.Formats(book, "GBP"), item_by_day_columns())
    for n in range(10):
        writer.add([date(2026, 10, 1 + n), f"Item {n}", "2.00", "0.00", "0.50", "1.50", 1])
    writer.close()
    book.close()

    loaded = openpyxl.load_workbook(path)
    assert loaded.sheetnames == ["Item by day", "Item by day (2)", "Item by day (3)"]
    items = [
        row[1]
        for name in loaded.sheetnames
        for row in loaded[name].iter_rows(min_row=2, values_only=True)
        if row[0] != "Total"
    ]
    assert items == [f"Item {n}" for n in range(10)]
