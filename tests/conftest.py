"""Shared fixtures: real databases (SQLite always, PostgreSQL when a server answers).

The database under test follows ``DATABASE_URL`` like the product does: unset means a new
SQLite file; a PostgreSQL URL means a new scratch database created on that server (never
the database named in the URL, so running the tests cannot wipe real data). PostgreSQL
tests skip when no server answers, unless ``REQUIRE_POSTGRES=1`` turns that into a failure.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import dash
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from db.session import make_engine, upgrade_database

DEFAULT_POSTGRES_URL = "postgresql+psycopg://root@127.0.0.1:5432/postgres"
DATA_DIR = Path(__file__).parent / "data"
REAL_DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
CHROME_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--disable-quic",
    "--window-size=1440,1000",
    "--force-prefers-reduced-motion",
]


def pytest_setup_options():
    from selenium.webdriver.chrome.options import Options

    options = Options()
    options.binary_location = os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    return options


def postgres_required() -> bool:
    return os.environ.get("REQUIRE_POSTGRES", "") == "1"


def _postgres_server_url() -> str:
    configured = os.environ.get("DATABASE_URL", "")
    if configured.startswith("postgresql"):
        return configured
    return os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


def _unavailable(reason: str) -> None:
    if postgres_required():
        pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Engine]:
    """An AUTOCOMMIT connection pool to the PostgreSQL server, for creating scratch databases."""
    url = make_url(_postgres_server_url())
    admin = create_engine(url, isolation_level="AUTOCOMMIT", pool_pre_ping=True)
    try:
        with admin.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        admin.dispose()
        _unavailable(f"no PostgreSQL server answers at {url.render_as_string()}: {error}")
    yield admin
    admin.dispose()


def _scratch_postgres(admin: Engine) -> Iterator[str]:
    name = f"dash_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgresql_url(postgres_server: Engine) -> Iterator[str]:
    """A migrated scratch PostgreSQL database for this test session."""
    for url in _scratch_postgres(postgres_server):
        upgrade_database(url)
        yield url


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite database file for this test session."""
    url = f"sqlite:///{(tmp_path_factory.mktemp('sqlite') / 'test.db').as_posix()}"
    upgrade_database(url)
    return url


@pytest.fixture(scope="session")
def database_url(request: pytest.FixtureRequest) -> str:
    """The database under test, following DATABASE_URL (SQLite when unset)."""
    if os.environ.get("DATABASE_URL", "").startswith("postgresql"):
        return request.getfixturevalue("postgresql_url")
    return request.getfixturevalue("sqlite_url")


def _empty_all_tables(engine: Engine) -> None:
    from db.models import Base

    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))
    from dashboard.analytics.messaging import DEFAULT_STRATEGIES
    from db.seeds import insert_missing_strategies

    insert_missing_strategies(engine, DEFAULT_STRATEGIES)


def _engine_for(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    _empty_all_tables(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An empty, migrated database of the backend under test."""
    yield from _engine_for(database_url)


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    yield from _engine_for(sqlite_url)


@pytest.fixture
def postgresql_engine(postgresql_url: str) -> Iterator[Engine]:
    yield from _engine_for(postgresql_url)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request: pytest.FixtureRequest) -> Engine:
    """Each backend in turn, for tests that must give the same answer on both."""
    return request.getfixturevalue(f"{request.param}_engine")


def chromium_available() -> bool:
    return (
        shutil.which("chromedriver") is not None
        and Path(os.environ.get("CHROMIUM_BIN", "/usr/bin/chromium")).exists()
    )


def real_data_file(name: str) -> Path:
    """A file of ../shared/data/real, or a skip when the shared folder is not beside the repo."""
    path = REAL_DATA_DIR / name
    if not path.exists():
        pytest.skip(f"{path} is not available (the shared data folder is missing)")
    return path


@pytest.fixture
def make_app(engine: Engine, tmp_path: Path) -> Iterator[Callable[..., dash.Dash]]:
    """A factory for the app on the database under test: ``make_app(auth_required=True)``.

    Every app gets a fresh page registry (one Dash app per process at a time), its own
    background-job cache under ``tmp_path``, and its engine disposed after the test. The one
    app fixture of the suite: integration tests, HTTP callback tests and browser tests use it.
    """
    from dashboard.app import create_app
    from dashboard.config import Settings

    apps: list[dash.Dash] = []

    def factory(**overrides: object) -> dash.Dash:
        dash.page_registry.clear()
        settings = {
            "database_url": engine.url.render_as_string(hide_password=False),
            "cache_dir": tmp_path / "cache",
            "secret_key": "test-secret",
            **overrides,
        }
        app = create_app(Settings(**settings))
        apps.append(app)
        return app

    factory.apps = apps  # type: ignore[attr-defined]
    yield factory
    for app in apps:
        app.server.extensions["dashboard_engine"].dispose()


@pytest.fixture
def callbacks(make_app: Callable[..., dash.Dash]):
    """A :class:`CallbackClient` on a fresh app (sign-in off: the local demo admin)."""
    from dashboard.web.callback_client import CallbackClient

    return CallbackClient(make_app())
