"""The six real-world-shaped exports: each loads with a sensible mapping or is refused clearly."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from db.ingest import IngestError, IngestOptions, ingest_file
from tests.conftest import DATA_DIR, real_data_file


def mapping_of(engine: Engine, dataset_id: int) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT column_mapping FROM datasets WHERE id = :d"), {"d": dataset_id}
        ).scalar_one()
    import json

    return (json.loads(rows) if isinstance(rows, str) else rows)["fields"]


def test_netflix_users_loads_whole(engine: Engine) -> None:
    result = ingest_file(engine, real_data_file("netflix_users.csv"))
    assert (result.rows_loaded, result.rows_rejected) == (25_000, 0)
    assert result.as_of_date == date(2025, 3, 8)
    assert mapping_of(engine, result.dataset_id) == {
        "customer_id": "User_ID",
        "name": "Name",
        "age": "Age",
        "country": "Country",
        "plan": "Subscription_Type",
        "last_login": "Last_Login",
        "watch_time_hours": "Watch_Time_Hours",
    }
    with engine.connect() as connection:
        first = connection.execute(
            text(
                "SELECT name, age, country, plan, watch_time_hours, last_login, gender "
                "FROM customers WHERE customer_id = '1'"
            )
        ).one()
    assert tuple(str(v) if isinstance(v, date) else v for v in first) == (
        "James Martinez",
        18,
        "France",
        "Premium",
        80.26,
        "2024-05-12",
        "Unknown",
    )


def test_customer_churn_loads_with_recency_in_days(engine: Engine) -> None:
    path = real_data_file("netflix_customer_churn.csv")
    result = ingest_file(engine, path, IngestOptions(as_of=date(2025, 1, 31)))
    assert (result.rows_loaded, result.rows_rejected, result.as_of_date) == (
        5_000,
        0,
        date(2025, 1, 31),
    )
    with engine.connect() as connection:
        oldest, newest, genders = connection.execute(
            text("SELECT min(last_login), max(last_login), count(DISTINCT gender) FROM customers")
        ).one()
        first = connection.execute(
            text(
                "SELECT gender, age, plan, watch_time_hours, last_login, country, monthly_revenue "
                "FROM customers WHERE customer_id = 'a9b75100-82a8-427a-a208-72f24052884a'"
            )
        ).one()
    # last_login_days runs 0..60 in this file: counted back from the as-of date.
    assert (str(oldest), str(newest), genders) == ("2024-12-02", "2025-01-31", 3)
    assert tuple(str(v) if isinstance(v, date) else v for v in first) == (
        "Other",
        51,
        "Basic",
        14.73,
        "2025-01-02",
        "Africa",
        8.99,
    )


REFUSED = {
    "netflix_userbase.csv": (["last_login", "watch_time_hours"], ["'Last Payment Date'"]),
    "spotify_churn_padded.csv": (["last_login", "watch_time_hours"], ["'listening_time'"]),
    "netflix_crm_genre_views.csv": (["last_login", "watch_time_hours"], ["'LastPayment'"]),
    "netflix2025_users_messy.csv": (["last_login", "watch_time_hours"], ["'created_at'"]),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_files_lacking_required_fields_are_refused_naming_them(engine: Engine, name: str) -> None:
    missing, candidates = REFUSED[name]
    with pytest.raises(IngestError) as caught:
        ingest_file(engine, real_data_file(name))
    message = str(caught.value)
    assert message.startswith(f"missing required column(s): {missing[0]}")
    for field in missing:
        assert f"{field}:" in message
    for candidate in candidates:
        assert candidate in message
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM datasets")).scalar_one() == 0


def test_map_narrows_a_refusal_to_what_the_file_cannot_give(engine: Engine) -> None:
    path = real_data_file("netflix_userbase.csv")
    with pytest.raises(IngestError) as caught:
        ingest_file(engine, path, IngestOptions(column_map={"Last Payment Date": "last_login"}))
    assert str(caught.value).startswith(
        "missing required column(s): watch_time_hours (no column looks like it)"
    )


def test_map_makes_a_renamed_export_load(engine: Engine) -> None:
    path = DATA_DIR / "bi_export_renamed.csv"
    with pytest.raises(IngestError, match="customer_id"):
        ingest_file(engine, path)
    result = ingest_file(
        engine,
        path,
        IngestOptions(column_map={"Member": "customer_id", "Last Payment": "last_login"}),
    )
    assert (result.rows_loaded, result.rows_rejected, result.as_of_date) == (
        20,
        0,
        date(2025, 2, 5),
    )


@pytest.mark.parametrize(
    ("name", "loaded"),
    [("netflix_users_slice.csv", 200), ("netflix_customer_churn_slice.csv", 200)],
)
def test_bundled_slices_load(engine: Engine, name: str, loaded: int) -> None:
    # The users slice logs in up to 2025-03-08: an as-of after that keeps every row (a login
    # after the as-of is rejected, see test_future_dates).
    result = ingest_file(engine, DATA_DIR / name, IngestOptions(as_of=date(2025, 3, 31)))
    assert (result.rows_loaded, result.rows_rejected) == (loaded, 0)


def test_padded_export_is_trimmed_and_loads_once_mapped(engine: Engine, tmp_path: Path) -> None:
    """Every header and cell of the Spotify export is space-padded; values come out trimmed."""
    source = (DATA_DIR / "spotify_churn_padded_slice.csv").read_text()
    lines = source.splitlines()
    header = lines[0] + ", days_inactive"
    body = [f"{line}, {i % 90}" for i, line in enumerate(lines[1:])]
    path = tmp_path / "spotify_with_recency.csv"
    path.write_text("\n".join([header, *body]) + "\n")
    result = ingest_file(
        engine,
        path,
        IngestOptions(
            column_map={"listening_time": "watch_time_minutes", "days_inactive": "last_login_days"},
            as_of=date(2025, 1, 31),
        ),
    )
    assert (result.rows_loaded, result.rows_rejected) == (200, 0)
    with engine.connect() as connection:
        first = connection.execute(
            text(
                "SELECT gender, age, country, plan, watch_time_hours, last_login "
                "FROM customers WHERE customer_id = '1'"
            )
        ).one()
    assert tuple(str(v) if isinstance(v, date) else v for v in first) == (
        "Female",
        54,
        "CA",
        "Free",
        26 / 60,
        "2025-01-31",
    )
