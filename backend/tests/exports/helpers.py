"""Reading exported workbooks back: with LibreOffice (recalculating every formula) and openpyxl."""

from __future__ import annotations

import csv
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

# LibreOffice keeps the cached results of an .xlsx's formulas unless told to recalculate on
# load; this profile tells it to, always, so what the tests read is LibreOffice's own arithmetic.
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry"
 xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load">
 <prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
</oor:items>
"""
# CSV filter: comma, double quotes, UTF-8, from line 1, raw values (not "as shown"), every sheet.
_CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"


def soffice() -> str:
    path = shutil.which("soffice") or shutil.which("libreoffice")
    assert path, "LibreOffice is not installed (.ci/run installs libreoffice-calc-nogui)"
    return path


def libreoffice_sheets(workbook: Path, workdir: Path) -> dict[str, list[list[str]]]:
    """Every sheet of the workbook as LibreOffice computes it, as rows of strings."""
    profile = workdir / "lo-profile"
    (profile / "user").mkdir(parents=True, exist_ok=True)
    (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE)
    out = workdir / "lo-csv"
    out.mkdir(exist_ok=True)
    done = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            _CSV_FILTER,
            "--outdir",
            str(out),
            str(workbook),
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    sheets: dict[str, list[list[str]]] = {}
    prefix = workbook.stem + "-"
    for path in out.glob(f"{workbook.stem}-*.csv"):
        with path.open(newline="", encoding="utf-8") as handle:
            sheets[path.stem[len(prefix) :]] = list(csv.reader(handle))
    assert sheets, done.stdout + done.stderr
    return sheets


def number(text: str) -> Decimal | None:
    """A raw cell: LibreOffice writes percentages with their % sign even when not "as shown"."""
    if text == "":
        return None
    if text.endswith("%"):
        return Decimal(text[:-1]) / 100
    return Decimal(text)


def same(cell: str, api: Any) -> bool:
    """A LibreOffice cell (raw text) against the API's figure (decimal string, number, null)."""
    if api is None:
        return cell == ""
    value = number(cell)
    if value is None:
        return False
    return abs(value - Decimal(str(api))) < Decimal("1e-9")
