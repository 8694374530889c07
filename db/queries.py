"""Read queries for the command line and the dashboard: small frames, computed in SQL.

Every query reads the latest complete analysis run of a data set. Aggregates come from the
pre-aggregated ``filter_cube`` (a few thousand rows whatever the number of customers), except
when a customer ID is chosen, which only ``customer_results`` can answer. Rows are read a page
at a time. Filter values always travel as bound parameters.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache, lru_cache
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Select,
    Table,
    and_,
    case,
    delete,
    false,
    func,
    literal,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from db.columns import (
    CUBE_CAPPED_DIMENSIONS,
    CUBE_OTHER_VALUE,
    CUSTOMER_COLUMNS,
    EDITABLE_MESSAGING_COLUMNS,
    MESSAGING_COLUMNS,
    VIEW_CUBE_DIMENSIONS,
    storable_id,
)
from db.filters import MULTI_VALUE_FILTERS, NULL_TOKEN, Filters
from db.models import (
    AnalysisRun,
    ChurnLabel,
    ClusterAgreement,
    ClusterCentroid,
    ClusterSweep,
    CustomerResult,
    Dataset,
    FilterCube,
    MessagingStrategy,
    RejectedRow,
    SamplePoolRow,
    SegmentSummary,
    ViewCube,
)
from db.partitions import drop_dataset_run_tables

CUBE: Table = FilterCube.__table__  # type: ignore[assignment]
VIEW_CUBE: Table = ViewCube.__table__  # type: ignore[assignment]
RESULTS: Table = CustomerResult.__table__  # type: ignore[assignment]
SAMPLE: Table = SamplePoolRow.__table__  # type: ignore[assignment]
SAMPLE_COLUMNS = tuple(column.name for column in SAMPLE.columns)
MEASURES = (
    "customers",
    "watch_time_hours_sum",
    "days_since_last_login_sum",
    "visit_frequency_sum",
    "visit_frequency_count",
    "monthly_revenue_sum",
    "monthly_revenue_count",
    "targets",
    "control",
)


@dataclass(frozen=True)
class RunInfo:
    """The analysis run the dashboard shows, with what its pages need to explain it."""

    run_id: int
    dataset_id: int
    dataset_name: str
    source_file: str
    as_of: date
    customers: int
    targets: int
    k_used: int
    adjusted_rand_index: float | None
    silhouette: float | None
    frequency_available: bool
    revenue_available: bool
    currency: str | None  # what the file's revenue was written in, None when it named none
    thresholds: dict[str, Any]
    parameters: dict[str, Any]


def list_datasets(engine: Engine) -> pd.DataFrame:
    """Every data set, newest first: id, name, file, as-of, rows loaded and rejected, when,
    and its complete analysis run (None: loaded but not analysed, e.g. a crash mid-analysis)."""
    complete = (
        select(func.max(AnalysisRun.id))
        .where(AnalysisRun.dataset_id == Dataset.id, AnalysisRun.status == "complete")
        .scalar_subquery()
    )
    query = select(
        Dataset.id,
        Dataset.name,
        Dataset.source_file.label("file"),
        Dataset.as_of_date.label("as_of"),
        Dataset.rows_loaded,
        Dataset.rows_rejected,
        Dataset.ingested_at,
        complete.label("run_id"),
    ).order_by(Dataset.id.desc())
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "id",
            "name",
            "file",
            "as_of",
            "rows_loaded",
            "rows_rejected",
            "ingested_at",
            "run_id",
        ],
    )
    frame["ingested_at"] = frame["ingested_at"].map(
        lambda value: value.strftime("%Y-%m-%d %H:%M") if value is not None else ""
    )
    return frame


def dataset_of_file(engine: Engine, sha256: str) -> tuple[int, int | None] | None:
    """The data set loaded from the file with this SHA-256 and its complete run (or None)."""
    complete = (
        select(func.max(AnalysisRun.id))
        .where(AnalysisRun.dataset_id == Dataset.id, AnalysisRun.status == "complete")
        .scalar_subquery()
    )
    with engine.connect() as connection:
        row = connection.execute(
            select(Dataset.id, complete).where(Dataset.sha256 == sha256)
        ).first()
    return None if row is None else (int(row[0]), None if row[1] is None else int(row[1]))


def find_dataset(engine: Engine, reference: str) -> int | None:
    """A data set by id (digits) or by name (the newest of that name); None when none."""
    text_ref = reference.strip()
    query = select(Dataset.id)
    if text_ref.isdigit():
        if not storable_id(int(text_ref)):
            return None
        query = query.where(Dataset.id == int(text_ref))
    else:
        query = query.where(Dataset.name == text_ref).order_by(Dataset.id.desc()).limit(1)
    with engine.connect() as connection:
        return connection.execute(query).scalar()


def dataset_file(engine: Engine, dataset_id: int) -> tuple[str, str] | None:
    """(source file name, SHA-256 of its bytes) of a data set, or None when it is gone."""
    if not storable_id(dataset_id):
        return None
    with engine.connect() as connection:
        row = connection.execute(
            select(Dataset.source_file, Dataset.sha256).where(Dataset.id == dataset_id)
        ).first()
    return None if row is None else (row[0], row[1])


def count_datasets(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Dataset)).scalar_one()


def delete_datasets_from_file(engine: Engine, source_file: str) -> None:
    """Remove every data set loaded from a file of that name (benchmarks reuse their file)."""
    with engine.begin() as connection:
        ids = connection.execute(select(Dataset.id).where(Dataset.source_file == source_file))
        dataset_ids = ids.scalars().all()
        drop_dataset_run_tables(connection, dataset_ids)
        _delete_churn_labels(connection, dataset_ids)
        connection.execute(delete(Dataset).where(Dataset.source_file == source_file))


def _delete_churn_labels(connection: Connection, dataset_ids: Sequence[int]) -> None:
    """Labels of, or made against, these data sets (they carry no foreign keys)."""
    if dataset_ids:
        connection.execute(
            delete(ChurnLabel).where(
                or_(
                    ChurnLabel.dataset_id.in_(dataset_ids),
                    ChurnLabel.next_dataset_id.in_(dataset_ids),
                )
            )
        )


def first_customer_id(engine: Engine, run_id: int) -> str | None:
    """Some customer of the run (benchmarks look one up)."""
    with engine.connect() as connection:
        return connection.execute(
            select(CustomerResult.customer_id).where(CustomerResult.run_id == run_id).limit(1)
        ).scalar()


def rejected_rows(engine: Engine, dataset_id: int) -> pd.DataFrame:
    """The rejected rows of a data set in file order: line_number, reason, raw_line."""
    query = (
        select(RejectedRow.line_number, RejectedRow.reason, RejectedRow.raw_line)
        .where(RejectedRow.dataset_id == dataset_id)
        .order_by(RejectedRow.line_number, RejectedRow.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(rows, columns=["line_number", "reason", "raw_line"])


def active_run_id(engine: Engine, dataset_id: int | None = None) -> int | None:
    """The id of the complete run of ``dataset_id``, or of the newest analysed data set."""
    query = (
        select(AnalysisRun.id)
        .where(AnalysisRun.status == "complete")
        .order_by(AnalysisRun.dataset_id.desc(), AnalysisRun.id.desc())
        .limit(1)
    )
    if dataset_id is not None:
        if not storable_id(dataset_id):
            return None
        query = query.where(AnalysisRun.dataset_id == dataset_id)
    with engine.connect() as connection:
        return connection.execute(query).scalar()


def active_run(engine: Engine, dataset_id: int | None = None) -> RunInfo | None:
    """The complete run of ``dataset_id``, or of the newest analysed data set when None.

    One small indexed query finds the run id; the run's description comes from a cache keyed
    by run id (a complete run never changes and run ids are never reused), as a fresh copy.
    """
    run_id = active_run_id(engine, dataset_id)
    if run_id is None:
        return None
    info = _run_info(engine, run_id)
    if info is None:
        return None
    return replace(
        info, thresholds=copy.deepcopy(info.thresholds), parameters=copy.deepcopy(info.parameters)
    )


@lru_cache(maxsize=256)
def _run_info(engine: Engine, run_id: int) -> RunInfo | None:
    query = (
        select(AnalysisRun, Dataset.name, Dataset.source_file, Dataset.currency)
        .join(Dataset, Dataset.id == AnalysisRun.dataset_id)
        .where(AnalysisRun.id == run_id, AnalysisRun.status == "complete")
    )
    with Session(engine) as session:
        row = session.execute(query).first()
    if row is None:
        return None
    run, name, source_file, currency = row
    return RunInfo(
        run_id=run.id,
        dataset_id=run.dataset_id,
        dataset_name=name,
        source_file=source_file,
        as_of=run.as_of_date,
        customers=run.customer_count,
        targets=run.target_count,
        k_used=run.k_used,
        adjusted_rand_index=run.adjusted_rand_index,
        silhouette=run.silhouette,
        frequency_available=run.frequency_available,
        revenue_available=run.revenue_available,
        currency=currency,
        thresholds=dict(run.thresholds or {}),
        parameters=dict(run.parameters or {}),
    )


def filter_conditions(table: Table, filters: Filters) -> list[ColumnElement[bool]]:
    """WHERE conditions for the chosen filter values and customer id on ``table``.

    The one translation of filters into SQL: the results, the cube and campaign members all
    name their dimensions alike; NULL_TOKEN stands for a missing country or plan.
    """
    conditions: list[ColumnElement[bool]] = []
    for name, values in filters.chosen().items():
        column = table.c[name]
        present = [value for value in values if value != NULL_TOKEN]
        options = [column.in_(present)] if present else []
        if NULL_TOKEN in values:
            options.append(column.is_(None))
        conditions.append(or_(*options))
    if filters.customer_id:
        conditions.append(table.c.customer_id == filters.customer_id)
    return conditions


def _conditions(table: Table, run_id: int, filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [table.c.run_id == run_id]
    conditions.extend(filter_conditions(table, filters))
    if filters.targets_only:
        conditions.append(table.c.discount_target.is_(true()))
    if filters.control is not None:
        conditions.append(table.c.control_group.is_(true() if filters.control else false()))
    return conditions


@cache  # one entry per table: customer rows and the two cubes
def _measures(table: Table) -> tuple[ColumnElement[Any], ...]:
    """The same measures from the cube (sums of sums) or from customer rows (built once per
    table: expressions are immutable, and building them cost more than the query)."""
    return tuple(_measure_list(table))


def _measure_list(table: Table) -> list[ColumnElement[Any]]:
    if table is not RESULTS:  # a cube: sums of sums
        customers = table.c.customers
        return [
            func.coalesce(func.sum(customers), 0).label("customers"),
            func.coalesce(func.sum(table.c.watch_time_hours_sum), 0.0).label(
                "watch_time_hours_sum"
            ),
            func.coalesce(func.sum(table.c.days_since_last_login_sum), 0.0).label(
                "days_since_last_login_sum"
            ),
            func.coalesce(func.sum(table.c.visit_frequency_sum), 0.0).label("visit_frequency_sum"),
            func.coalesce(func.sum(table.c.visit_frequency_count), 0).label(
                "visit_frequency_count"
            ),
            func.coalesce(func.sum(table.c.monthly_revenue_sum), 0.0).label("monthly_revenue_sum"),
            func.coalesce(func.sum(table.c.monthly_revenue_count), 0).label(
                "monthly_revenue_count"
            ),
            func.coalesce(
                func.sum(case((table.c.discount_target.is_(true()), customers), else_=0)), 0
            ).label("targets"),
            func.coalesce(
                func.sum(case((table.c.control_group.is_(true()), customers), else_=0)), 0
            ).label("control"),
        ]
    one = literal(1)
    return [
        func.count().label("customers"),
        func.coalesce(func.sum(table.c.watch_time_hours), 0.0).label("watch_time_hours_sum"),
        func.coalesce(func.sum(table.c.days_since_last_login), 0.0).label(
            "days_since_last_login_sum"
        ),
        func.coalesce(func.sum(table.c.visit_frequency), 0.0).label("visit_frequency_sum"),
        func.count(table.c.visit_frequency).label("visit_frequency_count"),
        func.coalesce(func.sum(table.c.monthly_revenue), 0.0).label("monthly_revenue_sum"),
        func.count(table.c.monthly_revenue).label("monthly_revenue_count"),
        func.coalesce(func.sum(case((table.c.discount_target.is_(true()), one), else_=0)), 0).label(
            "targets"
        ),
        func.coalesce(func.sum(case((table.c.control_group.is_(true()), one), else_=0)), 0).label(
            "control"
        ),
    ]


def aggregate(
    engine: Engine, run_id: int, filters: Filters, by: Sequence[str] = ()
) -> pd.DataFrame:
    """Counts, sums and averages of the filtered customers, grouped by ``by`` columns.

    Columns: ``by``..., the MEASURES, and avg_watch_time_hours, avg_days_since_last_login,
    avg_visit_frequency, avg_monthly_revenue (NaN where nothing to average).
    """
    table = _table_for(engine, run_id, filters, by)
    group = [table.c[name] for name in by]
    query = select(*group, *_measures(table)).where(and_(*_conditions(table, run_id, filters)))
    if group:
        query = query.group_by(*group).order_by(*group)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return _measures_frame(rows, by)


COUNT_MEASURES = frozenset(
    ("customers", "visit_frequency_count", "monthly_revenue_count", "targets", "control")
)
AVERAGES = (
    ("avg_watch_time_hours", "watch_time_hours_sum", "customers"),
    ("avg_days_since_last_login", "days_since_last_login_sum", "customers"),
    ("avg_visit_frequency", "visit_frequency_sum", "visit_frequency_count"),
    ("avg_monthly_revenue", "monthly_revenue_sum", "monthly_revenue_count"),
)
"""(average, sum, count it divides by): NaN where the count is zero."""


def _measures_frame(rows: Sequence[Any], by: Sequence[str]) -> pd.DataFrame:
    """The frame of ``aggregate`` from its rows, built column by column with numpy (one
    DataFrame construction: building it first and converting column by column cost more
    than the query). Groups without customers are dropped."""
    names = [*by, *MEASURES]
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    data: dict[str, Any] = {}
    for name, values in zip(names, columns, strict=True):
        if name in by:
            data[name] = np.array(values, dtype=object)
        else:
            data[name] = np.array(values, dtype=np.int64 if name in COUNT_MEASURES else float)
    if by:
        keep = data["customers"] > 0
        data = {name: values[keep] for name, values in data.items()}
    for average, total, count in AVERAGES:
        counts = data[count]
        data[average] = np.divide(
            data[total], counts, out=np.full(len(counts), np.nan), where=counts > 0
        )
    return pd.DataFrame(data)


def with_averages(frame: pd.DataFrame) -> pd.DataFrame:
    """Add per-customer averages to a frame of MEASURES (NaN where the count is zero)."""
    frame = frame.copy()
    for average, total, count in AVERAGES:
        counts = frame[count].where(frame[count] > 0)
        frame[average] = frame[total] / counts
    return frame


def _table_for(engine: Engine, run_id: int, filters: Filters, by: Sequence[str]) -> Table:
    """The smallest table that answers: the view cube when it has the grouping (it has every
    filter), else the filter cube, else the customer rows (one customer, a grouped value)."""
    if _needs_customer_rows(engine, run_id, filters, by):
        return RESULTS
    return VIEW_CUBE if set(by) <= VIEW_CUBE_DIMENSIONS else CUBE


def _needs_customer_rows(engine: Engine, run_id: int, filters: Filters, by: Sequence[str]) -> bool:
    """Whether the cube cannot answer: one customer, or a value the cube grouped away."""
    if filters.customer_id:
        return True
    grouped = _grouped_dimensions(engine, run_id)
    if any(name in grouped for name in by):
        return True
    for name, kept in grouped.items():
        wanted = getattr(filters, name)
        if wanted and not set(wanted) <= kept:
            return True
    return False


@lru_cache(maxsize=64)
def _grouped_dimensions(engine: Engine, run_id: int) -> dict[str, frozenset[str]]:
    """{dimension: the values the cube keeps apart} for the cube's capped dimensions (runs
    never change, so cached per engine and run)."""
    grouped: dict[str, frozenset[str]] = {}
    with engine.connect() as connection:
        for name in CUBE_CAPPED_DIMENSIONS:
            column = CUBE.c[name]
            values = set(
                connection.execute(
                    select(column).where(CUBE.c.run_id == run_id).distinct()
                ).scalars()
            )
            if CUBE_OTHER_VALUE in values:
                kept = {NULL_TOKEN if value is None else value for value in values}
                grouped[name] = frozenset(kept - {CUBE_OTHER_VALUE})
    return grouped


def filter_options(engine: Engine, run_id: int) -> dict[str, list[str]]:
    """The values each filter can take in this run (missing country/plan as NULL_TOKEN).

    A run's results never change once written (a new analysis gets a new run id), so the
    answer is cached per engine and run; callers get fresh lists.
    """
    return {name: list(values) for name, values in _filter_options(engine, run_id).items()}


@lru_cache(maxsize=64)
def _filter_options(engine: Engine, run_id: int) -> dict[str, tuple[str, ...]]:
    options: dict[str, tuple[str, ...]] = {}
    grouped = _grouped_dimensions(engine, run_id)
    with engine.connect() as connection:
        for name in MULTI_VALUE_FILTERS:
            # A dimension the cube grouped is listed whole from the customer rows.
            table = RESULTS if name in grouped else CUBE
            column = table.c[name]
            values = connection.execute(
                select(column).where(table.c.run_id == run_id).distinct()
            ).scalars()
            options[name] = tuple(
                sorted(NULL_TOKEN if value is None else str(value) for value in values)
            )
    return options


def totals_of(by_group: pd.DataFrame) -> pd.Series:
    """The filtered totals (MEASURES and averages) from an :func:`aggregate` grouped by any
    dimension: its groups partition the filtered customers, so their sums are the totals."""
    summed = pd.DataFrame([by_group[list(MEASURES)].sum()], columns=list(MEASURES))
    return with_averages(summed).iloc[0]


def count_customers(engine: Engine, run_id: int, filters: Filters) -> int:
    return int(aggregate(engine, run_id, filters)["customers"].iloc[0])


def _order_by(sort: Sequence[tuple[str, str]]) -> list[ColumnElement[Any]]:
    order: list[ColumnElement[Any]] = []
    for column, direction in sort:
        if column not in CUSTOMER_COLUMNS:
            continue
        keys = [RESULTS.c[column]]
        if column == "customer_id":
            # Shorter ids first, then text: numeric ids in numeric order (9 before 10) and
            # "user_2" before "user_10"; ids of one width keep their text order.
            keys.insert(0, func.length(RESULTS.c[column]))
        for key in keys:
            # Missing values sort as the largest on both backends (SQLite's default differs).
            order.append(
                key.desc().nulls_first() if direction == "desc" else key.asc().nulls_last()
            )
    order.append(RESULTS.c.id.asc())
    return order


def customer_page(
    engine: Engine,
    run_id: int,
    filters: Filters,
    start: int,
    end: int,
    sort: Sequence[tuple[str, str]] = (),
    columns: Sequence[str] = CUSTOMER_COLUMNS,
) -> pd.DataFrame:
    """Rows ``start``..``end`` (exclusive) of the filtered customers in the requested order."""
    wanted = [column for column in columns if column in CUSTOMER_COLUMNS]
    limit = max(0, min(end, start + 1000) - start)
    query = (
        select(*[RESULTS.c[column] for column in wanted])
        .where(and_(*_conditions(RESULTS, run_id, filters)))
        .order_by(*_order_by(sort))
        .offset(max(0, start))
        .limit(limit)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(rows, columns=wanted)


def iter_customers(
    engine: Engine, run_id: int, filters: Filters, chunk_rows: int = 50_000
) -> Iterator[pd.DataFrame]:
    """Every filtered customer with all CUSTOMER_COLUMNS, in chunks (for exports)."""
    query = (
        select(*[RESULTS.c[column] for column in CUSTOMER_COLUMNS])
        .where(and_(*_conditions(RESULTS, run_id, filters)))
        .order_by(RESULTS.c.id)
    )
    return stream_frames(engine, query, CUSTOMER_COLUMNS, chunk_rows)


def stream_frames(
    engine: Engine, query: Select, columns: Sequence[str], chunk_rows: int
) -> Iterator[pd.DataFrame]:
    """The rows of ``query`` as frames of at most ``chunk_rows``, through a server-side cursor.

    Memory stays flat whatever the row count; a stream abandoned half-way (a download the
    browser cancelled) closes its cursor when the generator is closed.
    """
    with engine.connect() as connection:
        result = connection.execution_options(stream_results=True, yield_per=chunk_rows).execute(
            query
        )
        try:
            for partition in result.partitions(chunk_rows):
                # Plain tuples: pandas probing each Row for attributes cost ~1 s a million.
                yield pd.DataFrame([tuple(row) for row in partition], columns=list(columns))
        finally:
            result.close()


SAMPLE_POOL = 30_000


def sample_customers(
    engine: Engine,
    run_id: int,
    filters: Filters,
    limit: int,
    columns: Sequence[str],
) -> pd.DataFrame:
    """A uniform random sample of at most ``limit`` filtered customers (seeded, stable).

    Drawn from ``sample_pool``, the run's first SAMPLE_POOL customers in their random
    ``sample_rank`` order, itself a uniform sample: the work is bounded whatever the size of
    the data set and however selective the filters (a filter matching 1 % of a million
    customers still yields about 300 of them). A customer-ID filter names one customer, who
    is read from ``customer_results`` wherever they rank.
    """
    table = RESULTS if filters.customer_id else SAMPLE
    query = (
        select(*[table.c[column] for column in columns])
        .where(and_(*_conditions(table, run_id, filters)))
        .order_by(table.c.sample_rank)
        .limit(limit)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame([tuple(row) for row in rows], columns=list(columns))


def customer_profile(engine: Engine, run_id: int, customer_id: str) -> dict[str, Any] | None:
    """Everything the run knows about one customer, or None."""
    query = select(*[RESULTS.c[column] for column in CUSTOMER_COLUMNS]).where(
        RESULTS.c.run_id == run_id, RESULTS.c.customer_id == customer_id
    )
    with engine.connect() as connection:
        row = connection.execute(query).first()
    return None if row is None else dict(zip(CUSTOMER_COLUMNS, row, strict=True))


def segment_summaries(engine: Engine, run_id: int, kind: str) -> pd.DataFrame:
    """The run's stored per-segment figures for ``kind`` "rule" or "rfm", in segment order."""
    query = (
        select(
            SegmentSummary.segment,
            SegmentSummary.customers,
            SegmentSummary.share,
            SegmentSummary.avg_days_since_last_login,
            SegmentSummary.avg_visit_frequency,
            SegmentSummary.avg_watch_time_hours,
            SegmentSummary.avg_monthly_revenue,
        )
        .where(SegmentSummary.run_id == run_id, SegmentSummary.kind == kind)
        .order_by(SegmentSummary.position)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(
        rows,
        columns=[
            "segment",
            "customers",
            "share",
            "avg_days_since_last_login",
            "avg_visit_frequency",
            "avg_watch_time_hours",
            "avg_monthly_revenue",
        ],
    )


def cluster_centroids(engine: Engine, run_id: int) -> pd.DataFrame:
    query = (
        select(
            ClusterCentroid.cluster,
            ClusterCentroid.name,
            ClusterCentroid.watch_time_hours,
            ClusterCentroid.days_since_last_login,
            ClusterCentroid.customers,
        )
        .where(ClusterCentroid.run_id == run_id)
        .order_by(ClusterCentroid.cluster)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(
        rows, columns=["cluster", "name", "watch_time_hours", "days_since_last_login", "customers"]
    )


def cluster_sweep(engine: Engine, run_id: int) -> pd.DataFrame:
    query = (
        select(ClusterSweep.k, ClusterSweep.inertia, ClusterSweep.silhouette)
        .where(ClusterSweep.run_id == run_id)
        .order_by(ClusterSweep.k)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(rows, columns=["k", "inertia", "silhouette"])


def cluster_agreement(engine: Engine, run_id: int) -> pd.DataFrame:
    query = (
        select(ClusterAgreement.cluster, ClusterAgreement.segment, ClusterAgreement.customers)
        .where(ClusterAgreement.run_id == run_id)
        .order_by(ClusterAgreement.cluster, ClusterAgreement.segment)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(rows, columns=["cluster", "segment", "customers"])


def messaging_strategies(engine: Engine) -> pd.DataFrame:
    """Every strategy: rule segments first, then RFM segments, in the seeded order."""
    query = select(*[MessagingStrategy.__table__.c[c] for c in MESSAGING_COLUMNS])
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return pd.DataFrame(rows, columns=list(MESSAGING_COLUMNS))


def update_messaging(
    engine: Engine, segment_kind: str, segment: str, column: str, value: str, user: str | None
) -> bool:
    """Save one edited cell; False when the strategy or the column does not exist."""
    if column not in EDITABLE_MESSAGING_COLUMNS:
        return False
    from datetime import UTC, datetime

    limit = MessagingStrategy.__table__.c[column].type.length
    text_value = str(value).strip()
    if limit is not None:
        text_value = text_value[:limit]
    with engine.begin() as connection:
        updated = connection.execute(
            update(MessagingStrategy)
            .where(
                MessagingStrategy.segment_kind == segment_kind,
                MessagingStrategy.segment == segment,
            )
            .values({column: text_value, "updated_at": datetime.now(UTC), "updated_by": user})
        ).rowcount
    return updated == 1


def delete_dataset(engine: Engine, dataset_id: int) -> bool:
    """Delete a data set with its customers, rejected rows and analysis results.

    Campaigns keep their frozen copies (their link to the data set is cleared).
    """
    if not storable_id(dataset_id):
        return False
    from sqlalchemy import delete

    with engine.begin() as connection:
        drop_dataset_run_tables(connection, [dataset_id])
        _delete_churn_labels(connection, [dataset_id])
        deleted = connection.execute(delete(Dataset).where(Dataset.id == dataset_id)).rowcount
    return deleted == 1


BUDGET_DIMENSIONS = ("segment", "engagement_level", "control_group", "plan")


def budget_cells(engine: Engine, run_id: int, filters: Filters) -> pd.DataFrame:
    """Discount targets among ``filters`` by (segment, engagement, control group, plan).

    Grouping by control group lets the budget leave the held-out customers out exactly;
    grouping by plan lets customers without a monthly revenue be priced by their plan. Only
    then is it grouped by plan (``plan`` is None otherwise): a data set with 200,000 plans
    whose revenue is all known is answered from the cube.
    """
    targets = filters.with_targets_only()
    cells = aggregate(engine, run_id, targets, by=list(BUDGET_DIMENSIONS[:-1]))
    if (cells["customers"] > cells["monthly_revenue_count"]).any():
        return aggregate(engine, run_id, targets, by=list(BUDGET_DIMENSIONS))
    cells.insert(len(BUDGET_DIMENSIONS) - 1, "plan", None)
    return cells
