"""Text means text: in a name, country or plan only an empty cell is "no value"."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from db.ingest import ingest_file


def test_na_null_and_dashes_are_kept_as_text(any_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text(
        "customer_id,name,country,plan,watch_time_hours,last_login,age\n"
        "1,NA,NA,Basic,1.5,2024-05-01,NA\n"
        "2,Null,Namibia,N/A,2,2024-05-02,\n"
        "3,-,-,-,3,2024-05-03,41\n"
        "4,NaN,None,none,4,2024-05-04,n/a\n"
        "5,,  ,,5,2024-05-05,-\n",
        encoding="utf-8",
    )
    result = ingest_file(any_engine, path)
    assert (result.rows_loaded, result.rows_rejected) == (5, 0)
    with any_engine.connect() as connection:
        rows = connection.execute(
            text("SELECT customer_id, name, country, plan, age FROM customers ORDER BY id")
        ).all()
    assert [tuple(row) for row in rows] == [
        ("1", "NA", "NA", "Basic", None),  # Namibia stays Namibia; an age of NA is no age
        ("2", "Null", "Namibia", "N/A", None),
        ("3", "-", "-", "-", 41),
        ("4", "NaN", "None", "none", None),
        ("5", None, None, None, None),  # empty (or only spaces): no value
    ]
