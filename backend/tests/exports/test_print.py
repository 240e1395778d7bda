"""The workbook prints: every sheet landscape, one page wide, on A4 (Letter for stores in the US or
Canada), the header row repeated on each page, the report's name and period on top and page
numbers below; a 3-month report's cover prints on one page (LibreOffice's PDF, counted)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import openpyxl
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.locations.models import Location
from tests.exports.helpers import soffice
from tests.exports.test_workbook import SHEETS, download
from tests.reports.conftest import Synced

QUARTER = {"date_from": "2026-09-01", "date_to": "2026-11-30", "currency": "GBP"}
# The first row of each table sheet's table (1-based): printed at the top of every page.
TITLE_ROWS = {"Summary": "$3:$3", "By day": "$1:$1", "Item by day": "$1:$1", "By item": "$1:$1"}


def pdf_pages(workbook: Path, workdir: Path) -> int:
    """Pages of LibreOffice's PDF of the workbook (as it would print)."""
    profile = workdir / "lo-pdf-profile"
    profile.mkdir(exist_ok=True)
    done = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
            str(workdir),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pdf = (workdir / workbook.with_suffix(".pdf").name).read_bytes()
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_every_sheet_prints_landscape_one_page_wide_with_titles_and_page_numbers(
    client: TestClient, synced: Synced, tmp_path: Path
) -> None:
    path, _ = download(client, synced, tmp_path, **QUARTER)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == SHEETS
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert setup.orientation == "landscape", sheet.title
        assert setup.paperSize == 9, sheet.title  # A4: the stores are in London and New York
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        # fitToWidth is left out when 1 (the default of the file format).
        assert (setup.fitToWidth or 1, setup.fitToHeight) == (1, 0), sheet.title
        header = sheet.oddHeader
        assert "Teliporter sales report: Scenario" in (header.left.text or ""), sheet.title
        assert header.center.text == "2026-09-01 to 2026-11-30"
        assert header.right.text == "&A"  # the sheet's name
        assert sheet.oddFooter.center.text == "Page &P of &N"
    for title, rows in TITLE_ROWS.items():
        assert book[title].print_title_rows == rows, title

    # The cover alone: its labels and values (two columns) print on one page.
    for title in SHEETS[1:]:
        del book[title]
    cover = tmp_path / "cover.xlsx"
    book.save(cover)
    assert pdf_pages(cover, tmp_path) == 1


def test_stores_in_the_united_states_print_on_letter(
    client: TestClient, db: Session, synced: Synced, tmp_path: Path
) -> None:
    for location in (synced.london, synced.new_york):
        db.get(Location, location.id).country = "US"  # type: ignore[union-attr]
    db.commit()
    path, _ = download(client, synced, tmp_path, **QUARTER)
    book = openpyxl.load_workbook(path, read_only=False)
    assert {sheet.page_setup.paperSize for sheet in book.worksheets} == {1}
