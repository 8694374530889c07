"""A loader process killed in the middle of a write leaves no trace, and the next run is clean."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from dashboard.services.sample_data import write_csv
from db.ingest import IngestOptions, ingest_file
from tests.integration.test_ingest import table_counts

REPO = Path(__file__).resolve().parents[2]
ROWS = 60_000


def test_killed_ingestion_leaves_nothing_and_the_file_loads_afterwards(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    write_csv(path, rows=ROWS, seed=3)
    before = table_counts(engine)
    env = {
        **os.environ,
        "DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "INGEST_CHUNK_ROWS": "5000",
    }
    with subprocess.Popen(
        [sys.executable, "-m", "dashboard", "ingest", str(path)],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stderr is not None
        deadline = time.monotonic() + 60
        seen = ""
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            seen += line
            if line.startswith("read 10,000 rows") or not line:
                break
        # Two chunks are written and the third is under way: kill it mid-transaction.
        assert "read 10,000 rows" in seen, seen
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    assert table_counts(engine) == before
    result = ingest_file(engine, path, IngestOptions(chunk_rows=20_000))
    assert (result.rows_loaded, result.rows_rejected) == (ROWS, 0)
