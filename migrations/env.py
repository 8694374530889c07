"""Alembic environment: the URL comes from the product's settings (DATABASE_URL)."""

from __future__ import annotations

from alembic import context
from sqlalchemy.pool import NullPool

from dashboard.config import load_settings
from db.models import Base
from db.partitions import PARTITION_NAME
from db.session import make_engine

config = context.config
target_metadata = Base.metadata


def database_url() -> str:
    return config.attributes.get("database_url") or load_settings().database_url


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(database_url(), poolclass=NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _include_name(name: str | None, type_: str, _parents: dict) -> bool:
    """Leave the run partitions of customer_results out of the model comparison."""
    return not (type_ == "table" and PARTITION_NAME.fullmatch(name or ""))


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_name=_include_name,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
