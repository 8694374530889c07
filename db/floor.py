"""The bulk-load floor ingestion is measured against (``bench ingest``).

The floor is the fastest the database itself takes the same rows: the customers a data set
ended with, loaded into a bare copy of ``customers`` with the same unique constraint and
indexes and no foreign key, in one transaction (PostgreSQL: one COPY of CSV text prepared
beforehand; SQLite: one executemany of prepared tuples). Everything ingestion does beyond
that (reading, validating, resolving duplicates, the date-order pass) is the ratio.
"""

from __future__ import annotations

import json
import time

import pandas as pd
from sqlalchemy import Column, Engine, Index, MetaData, Table, UniqueConstraint, select

from db.bulk import copy_csv, csv_text, frame_rows, insert_rows
from db.models import Customer

FLOOR_TABLE = "bench_floor_customers"


def _floor_table(metadata: MetaData) -> Table:
    """A copy of ``customers``: same columns, unique constraint and indexes, no foreign key."""
    source: Table = Customer.__table__  # type: ignore[assignment]
    table = Table(
        FLOOR_TABLE,
        metadata,
        *[
            Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)
            for c in source.columns
        ],
        UniqueConstraint("dataset_id", "customer_id", name=f"uq_{FLOOR_TABLE}"),
    )
    for number, index in enumerate(sorted(source.indexes, key=lambda i: i.name or "")):
        Index(f"ix_{FLOOR_TABLE}_{number}", *[table.c[column.name] for column in index.columns])
    return table


def _stored_rows(engine: Engine, dataset_id: int) -> pd.DataFrame:
    """The data set's customers as stored (every column but the id), values as loaded."""
    source: Table = Customer.__table__  # type: ignore[assignment]
    columns = [column for column in source.columns if column.name != "id"]
    with engine.connect() as connection:
        rows = connection.execute(
            select(*columns).where(source.c.dataset_id == dataset_id).order_by(source.c.id)
        ).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=[c.name for c in columns])
    frame["extra"] = [None if value is None else json.dumps(value) for value in frame["extra"]]
    for name in ("join_date", "last_login"):
        frame[name] = [None if value is None else value.isoformat() for value in frame[name]]
    frame["age"] = frame["age"].astype("Int64")
    return frame


def floor_seconds(engine: Engine, dataset_id: int) -> tuple[int, float]:
    """(rows, seconds) of the bulk load of ``dataset_id``'s customers into a bare copy of the
    table (created first and dropped after; only the load is timed)."""
    frame = _stored_rows(engine, dataset_id)
    metadata = MetaData()
    table = _floor_table(metadata)
    table.drop(engine, checkfirst=True)
    table.create(engine)
    columns = list(frame.columns)
    try:
        if engine.dialect.name == "postgresql":
            prepared = csv_text(frame)  # before the clock starts
            with engine.begin() as connection:
                started = time.perf_counter()
                copy_csv(connection, FLOOR_TABLE, columns, [prepared])
        else:
            rows = frame_rows(frame)
            with engine.begin() as connection:
                started = time.perf_counter()
                insert_rows(connection, FLOOR_TABLE, columns, [rows])
        seconds = time.perf_counter() - started  # the commit included
    finally:
        table.drop(engine, checkfirst=True)
    return len(frame), seconds
