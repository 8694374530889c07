"""SQL of the analysis job: read a data set's customers, write one complete run at once.

The run row, the customer results, the sample pool, the summaries, the clusters and the
filter cube are written in one transaction, which also removes the data set's previous runs:
readers see the old results or the new ones, never a mix, and a failure leaves the previous
run in place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, text, update

from db.bulk import insert_frame, insert_pieces
from db.columns import CUSTOMER_COLUMNS
from db.models import (
    AnalysisRun,
    ClusterAgreement,
    ClusterCentroid,
    ClusterSweep,
    Dataset,
    SegmentSummary,
)
from db.queries import SAMPLE_COLUMNS

INPUT_COLUMNS = (
    "customer_id",
    "name",
    "gender",
    "age",
    "country",
    "plan",
    "last_login",
    "watch_time_hours",
    "visit_frequency",
    "monthly_revenue",
)
# customer_results: the run, every column the dashboard shows and exports, the sample order.
RESULT_COLUMNS = ("run_id", *CUSTOMER_COLUMNS, "sample_rank")
WRITE_BATCH = 100_000


@dataclass(frozen=True)
class RunTables:
    """Everything one analysis run stores, as plain rows and frames (without the run id).

    ``customers`` holds CUSTOMER_COLUMNS and ``sample_rank``; the customers whose rank is
    below ``sample_pool`` also go to the sample pool the dot charts read.
    """

    run: dict[str, Any]
    customers: pd.DataFrame
    sample_pool: int
    summaries: list[dict[str, Any]]
    centroids: list[dict[str, Any]]
    sweep: list[dict[str, Any]]
    agreement: list[dict[str, Any]]
    cube: pd.DataFrame
    view_cube: pd.DataFrame


def latest_dataset_id(engine: Engine) -> int | None:
    with engine.connect() as connection:
        return connection.execute(select(Dataset.id).order_by(Dataset.id.desc()).limit(1)).scalar()


def dataset_as_of(engine: Engine, dataset_id: int) -> date | None:
    """The data set's as-of date, or None when there is no such data set."""
    with engine.connect() as connection:
        return connection.execute(
            select(Dataset.as_of_date).where(Dataset.id == dataset_id)
        ).scalar()


def read_customers(engine: Engine, dataset_id: int) -> pd.DataFrame:
    """The data set's customers as the analytics functions expect them."""
    with engine.connect() as connection:
        result = connection.execute(
            text(
                f"SELECT {', '.join(INPUT_COLUMNS)} FROM customers WHERE dataset_id = :d ORDER BY id"
            ),
            {"d": dataset_id},
        )
        # Plain tuples: building a frame from Row objects is several times slower.
        frame = pd.DataFrame([tuple(row) for row in result], columns=list(INPUT_COLUMNS))
    frame["last_login"] = pd.to_datetime(frame["last_login"])
    for column in ("watch_time_hours", "visit_frequency", "monthly_revenue"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["age"] = pd.to_numeric(frame["age"], errors="coerce").astype("Int64")
    return frame


RUN_LOCK_SPACE = 7301  # advisory-lock namespace of "writing a data set's run"


def write_run(engine: Engine, dataset_id: int, tables: RunTables) -> int:
    """Store a complete run and drop the data set's earlier runs, in one transaction.

    Writers of one data set take turns (PostgreSQL: a transaction advisory lock on the data
    set; SQLite: its single write lock, taken by the first INSERT), so each sees the runs
    committed before it and deletes them: one complete run per data set, the last committed,
    which also has the highest id.
    """
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:space, :dataset)"),
                {"space": RUN_LOCK_SPACE, "dataset": dataset_id},
            )
        run_id = connection.execute(
            insert(AnalysisRun).returning(AnalysisRun.id),
            {**tables.run, "dataset_id": dataset_id, "status": "running"},
        ).scalar_one()
        _write_customer_results(connection, run_id, tables)
        _insert_rows(connection, SegmentSummary, run_id, tables.summaries)
        _write_clusters(connection, run_id, tables)
        cube = tables.cube.copy()
        cube.insert(0, "run_id", run_id)
        insert_frame(connection, "filter_cube", cube)
        view_cube = tables.view_cube.copy()
        view_cube.insert(0, "run_id", run_id)
        insert_frame(connection, "view_cube", view_cube)
        connection.execute(
            delete(AnalysisRun).where(
                AnalysisRun.dataset_id == dataset_id, AnalysisRun.id != run_id
            )
        )
        connection.execute(
            update(AnalysisRun)
            .where(AnalysisRun.id == run_id)
            .values(status="complete", finished_at=datetime.now(UTC))
        )
        if connection.dialect.name == "postgresql":
            # Fresh statistics, so the planner reads pages and samples through the indexes
            # instead of sorting a million freshly copied rows.
            connection.execute(
                text("ANALYZE customer_results, filter_cube, view_cube, sample_pool")
            )
    return run_id


def _insert_rows(connection: Connection, model: type, run_id: int, rows: list[dict]) -> None:
    if rows:
        connection.execute(insert(model), [{"run_id": run_id, **row} for row in rows])


def _write_customer_results(connection: Connection, run_id: int, tables: RunTables) -> None:
    frame = tables.customers.copy()
    frame["run_id"] = run_id
    frame = frame[list(RESULT_COLUMNS)]
    insert_pieces(
        connection,
        "customer_results",
        list(frame.columns),
        (frame.iloc[start : start + WRITE_BATCH] for start in range(0, len(frame), WRITE_BATCH)),
    )
    # Written in sample order, so a sample is one short contiguous read (see SamplePoolRow).
    pool = frame.loc[frame["sample_rank"] < tables.sample_pool, list(SAMPLE_COLUMNS)]
    insert_frame(connection, "sample_pool", pool.sort_values("sample_rank"))


def _write_clusters(connection: Connection, run_id: int, tables: RunTables) -> None:
    _insert_rows(connection, ClusterCentroid, run_id, tables.centroids)
    _insert_rows(connection, ClusterSweep, run_id, tables.sweep)
    _insert_rows(connection, ClusterAgreement, run_id, tables.agreement)
