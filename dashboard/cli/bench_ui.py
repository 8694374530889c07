"""``python -m dashboard bench ui``: time every page callback through the app's HTTP interface.

The same ``POST /_dash-update-component`` requests the browser sends are replayed through the
Flask test client, over a series of filter combinations, for every callback that reads the
active view. Prints p50 / p95 per callback and the worst per page.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

import dash
from sqlalchemy import Engine

from dashboard import ids
from dashboard.app import create_app
from dashboard.config import Settings
from db.filters import Filters
from db.queries import active_run, aggregate, filter_options, first_customer_id

REPEATS = 3


def initial_values(app: dash.Dash) -> dict[tuple[str, str], Any]:
    """Every control's initial property values, read from the app and page layouts."""
    trees: list[Any] = [app.layout]
    for page in dash.page_registry.values():
        layout = page["layout"]
        trees.append(layout() if callable(layout) else layout)
    values: dict[tuple[str, str], Any] = {}
    stack = trees
    while stack:
        node = stack.pop()
        if isinstance(node, list | tuple):
            stack.extend(node)
            continue
        if not hasattr(node, "to_plotly_json"):
            continue
        props = node.to_plotly_json()["props"]
        component_id = props.get("id")
        if isinstance(component_id, str):
            for prop, value in props.items():
                values[(component_id, prop)] = value
        if props.get("children") is not None:
            stack.append(props["children"])
    return values


def view_callbacks(app: dash.Dash) -> Iterator[tuple[str, dict]]:
    """(output key, callback spec) for every callback with VIEW_STORE.data as an input."""
    for output, spec in app.callback_map.items():
        inputs = spec.get("inputs", [])
        if any(i["id"] == ids.VIEW_STORE and i["property"] == "data" for i in inputs):
            if spec.get("background") or "callback" not in spec:
                continue  # background jobs and clientside callbacks are not timed here
            yield output, spec


def _outputs_payload(output: str) -> Any:
    parts = [p for p in output.strip(".").split("...") if p]
    specs = []
    for part in parts:
        component_id, prop = part.rsplit(".", 1)
        specs.append({"id": component_id, "property": prop.split("@")[0]})
    return specs if output.startswith("..") else specs[0]


def request_body(output: str, spec: dict, view: dict, values: dict) -> dict:
    """The JSON body the browser posts when VIEW_STORE changes under this callback."""

    def item_payload(item: dict) -> dict:
        value = view if item["id"] == ids.VIEW_STORE else values.get((item["id"], item["property"]))
        return {"id": item["id"], "property": item["property"], "value": value}

    inputs = [item_payload(item) for item in spec["inputs"]]
    state = [item_payload(item) for item in spec.get("state", [])]
    return {
        "output": output,
        "outputs": _outputs_payload(output),
        "inputs": inputs,
        "changedPropIds": [f"{ids.VIEW_STORE}.data"],
        "state": state,
    }


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


def bench_ui(
    settings: Settings, echo: Callable[[str], None] = print
) -> dict[str, tuple[float, float]]:
    """Time every view callback on ``settings.database_url``; returns {callback: (p50, p95)}."""
    dash.page_registry.clear()
    app = create_app(settings)
    client = app.server.test_client()
    client.get("/")
    engine = app.server.extensions["dashboard_engine"]
    run = active_run(engine)
    if run is None:
        raise SystemExit("bench ui: the database has no analysed data set")
    values = initial_values(app)
    views = filter_combinations(engine, run.run_id)
    timings: dict[str, list[float]] = {}
    for output, spec in view_callbacks(app):
        for view in views:
            body = request_body(output, spec, view, values)
            for _ in range(REPEATS):
                started = time.perf_counter()
                response = client.post("/_dash-update-component", json=body)
                elapsed = time.perf_counter() - started
                if response.status_code not in (200, 204):
                    raise SystemExit(
                        f"{output}: HTTP {response.status_code} {response.data[:300]!r}"
                    )
                timings.setdefault(output, []).append(elapsed)
    results: dict[str, tuple[float, float]] = {}
    echo(
        f"database: {engine.dialect.name}; run {run.run_id}: {run.customers:,} customers; "
        f"{len(views)} filter combinations × {REPEATS} repeats"
    )
    echo(f"{'callback (outputs)':70s} {'p50 ms':>8s} {'p95 ms':>8s}")
    for output, values in sorted(timings.items()):
        ordered = sorted(values)
        p50 = statistics.median(ordered) * 1000
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000
        results[output] = (p50, p95)
        echo(f"{output.strip('.')[:70]:70s} {p50:8.1f} {p95:8.1f}")
    return results


def bench_ui_command(
    settings: Settings,
    rows: int,
    seed: int,
    database_url: str | None,
    echo: Callable[[str], None] = print,
) -> None:
    """Prepare a database with ``rows`` analysed customers (unless rows is 0), then bench it."""
    import tempfile
    from dataclasses import replace
    from pathlib import Path

    from dashboard.cli.bench import generate_csv
    from dashboard.services.analysis import analyze_dataset
    from db.ingest import IngestOptions, ingest_file
    from db.session import make_engine, upgrade_database

    with tempfile.TemporaryDirectory(prefix="bench-ui-") as tmp:
        url = database_url or f"sqlite:///{(Path(tmp) / 'bench.db').as_posix()}"
        if rows > 0:
            csv_path = Path(tmp) / f"bench_{rows}.csv"
            generate_csv(csv_path, rows, seed, echo)
            upgrade_database(url)
            engine = make_engine(url)
            started = time.perf_counter()
            result = ingest_file(engine, csv_path, IngestOptions(max_bytes=1 << 62))
            if not result.already_loaded:
                analyze_dataset(engine, result.dataset_id)
            echo(f"loaded and analysed {rows:,} customers in {time.perf_counter() - started:.1f} s")
            engine.dispose()
        bench_ui(replace(settings, database_url=url, cache_dir=Path(tmp) / "cache"), echo)
