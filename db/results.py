"""SQL of the analysis job: read a data set's customers, write one complete run at once.

The run row, the customer results, the sample pool, the summaries, the clusters and the
filter cube are written in one transaction, which also removes the data set's previous runs:
readers see the old results or the new ones, never a mix, and a failure leaves the previous
run in place.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as arrow_csv
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Float,
    Integer,
    case,
    cast,
    column,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    table,
    text,
    update,
)

from db.bulk import copy_csv, frame_csv, frame_rows, insert_rows
from db.columns import CUBE_DIMENSIONS, CUBE_OTHER_VALUE, CUSTOMER_COLUMNS, VIEW_DIMENSIONS
from db.models import (
    AnalysisRun,
    ClusterAgreement,
    ClusterCentroid,
    ClusterSweep,
    Customer,
    CustomerResult,
    Dataset,
    FilterCube,
    SamplePoolRow,
    SegmentSummary,
    ViewCube,
)
from db.partitions import attach_run_table, create_run_table, drop_run_tables, partitioned
from db.queries import SAMPLE_COLUMNS

ANALYSED_COLUMNS = (
    "customer_id",
    "last_login",
    "watch_time_hours",
    "visit_frequency",
    "monthly_revenue",
)
"""The customers columns the analysis reads; the others are copied inside the database."""
COPIED_COLUMNS = (
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
"""customer_results' columns taken as they are from the customers row."""
COMPUTED_COLUMNS = (
    "days_since_last_login",
    "engagement_level",
    "segment",
    "r_score",
    "f_score",
    "m_score",
    "fm_score",
    "rfm_segment",
    "cluster",
    "discount_target",
    "target_reason",
    "discount_pct",
    "control_group",
    "sample_rank",
)
"""What the analysis adds per customer (cluster_name follows from the cluster)."""
LABELLED_COLUMNS = ("engagement_level", "segment", "rfm_segment", "target_reason")
"""Computed columns shipped as category codes (0, 1, ...; -1 for none) and stored as text."""
READ_BATCH = 200_000
WRITE_BATCH = 200_000
RESULT_COLUMNS = ("run_id", *CUSTOMER_COLUMNS, "sample_rank")
"""customer_results: the run, every column the dashboard shows and exports, the sample order."""


@dataclass(frozen=True)
class RunTables:
    """Everything one analysis run stores, as plain rows and frames (without the run id).

    ``customers`` holds ``row_id`` (the customers row) and COMPUTED_COLUMNS, the labelled
    ones as codes into ``labels[column]``; ``cluster_names[c]`` names cluster ``c``. The
    copied columns, the cubes and the sample pool (ranks below ``sample_pool``) are made
    from them inside the database. ``cube_values`` lists, for a capped cube dimension, the
    values the cube keeps apart (None: all of them).
    """

    run: dict[str, Any]
    customers: pd.DataFrame
    labels: dict[str, list[str]]
    cluster_names: list[str]
    sample_pool: int
    summaries: list[dict[str, Any]]
    centroids: list[dict[str, Any]]
    sweep: list[dict[str, Any]]
    agreement: list[dict[str, Any]]
    cube_values: dict[str, list[str] | None]


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
    """The data set's customers as the analytics functions need them, in load order.

    ``row_id`` (the customers row, to join the results back inside the database) and
    ANALYSED_COLUMNS only, streamed in batches of READ_BATCH: ten million customers never
    exist as Python tuples at once, and the names, countries and plans never leave the
    database. ``last_login`` travels as whole days since 1970-01-01.
    """
    if engine.dialect.name == "postgresql":
        return _copied_customers(engine, dataset_id)
    return _fetched_customers(engine, dataset_id)


# The data set's rows lie in one rowid range (one load, one transaction): read them by rowid,
# in order. Through the (dataset_id, gender) index SQLite visits them at random and sorts
# them afterwards, twice as slow. Dates are ISO text, parsed by numpy.
SQLITE_READ = (
    "SELECT id, customer_id, last_login, watch_time_hours, visit_frequency, monthly_revenue "
    "FROM customers NOT INDEXED WHERE dataset_id = ? AND id BETWEEN ? AND ? ORDER BY id"
)


def _fetched_customers(engine: Engine, dataset_id: int) -> pd.DataFrame:
    """SQLite: the rows fetched in batches of READ_BATCH into numpy columns."""
    pieces = []
    with engine.connect() as connection:
        table = Customer.__table__
        low, high = connection.execute(
            select(func.min(table.c.id), func.max(table.c.id)).where(
                table.c.dataset_id == dataset_id
            )
        ).one()
        cursor = connection.connection.driver_connection.cursor()
        try:
            cursor.execute(SQLITE_READ, (dataset_id, low or 0, high or 0))
            while rows := cursor.fetchmany(READ_BATCH):
                # One list per column (zip(*rows) is seven times slower on 200,000 rows).
                row_id, customer_id, logins, watch, visits, revenue = (
                    [row[position] for row in rows] for position in range(6)
                )
                pieces.append(
                    pd.DataFrame(
                        {
                            "row_id": np.array(row_id, dtype=np.int64),
                            "customer_id": pd.array(customer_id, dtype="str"),
                            "last_login": np.array(logins, dtype="datetime64[D]").astype(
                                "datetime64[s]"
                            ),
                            "watch_time_hours": np.array(watch, dtype=np.float64),
                            "visit_frequency": np.array(visits, dtype=np.float64),
                            "monthly_revenue": np.array(revenue, dtype=np.float64),
                        }
                    )
                )
        finally:
            cursor.close()
    if not pieces:
        return pd.DataFrame(columns=["row_id", *ANALYSED_COLUMNS])
    return pd.concat(pieces, ignore_index=True)


def _copied_customers(engine: Engine, dataset_id: int) -> pd.DataFrame:
    """PostgreSQL: the rows through COPY into a spool file, parsed by Arrow's CSV reader:
    four to five times faster than fetching rows, and the rows never become tuples."""
    table = Customer.__table__
    query = (
        select(
            table.c.id,
            table.c.customer_id,
            table.c.last_login - literal_column("DATE '1970-01-01'"),  # whole days
            table.c.watch_time_hours,
            table.c.visit_frequency,
            table.c.monthly_revenue,
        )
        .where(table.c.dataset_id == int(dataset_id))
        .order_by(table.c.id)
    )
    sql = str(query.compile(engine, compile_kwargs={"literal_binds": True}))
    types = {
        "row_id": pa.int64(),
        "customer_id": pa.string(),
        "last_login": pa.int32(),
        "watch_time_hours": pa.float64(),
        "visit_frequency": pa.float64(),
        "monthly_revenue": pa.float64(),
    }
    with tempfile.TemporaryDirectory(prefix="analysis-read-") as folder:
        spool = Path(folder) / "customers.csv"
        with engine.connect() as connection, spool.open("wb") as out:
            driver = connection.connection.driver_connection
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)") as copy,
            ):
                for block in copy:
                    out.write(block)
        rows = arrow_csv.read_csv(
            spool,
            read_options=arrow_csv.ReadOptions(column_names=list(types)),
            convert_options=arrow_csv.ConvertOptions(
                column_types=types, strings_can_be_null=False, quoted_strings_can_be_null=False
            ),
        )
    # self_destruct frees each Arrow column once converted: the peak stays near one copy.
    frame = rows.to_pandas(split_blocks=True, self_destruct=True)
    del rows
    frame["customer_id"] = frame["customer_id"].astype("str")
    frame["last_login"] = (
        frame["last_login"].to_numpy().astype("datetime64[D]").astype("datetime64[s]")
    )
    return frame


def dimension_counts(engine: Engine, dataset_id: int, column: str) -> dict[object, int]:
    """Customers per value of one customers column (None for missing), for the cube's cap."""
    table = Customer.__table__
    with engine.connect() as connection:
        rows = connection.execute(
            select(table.c[column], func.count())
            .where(table.c.dataset_id == dataset_id)
            .group_by(table.c[column])
        )
        return {value: int(count) for value, count in rows}


RUN_WORK_MEM = "256MB"
RUN_LOCK_SPACE = 7301  # advisory-lock namespace of "writing a data set's run"


def write_run(
    engine: Engine, dataset_id: int, tables: RunTables, seconds: dict[str, float] | None = None
) -> int:
    """Store a complete run and drop the data set's earlier runs, in one transaction.

    ``seconds``, when given, receives the time of each step (for the bench command).

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
            # This transaction joins, groups and indexes millions of rows: with the default
            # 4 MB each sort and hash spilled to disk (the cube's GROUP BY took a minute
            # at ten million customers). Local to this transaction.
            connection.execute(text(f"SET LOCAL work_mem = '{RUN_WORK_MEM}'"))
            connection.execute(text(f"SET LOCAL maintenance_work_mem = '{RUN_WORK_MEM}'"))
        run_id = connection.execute(
            insert(AnalysisRun).returning(AnalysisRun.id),
            {**tables.run, "dataset_id": dataset_id, "status": "running"},
        ).scalar_one()
        step = _Steps(seconds)
        partitioned_results = partitioned(connection)
        _write_customer_results(connection, run_id, tables, step, partitioned_results)
        _insert_rows(connection, SegmentSummary, run_id, tables.summaries)
        _write_clusters(connection, run_id, tables)
        _write_cubes(connection, run_id, tables.cube_values)
        step.done("cubes")
        earlier = AnalysisRun.dataset_id == dataset_id, AnalysisRun.id != run_id
        if partitioned_results:
            drop_run_tables(
                connection,
                connection.execute(select(AnalysisRun.id).where(*earlier)).scalars().all(),
            )
        connection.execute(delete(AnalysisRun).where(*earlier))
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
        step.done("replace and analyze")
    step.done("commit")
    return run_id


class _Steps:
    """Wall time between successive ``done`` calls, into an optional dict."""

    def __init__(self, seconds: dict[str, float] | None) -> None:
        self.seconds = seconds
        self.started = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        if self.seconds is not None:
            self.seconds[name] = now - self.started
        self.started = now


def _insert_rows(connection: Connection, model: type, run_id: int, rows: list[dict]) -> None:
    if rows:
        connection.execute(insert(model), [{"run_id": run_id, **row} for row in rows])


SHIPMENT = "run_shipment"
PACKED_COLUMNS = (
    "engagement_level",
    "segment",
    "r_score",
    "f_score",
    "m_score",
    "fm_score",
    "rfm_segment",
    "cluster",
    "discount_target",
    "target_reason",
    "control_group",
)
"""Small codes (-1 to 14) that travel packed, four bits each, into one integer: eleven columns
as one cuts the rows' transfer time by more than half (SQLite binds every parameter alone)."""
PACK_BITS = 4
SHIPPED_COLUMNS = ("row_id", "days_since_last_login", "discount_pct", "sample_rank", "packed")
_SHIPMENT_TYPES = {
    "row_id": "BIGINT",
    "days_since_last_login": "INTEGER",
    "discount_pct": "DOUBLE PRECISION",
    "sample_rank": "INTEGER",
    "packed": "BIGINT",
}


def packed_codes(frame: pd.DataFrame) -> np.ndarray:
    """PACKED_COLUMNS of ``frame`` in one int64 per row: column ``i`` holds its value + 1 in
    bits ``4 i`` to ``4 i + 3``. Raises ValueError for a value outside -1 to 14."""
    packed = np.zeros(len(frame), dtype=np.int64)
    for position, name in enumerate(PACKED_COLUMNS):
        values = frame[name].to_numpy().astype(np.int64) + 1
        if values.size and (values.min() < 0 or values.max() >= 1 << PACK_BITS):
            raise ValueError(f"{name} has a code outside -1..14")
        packed |= values << (PACK_BITS * position)
    return packed


def _unpacked(packed: ColumnElement, name: str) -> ColumnElement:
    """One column back out of :func:`packed_codes`' integer, in SQL."""
    shift = PACK_BITS * PACKED_COLUMNS.index(name)
    code = packed.op(">>")(shift).self_group().op("&")((1 << PACK_BITS) - 1).self_group() - 1
    if name in ("discount_target", "control_group"):
        return code == 1
    return code


def _write_customer_results(
    connection: Connection, run_id: int, tables: RunTables, step: _Steps, own_table: bool
) -> None:
    """Ship the computed columns to a temporary table, then build the run's customer rows
    and its sample pool inside the database: the copied columns never travel.

    Where customer_results is partitioned the rows go into the run's own bare table, which is
    then indexed and attached (see :mod:`db.partitions`).
    """
    columns = list(SHIPPED_COLUMNS)
    postgres = connection.dialect.name == "postgresql"
    definition = ", ".join(f"{name} {_SHIPMENT_TYPES[name]}" for name in columns)
    connection.execute(text(f"DROP TABLE IF EXISTS {SHIPMENT}"))
    connection.execute(
        text(
            f"CREATE TEMPORARY TABLE {SHIPMENT} ({definition})"
            + (" ON COMMIT DROP" if postgres else "")
        )
    )
    computed = tables.customers
    frame = pd.DataFrame({name: computed[name] for name in columns if name != "packed"})
    frame["packed"] = packed_codes(computed)
    pieces = (
        frame.iloc[start : start + WRITE_BATCH] for start in range(0, len(frame), WRITE_BATCH)
    )
    if postgres:
        copy_csv(connection, SHIPMENT, columns, (frame_csv(piece) for piece in pieces))
    else:
        insert_rows(connection, SHIPMENT, columns, (frame_rows(piece) for piece in pieces))
    del frame
    step.done("ship")

    shipped = table(SHIPMENT, *(column(name) for name in columns))
    customers = Customer.__table__
    results = CustomerResult.__table__
    values = {name: customers.c[name] for name in COPIED_COLUMNS}
    values.update({name: shipped.c[name] for name in columns if name in COMPUTED_COLUMNS})
    values.update({name: _unpacked(shipped.c.packed, name) for name in PACKED_COLUMNS})
    for name in LABELLED_COLUMNS:
        values[name] = _labels(values[name], tables.labels[name])
    values["cluster_name"] = _labels(values["cluster"], tables.cluster_names)
    values["run_id"] = literal(run_id, Integer)
    names = list(RESULT_COLUMNS)
    target = results
    if own_table:
        target = table(create_run_table(connection, run_id), *(column(name) for name in names))
    connection.execute(
        insert(target).from_select(
            names,
            select(*(values[name] for name in names))
            .select_from(shipped.join(customers, customers.c.id == shipped.c.row_id))
            .order_by(shipped.c.row_id),
        )
    )
    connection.execute(text(f"DROP TABLE {SHIPMENT}"))
    step.done("customer rows")
    if own_table:
        attach_run_table(connection, run_id)
        step.done("index and attach")

    # Written in sample order, so a sample is one short contiguous read (see SamplePoolRow).
    pool = SamplePoolRow.__table__
    connection.execute(
        insert(pool).from_select(
            list(SAMPLE_COLUMNS),
            select(*(results.c[name] for name in SAMPLE_COLUMNS))
            .where(results.c.run_id == run_id, results.c.sample_rank < tables.sample_pool)
            .order_by(results.c.sample_rank),
        )
    )
    step.done("sample pool")


def _labels(code: ColumnElement, labels: list[str]) -> ColumnElement:
    """The text of a shipped category code (NULL for -1 or any code without a label)."""
    return case({position: label for position, label in enumerate(labels)}, value=code)


def _write_cubes(
    connection: Connection, run_id: int, cube_values: dict[str, list[str] | None]
) -> None:
    """The filter cube from the run's customer rows and the view cube from the filter cube,
    by INSERT ... SELECT ... GROUP BY (see ``dashboard.analytics.cube`` for the definition).
    """
    results = CustomerResult.__table__
    dimensions: dict[str, ColumnElement] = {name: results.c[name] for name in CUBE_DIMENSIONS}
    for name, kept in cube_values.items():
        if kept is not None:
            value = results.c[name]
            dimensions[name] = case(
                (or_(value.is_(None), value.in_(kept)), value), else_=literal(CUBE_OTHER_VALUE)
            )
    grouped = [dimensions[name] for name in CUBE_DIMENSIONS]
    measures = {
        "customers": func.count(),
        "watch_time_hours_sum": func.sum(results.c.watch_time_hours),
        "days_since_last_login_sum": func.sum(cast(results.c.days_since_last_login, Float)),
        "visit_frequency_sum": func.coalesce(func.sum(results.c.visit_frequency), 0.0),
        "visit_frequency_count": func.count(results.c.visit_frequency),
        "monthly_revenue_sum": func.coalesce(func.sum(results.c.monthly_revenue), 0.0),
        "monthly_revenue_count": func.count(results.c.monthly_revenue),
    }
    connection.execute(
        insert(FilterCube.__table__).from_select(
            ["run_id", *CUBE_DIMENSIONS, *measures],
            select(literal(run_id, Integer), *grouped, *measures.values())
            .where(results.c.run_id == run_id)
            .group_by(*grouped),
        )
    )
    cube = FilterCube.__table__
    view_dimensions = [cube.c[name] for name in VIEW_DIMENSIONS]
    connection.execute(
        insert(ViewCube.__table__).from_select(
            ["run_id", *VIEW_DIMENSIONS, *measures],
            select(cube.c.run_id, *view_dimensions, *(func.sum(cube.c[m]) for m in measures))
            .where(cube.c.run_id == run_id)
            .group_by(cube.c.run_id, *view_dimensions),
        )
    )


def _write_clusters(connection: Connection, run_id: int, tables: RunTables) -> None:
    _insert_rows(connection, ClusterCentroid, run_id, tables.centroids)
    _insert_rows(connection, ClusterSweep, run_id, tables.sweep)
    _insert_rows(connection, ClusterAgreement, run_id, tables.agreement)
