"""``python -m dashboard bench ui --interaction``: one filter change, as the browser sends it.

A filter change is two rounds of callback requests: the filter bar's (controls → URL and
view store), then every callback of the page that reads the view store, all at once. This
replays both rounds, with the view store the first round answered, over a seeded walk of
filter states (each step adds, swaps or drops one filter value, as a manager clicks), on
every page. Per page it prints the requests and bytes of one change, the server time of the
whole change (the sum over its requests) and its critical path (the first round plus the
slowest callback of the second), p50 / p95, and the worst single callback's p95.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

from flask.testing import FlaskClient

from dashboard import ids
from dashboard.cli.bench_load import Requests
from dashboard.config import Settings
from dashboard.web.callback_client import output_parts
from db.filters import MULTI_VALUE_FILTERS, search_from_view
from db.queries import filter_options

WALK_DIMENSIONS = ("gender", "segment", "rfm_segment", "country", "plan")
MAX_VALUES_PER_FILTER = 2


def filter_walk(options: dict[str, list[str]], steps: int, seed: int) -> list[dict]:
    """``steps`` filter states, each one click from the one before (seeded, repeatable)."""
    rng = random.Random(seed)
    dimensions = [name for name in WALK_DIMENSIONS if options.get(name)]
    state: dict[str, list[str]] = {}
    walk: list[dict] = []
    while len(walk) < steps and dimensions:
        name = rng.choice(dimensions)
        chosen = list(state.get(name, []))
        values = options[name][:20]
        spare = [value for value in values if value not in chosen]
        if chosen and (not spare or rng.random() < 0.35):
            chosen.remove(rng.choice(chosen))
        elif len(chosen) >= MAX_VALUES_PER_FILTER:
            chosen[rng.randrange(len(chosen))] = rng.choice(spare)
        else:
            chosen.append(rng.choice(spare))
        state = {key: value for key, value in {**state, name: chosen}.items() if value}
        if state == (walk[-1] if walk else {}):
            continue
        walk.append({key: list(value) for key, value in state.items()})
    return walk


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _post(client: FlaskClient, body: dict) -> tuple[float, int, dict]:
    started = time.perf_counter()
    response = client.post("/_dash-update-component", json=body)
    elapsed = time.perf_counter() - started
    if response.status_code not in (200, 204):
        raise SystemExit(f"{body['output']}: HTTP {response.status_code} {response.data[:300]!r}")
    payload = response.get_json(silent=True) or {}
    return elapsed, len(response.data), payload


def bench_interaction(
    app, engine, run, steps: int, seed: int, echo: Callable[[str], None] = print
) -> dict[str, dict]:
    """Replay the walk on every page; returns {page path: figures (ms, bytes)}."""
    requests = Requests(app)
    client = app.server.test_client()
    client.get("/")
    options = filter_options(engine, run.run_id)
    walk = filter_walk(options, steps, seed)
    results: dict[str, dict] = {}
    for page in requests.pages:
        totals: list[float] = []
        paths: list[float] = []
        sizes: list[int] = []
        counts: list[int] = []
        single: dict[str, list[float]] = {}
        search = ""
        for state in [{}, *walk]:  # the first change warms the page's caches, as a visit does
            # Every dropdown's value is sent; the change is a control's, not the URL's.
            combo = {name: state.get(name, []) for name in MULTI_VALUE_FILTERS}
            body = requests.filter_body(combo, search)
            first, size, payload = _post(client, body)
            view = payload.get("response", {}).get(ids.VIEW_STORE, {}).get("data")
            if view is None:
                raise SystemExit(f"{page.path}: the filter bar answered no view")
            search = search_from_view(view)
            seconds = [first]
            size_total = size
            for output, spec in page.callbacks:
                elapsed, size, _ = _post(client, requests.view_body(output, spec, view))
                seconds.append(elapsed)
                size_total += size
                single.setdefault(output, []).append(elapsed)
            if state:
                totals.append(sum(seconds))
                paths.append(first + max(seconds[1:], default=0.0))
                sizes.append(size_total)
                counts.append(len(seconds))
        worst_output, worst = max(
            ((output, percentile(values[1:], 0.95)) for output, values in single.items()),
            key=lambda item: item[1],
            default=("", 0.0),
        )
        results[page.path] = {
            "changes": len(totals),
            "requests": max(counts, default=0),
            "bytes": int(statistics.median(sizes)) if sizes else 0,
            "server_ms_p50": statistics.median(totals) * 1000,
            "server_ms_p95": percentile(totals, 0.95) * 1000,
            "critical_ms_p50": statistics.median(paths) * 1000,
            "critical_ms_p95": percentile(paths, 0.95) * 1000,
            "worst_callback": output_parts(worst_output)[0] if worst_output else "",
            "worst_callback_ms_p95": worst * 1000,
        }
    _print(results, engine.dialect.name, run, len(walk), echo)
    return results


def _print(results: dict[str, dict], dialect: str, run, steps: int, echo) -> None:
    echo(
        f"database: {dialect}; run {run.run_id}: {run.customers:,} customers; one filter "
        f"change = filter bar + the page's view callbacks; {steps} changes per page"
    )
    echo(
        f"{'page':14s} {'requests':>8s} {'KB':>6s} {'server p50':>10s} {'p95':>6s} "
        f"{'path p50':>8s} {'p95':>6s}  worst callback (p95 ms)"
    )
    for path, figures in results.items():
        echo(
            f"{path:14s} {figures['requests']:8d} {figures['bytes'] / 1000:6.1f} "
            f"{figures['server_ms_p50']:10.1f} {figures['server_ms_p95']:6.1f} "
            f"{figures['critical_ms_p50']:8.1f} {figures['critical_ms_p95']:6.1f}  "
            f"{figures['worst_callback']} {figures['worst_callback_ms_p95']:.1f}"
        )


def bench_interaction_command(
    settings: Settings, steps: int, seed: int, echo: Callable[[str], None] = print
) -> dict[str, dict]:
    """The interaction bench on ``settings.database_url`` (already analysed)."""
    from dashboard.cli.bench_ui import analysed_app

    app, engine, run, _views = analysed_app(settings, "bench ui --interaction")
    return bench_interaction(app, engine, run, steps, seed, echo)
