"""Benchmarks that print figures (never timed tests): ``python -m dashboard bench ...``."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from dashboard.config import Settings
from db.floor import floor_seconds
from db.ingest import IngestOptions, ingest_file
from db.queries import delete_datasets_from_file
from db.session import make_engine, upgrade_database


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scratch_database(database_url: str | None, workdir: Path) -> str:
    """The database a benchmark writes to: the one given, else a new SQLite file."""
    return database_url or f"sqlite:///{(workdir / 'bench.db').as_posix()}"


def generate_csv(path: Path, rows: int, seed: int, echo: Callable[[str], None]) -> None:
    """Write ``rows`` generated customers in a child process, so the generator's memory is
    not counted in the benchmark's peak."""
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "generate",
            "--rows",
            str(rows),
            "--seed",
            str(seed),
            "--out",
            str(path),
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    echo(
        f"generated {rows:,} rows ({path.stat().st_size / 1e6:,.1f} MB) "
        f"in {time.perf_counter() - started:.1f} s"
    )


def bench_ingest(
    settings: Settings,
    rows: int,
    seed: int,
    database_url: str | None = None,
    echo: Callable[[str], None] = print,
) -> float:
    """Generate ``rows`` customers to a CSV in a child process, then time their ingestion."""
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / f"bench_{rows}.csv"
        generate_csv(csv_path, rows, seed, echo)
        url = scratch_database(database_url, workdir)
        upgrade_database(url)
        engine = make_engine(url)
        delete_datasets_from_file(engine, csv_path.name)
        baseline_mb = peak_rss_mb()
        started = time.perf_counter()
        result = ingest_file(
            engine,
            csv_path,
            IngestOptions(chunk_rows=settings.ingest_chunk_rows, max_bytes=1 << 62),
        )
        seconds = time.perf_counter() - started
        peak_mb = peak_rss_mb()
        floor_rows, floor = floor_seconds(engine, result.dataset_id)
        engine.dispose()
        echo(f"database: {engine.dialect.name}")
        echo(
            f"ingested {result.rows_loaded:,} rows ({result.rows_rejected:,} rejected) "
            f"in {seconds:.1f} s = {result.rows_loaded / seconds:,.0f} rows/s"
        )
        echo(
            f"floor: the same {floor_rows:,} rows bulk-loaded into a bare copy of the table "
            f"with the same indexes in {floor:.1f} s; ingest / floor = {seconds / floor:.1f}x"
        )
        echo(f"peak memory: {peak_mb:,.0f} MB (before ingestion: {baseline_mb:,.0f} MB)")
        return seconds


def bench_analyze(
    settings: Settings,
    rows: int,
    seed: int,
    database_url: str | None = None,
    echo: Callable[[str], None] = print,
) -> dict[str, float]:
    """Generate and ingest ``rows`` customers, then time one analysis run stage by stage.

    Prints seconds for read, compute (and each compute step), write and the total, the
    analysed rows per second and the peak memory. Returns the stage seconds.
    """

    with tempfile.TemporaryDirectory(prefix="bench-analyze-") as tmp:
        workdir = Path(tmp)
        csv_path = workdir / f"bench_{rows}.csv"
        generate_csv(csv_path, rows, seed, echo)
        url = scratch_database(database_url, workdir)
        upgrade_database(url)
        engine = make_engine(url)
        try:
            delete_datasets_from_file(engine, csv_path.name)
            started = time.perf_counter()
            ingested = ingest_file(
                engine,
                csv_path,
                IngestOptions(chunk_rows=settings.ingest_chunk_rows, max_bytes=1 << 62),
            )
            echo(f"ingested {ingested.rows_loaded:,} rows in {time.perf_counter() - started:.1f} s")
            return _timed_analysis(engine, ingested.dataset_id, echo)
        finally:
            engine.dispose()


def bench_analyze_dataset(
    database_url: str, dataset_id: int, echo: Callable[[str], None] = print
) -> dict[str, float]:
    """Time one analysis run of a data set already in ``database_url`` (ten million
    customers take a quarter of an hour to generate and ingest; analyse them many times)."""
    engine = make_engine(database_url)
    try:
        return _timed_analysis(engine, dataset_id, echo)
    finally:
        engine.dispose()


def _timed_analysis(
    engine: Engine, dataset_id: int, echo: Callable[[str], None]
) -> dict[str, float]:
    from dashboard.services.analysis import analyze_dataset

    baseline_mb = peak_rss_mb()
    started = time.perf_counter()
    run = analyze_dataset(engine, dataset_id)
    total = time.perf_counter() - started
    echo(f"database: {engine.dialect.name}")
    for stage, seconds in run.seconds.items():
        indent = "    " if "." in stage else "  "
        echo(f"{indent}{stage:<28}{seconds:8.2f} s")
    echo(f"  {'total':<28}{total:8.2f} s")
    echo(
        f"analysed {run.customers:,} customers ({run.targets:,} targets, k = {run.k_used}) "
        f"in {total:.1f} s = {run.customers / total:,.0f} rows/s"
    )
    echo(f"peak memory: {peak_rss_mb():,.0f} MB (before analysis: {baseline_mb:,.0f} MB)")
    return {**run.seconds, "total": total}
