"""``python -m dashboard`` as a user starts it: options on the bare command, a busy port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from dashboard.cli.main import build_parser
from tests.server_process import STRONG_KEY

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


def _serve_refusal(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dashboard", "serve", "--no-sample", *args],
        cwd=REPO,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_weak_secret_key_is_refused_in_one_sentence(tmp_path: Path) -> None:
    done = _serve_refusal(tmp_path, {"AUTH_REQUIRED": "1", "SECRET_KEY": "dev"})
    assert done.returncode == 2
    assert done.stderr == (
        "error: Refusing to serve with AUTH_REQUIRED=1: the SECRET_KEY is a published sample "
        "value. Set SECRET_KEY to a long random value (e.g. python -c 'import secrets; "
        "print(secrets.token_hex(32))'), the same on every server behind the load balancer.\n"
    )
    short = _serve_refusal(tmp_path, {"SECRET_KEY": "abcdefgh12345"}, "--host", "0.0.0.0")
    assert short.returncode == 2
    assert (
        "Refusing to serve on a non-loopback address: the SECRET_KEY has 13 characters, "
        "fewer than 32." in short.stderr
    )


def test_key_rules() -> None:
    from dashboard.config import secret_key_problem

    assert secret_key_problem(None) == "no SECRET_KEY is set"
    assert secret_key_problem("ChangeMe") == "the SECRET_KEY is a published sample value"
    assert secret_key_problem("CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET") == (
        "the SECRET_KEY is a published sample value"
    )
    assert secret_key_problem("ab" * 20) == "the SECRET_KEY repeats a handful of characters"
    assert secret_key_problem(STRONG_KEY) is None


def test_the_demo_shares_one_generated_key_between_workers(tmp_path: Path) -> None:
    from dashboard.config import Settings
    from dashboard.web.server import serving_settings

    settings = Settings(database_url="sqlite://", cache_dir=tmp_path / "cache")
    first = serving_settings(settings, "127.0.0.1")
    second = serving_settings(settings, "127.0.0.1")
    assert first.auth_required is False
    assert first.secret_key == second.secret_key and len(first.secret_key) == 64
    assert (tmp_path / "cache" / "demo_secret_key").stat().st_mode & 0o777 == 0o600
    # Sign-in on: the demo key is never used, a missing key is refused.
    from dashboard.web.server import ServeError

    try:
        serving_settings(settings, "0.0.0.0")
    except ServeError as error:
        assert "no SECRET_KEY is set" in str(error)
    else:
        raise AssertionError("served beyond loopback without a key")
