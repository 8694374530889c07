"""Ingestion against a real database: what lands, what is rejected and why, and nothing half-done."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text

from db.ingest import IngestError, IngestOptions, ingest_file
from db.models import Customer, Dataset, RejectedRow
from db.queries import rejected_rows

HEADER = "Customer ID,Name,Gender,Country,Plan,Join Date,Last Login,Watch Time Hours,Visits,Monthly Revenue\n"


def write(tmp_path: Path, body: str, name: str = "export.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(body.encode(encoding))
    return path


def table_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("datasets", "customers", "rejected_rows", "ingest_staging")
        }


def rejected(engine: Engine, dataset_id: int) -> list[tuple[int, str]]:
    frame = rejected_rows(engine, dataset_id)
    return list(zip(frame["line_number"].tolist(), frame["reason"].tolist(), strict=True))


def test_clean_file_loads_every_row_with_parsed_values(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "C1,Ann Lee,F,Germany,Premium,2023-01-05,2024-06-30,120.5,14,22.99\n"
        + 'C2,"Smith, Bob",male,France,Basic,2022-11-30,2024-05-01,"1,234.25",3,9.99\n'
        + "C3,Kim,,Spain,Standard,,2024-06-01,0,0,\n",
    )
    result = ingest_file(engine, path, IngestOptions(name="June export"))

    assert (result.rows_loaded, result.rows_rejected, result.as_of_date) == (
        3,
        0,
        date(2024, 6, 30),
    )
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT customer_id, name, gender, country, plan, join_date, last_login, "
                "watch_time_hours, visit_frequency, monthly_revenue, source_line "
                "FROM customers WHERE dataset_id = :d ORDER BY customer_id"
            ),
            {"d": result.dataset_id},
        ).all()
        dataset = connection.execute(
            select(
                Dataset.name,
                Dataset.source_file,
                Dataset.status,
                Dataset.rows_loaded,
                Dataset.rows_rejected,
            )
        ).one()
    assert [tuple(str(v) if isinstance(v, date) else v for v in row) for row in rows] == [
        (
            "C1",
            "Ann Lee",
            "Female",
            "Germany",
            "Premium",
            "2023-01-05",
            "2024-06-30",
            120.5,
            14.0,
            22.99,
            2,
        ),
        (
            "C2",
            "Smith, Bob",
            "Male",
            "France",
            "Basic",
            "2022-11-30",
            "2024-05-01",
            1234.25,
            3.0,
            9.99,
            3,
        ),
        ("C3", "Kim", "Unknown", "Spain", "Standard", None, "2024-06-01", 0.0, 0.0, None, 4),
    ]
    assert tuple(dataset) == ("June export", "export.csv", "ready", 3, 0)


BAD_ROWS = [
    (
        "C9,X,F,DE,Basic,2023-01-01,2024-01-01,abc,1,1\n",
        "invalid number in watch_time_hours: 'abc'",
    ),
    ("C9,X,F,DE,Basic,2023-01-01,2024-01-01,,1,1\n", "missing watch_time_hours"),
    (",X,F,DE,Basic,2023-01-01,2024-01-01,5,1,1\n", "missing customer_id"),
    ("C9,X,F,DE,Basic,2023-01-01,,5,1,1\n", "missing last_login"),
    ("C9,X,F,DE,Basic,2023-01-01,2024-01-01,-2.5,1,1\n", "negative watch_time_hours: '-2.5'"),
    (
        "C9,X,F,DE,Basic,2023-01-01,2024-01-01,inf,1,1\n",
        "watch_time_hours is not a finite number: 'inf'",
    ),
    ("C9,X,F,DE,Basic,2023-01-01,2024-01-01,5,-1,1\n", "negative visit_frequency: '-1'"),
    ("C9,X,F,DE,Basic,2023-01-01,2024-02-30,5,1,1\n", "invalid date in last_login: '2024-02-30'"),
    (
        "C9,X,F,DE,Basic,2024-03-01,2024-01-01,5,1,1\n",
        "last_login before join_date: 2024-01-01 is before join_date 2024-03-01",
    ),
    ("C9,X,F,DE,Basic,2023-01-01,2024-01-01,5,1\n", "expected 10 fields: found 9"),
    ("C9,X,F,DE,Basic,2023-01-01,2024-01-01,1e308,1,1\n", "implausible watch_time_hours: '1e308'"),
    (
        "C9,X,F,DE,Basic,2023-01-01,2024-01-01,100000.01,1,1\n",
        "implausible watch_time_hours: '100000.01'",
    ),
    ("C9,X,F,DE,Basic,2023-01-01,2024-01-01,5,20000,1\n", "implausible visit_frequency: '20000'"),
    (
        "C9,X,F,DE,Basic,2023-01-01,2024-01-01,5,1,2000000\n",
        "implausible monthly_revenue: '2000000'",
    ),
    (
        "C9," + "y" * 1001 + ",F,DE,Basic,2023-01-01,2024-01-01,5,1,1\n",
        "field longer than 1000 characters",
    ),
]


@pytest.mark.parametrize(("bad_line", "reason"), BAD_ROWS, ids=[r for _, r in BAD_ROWS])
def test_each_kind_of_bad_row_is_rejected_with_its_reason(
    engine: Engine, tmp_path: Path, bad_line: str, reason: str
) -> None:
    good = "C1,Ann,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\n"
    path = write(tmp_path, HEADER + good + bad_line + good.replace("C1", "C2"))
    result = ingest_file(engine, path)

    assert (result.rows_loaded, result.rows_rejected) == (2, 1)
    assert rejected(engine, result.dataset_id) == [(3, reason)]
    assert sum(result.rejected_by_reason.values()) == 1
    with engine.connect() as connection:
        raw = connection.execute(select(RejectedRow.raw_line)).scalar_one()
    assert raw == bad_line.rstrip("\n")


def test_a_row_with_several_problems_lists_them_all(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER + "C1,Ann,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\nC2,B,F,DE,Basic,x,,-1,y,1\n",
    )
    result = ingest_file(engine, path)
    assert rejected(engine, result.dataset_id) == [
        (
            3,
            "negative watch_time_hours: '-1'; invalid number in visit_frequency: 'y'; "
            "invalid date in join_date: 'x'; missing last_login",
        )
    ]
    assert result.rejected_by_reason == {
        "negative watch_time_hours": 1,
        "invalid number in visit_frequency": 1,
        "invalid date in join_date": 1,
        "missing last_login": 1,
    }


def test_duplicate_ids_keep_the_latest_last_login(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        HEADER
        + "C1,Old,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\n"
        + "C2,Bee,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\n"
        + "C1,New,F,DE,Basic,2023-01-01,2024-03-10,7,1,1\n"
        + "C1,Mid,F,DE,Basic,2023-01-01,2024-02-10,6,1,1\n",
    )
    result = ingest_file(engine, path)

    assert (result.rows_loaded, result.rows_rejected) == (2, 2)
    assert rejected(engine, result.dataset_id) == [
        (2, "duplicate customer_id"),
        (5, "duplicate customer_id"),
    ]
    assert result.rejected_by_reason == {"duplicate customer_id": 2}
    with engine.connect() as connection:
        kept = connection.execute(
            text("SELECT name, watch_time_hours FROM customers WHERE customer_id = 'C1'")
        ).one()
        staging = connection.execute(text("SELECT count(*) FROM ingest_staging")).scalar_one()
    assert tuple(kept) == ("New", 7.0)
    assert staging == 0


def test_missing_required_column_is_refused_naming_it_and_writes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "User ID,Plan,Last Payment Date\n1,Basic,2024-01-02\n2,Premium,2024-02-03\n"
    )
    with pytest.raises(IngestError) as caught:
        ingest_file(engine, path)
    message = str(caught.value)
    assert "last_login" in message and "watch_time_hours" in message
    assert "Last Payment Date" in message
    assert table_counts(engine) == {
        "datasets": 0,
        "customers": 0,
        "rejected_rows": 0,
        "ingest_staging": 0,
    }


def test_map_option_makes_the_refused_file_load(engine: Engine, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "User ID,Plan,Last Payment Date,Streamed\n1,Basic,2024-01-02,3.5\n2,Premium,2024-02-03,1\n",
    )
    result = ingest_file(
        engine,
        path,
        IngestOptions(
            column_map={"Last Payment Date": "last_login", "Streamed": "watch_time_hours"}
        ),
    )
    assert (result.rows_loaded, result.rows_rejected, result.as_of_date) == (2, 0, date(2024, 2, 3))


def test_failure_in_the_middle_of_the_write_leaves_the_database_as_before(
    engine: Engine, tmp_path: Path
) -> None:
    first = write(tmp_path, HEADER + "A1,Ann,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\n", "first.csv")
    ingest_file(engine, first)
    before = table_counts(engine)
    body = "".join(f"C{i},N,F,DE,Basic,2023-01-01,2024-01-10,{i},1,1\n" for i in range(500))
    path = write(tmp_path, HEADER + body + "C1,dup,F,DE,Basic,2023-01-01,2024-01-10,x,1,1\n")

    def fail_after_two_chunks(rows_read: int) -> None:
        if rows_read >= 200:
            raise RuntimeError("disk unplugged")

    with pytest.raises(RuntimeError, match="disk unplugged"):
        ingest_file(engine, path, IngestOptions(chunk_rows=100, on_progress=fail_after_two_chunks))
    assert table_counts(engine) == before
    # The same file loads afterwards: the failed attempt left no hash behind.
    result = ingest_file(engine, path, IngestOptions(chunk_rows=100))
    assert (result.rows_loaded, result.rows_rejected) == (500, 1)


def test_ingesting_the_same_file_twice_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "C1,Ann,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\n")
    first = ingest_file(engine, path, IngestOptions(name="one"))
    before = table_counts(engine)
    copy = write(tmp_path, path.read_text(), "renamed.csv")
    again = ingest_file(engine, copy, IngestOptions(name="two"))

    assert again.already_loaded and again.dataset_id == first.dataset_id and again.name == "one"
    assert "already loaded as data set" in again.summary()
    assert table_counts(engine) == before


def test_file_above_the_size_limit_is_refused_before_reading(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, HEADER + "C1,Ann,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\n" * 50)
    with pytest.raises(IngestError, match=r"above the 0 MB limit \(set MAX_UPLOAD_MB"):
        ingest_file(engine, path, IngestOptions(max_bytes=1000))
    assert table_counts(engine)["datasets"] == 0


def test_bom_semicolons_cp1252_and_quoted_newlines(engine: Engine, tmp_path: Path) -> None:
    body = (
        "\ufeffUser_ID;Full Name;Sex;Last_Login;Watch_Time_Hours\r\n"
        '1;"Zoë; the ""great""";W;2024-05-01;1.234,5\r\n'
        '2;"two\r\nlines";m;2024-05-02;7,25\r\n'
        "3;Renée;x;2024-05-03;bad\r\n"
    )
    utf8 = ingest_file(engine, write(tmp_path, body, "utf8.csv"))
    cp1252 = ingest_file(
        engine, write(tmp_path, body.lstrip("\ufeff"), "cp.csv", encoding="cp1252")
    )

    for result in (utf8, cp1252):
        assert (result.rows_loaded, result.rows_rejected) == (2, 1)
        assert rejected(engine, result.dataset_id) == [
            (5, "invalid number in watch_time_hours: 'bad'")
        ]
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT name, gender, watch_time_hours FROM customers "
                    "WHERE dataset_id = :d ORDER BY source_line"
                ),
                {"d": result.dataset_id},
            ).all()
        assert [tuple(r) for r in rows] == [
            ('Zoë; the "great"', "Female", 1234.5),
            ("two\r\nlines", "Male", 7.25),
        ]


def test_tab_delimited_with_day_first_dates_decided_from_the_data(
    engine: Engine, tmp_path: Path
) -> None:
    body = "id\tlast login\twatch hours\tsignup date\n1\t05/03/2024\t1\t01/02/2023\n2\t25/03/2024\t2\t03/01/2023\n"
    result = ingest_file(engine, write(tmp_path, body, "tabs.tsv"))
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT last_login, join_date FROM customers ORDER BY customer_id")
        ).all()
    assert [tuple(str(v) for v in row) for row in rows] == [
        ("2024-03-05", "2023-02-01"),
        ("2024-03-25", "2023-01-03"),
    ]
    assert result.as_of_date == date(2024, 3, 25)


def test_ambiguous_dates_are_refused_until_the_order_is_given(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, "id,last_login,watch_hours\n1,01/02/2024,1\n2,03/04/2024,2\n")
    with pytest.raises(IngestError, match="--dayfirst"):
        ingest_file(engine, path)
    assert table_counts(engine)["datasets"] == 0
    result = ingest_file(engine, path, IngestOptions(dayfirst=True))
    with engine.connect() as connection:
        dates = (
            connection.execute(text("SELECT last_login FROM customers ORDER BY customer_id"))
            .scalars()
            .all()
        )
    assert [str(d) for d in dates] == ["2024-02-01", "2024-04-03"]
    assert result.as_of_date == date(2024, 4, 3)


def test_month_names_epoch_seconds_and_minutes(engine: Engine, tmp_path: Path) -> None:
    body = (
        "Customer ID,Last Active,Watch Minutes,Signup Date\n"
        'A,"Aug 31 2024",90,1700000000\n'
        "B,1 Sep 2024,30,2023-11-14\n"
    )
    result = ingest_file(engine, write(tmp_path, body))
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT customer_id, last_login, watch_time_hours, join_date FROM customers ORDER BY customer_id"
            )
        ).all()
    assert [tuple(str(v) if not isinstance(v, float) else v for v in r) for r in rows] == [
        ("A", "2024-08-31", 1.5, "2023-11-14"),
        ("B", "2024-09-01", 0.5, "2023-11-14"),
    ]
    assert result.as_of_date == date(2024, 9, 1)


def test_days_since_last_login_counts_back_from_the_as_of_date(
    engine: Engine, tmp_path: Path
) -> None:
    body = "customer_id,watch_hours,last_login_days\nu1,3.5,0\nu2,1,45\nu3,2,-4\nu4,2,1.5\n"
    result = ingest_file(engine, write(tmp_path, body), IngestOptions(as_of=date(2025, 1, 31)))
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT customer_id, last_login FROM customers ORDER BY customer_id")
        ).all()
        dataset = connection.execute(select(Dataset.as_of_date, Dataset.recency_source)).one()
    assert [(r[0], str(r[1])) for r in rows] == [("u1", "2025-01-31"), ("u2", "2024-12-17")]
    assert tuple(dataset) == (date(2025, 1, 31), "last_login_days")
    assert rejected(engine, result.dataset_id) == [
        (4, "negative last_login_days: '-4'"),
        (5, "last_login_days is not a whole number: '1.5'"),
    ]


def test_extra_columns_are_kept_as_json(engine: Engine, tmp_path: Path) -> None:
    body = "id,last_login,watch_hours,Favorite Genre,Device\n1,2024-01-01,2,Drama,\n"
    ingest_file(engine, write(tmp_path, body))
    with engine.connect() as connection:
        extra = connection.execute(select(Customer.extra)).scalar_one()
    assert extra == {"Favorite Genre": "Drama"}


def test_a_file_with_no_good_row_is_refused_and_saves_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, "id,last_login,watch_hours\n1,never,2\n2,2024-01-01,-1\n")
    with pytest.raises(IngestError, match=r"No row of export\.csv could be loaded"):
        ingest_file(engine, path)
    assert table_counts(engine) == {
        "datasets": 0,
        "customers": 0,
        "rejected_rows": 0,
        "ingest_staging": 0,
    }


def test_a_header_naming_the_customer_id_twice_is_refused_and_saves_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    path = write(
        tmp_path, "Customer ID,customer_id,Last Login,Watch Time Hours\nC1,X1,2024-01-01,5\n"
    )
    with pytest.raises(IngestError) as refused:
        ingest_file(engine, path)
    assert "Columns 'Customer ID' and 'customer_id' both read as customer_id" in str(refused.value)
    assert table_counts(engine) == {
        "datasets": 0,
        "customers": 0,
        "rejected_rows": 0,
        "ingest_staging": 0,
    }


def test_the_largest_plausible_values_load_and_analyse(engine: Engine, tmp_path: Path) -> None:
    """Values at the caps, ties and constant columns give a run, never a traceback."""
    from dashboard.services.analysis import analyze_dataset

    rows = "".join(
        f"C{i},X,F,DE,Basic,2023-01-01,2024-01-01,{hours},10000,1000000\n"
        for i, hours in enumerate(["100000", "100000", "0", "0", "100000"])
    )
    result = ingest_file(engine, write(tmp_path, HEADER + rows))
    assert (result.rows_loaded, result.rows_rejected) == (5, 0)
    run = analyze_dataset(engine, result.dataset_id)
    assert run.customers == 5 and run.k_used == 2
