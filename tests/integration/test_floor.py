"""The bulk-load floor of bench ingest: the data set's own rows, into a table that goes away."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, inspect

from dashboard.services.sample_data import write_csv
from db.floor import FLOOR_TABLE, floor_seconds
from db.ingest import ingest_file


def test_the_floor_loads_every_stored_customer_and_drops_its_table(
    any_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    write_csv(path, rows=750, seed=4)
    result = ingest_file(any_engine, path)
    rows, seconds = floor_seconds(any_engine, result.dataset_id)
    assert rows == result.rows_loaded == 750
    assert seconds > 0
    assert FLOOR_TABLE not in inspect(any_engine).get_table_names()
