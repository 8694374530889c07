"""The analysis job: read one data set, run every analytics step, write all results at once.

This is the only analytics module that touches the database. The run row, the customer
results, the summaries, the clusters and the filter cube are written in one transaction,
which also removes the data set's previous runs: readers see the old results or the new
ones, never a mix, and a failure leaves the previous run in place.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, insert, select, text, update

from dashboard.analytics.analysis import AnalysisResult, analyze_customers
from dashboard.analytics.discounts import (
    DEFAULT_CAMPAIGN_SEED,
    DEFAULT_CONTROL_SHARE,
    DEFAULT_DISCOUNT_TABLE,
    DiscountTable,
)
from db.bulk import insert_frame
from db.models import (
    AnalysisRun,
    ClusterAgreement,
    ClusterCentroid,
    ClusterSweep,
    Dataset,
    SegmentSummary,
)
from db.queries import CUSTOMER_COLUMNS, SAMPLE_COLUMNS, SAMPLE_POOL

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
CUBE_DIMENSIONS = (
    "gender",
    "country",
    "plan",
    "segment",
    "engagement_level",
    "rfm_segment",
    "r_score",
    "fm_score",
    "cluster",
    "discount_target",
    "control_group",
    "discount_pct",
)
CUBE_COLUMNS = (
    "run_id",
    *CUBE_DIMENSIONS,
    "customers",
    "watch_time_hours_sum",
    "days_since_last_login_sum",
    "visit_frequency_sum",
    "visit_frequency_count",
    "monthly_revenue_sum",
    "monthly_revenue_count",
)
WRITE_BATCH = 100_000


class AnalysisError(Exception):
    """An analysis that cannot run, with a message for the user."""


@dataclass(frozen=True)
class AnalysisParameters:
    """What a user may choose for a run; stored with the run so it can be explained later."""

    as_of: date | None = None
    k: int = 4
    random_state: int = 42
    campaign_seed: str = DEFAULT_CAMPAIGN_SEED
    control_share: float = DEFAULT_CONTROL_SHARE
    discount_table: DiscountTable = field(default_factory=lambda: dict(DEFAULT_DISCOUNT_TABLE))
    # How many customers (in random order) the dot charts may sample from.
    sample_pool: int = SAMPLE_POOL

    def as_json(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "k": self.k,
            "random_state": self.random_state,
            "campaign_seed": self.campaign_seed,
            "control_share": self.control_share,
            "discount_table": [
                {"segment": segment, "engagement": level, "discount_pct": pct}
                for (segment, level), pct in sorted(self.discount_table.items())
            ],
            "sample_pool": self.sample_pool,
        }


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    dataset_id: int
    as_of: date
    customers: int
    targets: int
    k_used: int
    adjusted_rand_index: float | None
    silhouette: float | None
    seconds: dict[str, float]

    def describe(self) -> str:
        ari = "n/a" if self.adjusted_rand_index is None else f"{self.adjusted_rand_index:.3f}"
        sil = "n/a" if self.silhouette is None else f"{self.silhouette:.3f}"
        return (
            f"Analysis run {self.run_id} of data set {self.dataset_id} as of {self.as_of}: "
            f"{self.customers:,} customers, {self.targets:,} discount targets, "
            f"k = {self.k_used}, adjusted Rand index {ari}, silhouette {sil}."
        )


def latest_dataset_id(engine: Engine) -> int | None:
    with engine.connect() as connection:
        return connection.execute(select(Dataset.id).order_by(Dataset.id.desc()).limit(1)).scalar()


def read_customers(connection: Connection, dataset_id: int) -> pd.DataFrame:
    """The data set's customers as the analytics functions expect them."""
    result = connection.execute(
        text(f"SELECT {', '.join(INPUT_COLUMNS)} FROM customers WHERE dataset_id = :d ORDER BY id"),
        {"d": dataset_id},
    )
    # Plain tuples: building a frame from Row objects is several times slower.
    frame = pd.DataFrame([tuple(row) for row in result], columns=list(INPUT_COLUMNS))
    frame["last_login"] = pd.to_datetime(frame["last_login"])
    for column in ("watch_time_hours", "visit_frequency", "monthly_revenue"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["age"] = pd.to_numeric(frame["age"], errors="coerce").astype("Int64")
    return frame


def analyze_dataset(
    engine: Engine, dataset_id: int | None = None, parameters: AnalysisParameters | None = None
) -> RunSummary:
    """Analyse a data set (the newest when ``dataset_id`` is None) and replace its results."""
    parameters = parameters or AnalysisParameters()
    dataset_id = dataset_id if dataset_id is not None else latest_dataset_id(engine)
    if dataset_id is None:
        raise AnalysisError("No data set loaded yet: ingest a CSV first.")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    with engine.connect() as connection:
        dataset_as_of = connection.execute(
            select(Dataset.as_of_date).where(Dataset.id == dataset_id)
        ).scalar()
        if dataset_as_of is None:
            raise AnalysisError(f"There is no data set {dataset_id}.")
        frame = read_customers(connection, dataset_id)
    seconds["read"] = time.perf_counter() - started
    if frame.empty:
        raise AnalysisError(f"Data set {dataset_id} has no customers.")
    as_of = parameters.as_of or dataset_as_of
    latest_login = frame["last_login"].max().date()
    if as_of < latest_login:
        raise AnalysisError(
            f"The as-of date {as_of} is before the latest login in the data ({latest_login})."
        )

    started = time.perf_counter()
    result = analyze_customers(
        frame,
        as_of=as_of,
        k=parameters.k,
        random_state=parameters.random_state,
        discount_table=parameters.discount_table,
        campaign_seed=parameters.campaign_seed,
        control_share=parameters.control_share,
    )
    seconds["compute"] = time.perf_counter() - started
    seconds.update({f"compute.{step}": value for step, value in result.step_seconds.items()})

    started = time.perf_counter()
    run_id = _write_run(engine, dataset_id, parameters, result, started_at)
    seconds["write"] = time.perf_counter() - started
    clusters = result.clusters
    return RunSummary(
        run_id=run_id,
        dataset_id=dataset_id,
        as_of=result.as_of,
        customers=len(result.customers),
        targets=int(result.customers["discount_target"].sum()),
        k_used=clusters.k,
        adjusted_rand_index=clusters.adjusted_rand_index,
        silhouette=clusters.silhouette,
        seconds=seconds,
    )


def _write_run(
    engine: Engine,
    dataset_id: int,
    parameters: AnalysisParameters,
    result: AnalysisResult,
    started_at: datetime,
) -> int:
    customers = result.customers
    clusters = result.clusters
    revenue_available = bool(customers["monthly_revenue"].notna().any())
    with engine.begin() as connection:
        run_id = connection.execute(
            insert(AnalysisRun).returning(AnalysisRun.id),
            {
                "dataset_id": dataset_id,
                "status": "running",
                "parameters": parameters.as_json(),
                "thresholds": result.thresholds,
                "as_of_date": result.as_of,
                "started_at": started_at,
                "customer_count": len(customers),
                "target_count": int(customers["discount_target"].sum()),
                "k_used": clusters.k,
                "adjusted_rand_index": clusters.adjusted_rand_index,
                "silhouette": clusters.silhouette,
                "frequency_available": bool(result.flags["frequency_available"]),
                "revenue_available": revenue_available,
            },
        ).scalar_one()
        _write_customer_results(connection, run_id, customers, parameters)
        _write_summaries(connection, run_id, result)
        _write_clusters(connection, run_id, result)
        insert_frame(connection, "filter_cube", build_cube(run_id, customers))
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
            connection.execute(text("ANALYZE customer_results, filter_cube, sample_pool"))
    return run_id


def _write_customer_results(
    connection: Connection, run_id: int, customers: pd.DataFrame, parameters: AnalysisParameters
) -> None:
    frame = customers.copy()
    frame["run_id"] = run_id
    random = np.random.default_rng(parameters.random_state)
    frame["sample_rank"] = random.permutation(len(frame))
    frame["last_login"] = frame["last_login"].dt.strftime("%Y-%m-%d")
    frame["cluster_name"] = frame["cluster_name"].astype(str)
    frame["discount_target"] = frame["discount_target"].astype(bool)
    frame["control_group"] = frame["control_group"].astype(bool)
    frame = frame[list(RESULT_COLUMNS)]
    for start in range(0, len(frame), WRITE_BATCH):
        insert_frame(connection, "customer_results", frame.iloc[start : start + WRITE_BATCH])
    # Written in sample order, so a sample is one short contiguous read (see SamplePoolRow).
    pool = frame.loc[frame["sample_rank"] < parameters.sample_pool, list(SAMPLE_COLUMNS)]
    insert_frame(connection, "sample_pool", pool.sort_values("sample_rank"))


def _summary_rows(run_id: int, kind: str, summary: pd.DataFrame) -> list[dict[str, object]]:
    rows = []
    for position, record in enumerate(summary.to_dict("records")):
        rows.append(
            {
                "run_id": run_id,
                "kind": kind,
                "segment": record["segment"],
                "position": position,
                "customers": int(record["count"]),
                "share": _float(record["share"]) or 0.0,
                "avg_days_since_last_login": _float(record["avg_days_since_last_login"]),
                "avg_visit_frequency": _float(record["avg_visit_frequency"]),
                "avg_watch_time_hours": _float(record["avg_watch_time_hours"]),
                "avg_monthly_revenue": _float(record["avg_monthly_revenue"]),
            }
        )
    return rows


def _float(value: object) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return None
    return float(value)


def _write_summaries(connection: Connection, run_id: int, result: AnalysisResult) -> None:
    rows = _summary_rows(run_id, "rule", result.segment_summary)
    rows += _summary_rows(run_id, "rfm", result.rfm_summary)
    connection.execute(insert(SegmentSummary), rows)


def _write_clusters(connection: Connection, run_id: int, result: AnalysisResult) -> None:
    clusters = result.clusters
    connection.execute(
        insert(ClusterCentroid),
        [
            {
                "run_id": run_id,
                "cluster": int(row["cluster"]),
                "name": str(row["name"]),
                "watch_time_hours": float(row["watch_time_hours"]),
                "days_since_last_login": float(row["days_since_last_login"]),
                "customers": int(row["size"]),
            }
            for row in clusters.centroids.to_dict("records")
        ],
    )
    if not clusters.sweep.empty:
        connection.execute(
            insert(ClusterSweep),
            [
                {
                    "run_id": run_id,
                    "k": int(row["k"]),
                    "inertia": float(row["inertia"]),
                    "silhouette": _float(row["silhouette"]),
                }
                for row in clusters.sweep.to_dict("records")
            ],
        )
    if clusters.contingency is not None and not clusters.contingency.empty:
        connection.execute(
            insert(ClusterAgreement),
            [
                {
                    "run_id": run_id,
                    "cluster": int(row["cluster"]),
                    "segment": str(row["segment"]),
                    "customers": int(row["count"]),
                }
                for row in clusters.contingency.to_dict("records")
            ],
        )


def build_cube(run_id: int, customers: pd.DataFrame) -> pd.DataFrame:
    """Counts and sums per combination of filter dimensions that occurs in the data."""
    frame = pd.DataFrame(
        {
            dimension: customers[dimension].astype(object).where(customers[dimension].notna(), None)
            if dimension in ("country", "plan", "discount_pct")
            else customers[dimension]
            for dimension in CUBE_DIMENSIONS
        }
    )
    frame["discount_target"] = frame["discount_target"].astype(bool)
    frame["control_group"] = frame["control_group"].astype(bool)
    for dimension in ("gender", "segment", "engagement_level", "rfm_segment"):
        frame[dimension] = frame[dimension].astype(str)
    frame["customers"] = 1
    frame["watch_time_hours_sum"] = customers["watch_time_hours"].astype("float64")
    frame["days_since_last_login_sum"] = customers["days_since_last_login"].astype("float64")
    visits = customers["visit_frequency"].astype("float64")
    frame["visit_frequency_sum"] = visits.fillna(0.0)
    frame["visit_frequency_count"] = visits.notna().astype("int64")
    revenue = customers["monthly_revenue"].astype("float64")
    frame["monthly_revenue_sum"] = revenue.fillna(0.0)
    frame["monthly_revenue_count"] = revenue.notna().astype("int64")
    cube = (
        frame.groupby(list(CUBE_DIMENSIONS), dropna=False, observed=True, sort=True)
        .sum()
        .reset_index()
    )
    cube.insert(0, "run_id", run_id)
    return cube[list(CUBE_COLUMNS)]
