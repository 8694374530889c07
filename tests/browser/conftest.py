"""Browser tests: the real app in a real headless Chromium (dash_duo), on a real database.

Skipped with a clear reason where Chromium or chromedriver is not installed.
"""

from __future__ import annotations

import contextlib
import gc
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import dash
import pytest
from selenium.common.exceptions import WebDriverException
from sqlalchemy import Engine

from dashboard.services.analysis import analyze_dataset
from dashboard.services.sample_data import write_csv
from db.ingest import IngestOptions, ingest_file
from tests.conftest import chromium_available

CUT_OFF_CONNECTION = "<psycopg.Connection .* was deleted while still open"
SAMPLE_ROWS = 2_000
SAMPLE_SEED = 11


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser" in str(item.fspath):
            for mark in SERVER_SHUTDOWN:
                item.add_marker(mark)
    if chromium_available():
        return
    skip = pytest.mark.skip(
        reason="no Chromium/chromedriver: apt-get install chromium chromium-driver"
    )
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(skip)


# dash_duo stops its test server by raising SystemExit in the server's threads; a request
# thread still answering a callback then dies with it, which is the harness shutting down, not
# the app failing (the app's own errors become 500 responses and never leave the thread).
# A request thread cut off that way never returns its PostgreSQL connection to the pool; the
# connection is closed by the garbage collector later, with a ResourceWarning, in whichever
# browser test runs then.
SERVER_SHUTDOWN = [
    pytest.mark.filterwarnings(
        "ignore:Exception in thread .*process_request_thread:"
        "pytest.PytestUnhandledThreadExceptionWarning"
    ),
    pytest.mark.filterwarnings(f"ignore:{CUT_OFF_CONNECTION}:ResourceWarning"),
]


@pytest.fixture(autouse=True)
def close_cut_off_connections() -> Iterator[None]:
    """After each browser test (its server stopped), collect what the stop left behind, so
    no cut-off connection is closed later during a test of another folder."""
    yield
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", CUT_OFF_CONNECTION, ResourceWarning)
        gc.collect()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item):
    """After each browser test, leave the page so it sends no more callbacks."""
    try:
        return (yield)
    finally:
        funcargs = getattr(item, "funcargs", {})
        dash_duo = funcargs.get("dash_duo")
        if dash_duo is not None:
            with contextlib.suppress(WebDriverException):  # a browser already gone is quiet
                dash_duo.driver.get("about:blank")
            factory = funcargs.get("make_app")
            for app in getattr(factory, "apps", []):
                wait_for_requests(app)


def count_requests(app: dash.Dash) -> None:
    """Count the app's requests in flight (test instrumentation, see wait_for_requests)."""
    lock, inflight = threading.Lock(), [0]
    app.server.extensions["test_inflight"] = inflight

    @app.server.before_request
    def started() -> None:
        with lock:
            inflight[0] += 1

    @app.server.teardown_request
    def finished(_error: BaseException | None) -> None:
        with lock:
            inflight[0] -= 1


def wait_for_requests(app: dash.Dash, seconds: float = 10) -> None:
    """Wait until the app holds no request, so none is cut off holding a database connection
    when dash_duo stops the server (that connection would leak)."""
    inflight = app.server.extensions.get("test_inflight", [0])
    deadline = time.monotonic() + seconds
    while inflight[0] > 0 and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.fixture
def loaded_engine(engine: Engine, tmp_path: Path) -> Engine:
    """The database under test holding one generated, analysed data set."""
    path = tmp_path / "customers.csv"
    write_csv(path, rows=SAMPLE_ROWS, seed=SAMPLE_SEED)
    result = ingest_file(engine, path, IngestOptions(name="Browser sample"))
    analyze_dataset(engine, result.dataset_id)
    return engine


@pytest.fixture
def make_app(loaded_engine: Engine, make_app: Callable[..., dash.Dash]) -> Callable[..., dash.Dash]:
    """The suite's app factory (tests/conftest.py) on the loaded database, counting requests."""

    def factory(**overrides: object) -> dash.Dash:
        app = make_app(**overrides)
        count_requests(app)
        return app

    factory.apps = make_app.apps  # type: ignore[attr-defined]
    return factory


def console_errors(dash_duo) -> list[dict]:
    """SEVERE browser console entries (none is the only good answer)."""
    return [entry for entry in dash_duo.get_logs() or [] if entry.get("level") == "SEVERE"]


def start_app(dash_duo, app: dash.Dash) -> None:
    """Start ``app`` on a port the OS says is free.

    dash_duo's default ports (58050 and up) may be held by another test run on the same
    machine, and the browser would then talk to that app instead.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dash_duo.start_server(app, port=port)
