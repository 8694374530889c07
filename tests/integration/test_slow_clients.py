"""Slow clients cannot stall the team's server: nginx in front reads every request whole.

Against a real ``serve`` (gunicorn, one worker of THREADS_PER_WORKER threads) and a real nginx from the
repository's template, on 127.0.0.1. Bounded: at most 30 sockets, each trickling for at
most 12 s.
"""

from __future__ import annotations

import http.cookiejar
import re
import shutil
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dashboard.services import accounts
from dashboard.services.analysis import analyze_dataset
from dashboard.services.sample_data import write_csv
from dashboard.web.proxy import nginx_config
from dashboard.web.server import THREADS_PER_WORKER
from db.ingest import ingest_file
from tests.server_process import STRONG_KEY, free_port, kill_group, running_server

PASSWORD = "a long enough password"
SLOW_CLIENTS = 20
TRICKLE_SECONDS = 12


@contextmanager
def running_nginx(upstream: str, workdir: Path) -> Iterator[str]:
    """nginx from the repository's template in front of ``upstream``; yields its base URL."""
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(binary).exists():
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run does)")
    runtime = workdir / "nginx"
    runtime.mkdir()
    port = free_port()
    config = runtime / "nginx.conf"
    config.write_text(nginx_config(f"127.0.0.1:{port}", upstream, 10 * 1024 * 1024, runtime))
    log = (runtime / "error.log").open("w")
    process = subprocess.Popen(
        [binary, "-c", str(config), "-p", str(runtime), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        kill_group(process)
        log.close()


@contextmanager
def slow_posts(base_url: str, count: int) -> Iterator[None]:
    """``count`` connections that announce a 1 MB sign-in form and send it a byte at a time."""
    host, port = base_url.removeprefix("http://").split(":")
    stop = threading.Event()
    sockets = []
    for _ in range(count):
        sock = socket.create_connection((host, int(port)), timeout=5)
        sock.sendall(
            f"POST /login HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            "Content-Length: 1000000\r\n\r\nu".encode()
        )
        sockets.append(sock)

    def trickle() -> None:
        deadline = time.monotonic() + TRICKLE_SECONDS
        while not stop.is_set() and time.monotonic() < deadline:
            for sock in sockets:
                with suppress(OSError):
                    sock.sendall(b"x")
            stop.wait(0.5)

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    time.sleep(0.5)  # let every request reach whoever reads it
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        for sock in sockets:
            sock.close()


def timed_get(url: str, opener=None, timeout: float = 1.0) -> tuple[int | None, float]:
    """(status or None when it did not answer within ``timeout``, seconds taken)."""
    opener = opener or urllib.request.build_opener()
    started = time.perf_counter()
    try:
        with opener.open(url, timeout=timeout) as response:
            response.read()
            return response.status, time.perf_counter() - started
    except (TimeoutError, OSError):
        return None, time.perf_counter() - started


def signed_in_opener(base_url: str) -> urllib.request.OpenerDirector:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base_url}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    form = f"username=maria&password={PASSWORD.replace(' ', '+')}&csrf_token={token}"
    opener.open(f"{base_url}/login", data=form.encode(), timeout=10).read()
    return opener


def timed_callback(base_url: str, opener, timeout: float = 1.0) -> tuple[int | None, float]:
    body = (
        b'{"output":"overview-kpis.children","outputs":{"id":"overview-kpis",'
        b'"property":"children"},"inputs":[{"id":"view-store","property":"data",'
        b'"value":{"dataset_id":null,"filters":{}}}],"changedPropIds":["view-store.data"],'
        b'"state":[]}'
    )
    request = urllib.request.Request(
        f"{base_url}/_dash-update-component",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=timeout) as response:
            response.read()
            return response.status, time.perf_counter() - started
    except (TimeoutError, OSError):
        return None, time.perf_counter() - started


def test_slow_clients_stall_gunicorn_alone_but_not_behind_nginx(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    write_csv(path, rows=300, seed=5)
    analyze_dataset(engine, ingest_file(engine, path).dataset_id)
    accounts.add_user(engine, "maria", PASSWORD, "viewer")
    url = engine.url.render_as_string(hide_password=False)
    env = {"SECRET_KEY": STRONG_KEY, "PROXY_HOPS": "1"}
    with running_server(url, tmp_path, workers=1, env=env) as (direct, _process):
        upstream = direct.removeprefix("http://")
        with running_nginx(upstream, tmp_path) as front:
            opener = signed_in_opener(front)
            assert timed_callback(front, opener)[0] == 200

            # Without the proxy: as many slow requests as a worker has threads hold them all.
            with slow_posts(direct, THREADS_PER_WORKER):
                stalled, _ = timed_get(f"{direct}/healthz")
            assert stalled is None, "gunicorn alone answered despite its threads being held"

            with slow_posts(front, SLOW_CLIENTS):
                health, health_seconds = timed_get(f"{front}/healthz")
                callback, callback_seconds = timed_callback(front, opener)
            assert (health, callback) == (200, 200)
            assert health_seconds < 1 and callback_seconds < 1
