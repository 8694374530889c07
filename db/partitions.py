"""A run's customer rows as a partition of its own (PostgreSQL, from migration 0011).

Writing a million rows into an indexed table keeps five indexes up to date row by row (16 s
at a million customers). Into a table of their own they go in without any index, which
``ATTACH PARTITION`` then builds in one sorted pass each (5 s all told). Replacing a run drops
its table instead of deleting its rows. Readers keep naming ``customer_results``; SQLite has
one plain table and none of this.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import Connection, text

PARENT = "customer_results"
PARTITION_NAME = re.compile(rf"{PARENT}_p(\d+)")
"""Names of the run tables; ``migrations/env.py`` leaves them out of the model comparison."""


def partition_name(run_id: int) -> str:
    return f"{PARENT}_p{int(run_id)}"


def partitioned(connection: Connection) -> bool:
    """Whether customer_results is partitioned here (PostgreSQL at revision 0011 or later)."""
    if connection.dialect.name != "postgresql":
        return False
    kind = connection.execute(
        text("SELECT relkind FROM pg_class WHERE oid = to_regclass(:parent)"), {"parent": PARENT}
    ).scalar()
    return kind == "p"


def create_run_table(connection: Connection, run_id: int) -> str:
    """A bare table shaped like customer_results (defaults, no index) for one run's rows.

    A table of that name can only be a leftover of a run id used before (``TRUNCATE ...
    RESTART IDENTITY`` empties the partitions but keeps them): the run is new, so it goes.
    """
    name = partition_name(run_id)
    connection.execute(text(f"DROP TABLE IF EXISTS {name}"))
    connection.execute(text(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)"))
    # Lets ATTACH skip the scan that proves every row belongs to the run.
    connection.execute(
        text(f"ALTER TABLE {name} ADD CONSTRAINT {name}_run CHECK (run_id = {int(run_id)})")
    )
    return name


def attach_run_table(connection: Connection, run_id: int) -> None:
    """Make the run's table its partition: PostgreSQL builds the parent's indexes on it."""
    name = partition_name(run_id)
    connection.execute(
        text(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} FOR VALUES IN ({int(run_id)})")
    )


def drop_run_tables(connection: Connection, run_ids: Iterable[int]) -> None:
    """Drop the partitions of runs about to be deleted (their rows go at once)."""
    for run_id in run_ids:
        connection.execute(text(f"DROP TABLE IF EXISTS {partition_name(run_id)}"))


def drop_dataset_run_tables(connection: Connection, dataset_ids: Iterable[int]) -> None:
    """Drop the partitions of every run of data sets about to be deleted."""
    if not partitioned(connection):
        return
    ids = [int(dataset_id) for dataset_id in dataset_ids]
    if not ids:
        return
    runs = connection.execute(
        text("SELECT id FROM analysis_runs WHERE dataset_id = ANY(:ids)"), {"ids": ids}
    ).scalars()
    drop_run_tables(connection, list(runs))
