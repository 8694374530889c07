"""Settings for the whole product, read from the environment in one place.

Every other module receives a :class:`Settings` object instead of reading ``os.environ``
itself, so tests can build their own settings and nothing changes behind a caller's back.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SQLITE_PATH = Path("data") / "streamflix.db"
DEFAULT_TITLE = "StreamFlix Customer Engagement Dashboard"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError as error:
        raise ValueError(f"{name} must be a whole number, got {raw!r}") from error


@dataclass(frozen=True)
class Settings:
    """What the product needs to know about where it runs."""

    database_url: str
    app_title: str = DEFAULT_TITLE
    max_upload_bytes: int = 500 * 1024 * 1024
    ingest_chunk_rows: int = 50_000
    secret_key: str | None = None
    cache_dir: Path = Path("data") / "cache"
    auth_required: bool = False  # always switched on when serving beyond loopback
    https: bool = False  # served behind HTTPS: session cookies get the Secure flag
    # How money is labelled ("$", "EUR"); None: the currency the data set's file was written in.
    currency: str | None = None
    # Reverse proxies in front (nginx: 1). Their X-Forwarded-For/-Proto are then believed
    # (the audit log records the user's address), and sign-in is on whatever the address.
    proxy_hops: int = 0
    # Background jobs (uploads, analyses) that run at once on this machine; others queue.
    # A million customers take about 1.3 GB and one core per job.
    job_slots: int = 2
    # Customer-list downloads that stream at once on this machine (each keeps a core busy).
    download_slots: int = 2

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of a SQLite URL (None for PostgreSQL or in-memory SQLite)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[-1]
        return None if path in ("", ":memory:") else Path(path)


MIN_SECRET_KEY_LENGTH = 32
# Keys published in documentation and samples (Flask, Superset, tutorials): anyone can sign
# cookies with them. Compared case-insensitively.
KNOWN_SAMPLE_KEYS = frozenset(
    key.lower()
    for key in (
        "dev",
        "development",
        "changeme",
        "change-me",
        "change_me",
        "secret",
        "secret-key",
        "secret_key",
        "secretkey",
        "supersecret",
        "mysecretkey",
        "your-secret-key",
        "your_secret_key",
        "test-secret",
        "192b9bdd22ab9ed4d12e236c78afcb9a393ec15f71bbf5dc987d54727823bcbf",  # Flask docs
        r'_5#y2L"F4Q8z\n\xec]/',  # Flask quickstart, as pasted into an environment
        r"\2\1thisismyscretkey\1\2\e\y\y\h",  # Superset's old default, as pasted
        "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",  # Superset docs
        "YOUR_OWN_RANDOM_GENERATED_SECRET_KEY",  # Superset docs
        "thisisasecretkeythatisatleast32characterslong",
    )
)
GENERATE_KEY_HINT = "python -c 'import secrets; print(secrets.token_hex(32))'"


def secret_key_problem(key: str | None) -> str | None:
    """Why ``key`` must not sign session cookies (None when it may).

    A short, published or repetitive key lets anyone forge a session for any user.
    """
    if not key:
        return "no SECRET_KEY is set"
    if key.lower() in KNOWN_SAMPLE_KEYS:
        return "the SECRET_KEY is a published sample value"
    if len(key) < MIN_SECRET_KEY_LENGTH:
        return f"the SECRET_KEY has {len(key)} characters, fewer than {MIN_SECRET_KEY_LENGTH}"
    if len(set(key)) < 8:
        return "the SECRET_KEY repeats a handful of characters"
    return None


def default_database_url(cwd: Path | None = None) -> str:
    """The embedded SQLite file under the working directory."""
    base = cwd or Path.cwd()
    return f"sqlite:///{(base / DEFAULT_SQLITE_PATH).as_posix()}"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from environment variables (``os.environ`` by default)."""
    env = os.environ if env is None else env
    max_mb = _int(env, "MAX_UPLOAD_MB", 500)
    return Settings(
        database_url=env.get("DATABASE_URL", "").strip() or default_database_url(),
        app_title=env.get("APP_TITLE", "").strip() or DEFAULT_TITLE,
        max_upload_bytes=max_mb * 1024 * 1024,
        ingest_chunk_rows=_int(env, "INGEST_CHUNK_ROWS", 50_000),
        secret_key=env.get("SECRET_KEY") or None,
        cache_dir=Path(env.get("CACHE_DIR", "").strip() or Path("data") / "cache"),
        auth_required=_flag(env, "AUTH_REQUIRED"),
        https=_flag(env, "HTTPS"),
        currency=env.get("CURRENCY", "").strip()[:8] or None,
        proxy_hops=_int(env, "PROXY_HOPS", 0),
        job_slots=max(1, _int(env, "JOB_SLOTS", 2)),
        download_slots=max(1, _int(env, "DOWNLOAD_SLOTS", 2)),
    )


def _flag(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}
