"""Files not shaped like an export are refused early, in one sentence, with bounded memory."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db.csv_source import MAX_COLUMNS, MAX_LINE_CHARS
from db.ingest import IngestError, ingest_file


def nothing_kept(engine: Engine) -> bool:
    with engine.connect() as connection:
        return all(
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
            for table in ("datasets", "customers", "rejected_rows", "ingest_staging")
        )


def test_a_header_wider_than_an_export_is_refused(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    columns = ["customer_id", "watch_time_hours", "last_login"] + [
        f"c{n}" for n in range(MAX_COLUMNS)
    ]
    path.write_text(",".join(columns) + "\n1,2,2024-01-01" + ",x" * MAX_COLUMNS + "\n")
    with pytest.raises(IngestError) as refused:
        ingest_file(engine, path)
    assert str(refused.value) == (
        f"wide.csv cannot be loaded: its header has {MAX_COLUMNS + 3:,} columns, more than the "
        f"{MAX_COLUMNS:,} an export may have; nothing was loaded."
    )
    assert nothing_kept(engine)


def test_a_line_without_end_is_refused_without_reading_it_whole(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "commas.csv"
    with path.open("w") as handle:
        handle.write("customer_id,watch_time_hours,last_login\n1,2,2024-01-01\n")
        handle.write("," * (20 * MAX_LINE_CHARS))  # 20 MB of commas, no newline
    with pytest.raises(IngestError) as refused:
        ingest_file(engine, path)
    assert str(refused.value) == (
        f"commas.csv cannot be loaded: line 3 is longer than {MAX_LINE_CHARS:,} characters "
        "(an export's lines are far shorter); nothing was loaded."
    )
    assert nothing_kept(engine)


def test_a_long_field_rejects_only_its_row(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "field.csv"
    path.write_text(
        "customer_id,name,watch_time_hours,last_login\n"
        "1,Ann,2,2024-01-01\n"
        f"2,{'x' * 5000},2,2024-01-02\n"
    )
    result = ingest_file(engine, path)
    assert (result.rows_loaded, result.rows_rejected) == (1, 1)
    assert result.rejected_by_reason == {"field longer than 1000 characters": 1}
