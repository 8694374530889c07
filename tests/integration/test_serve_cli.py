"""``python -m dashboard`` as a user starts it: options on the bare command, a busy port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from dashboard.cli.main import build_parser

REPO = Path(__file__).resolve().parents[2]


def test_serve_options_work_on_the_bare_command_and_after_serve() -> None:
    parse = build_parser().parse_args
    bare = parse(["--port", "8150"])
    assert (bare.command, bare.host, bare.port) == (None, "127.0.0.1", 8150)
    assert parse(["serve", "--port", "9000", "--workers", "3"]).port == 9000
    assert parse(["--port", "8150", "serve"]).port == 8150  # not reset by serve's defaults
    assert (parse([]).port, parse([]).workers, parse(["serve"]).host) == (8050, 2, "127.0.0.1")


def test_serve_help_shows_the_defaults() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dashboard", "serve", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    text = done.stdout
    for expected in ("(default: 127.0.0.1)", "(default: 8050)", "(default: 2)"):
        assert expected in text


def test_a_busy_port_is_one_clear_sentence(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}"}
        done = subprocess.run(
            [sys.executable, "-m", "dashboard", "--port", str(port), "--no-sample"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (
        f"error: Port {port} on 127.0.0.1 is already in use (another dashboard or program "
        "listens there): stop it, or choose another port with --port.\n"
    )
