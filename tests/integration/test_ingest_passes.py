"""Ingestion reads a clean file once and a file with repeats, strays or late date evidence
again: whatever the chunking, the same rows land and the same rows are rejected."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db.ingest import (
    DUPLICATE_REASON,
    STRAY_LOGIN_REASON,
    IngestError,
    IngestOptions,
    ingest_file,
)
from db.queries import delete_dataset

HEADER = "Customer ID,Name,Gender,Country,Plan,Join Date,Last Login,Watch Time Hours,Visits,Monthly Revenue\n"


def stored(engine: Engine, dataset_id: int) -> tuple[list[tuple], list[tuple]]:
    """Every customer row and every rejected row of a data set, in file order."""
    with engine.connect() as connection:
        customers = connection.execute(
            text(
                "SELECT source_line, customer_id, name, last_login, watch_time_hours "
                "FROM customers WHERE dataset_id = :d ORDER BY source_line"
            ),
            {"d": dataset_id},
        ).all()
        rejected = connection.execute(
            text(
                "SELECT line_number, reason, raw_line FROM rejected_rows "
                "WHERE dataset_id = :d ORDER BY line_number"
            ),
            {"d": dataset_id},
        ).all()
        staged = connection.execute(text("SELECT count(*) FROM ingest_staging")).scalar_one()
    assert staged == 0
    # SQLite hands dates back as ISO text, PostgreSQL as dates.
    as_rows = [
        (line, cid, name, date.fromisoformat(str(login)[:10]), hours)
        for line, cid, name, login, hours in customers
    ]
    return as_rows, [tuple(r) for r in rejected]


def load_twice(engine: Engine, path: Path, small_chunks: int) -> tuple:
    """Ingest ``path`` in one chunk and in chunks of ``small_chunks`` rows; both results."""
    results = []
    for chunk_rows in (50_000, small_chunks):
        result = ingest_file(engine, path, IngestOptions(chunk_rows=chunk_rows))
        results.append((result, *stored(engine, result.dataset_id)))
        delete_dataset(engine, result.dataset_id)
    return results


def test_ids_repeated_across_chunks_keep_the_latest_row_and_reject_the_rest(
    any_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "repeats.csv"
    path.write_text(
        HEADER
        + "C1,Old,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\n"
        + "C2,Bee,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\n"
        + "C3,Bad,F,DE,Basic,2023-01-01,2024-01-10,-1,1,1\n"
        + "C4,Bad,F,DE,Basic,2023-01-01,not a date,5,1,1\n"
        + "C1,New,F,DE,Basic,2023-01-01,2024-03-10,7,1,1\n"
        + "C2,Tie,F,DE,Basic,2023-01-01,2024-01-10,8,1,1\n"
        + "C5,Eve,F,DE,Basic,2023-01-01,2024-02-01,9,1,1\n"
        + "C1,Mid,F,DE,Basic,2023-01-01,2024-02-10,6,1,1\n"
    )
    whole, chunked = load_twice(any_engine, path, small_chunks=2)

    for result, customers, rejected in (whole, chunked):
        assert (result.rows_loaded, result.rows_rejected) == (3, 5)
        assert result.as_of_date == date(2024, 3, 10)
        assert result.rejected_by_reason == {
            DUPLICATE_REASON: 3,
            "negative watch_time_hours": 1,
            "invalid date in last_login": 1,
        }
        assert customers == [
            (6, "C1", "New", date(2024, 3, 10), 7.0),
            (7, "C2", "Tie", date(2024, 1, 10), 8.0),  # a tie: the row further down wins
            (8, "C5", "Eve", date(2024, 2, 1), 9.0),
        ]
        assert [(line, reason) for line, reason, _ in rejected] == [
            (2, DUPLICATE_REASON),
            (3, DUPLICATE_REASON),
            (4, "negative watch_time_hours: '-1'"),
            (5, "invalid date in last_login: 'not a date'"),
            (9, DUPLICATE_REASON),
        ]
        assert rejected[0][2] == "C1,Old,F,DE,Basic,2023-01-01,2024-01-10,5,1,1"


def test_a_stray_login_and_a_repeat_are_both_rejected_in_any_chunking(
    any_engine: Engine, tmp_path: Path
) -> None:
    start = date(2020, 1, 1)
    lines = [
        f"U{i},N{i},F,DE,Basic,2019-01-01,{(start + timedelta(days=i % 90)).isoformat()},1,1,1"
        for i in range(1_200)
    ]
    lines[500] = "U500,Stray,F,DE,Basic,2019-01-01,2024-01-01,1,1,1"
    lines.append("U7,Again,F,DE,Basic,2019-01-01,2020-03-30,2,1,1")
    path = tmp_path / "stray.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n")

    whole, chunked = load_twice(any_engine, path, small_chunks=97)

    for result, customers, rejected in (whole, chunked):
        assert (result.rows_loaded, result.rows_rejected) == (1_199, 2)
        assert result.as_of_date == date(2020, 3, 30)
        assert result.rejected_by_reason == {STRAY_LOGIN_REASON: 1, DUPLICATE_REASON: 1}
        assert [(line, reason) for line, reason, _ in rejected] == [
            (9, DUPLICATE_REASON),  # U7's first row: the appended one logged in later
            (502, STRAY_LOGIN_REASON),
        ]
        assert rejected[1][2] == "U500,Stray,F,DE,Basic,2019-01-01,2024-01-01,1,1,1"
        assert customers[-1] == (1_202, "U7", "Again", date(2020, 3, 30), 2.0)
    assert whole[1] == chunked[1]


def test_day_first_dates_found_only_after_the_first_chunk_reread_the_file(
    any_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "late_evidence.csv"
    path.write_text(
        HEADER
        + "C1,A,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\n"
        + "C2,B,F,DE,Basic,2023-01-01,2024-01-11,5,1,1\n"
        + "C3,C,F,DE,Basic,2023-01-01,03/04/2024,5,1,1\n"
        + "C4,D,F,DE,Basic,2023-01-01,25/03/2024,5,1,1\n"
    )
    whole, chunked = load_twice(any_engine, path, small_chunks=2)

    for result, customers, rejected in (whole, chunked):
        assert (result.rows_loaded, result.rows_rejected) == (4, 0)
        assert [row[3] for row in customers] == [
            date(2024, 1, 10),
            date(2024, 1, 11),
            date(2024, 4, 3),  # 3 April: the file's 25/03/2024 proves day first
            date(2024, 3, 25),
        ]
        assert rejected == []


def test_dates_proven_both_ways_in_different_chunks_are_refused_and_nothing_is_kept(
    any_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "mixed.csv"
    path.write_text(
        HEADER
        + "C1,A,F,DE,Basic,2023-01-01,03/25/2024,5,1,1\n"
        + "C2,B,F,DE,Basic,2023-01-01,2024-01-11,5,1,1\n"
        + "C3,C,F,DE,Basic,2023-01-01,25/03/2024,5,1,1\n"
    )
    with pytest.raises(
        IngestError, match=r"mixes day-first dates .*'25/03/2024'.* and month-first"
    ):
        ingest_file(any_engine, path, IngestOptions(chunk_rows=2))
    with any_engine.connect() as connection:
        for table in ("datasets", "customers", "rejected_rows", "ingest_staging"):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0


def test_many_bad_rows_are_written_in_rounds_and_every_one_is_kept(
    any_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first pass holds bad rows back only up to a bound, then writes them."""
    monkeypatch.setattr("db.ingest.REJECTED_BUFFER_ROWS", 3)
    body = "".join(
        f"C{i},N,F,DE,Basic,2023-01-01,2024-01-{1 + i % 28:02d},{-1 if i % 2 else 1},1,1\n"
        for i in range(30)
    )
    path = tmp_path / "half_bad.csv"
    path.write_text(HEADER + body)

    result = ingest_file(any_engine, path, IngestOptions(chunk_rows=2))

    customers, rejected = stored(any_engine, result.dataset_id)
    assert (result.rows_loaded, result.rows_rejected) == (15, 15)
    assert [row[0] for row in customers] == list(range(2, 32, 2))
    assert [(line, reason) for line, reason, _ in rejected] == [
        (line, "negative watch_time_hours: '-1'") for line in range(3, 33, 2)
    ]
