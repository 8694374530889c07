"""``python -m dashboard bench ui``: time every page callback through the app's HTTP interface.

The same ``POST /_dash-update-component`` requests the browser sends are replayed through the
Flask test client (:class:`dashboard.web.callback_client.CallbackClient`), over a series of
filter combinations, for every callback that reads the active view. Prints p50 / p95 and the
SQL statements per call for each callback, and the statements one filter change costs per page.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from pathlib import Path

import dash
from sqlalchemy import Engine

from dashboard import ids
from dashboard.app import create_app
from dashboard.config import Settings
from dashboard.web.callback_client import CallbackClient, output_parts, view_callbacks
from db.filters import Filters
from db.queries import RunInfo, active_run, aggregate, filter_options, first_customer_id
from db.session import StatementCounter

REPEATS = 3


def filter_combinations(engine: Engine, run_id: int) -> list[dict]:
    """Views a manager would look at: none, single filters, combinations, one customer."""
    options = filter_options(engine, run_id)
    top = aggregate(engine, run_id, Filters(), by=["country"]).sort_values("customers")
    country = str(top["country"].iloc[-1]) if not top.empty else None
    plan = options["plan"][0] if options["plan"] else None
    some_id = first_customer_id(engine, run_id)
    combos: list[dict] = [
        {},
        {"gender": ["Female"]},
        {"segment": ["Dormant"]},
        {"rfm_segment": ["Champions", "At Risk"]},
        {"plan": [plan]} if plan else {},
        {"country": [country]} if country else {},
        {"gender": ["Male"], "segment": ["Risky"]},
        {"country": [country], "plan": [plan], "segment": ["Loyal", "Casual"]}
        if country and plan
        else {},
        {"customer_id": some_id} if some_id else {},
    ]
    return [{"dataset_id": None, "filters": combo} for combo in combos]


def analysed_app(settings: Settings, command: str) -> tuple[dash.Dash, Engine, RunInfo, list[dict]]:
    """The app on ``settings``, its engine, the active run and the views a benchmark visits;
    SystemExit naming ``command`` when nothing is analysed."""
    dash.page_registry.clear()
    app = create_app(settings)
    engine = app.server.extensions["dashboard_engine"]
    run = active_run(engine)
    if run is None:
        raise SystemExit(f"{command}: the database has no analysed data set")
    return app, engine, run, filter_combinations(engine, run.run_id)


def bench_ui(
    settings: Settings, echo: Callable[[str], None] = print
) -> dict[str, tuple[float, float]]:
    """Time every view callback on ``settings.database_url``; returns {callback: (p50, p95)}."""
    app, engine, run, views = analysed_app(settings, "bench ui")
    callbacks = CallbackClient(app)
    timings: dict[str, list[float]] = {}
    statements: dict[str, list[int]] = {}
    with StatementCounter(engine) as counter:
        for output, _spec in view_callbacks(app):
            for view in views:
                for _ in range(REPEATS):
                    counter.count = 0
                    started = time.perf_counter()
                    response = callbacks.post(
                        output_parts(output)[0],
                        {(ids.VIEW_STORE, "data"): view},
                        changed=[f"{ids.VIEW_STORE}.data"],
                    )
                    elapsed = time.perf_counter() - started
                    if response.status_code not in (200, 204):
                        raise SystemExit(
                            f"{output}: HTTP {response.status_code} {response.data[:300]!r}"
                        )
                    timings.setdefault(output, []).append(elapsed)
                    statements.setdefault(output, []).append(counter.count)
    results: dict[str, tuple[float, float]] = {}
    echo(
        f"database: {engine.dialect.name}; run {run.run_id}: {run.customers:,} customers; "
        f"{len(views)} filter combinations × {REPEATS} repeats"
    )
    echo(f"{'callback (outputs)':70s} {'p50 ms':>8s} {'p95 ms':>8s} {'SQL':>5s}")
    per_page: dict[str, int] = {}
    for output, values in sorted(timings.items()):
        ordered = sorted(values)
        p50 = statistics.median(ordered) * 1000
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000
        sql = max(statements[output][1:] or statements[output])  # after the first (warm)
        page = output.strip(".").split("-")[0]
        per_page[page] = per_page.get(page, 0) + sql
        results[output] = (p50, p95)
        echo(f"{output.strip('.')[:70]:70s} {p50:8.1f} {p95:8.1f} {sql:5d}")
    frame = per_page.pop(ids.DATASET_LABEL.split("-")[0], 0)
    echo(
        "SQL statements per filter change (the page's view callbacks + the frame's "
        f"{frame}): "
        + ", ".join(f"{page} {count + frame}" for page, count in sorted(per_page.items()))
    )
    return results


def prepare_database(
    database_url: str | None, rows: int, seed: int, workdir: Path, echo: Callable[[str], None]
) -> str:
    """The database to bench: ``rows`` generated customers loaded and analysed into
    ``database_url`` (a new SQLite file under ``workdir`` when None); as it is with rows 0."""
    from dashboard.cli.bench import generate_csv
    from dashboard.services.analysis import analyze_dataset
    from db.ingest import IngestOptions, ingest_file
    from db.session import make_engine, upgrade_database

    url = database_url or f"sqlite:///{(workdir / 'bench.db').as_posix()}"
    if rows > 0:
        csv_path = workdir / f"bench_{rows}.csv"
        generate_csv(csv_path, rows, seed, echo)
        upgrade_database(url)
        engine = make_engine(url)
        started = time.perf_counter()
        result = ingest_file(engine, csv_path, IngestOptions(max_bytes=1 << 62))
        if not result.already_loaded:
            analyze_dataset(engine, result.dataset_id)
        echo(f"loaded and analysed {rows:,} customers in {time.perf_counter() - started:.1f} s")
        engine.dispose()
    return url


def bench_ui_command(
    settings: Settings,
    rows: int,
    seed: int,
    database_url: str | None,
    echo: Callable[[str], None] = print,
    interaction_steps: int = 0,
) -> None:
    """Prepare a database with ``rows`` analysed customers (unless rows is 0), then bench its
    callbacks one by one, or (``interaction_steps`` > 0) whole filter changes."""
    import tempfile
    from dataclasses import replace

    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        url = prepare_database(database_url, rows, seed, Path(tmp), echo)
        bench_settings = replace(settings, database_url=url, cache_dir=Path(tmp) / "cache")
        if interaction_steps:
            from dashboard.cli.bench_interaction import bench_interaction_command

            bench_interaction_command(bench_settings, interaction_steps, seed, echo)
        else:
            bench_ui(bench_settings, echo)
