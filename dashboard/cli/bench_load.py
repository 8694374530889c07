"""``python -m dashboard bench load``: simulated users against a real server on 127.0.0.1.

The command starts ``python -m dashboard serve`` (gunicorn, ``--workers``) on a free loopback
port, then runs ``--users`` simulated managers for ``--seconds``, and stops everything by
itself. Each user, in a loop: opens a page (the page, Dash's layout and dependencies, the
frame's and the page's callbacks, as the browser asks for them), then changes the filters
one to three times (the filter bar's callback, then the page's callbacks with the view it
returned), pausing a think time between actions; one page visit in ``--download-every``
(50) also downloads the filtered customer list. ``--streams N`` adds N clients that download the full customer list
over and over (the "long downloads starve the dashboard" case). Requests go to 127.0.0.1 only,
each with a timeout, and the run ends at its deadline.

Prints requests, errors and p50/p95/p99 per kind of request (``--json``: the same as JSON).
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dash
import numpy as np
import requests

from dashboard import ids
from dashboard.cli.bench_ui import analysed_app, prepare_database
from dashboard.config import Settings
from dashboard.web.callback_client import (
    CallbackClient,
    output_parts,
    request_body,
    view_callbacks,
)
from db.filters import search_from_view

REQUEST_TIMEOUT = 60
FILTER_BAR = f"{ids.VIEW_STORE}.data"
FILTER_INPUTS = {
    "gender": "filter-gender",
    "segment": "filter-segment",
    "rfm_segment": "filter-rfm-segment",
    "country": "filter-country",
    "plan": "filter-plan",
    "customer_id": "filter-customer-id",
}


@dataclass(frozen=True)
class LoadPlan:
    users: int = 50
    seconds: float = 60
    workers: int = 2
    streams: int = 0
    think_seconds: float = 2.0  # mean pause between a user's actions (uniform ±50 %)
    download_every: int = 50  # one page visit in this many downloads the filtered list (0: none)
    seed: int = 7


@dataclass
class Tally:
    """One thread's timings (seconds) per kind of request, and its errors."""

    timings: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    retries: int = 0

    def add(self, kind: str, seconds: float) -> None:
        self.timings.setdefault(kind, []).append(seconds)


@dataclass(frozen=True)
class Page:
    path: str
    callbacks: tuple[tuple[str, dict], ...]  # (output key, spec) of the page's view callbacks


class Requests:
    """The callback bodies the browser sends, built from the app's own callback map."""

    def __init__(self, app: dash.Dash) -> None:
        client = CallbackClient(app)
        self.values = client.values
        self.filter_bar = client.callback_for(FILTER_BAR)
        prefixes = {
            entry["module"].rsplit(".", 1)[-1]: entry["path"]
            for entry in dash.page_registry.values()
        }
        by_page: dict[str, list[tuple[str, dict]]] = {path: [] for path in prefixes.values()}
        frame: list[tuple[str, dict]] = []
        for output, spec in view_callbacks(app):
            prefix = output_parts(output)[0].split("-")[0]
            if prefix in prefixes:
                by_page[prefixes[prefix]].append((output, spec))
            else:
                frame.append((output, spec))
        self.pages = [Page(path, tuple(frame + found)) for path, found in by_page.items()]

    def view_body(self, output: str, spec: dict, view: dict) -> dict:
        values = {**self.values, (ids.VIEW_STORE, "data"): view}
        return request_body(output, spec, values, [FILTER_BAR])

    def filter_body(self, combo: dict, search: str) -> dict:
        values = dict(self.values)
        values[(ids.URL, "search")] = search
        for name, component in FILTER_INPUTS.items():
            chosen = combo.get(name)
            values[(component, "value")] = (
                chosen if chosen else (None if name == "customer_id" else [])
            )
        changed = [f"{FILTER_INPUTS[name]}.value" for name in combo] or [f"{ids.URL}.search"]
        output, spec = self.filter_bar
        return request_body(output, spec, values, changed)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(settings: Settings, workers: int, port: int, cache_dir: Path) -> subprocess.Popen:
    """``serve`` in a child process, waited for until ``/healthz`` answers (at most 90 s)."""
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "CACHE_DIR": str(cache_dir),
        "AUTH_REQUIRED": "",
        "PROXY_HOPS": "0",
    }
    command = [sys.executable, "-m", "dashboard", "serve", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", str(workers), "--no-sample"]
    server = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"bench load: the server stopped at start (exit {server.returncode})")
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise SystemExit("bench load: the server did not answer /healthz within 90 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(10)


class Timed:
    """One HTTP session that times and checks each request into a :class:`Tally`."""

    def __init__(self, base: str, tally: Tally, deadline: float) -> None:
        self.base = base
        self.tally = tally
        self.deadline = deadline
        self.session = requests.Session()

    def request(
        self, kind: str, method: str, path: str, **options: Any
    ) -> requests.Response | None:
        started = time.perf_counter()
        try:
            try:
                response = self.session.request(
                    method, self.base + path, timeout=REQUEST_TIMEOUT, **options
                )
            except requests.ConnectionError:
                # The server closed an idle kept-alive connection as it was reused; a browser
                # sends the request again on a new connection, and so does this client (counted).
                self.tally.retries += 1
                response = self.session.request(
                    method, self.base + path, timeout=REQUEST_TIMEOUT, **options
                )
            if options.get("stream"):
                for _piece in response.iter_content(1 << 16):
                    pass
        except requests.RequestException as error:
            self.tally.errors.append(f"{kind} {path}: {type(error).__name__}: {str(error)[:160]}")
            return None
        self.tally.add(kind, time.perf_counter() - started)
        if response.status_code not in (200, 204):
            self.tally.errors.append(f"{kind} {path}: HTTP {response.status_code}")
            return None
        return response

    def callback(self, body: dict) -> dict:
        response = self.request("callback", "POST", "/_dash-update-component", json=body)
        if response is None or response.status_code == 204:
            return {}
        return response.json().get("response", {})


def simulated_user(
    number: int,
    base: str,
    bodies: Requests,
    views: list[dict],
    dataset_id: int,
    plan: LoadPlan,
    deadline: float,
) -> Tally:
    """One manager's visits until the deadline (seeded, so runs repeat)."""
    rng = random.Random(plan.seed * 1000 + number)
    tally = Tally()
    http = Timed(base, tally, deadline)

    def think() -> bool:
        pause = plan.think_seconds * rng.uniform(0.5, 1.5)
        time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        return time.monotonic() < deadline

    def page_callbacks(page: Page, view: dict) -> None:
        for output, spec in page.callbacks:
            if time.monotonic() >= deadline:
                return
            http.callback(bodies.view_body(output, spec, view))

    time.sleep(rng.uniform(0, min(plan.think_seconds, plan.seconds / 4)))  # users arrive apart
    while time.monotonic() < deadline:
        page = rng.choice(bodies.pages)
        http.request("page", "GET", page.path)
        http.request("layout", "GET", "/_dash-layout")
        http.request("layout", "GET", "/_dash-dependencies")
        view = {"dataset_id": None, "filters": {}}
        page_callbacks(page, view)
        for _change in range(rng.randint(1, 3)):
            if not think():
                return tally
            combo = rng.choice(views)["filters"]
            search = search_from_view({"dataset_id": dataset_id, "filters": combo})
            answer = http.callback(bodies.filter_body(combo, search))
            view = answer.get(ids.VIEW_STORE, {}).get("data") or view
            page_callbacks(page, view)
        downloads = plan.download_every > 0 and rng.random() < 1 / plan.download_every
        if downloads and time.monotonic() < deadline:
            search = search_from_view(
                {"dataset_id": dataset_id, "filters": view.get("filters", {})}
            )
            http.request("download", "GET", f"/download/customers.csv{search}", stream=True)
        if not think():
            break
    return tally


def full_list_stream(base: str, dataset_id: int, deadline: float) -> Tally:
    """Download every customer of the data set, again and again, until the deadline."""
    tally = Tally()
    http = Timed(base, tally, deadline)
    while time.monotonic() < deadline:
        http.request(
            "full list", "GET", f"/download/customers.csv?dataset={dataset_id}", stream=True
        )
    return tally


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0}
    p50, p95, p99 = np.percentile(np.asarray(values) * 1000, [50, 95, 99])
    return {
        "p50_ms": round(float(p50), 1),
        "p95_ms": round(float(p95), 1),
        "p99_ms": round(float(p99), 1),
    }


def run_load(settings: Settings, plan: LoadPlan, echo: Callable[[str], None] = print) -> dict:
    """Serve ``settings.database_url``, load it as ``plan`` says, and return the figures."""
    app, engine, run, views = analysed_app(settings, "bench load")
    bodies = Requests(app)
    engine.dispose()
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        port = free_port()
        server = start_server(settings, plan.workers, port, Path(tmp) / "cache")
        base = f"http://127.0.0.1:{port}"
        try:
            tallies = _run_threads(base, bodies, views, run.dataset_id, plan)
        finally:
            stop_server(server)
    merged = Tally()
    for tally in tallies:
        for kind, values in tally.timings.items():
            merged.timings.setdefault(kind, []).extend(values)
        merged.errors.extend(tally.errors)
        merged.retries += tally.retries
    everything = [
        v for kind, values in merged.timings.items() if kind != "full list" for v in values
    ]
    kinds = {
        kind: {"requests": len(values), **percentiles(values)}
        for kind, values in sorted(merged.timings.items())
    }
    figures = {
        "database": engine.dialect.name,
        "customers": run.customers,
        "users": plan.users,
        "seconds": plan.seconds,
        "workers": plan.workers,
        "streams": plan.streams,
        "think_seconds": plan.think_seconds,
        "requests": sum(len(v) for v in merged.timings.values()) + len(merged.errors),
        "errors": len(merged.errors),
        "retried_after_reset": merged.retries,
        "error_examples": sorted(set(merged.errors))[:10],
        "interactive": {"requests": len(everything), **percentiles(everything)},
        "kinds": kinds,
    }
    return figures


def _run_threads(
    base: str, bodies: Requests, views: list[dict], dataset_id: int, plan: LoadPlan
) -> list[Tally]:
    deadline = time.monotonic() + plan.seconds
    tallies: list[Tally] = []
    lock = threading.Lock()

    def keep(work: Callable[[], Tally]) -> None:
        tally = work()
        with lock:
            tallies.append(tally)

    threads = [
        threading.Thread(
            target=keep,
            args=(lambda n=n: simulated_user(n, base, bodies, views, dataset_id, plan, deadline),),
            daemon=True,
        )
        for n in range(plan.users)
    ]
    threads += [
        threading.Thread(
            target=keep, args=(lambda: full_list_stream(base, dataset_id, deadline),), daemon=True
        )
        for _ in range(plan.streams)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(plan.seconds + REQUEST_TIMEOUT + 30)
    return tallies


def print_figures(figures: dict, echo: Callable[[str], None] = print) -> None:
    echo(
        f"database: {figures['database']}; {figures['customers']:,} customers; "
        f"{figures['users']} users for {figures['seconds']:g} s (think ~{figures['think_seconds']:g} s), "
        f"{figures['workers']} workers, {figures['streams']} full-list streams"
    )
    echo(f"{'requests':24s} {'count':>7s} {'p50 ms':>9s} {'p95 ms':>9s} {'p99 ms':>9s}")
    rows = [("all interactive", figures["interactive"]), *figures["kinds"].items()]
    for kind, row in rows:
        echo(
            f"{kind:24s} {row['requests']:7d} {row['p50_ms']:9.1f} {row['p95_ms']:9.1f} "
            f"{row['p99_ms']:9.1f}"
        )
    echo(
        f"errors: {figures['errors']} of {figures['requests']:,} requests "
        f"({figures['retried_after_reset']} sent again after a closed kept-alive connection)"
    )
    for example in figures["error_examples"]:
        echo(f"  {example}")


def bench_load_command(
    settings: Settings,
    plan: LoadPlan,
    rows: int,
    database_url: str | None,
    as_json: bool,
    echo: Callable[[str], None] = print,
) -> int:
    """Prepare ``rows`` customers (unless 0), load-test them, print; exit 1 on any error."""
    from dataclasses import replace

    quiet = (lambda _text: None) if as_json else echo
    with tempfile.TemporaryDirectory(prefix="bench-load-db-") as tmp:
        url = prepare_database(database_url, rows, plan.seed, Path(tmp), quiet)
        figures = run_load(replace(settings, database_url=url), plan, quiet)
    if as_json:
        echo(json.dumps(figures, indent=2))
    else:
        print_figures(figures, echo)
    return 1 if figures["errors"] else 0
