"""One complete run per data set, however many analyses of it run at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Engine, text

from dashboard.services.analysis import AnalysisParameters, analyze_dataset
from dashboard.services.sample_data import write_csv
from db.ingest import ingest_file
from db.queries import active_run


def test_parallel_analyses_leave_the_last_committed_run_alone(
    any_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    write_csv(path, rows=400, seed=9)
    dataset_id = ingest_file(any_engine, path).dataset_id
    with ThreadPoolExecutor(max_workers=5) as pool:
        summaries = list(
            pool.map(
                lambda k: analyze_dataset(any_engine, dataset_id, AnalysisParameters(k=k)),
                [2, 3, 4, 5, 6],
            )
        )
    with any_engine.connect() as connection:
        runs = connection.execute(
            text("SELECT id, status FROM analysis_runs WHERE dataset_id = :d"), {"d": dataset_id}
        ).all()
        result_runs = connection.execute(
            text("SELECT run_id, count(*) FROM customer_results GROUP BY run_id")
        ).all()
    last = max(summary.run_id for summary in summaries)
    assert [tuple(row) for row in runs] == [(last, "complete")]
    assert [tuple(row) for row in result_runs] == [(last, 400)]
    shown = active_run(any_engine, dataset_id)
    assert shown.run_id == last
    assert shown.k_used == next(s.k_used for s in summaries if s.run_id == last)


def test_every_background_job_gets_its_own_result_key(make_app) -> None:
    """An abandoned job's result is never handed to a later job with the same arguments."""
    app = make_app()
    manager = app._background_manager

    def job(dataset_id, as_of, k):
        return dataset_id, as_of, k

    first = manager.build_cache_key(job, [1, "", 6], [], None)
    again = manager.build_cache_key(job, [1, "", 6], [], None)
    assert first != again


def test_the_same_file_loaded_twice_at_once_is_one_data_set(
    any_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "same.csv"
    write_csv(path, rows=3_000, seed=12)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _n: ingest_file(any_engine, path), range(2)))
    assert sorted(r.already_loaded for r in results) == [False, True]  # both told the truth
    assert len({r.dataset_id for r in results}) == 1
    with any_engine.connect() as connection:
        counts = connection.execute(
            text("SELECT (SELECT count(*) FROM datasets), (SELECT count(*) FROM customers)")
        ).one()
    assert tuple(counts) == (1, 3_000)
