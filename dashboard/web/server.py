"""Serving: gunicorn workers in front of the app, sign-in switched on beyond loopback.

Workers share nothing but the database (and the disk cache of background jobs on one host):
each builds its own app and engine after the fork, so no connection is shared between
processes and no per-process state changes what a user sees.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from gunicorn.app.base import BaseApplication

from dashboard.config import GENERATE_KEY_HINT, Settings, secret_key_problem

DEMO_KEY_FILE = "demo_secret_key"


class ServeError(Exception):
    """A server that must not start, with the reason."""


def is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serving_settings(settings: Settings, host: str) -> Settings:
    """Sign-in is mandatory beyond loopback, and then a strong SECRET_KEY must be set.

    The local demo without a key gets one generated key kept under the cache folder, so
    every worker signs (and checks) job handles and cookies alike.
    """
    behind_proxy = settings.proxy_hops > 0
    auth_required = settings.auth_required or not is_loopback(host) or behind_proxy
    if auth_required:
        where = (
            "on a non-loopback address"
            if not is_loopback(host)
            else "behind a proxy (PROXY_HOPS)"
            if behind_proxy and not settings.auth_required
            else "with AUTH_REQUIRED=1"
        )
        check_secret_key(settings.secret_key, where)
    elif not settings.secret_key:
        settings = replace(settings, secret_key=demo_secret_key(settings.cache_dir))
    return replace(settings, auth_required=auth_required)


def check_secret_key(key: str | None, where: str) -> None:
    """ServeError in one sentence when ``key`` is missing or weak."""
    problem = secret_key_problem(key)
    if problem:
        raise ServeError(
            f"Refusing to serve {where}: {problem}. Set SECRET_KEY to a long random value "
            f"(e.g. {GENERATE_KEY_HINT}), the same on every server behind the load balancer."
        )


def demo_secret_key(folder: Path) -> str:
    """The local demo's key: generated once, readable only by this user, shared by workers."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / DEMO_KEY_FILE
    if not path.exists():
        key = secrets.token_hex(32)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(key)
    return path.read_text().strip()


def check_port_free(host: str, port: int) -> None:
    """ServeError in one sentence when another program already listens on ``host:port``.

    Checked before anything starts, so a busy port is said plainly instead of a worker
    traceback after "Serving on ...". Bound the way gunicorn binds (SO_REUSEADDR), so a port
    that only lingers in TIME_WAIT counts as free.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except PermissionError as error:
            raise ServeError(
                f"Port {port} on {host} needs more rights than this user has: "
                "choose another with --port (e.g. --port 8050)."
            ) from error
        except OSError as error:
            raise ServeError(
                f"Port {port} on {host} is already in use (another dashboard or program "
                "listens there): stop it, or choose another port with --port."
            ) from error


class _Gunicorn(BaseApplication):
    def __init__(self, load_app: Callable[[], object], options: dict[str, object]) -> None:
        self._load_app = load_app
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self._options.items():
            self.cfg.set(key, value)

    def load(self):
        return self._load_app()


THREADS_PER_WORKER = 8
"""gunicorn threads per worker process: a streamed download waits on its client most of the
time, so a worker keeps threads for the pages while several downloads stream."""


def run_gunicorn(
    settings: Settings, host: str, port: int, workers: int, threads: int = THREADS_PER_WORKER
) -> None:
    """Block serving the app with gunicorn until stopped."""
    from dashboard.app import create_app

    options = {
        "bind": f"{host}:{port}",
        "workers": max(1, workers),
        "threads": max(1, threads),
        "worker_class": "gthread",
        "timeout": 120,
        "graceful_timeout": 20,
        "accesslog": "-",
        "errorlog": "-",
        "loglevel": "info",
        # One control socket path is shared by every gunicorn on the machine; not needed here.
        "control_socket_disable": True,
    }
    _Gunicorn(lambda: create_app(settings).server, options).run()
