"""Rows, not files, fail: NUL characters and over-long values reject their row, alike on both
backends (PostgreSQL refused the whole file before)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from db.ingest import ingest_file


def test_nul_and_long_values_reject_only_their_rows(any_engine: Engine, tmp_path: Path) -> None:
    long_name = "N" * 301
    long_country = "C" * 201
    lines = [
        "customer_id,name,country,plan,watch_time_hours,last_login",
        "1,Ann,Canada,Basic,1.5,2024-05-01",
        "2,Bo\x00b,Canada,Basic,2,2024-05-02",
        f"3,{long_name},Canada,Basic,3,2024-05-03",
        f"4,Cy,{long_country},Basic,4,2024-05-04",
        f"{'9' * 201},Di,Canada,Basic,5,2024-05-05",
        f"6,{'M' * 300},Canada,Premium,6,2024-05-06",
    ]
    path = tmp_path / "limits.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    result = ingest_file(any_engine, path)
    assert (result.rows_loaded, result.rows_rejected) == (2, 4)
    with any_engine.connect() as connection:
        kept = connection.execute(
            text("SELECT customer_id, length(name) FROM customers ORDER BY id")
        ).all()
        rejected = connection.execute(
            text("SELECT line_number, reason, raw_line FROM rejected_rows ORDER BY line_number")
        ).all()
    assert [tuple(row) for row in kept] == [("1", 3), ("6", 300)]  # 300 characters still fit
    assert [(line, reason) for line, reason, _raw in rejected] == [
        (3, "NUL character in a field"),
        (4, "name longer than 300 characters"),
        (5, "country longer than 200 characters"),
        (6, "customer_id longer than 200 characters"),
    ]
    assert rejected[0][2] == "2,Bo\\x00b,Canada,Basic,2,2024-05-02"  # shown, storable
