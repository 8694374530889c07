"""The customer grid's server side: getRowsRequest -> getRowsResponse on both backends."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from dashboard.services.analysis import analyze_dataset
from dashboard.services.customer_grid import grid_rows
from dashboard.services.sample_data import write_csv
from db.filters import Filters
from db.ingest import IngestOptions, ingest_file
from db.queries import active_run

COLUMNS = ["customer_id", "segment", "watch_time_hours", "discount_pct", "last_login"]


@pytest.fixture
def analysed(any_engine: Engine, tmp_path: Path) -> tuple[Engine, int]:
    path = tmp_path / "customers.csv"
    write_csv(path, rows=600, seed=5)
    result = ingest_file(any_engine, path, IngestOptions(name="Grid sample"))
    analyze_dataset(any_engine, result.dataset_id)
    run = active_run(any_engine)
    assert run is not None
    return any_engine, run.run_id


def stored(engine: Engine, where: str) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql_query(
            text(
                "SELECT id, customer_id, segment, watch_time_hours, discount_pct "
                f"FROM customer_results WHERE {where}"
            ),
            connection,
        )


def test_pages_follow_the_request_and_cover_every_target_once(analysed) -> None:
    engine, run_id = analysed
    targets = Filters().with_targets_only()
    expected = stored(engine, f"run_id = {run_id} AND discount_target")
    seen: list[str] = []
    start = 0
    while start < len(expected) + 50:
        response = grid_rows(
            engine, run_id, targets, {"startRow": start, "endRow": start + 50}, COLUMNS
        )
        assert response["rowCount"] == len(expected)
        seen.extend(row["customer_id"] for row in response["rowData"])
        start += 50
    assert seen == expected.sort_values("id")["customer_id"].tolist()
    first = grid_rows(engine, run_id, targets, {"startRow": 0, "endRow": 1}, COLUMNS)
    row = first["rowData"][0]
    assert set(row) == set(COLUMNS)
    assert isinstance(row["last_login"], str) and len(row["last_login"]) == 10


def test_sorting_is_done_in_sql_with_stable_ties(analysed) -> None:
    engine, run_id = analysed
    request = {
        "startRow": 10,
        "endRow": 30,
        "sortModel": [{"colId": "watch_time_hours", "sort": "desc"}],
    }
    filters = Filters(segment=("Risky",))
    response = grid_rows(engine, run_id, filters, request, COLUMNS)
    expected = (
        stored(engine, f"run_id = {run_id} AND segment = 'Risky'")
        .sort_values(["watch_time_hours", "id"], ascending=[False, True])
        .iloc[10:30]
    )
    assert [r["customer_id"] for r in response["rowData"]] == expected["customer_id"].tolist()
    assert response["rowCount"] == len(stored(engine, f"run_id = {run_id} AND segment = 'Risky'"))


def test_unknown_sort_columns_and_missing_values_are_safe(analysed) -> None:
    engine, run_id = analysed
    request = {"startRow": 0, "endRow": 5, "sortModel": [{"colId": "id; DROP", "sort": "asc"}]}
    response = grid_rows(engine, run_id, Filters(segment=("Loyal",)), request, COLUMNS)
    assert len(response["rowData"]) == 5
    assert all(row["discount_pct"] is None for row in response["rowData"])  # not targets
    empty = grid_rows(engine, run_id, Filters(customer_id="nobody"), {}, COLUMNS)
    assert empty == {"rowData": [], "rowCount": 0}


def test_numeric_ids_sort_as_numbers(any_engine: Engine, tmp_path: Path) -> None:
    ids = [str(n) for n in (1107, 10961, 9, 11129, 10, 2, 100, 99)]
    lines = [f"{i},{n + 1},2024-03-{10 + n:02d}" for n, i in enumerate(ids)]
    path = tmp_path / "ids.csv"
    path.write_text("customer_id,watch_time_hours,last_login\n" + "\n".join(lines) + "\n")
    analyze_dataset(any_engine, ingest_file(any_engine, path, IngestOptions()).dataset_id)
    run_id = active_run(any_engine).run_id

    def sorted_ids(direction: str) -> list[str]:
        request = {"sortModel": [{"colId": "customer_id", "sort": direction}]}
        response = grid_rows(any_engine, run_id, Filters(), request, COLUMNS)
        return [row["customer_id"] for row in response["rowData"]]

    numeric = sorted(ids, key=int)
    assert sorted_ids("asc") == numeric
    assert sorted_ids("desc") == numeric[::-1]
