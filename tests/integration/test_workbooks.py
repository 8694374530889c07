"""Excel workbooks load through the same validation as CSV; other files are named for what they are."""

from __future__ import annotations

import base64
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, text

from dashboard.services.uploads import run_upload
from db.ingest import IngestError, IngestOptions, ingest_file
from db.queries import rejected_rows


def workbook(path: Path) -> Path:
    """Two sheets: notes first, then the customers (typed cells, one bad row)."""
    book = Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["Exported from the CRM on 2024-03-01"])
    customers = book.create_sheet("Customers")
    customers.append(["Customer ID", "Name", "Last Login", "Watch Time Hours", "Visits", "Plan"])
    customers.append(["C1", "Ann Lee", date(2024, 2, 1), 12.5, 4, "Basic"])
    customers.append([1002, "Bo Chan", datetime(2024, 2, 20, 18, 30), 30, 9, "Premium"])
    customers.append(["C3", "Cy Diaz", "2024-02-25", "abc", 1, None])
    customers.append(["C4", None, date(2024, 3, 1), 0.25, None, "Standard"])
    book.save(path)
    return path


def stored(engine: Engine, dataset_id: int) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT customer_id, name, last_login, watch_time_hours, visit_frequency, plan "
                    "FROM customers WHERE dataset_id = :d ORDER BY customer_id"
                ),
                {"d": dataset_id},
            )
        ]


def test_a_workbook_sheet_loads_with_exact_values_and_rejected_rows(
    engine: Engine, tmp_path: Path
) -> None:
    path = workbook(tmp_path / "crm.xlsx")
    result = ingest_file(engine, path, IngestOptions(sheet="Customers"))
    assert (result.name, result.rows_loaded, result.rows_rejected) == ("crm.xlsx", 3, 1)
    rows = [
        (cid, name, str(login)[:10], float(hours), None if pd.isna(v) else float(v), plan)
        for cid, name, login, hours, v, plan in stored(engine, result.dataset_id)
    ]
    assert rows == [
        ("1002", "Bo Chan", "2024-02-20", 30.0, 9.0, "Premium"),
        ("C1", "Ann Lee", "2024-02-01", 12.5, 4.0, "Basic"),
        ("C4", None, "2024-03-01", 0.25, None, "Standard"),
    ]
    frame = rejected_rows(engine, result.dataset_id)
    assert frame[["line_number", "reason"]].values.tolist() == [
        [4, "invalid number in watch_time_hours: 'abc'"]
    ]
    assert result.as_of_date == date(2024, 3, 1)
    again = ingest_file(engine, path, IngestOptions(sheet="Customers"))
    assert again.already_loaded and again.dataset_id == result.dataset_id


def test_the_first_sheet_by_default_and_an_unknown_sheet_named(
    engine: Engine, tmp_path: Path
) -> None:
    path = workbook(tmp_path / "crm.xlsx")
    with pytest.raises(IngestError, match="missing"):
        ingest_file(engine, path)  # the first sheet holds notes, not customers
    with pytest.raises(IngestError) as refused:
        ingest_file(engine, path, IngestOptions(sheet="Clients"))
    assert (
        str(refused.value)
        == "crm.xlsx has no sheet 'Clients'; its sheets are 'Notes', 'Customers'."
    )
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM datasets")).scalar_one() == 0


def png(path: Path) -> Path:
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    return path


def docx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    return path


@pytest.mark.parametrize(
    ("make", "name", "kind"),
    [
        (png, "customers.csv", "a PNG image"),
        (lambda p: (p.write_bytes(b"%PDF-1.7\n..."), p)[1], "export.csv", "a PDF document"),
        (docx, "export.csv", "a Word document"),
        (
            lambda p: (p.write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 20), p)[1],
            "a.csv",
            "a gzip archive",
        ),
    ],
    ids=["png", "pdf", "docx", "gzip"],
)
def test_files_that_are_not_exports_are_named_for_what_they_are(
    engine: Engine, tmp_path: Path, make, name: str, kind: str
) -> None:
    path = make(tmp_path / name)
    with pytest.raises(IngestError) as refused:
        ingest_file(engine, path)
    assert str(refused.value) == (
        f"{name} is {kind}, not a customer export: load a CSV file (or an Excel or "
        "OpenDocument workbook) with one row per customer."
    )


def test_a_workbook_uploads_from_the_page(engine: Engine, tmp_path: Path) -> None:
    path = workbook(tmp_path / "crm.xlsx")
    book = pd.read_excel(path, sheet_name=None, engine="calamine")
    assert list(book) == ["Notes", "Customers"]
    # The page loads the first sheet; a workbook with the customers first loads as is.
    single = tmp_path / "single.xlsx"
    book["Customers"].to_excel(single, index=False)
    contents = (
        "data:application/octet-stream;base64," + base64.b64encode(single.read_bytes()).decode()
    )
    summary = run_upload(engine, contents, "single.xlsx", max_bytes=1_000_000)
    assert summary["ok"] is True, summary
    assert (summary["rows_loaded"], summary["rows_rejected"]) == (3, 1)
    refused = run_upload(
        engine,
        "data:image/png;base64," + base64.b64encode(png(tmp_path / "x.png").read_bytes()).decode(),
        "photo.png",
        max_bytes=1_000_000,
    )
    assert refused["ok"] is False
    assert refused["message"].startswith("photo.png is a PNG image, not a customer export")
