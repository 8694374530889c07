"""Run the real server (``python -m dashboard serve``) as a child process for a test.

Only 127.0.0.1 is used; the process group is always killed when the test ends.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# A key the server accepts for sign-in (long, random-looking, unpublished); tests only.
STRONG_KEY = "f3b9c2a1d8e7465f9b0a1c2d3e4f5a6b7c8d9e0f1a2b3c4d"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(
    url: str, body: dict | None = None, timeout: float = 30, headers: dict | None = None
) -> tuple[int, bytes]:
    """(status, body) of a GET, or of a JSON POST when ``body`` is given."""
    data = None if body is None else json.dumps(body).encode()
    merged = {"Content-Type": "application/json"} if body is not None else {}
    merged.update(headers or {})
    req = urllib.request.Request(url, data=data, headers=merged, method="POST" if data else "GET")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def request_bytes(
    url: str, data: bytes, headers: dict | None = None, timeout: float = 60
) -> tuple[int, bytes]:
    """(status, body) of a POST of raw bytes (a file to ``/upload``)."""
    merged = {"Content-Type": "application/octet-stream", **(headers or {})}
    req = urllib.request.Request(url, data=data, headers=merged, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_healthy(base_url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, _ = request(f"{base_url}/healthz", timeout=2)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{base_url} did not become healthy within {seconds} s")


@contextmanager
def running_server(
    database_url: str, workdir: Path, workers: int = 2, env: dict[str, str] | None = None
) -> Iterator[tuple[str, subprocess.Popen]]:
    """A server on a free loopback port (extra environment in ``env``); yields its base URL
    and process."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "CACHE_DIR": str(workdir / "cache"),
        **(env or {}),
    }
    log = (workdir / f"server-{port}.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dashboard",
            "serve",
            "--port",
            str(port),
            "--no-sample",
            "--workers",
            str(workers),
        ],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base_url = f"http://127.0.0.1:{port}"
    log_path = Path(log.name)
    try:
        wait_healthy(base_url)
        yield base_url, process
    except BaseException:
        # Show why the server misbehaved: its own log ends up in the test report.
        log.flush()
        print(f"--- server log {log_path} (last 60 lines) ---")
        print("\n".join(log_path.read_text(errors="replace").splitlines()[-60:]))
        raise
    finally:
        kill_group(process)
        log.close()


def kill_group(process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Kill the server and every process it started (workers, background jobs)."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
    process.wait(timeout=30)
