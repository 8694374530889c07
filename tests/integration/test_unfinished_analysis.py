"""A data set whose analysis never finished says so and is finished on the next try."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dashboard.cli.main import main
from dashboard.components.data import NOT_ANALYSED, dataset_rows
from dashboard.services.sample_data import write_csv
from dashboard.services.uploads import run_upload, unfinished_message
from db.ingest import ingest_file
from db.queries import active_run, list_datasets


@pytest.fixture
def unanalysed(engine: Engine, tmp_path: Path) -> tuple[Path, int]:
    """A file loaded but never analysed (as after a crash between load and analysis)."""
    path = tmp_path / "export.csv"
    write_csv(path, rows=300, seed=4)
    return path, ingest_file(engine, path).dataset_id


def test_the_data_page_says_not_analysed(engine: Engine, unanalysed) -> None:
    _path, dataset_id = unanalysed
    rows = dataset_rows(list_datasets(engine), active_id=None)
    assert [(row["id"], row["analysis"]) for row in rows] == [(dataset_id, NOT_ANALYSED)]


def test_ingesting_the_file_again_finishes_the_analysis(
    engine: Engine, unanalysed, monkeypatch, capsys
) -> None:
    path, dataset_id = unanalysed
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    assert main(["ingest", str(path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(unfinished_message(dataset_id, "export.csv"))
    run = active_run(engine, dataset_id)
    assert run is not None and run.customers == 300
    rows = dataset_rows(list_datasets(engine), active_id=dataset_id)
    assert rows[0]["analysis"] == f"run {run.run_id}"
    # Once analysed, loading it again changes nothing, as before.
    assert main(["ingest", str(path)]) == 0
    assert "nothing was changed" in capsys.readouterr().out
    assert active_run(engine, dataset_id).run_id == run.run_id


def test_uploading_the_file_again_finishes_it_too(engine: Engine, unanalysed) -> None:
    path, dataset_id = unanalysed
    contents = "data:text/csv;base64," + base64.b64encode(path.read_bytes()).decode()
    summary = run_upload(engine, contents, "export.csv", max_bytes=10_000_000)
    assert summary["ok"] and summary["dataset_id"] == dataset_id
    assert summary["message"] == unfinished_message(dataset_id, "export.csv")
    assert active_run(engine, dataset_id).run_id == summary["run_id"]
