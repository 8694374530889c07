"""A date from the future cannot move a data set's as-of: such rows are rejected with a reason."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import Engine, text

from db.ingest import STRAY_LOGIN_REASON, IngestOptions, ingest_file

HEADER = "customer_id,watch_time_hours,last_login,join_date\n"


def rejected(engine: Engine) -> list[tuple[int, str]]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text("SELECT line_number, reason FROM rejected_rows ORDER BY line_number")
            )
        ]


def test_logins_in_the_future_are_rejected_and_the_as_of_stays_true(
    any_engine: Engine, tmp_path: Path
) -> None:
    rows = [f"{n},{n % 9 + 1},2024-0{n % 6 + 1}-1{n % 9},2023-01-01" for n in range(1, 41)]
    rows += [
        "41,3,2030-01-01,2023-01-01",
        "42,3,2099-12-31,2023-01-01",
        "43,3,2024-06-01,2031-05-05",
    ]
    path = tmp_path / "future.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    result = ingest_file(any_engine, path)
    assert (result.rows_loaded, result.rows_rejected) == (40, 3)
    assert result.as_of_date == date(2024, 6, 18)  # the true latest login
    assert rejected(any_engine) == [
        (42, "last_login in the future: '2030-01-01'"),
        (43, "last_login in the future: '2099-12-31'"),
        (
            44,
            "join_date in the future: '2031-05-05'; last_login before join_date: 2024-06-01 is "
            "before join_date 2031-05-05",
        ),
    ]


def test_with_an_as_of_later_dates_are_rejected(any_engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "as_of.csv"
    path.write_text(
        HEADER + "1,2,2024-05-01,2023-01-01\n2,2,2024-07-02,2023-01-01\n3,2,2024-06-30,\n",
        encoding="utf-8",
    )
    result = ingest_file(any_engine, path, IngestOptions(as_of=date(2024, 6, 30)))
    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert rejected(any_engine) == [(3, "last_login after the as-of date 2024-06-30: '2024-07-02'")]


def test_one_stray_login_far_after_the_others_is_rejected(
    any_engine: Engine, tmp_path: Path
) -> None:
    # 2,000 logins in 2023; one in last month (not in the future, but far past the others).
    stray = (date.today() - timedelta(days=30)).isoformat()
    rows = [f"{n},1.5,2023-{n % 12 + 1:02d}-{n % 28 + 1:02d}," for n in range(1, 2001)]
    rows.append(f"2001,1.5,{stray},")
    path = tmp_path / "stray.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    result = ingest_file(any_engine, path)
    assert (result.rows_loaded, result.rows_rejected) == (2000, 1)
    assert result.as_of_date == date(2023, 12, 28)
    assert rejected(any_engine) == [(2002, STRAY_LOGIN_REASON)]
    assert result.rejected_by_reason == {STRAY_LOGIN_REASON: 1}
