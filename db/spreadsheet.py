"""Excel and OpenDocument workbooks as CSV text, so they go through the same validation.

python-calamine (Rust's calamine) reads .xlsx, .xls and .ods. One sheet is written to a
temporary UTF-8 CSV, cell by cell as a person reads it: dates as ISO dates, whole numbers
without a ``.0``, empty cells empty. Ingestion then reads that CSV like any export, with the
workbook's own hash and file name.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

from python_calamine import CalamineError, CalamineWorkbook


class SpreadsheetError(ValueError):
    """A workbook that cannot be read, or a sheet it does not have, in words."""


def cell_text(value: object) -> str:
    """A workbook cell as the text a CSV export would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            return str(value)
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value.total_seconds() / 3600)
    return str(value)


def sheet_names(path: Path) -> list[str]:
    return list(_workbook(path).sheet_names)


def _workbook(path: Path) -> CalamineWorkbook:
    try:
        return CalamineWorkbook.from_path(str(path))
    except (CalamineError, ValueError, OSError) as error:
        raise SpreadsheetError(
            f"{path.name} looks like a spreadsheet but cannot be read as one ({error})."
        ) from error


@contextmanager
def sheet_as_csv(path: Path, sheet: str | None = None) -> Iterator[Path]:
    """A temporary CSV of one sheet (the first unless ``sheet`` names another)."""
    workbook = _workbook(path)
    names = list(workbook.sheet_names)
    if not names:
        raise SpreadsheetError(f"{path.name} has no sheets.")
    chosen = names[0] if sheet is None else sheet
    if chosen not in names:
        listed = ", ".join(repr(name) for name in names)
        raise SpreadsheetError(f"{path.name} has no sheet {chosen!r}; its sheets are {listed}.")
    try:
        rows = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    except (CalamineError, ValueError) as error:
        raise SpreadsheetError(
            f"Sheet {chosen!r} of {path.name} cannot be read ({error})."
        ) from error
    with TemporaryDirectory(prefix="workbook-") as folder:
        out = Path(folder) / f"{path.stem}.csv"
        with out.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            for row in _trimmed(rows):
                writer.writerow([cell_text(cell) for cell in row])
        yield out


def _trimmed(rows: list[list[object]]) -> list[list[object]]:
    """The rows without trailing empty rows and columns (a sheet's formatted-but-empty area)."""

    def blank(cell: object) -> bool:
        return cell is None or cell == ""

    while rows and all(blank(cell) for cell in rows[-1]):
        rows.pop()
    width = max(
        (max((i + 1 for i, c in enumerate(r) if not blank(c)), default=0) for r in rows), default=0
    )
    return [row[:width] for row in rows]
