"""The reverse proxy the team's server runs behind: nginx, configured from one template.

See ``nginx.conf`` beside this module for why: it reads every request whole, with timeouts,
before gunicorn's worker threads see it, so slow clients cannot stall the dashboard.
"""

from __future__ import annotations

from pathlib import Path

TEMPLATE = Path(__file__).with_name("nginx.conf")


def nginx_config(listen: str, upstream: str, max_body_bytes: int, runtime_dir: Path) -> str:
    """A complete nginx.conf: listen on ``listen``, pass to ``upstream`` (host:port of
    ``serve``), accept bodies up to ``max_body_bytes``, keep pid and temp files in
    ``runtime_dir``."""
    values = {
        "LISTEN": listen,
        "UPSTREAM": upstream,
        "MAX_BODY": f"{max(1, -(-max_body_bytes // (1024 * 1024)))}m",
        "RUNTIME": str(runtime_dir),
    }
    text = TEMPLATE.read_text(encoding="utf-8")
    for key, value in values.items():
        text = text.replace("{{" + key + "}}", value)
    return text
