"""``bench load`` really serves, really loads, stops by itself, and counts what failed."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from dashboard.services.job_slots import piece_slot


def test_bench_load_runs_users_against_a_real_server_and_reports_json(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'load.db').as_posix()}"
    started = time.monotonic()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "dashboard",
            "bench",
            "load",
            "--rows",
            "400",
            "--users",
            "3",
            "--seconds",
            "6",
            "--think-seconds",
            "0.2",
            "--download-every",
            "2",
            "--streams",
            "1",
            "--database-url",
            url,
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    figures = json.loads(done.stdout)
    assert figures["customers"] == 400 and figures["errors"] == 0
    assert figures["users"] == 3 and figures["workers"] == 2
    kinds = figures["kinds"]
    assert {"page", "layout", "callback", "download", "full list"} <= set(kinds)
    assert kinds["callback"]["requests"] > 10
    assert kinds["callback"]["p50_ms"] <= kinds["callback"]["p95_ms"] <= kinds["callback"]["p99_ms"]
    assert time.monotonic() - started < 150  # it stops by itself


def test_pieces_take_turns_within_their_slots(tmp_path: Path) -> None:
    """Never more pieces at once than slots, across threads (and processes: OS locks)."""
    busy, most = [0], [0]
    guard = threading.Lock()

    def worker() -> None:
        for _ in range(20):
            with piece_slot(tmp_path, 2):
                with guard:
                    busy[0] += 1
                    most[0] = max(most[0], busy[0])
                time.sleep(0.002)
                with guard:
                    busy[0] -= 1

    threads = [threading.Thread(target=worker) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert most[0] == 2
