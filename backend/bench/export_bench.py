"""Excel export: a 1,000,000-row item-by-day sheet written by the export's writer, beside pandas
`to_excel` (openpyxl engine) writing the same rows, in one run.

    python -m bench.export_bench [--rows 1000000] [--items 2740]

The rows are what the export writes for item by day: date, item, gross sales, returns, discounts,
net sales (money as the API's decimal strings) and units sold, for `--items` items a day over as
many days as the row count needs. The writer is the export's own (`ItemByDayWriter` over
`app.exports.workbook.Table`, XlsxWriter constant-memory mode), fed one row at a time as the export
feeds it. pandas gets the same rows as a DataFrame (money as floats, as pandas writes numbers).

Each side runs in a process of its own. Printed per side: rows/s over wall-clock time and over the
process's CPU time (the machine may be shared), and the peak RSS growth from a baseline taken
after imports (Linux VmHWM, reset at the baseline). Targets for the writer: >= 100,000 rows/s and
<= 200 MB. Figures are merged into bench/results.json under "export".
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

START = date(2025, 1, 1)


def _figures(pool: int = 9973) -> list[tuple[str, str, str, str, int]]:
    """A pool of (gross, returns, discounts, net, units) as the API shows them, made once, so the
    benchmark times the writer rather than the making of figures."""
    figures = []
    for n in range(pool):
        gross = Decimal(200 + (n * 7919) % 50000) / 100
        returns = Decimal((n * 31) % 700) / 100 if n % 9 == 0 else Decimal("0.00")
        discounts = Decimal((n * 13) % 300) / 100 if n % 5 == 0 else Decimal("0.00")
        net = gross - returns - discounts
        figures.append((str(gross), str(returns), str(discounts), str(net), 1 + (n * 17) % 12))
    return figures


def rows(count: int, items: int) -> Iterator[tuple[Any, ...]]:
    """Deterministic item-by-day rows shaped as the API gives them (money as decimal strings)."""
    names = [f"Item {i:05d} - {('Coffee', 'Bread', 'Cake', 'Tea')[i % 4]}" for i in range(items)]
    figures = _figures()
    pool = len(figures)
    day = START
    for n in range(count):
        item = n % items
        if item == 0 and n:
            day += timedelta(days=1)
        yield (day, names[item], *figures[n % pool])


def _status(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def _reset_peak() -> None:
    # Writing 5 to clear_refs resets the peak RSS (VmHWM) to the current RSS (Linux >= 4.0).
    Path("/proc/self/clear_refs").write_text("5")


def child(side: str, count: int, items: int, out: Path) -> dict[str, Any]:
    if side == "writer":
        from app.exports import workbook as wb
        from app.exports.sheets import ItemByDayWriter, item_by_day_columns
    else:
        import pandas as pd

    baseline = _status("VmRSS")
    _reset_peak()
    wall, cpu = time.perf_counter(), time.process_time()
    if side == "writer":
        book = wb.new_workbook(str(out), tmpdir=str(out.parent))
        writer = ItemByDayWriter(book, wb.Formats(book, "GBP"), item_by_day_columns())
        for row in rows(count, items):
            writer.add(list(row))
        writer.close()
        book.close()
        phases: dict[str, float] = {}
    else:
        frame = pd.DataFrame.from_records(
            (
                (d, name, float(g), float(r), float(di), float(net), u)
                for d, name, g, r, di, net, u in rows(count, items)
            ),
            columns=["Date", "Item", "Gross sales", "Returns", "Discounts", "Net sales", "Units"],
        )
        built = time.perf_counter()
        frame.to_excel(out, sheet_name="Item by day", index=False, engine="openpyxl")
        phases = {"dataframe_s": round(built - wall, 2)}
    wall_s = time.perf_counter() - wall
    cpu_s = time.process_time() - cpu
    return {
        "rows": count,
        "seconds": round(wall_s, 2),
        "cpu_seconds": round(cpu_s, 2),
        "rows_per_s": round(count / wall_s),
        "rows_per_cpu_s": round(count / cpu_s),
        "peak_rss_growth_mb": round((_status("VmHWM") - baseline) / 1e6, 1),
        "file_mb": round(out.stat().st_size / 1e6, 1),
        **phases,
    }


def _check(path: Path, count: int) -> None:
    """The file is a sound zip whose first sheet holds the header and every row."""
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        with archive.open("xl/worksheets/sheet1.xml") as sheet:
            head = sheet.read(4096).decode("utf-8", "replace")
    assert f':G{count + 1}"' in head or f":G{count + 2}" in head, head[:600]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=2740)
    parser.add_argument("--child", choices=["writer", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.rows, args.items, Path(args.out))))
        return 0

    from bench.common import record

    if args.rows >= 1_048_575:
        raise SystemExit("--rows must fit one sheet (Excel's 1,048,576 rows) for the comparison")
    results: dict[str, Any] = {"rows": args.rows, "items_per_day": args.items}
    with tempfile.TemporaryDirectory(prefix="export-bench-") as tmp:
        for side in ("writer", "pandas"):
            out = Path(tmp) / f"{side}.xlsx"
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.export_bench",
                    "--child",
                    side,
                    "--rows",
                    str(args.rows),
                    "--items",
                    str(args.items),
                    "--out",
                    str(out),
                ],
                capture_output=True,
                text=True,
                check=False,
                env={**os.environ, "TELIPORTER_ENV_FILE": ""},
            )
            if done.returncode != 0:
                raise SystemExit(f"{side} failed:\n{done.stderr}")
            figures = json.loads(done.stdout.strip().splitlines()[-1])
            _check(out, args.rows)
            out.unlink()
            results[side] = figures
    load = os.getloadavg()[0]
    results["load_average_1min"] = round(load, 2)
    writer, pandas = results["writer"], results["pandas"]
    print(f"Excel export, {args.rows:,} item-by-day rows (load average {load:.2f}):")
    print(f"  {'':34}{'rows/s':>10}{'rows/CPU-s':>12}{'seconds':>9}{'peak RSS +MB':>14}{'MB':>7}")
    for label, f in (
        ("Teliporter writer (XlsxWriter cm)", writer),
        ("pandas to_excel (openpyxl)", pandas),
    ):
        print(
            f"  {label:34}{f['rows_per_s']:>10,}{f['rows_per_cpu_s']:>12,}{f['seconds']:>9}"
            f"{f['peak_rss_growth_mb']:>14}{f['file_mb']:>7}"
        )
    speedup = pandas["seconds"] / writer["seconds"]
    cpu_speedup = pandas["cpu_seconds"] / writer["cpu_seconds"]
    results["speedup_vs_pandas"] = round(speedup, 1)
    results["cpu_speedup_vs_pandas"] = round(cpu_speedup, 1)
    print(
        f"  writer is {speedup:.1f}x faster than pandas ({cpu_speedup:.1f}x in CPU time); "
        "targets >= 100,000 rows/s, <= 200 MB"
    )
    record("export", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
