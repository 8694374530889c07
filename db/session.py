"""The one place that builds database engines and sessions, and migrates the schema."""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA busy_timeout=30000")  # first: the others may wait for a lock
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def make_engine(database_url: str, **kwargs) -> Engine:
    """An engine for ``database_url``: pre-ping on, SQLite with foreign keys and WAL.

    The SQLite parent directory is created so a fresh checkout can start with no setup.
    """
    if database_url.startswith("sqlite"):
        path = database_url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # No pool for a SQLite file: a connection is open only while it is used. Background
            # jobs are forked from the web process, and SQLite state inherited across fork()
            # (an open connection's lock bookkeeping) corrupts the file when the child writes.
            kwargs.setdefault("poolclass", NullPool)
        else:
            kwargs.setdefault("pool_pre_ping", True)
        engine = create_engine(database_url, **kwargs)
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
        return engine
    engine = create_engine(database_url, pool_pre_ping=True, **kwargs)
    _POOLED_ENGINES.add(engine)
    return engine


_POOLED_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def _forget_inherited_pools() -> None:
    """In a forked child: give every pooled engine a fresh pool, leaving the inherited
    connections untouched (they belong to the parent).

    Background jobs are forked from a web worker and inherit its pool: a job that reached
    for it (a page's code resolving the view) would share one socket with the worker, and
    both would wait forever for answers the other read. SQLAlchemy's advice for pools and
    fork: ``engine.dispose(close=False)`` in the child, done here for every fork.
    """
    for engine in list(_POOLED_ENGINES):
        engine.dispose(close=False)


os.register_at_fork(after_in_child=_forget_inherited_pools)


@contextmanager
def opened_engine(database_url: str) -> Iterator[Engine]:
    """An engine for one command, disposed at the end so no connection outlives it."""
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        engine.dispose()


def safe_url(database_url: str) -> str:
    """The URL as it may be printed: the password hidden."""
    return make_url(database_url).render_as_string(hide_password=True)


def ping(engine: Engine) -> None:
    """Run ``SELECT 1``; raises when the database cannot be reached."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


class StatementCounter:
    """Counts the SQL statements an engine sends while installed (for benchmarks and tests)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.count = 0

    def _seen(self, *_args: object) -> None:
        self.count += 1

    def __enter__(self) -> StatementCounter:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def alembic_config(database_url: str):
    """Alembic configuration pointing at ``migrations/`` for ``database_url``."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["database_url"] = database_url
    return config


def upgrade_database(database_url: str, revision: str = "head") -> None:
    """Create or migrate the schema to ``revision`` (the latest by default)."""
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
