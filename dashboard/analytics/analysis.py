"""One call that runs every analytics step on a customer frame.

The analysis job reads a data set, calls :func:`analyze_customers` and writes the
result tables; this module does no I/O itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import pandas as pd

from dashboard.analytics.clusters import ClusterResult, cluster_customers
from dashboard.analytics.discounts import (
    DEFAULT_CAMPAIGN_SEED,
    DEFAULT_CONTROL_SHARE,
    DiscountTable,
    select_discount_targets,
)
from dashboard.analytics.features import (
    EngagementThresholds,
    days_since_last_login,
    default_as_of,
    engagement_level,
    engagement_thresholds,
)
from dashboard.analytics.rfm import RFM_SEGMENT_ORDER, score_rfm
from dashboard.analytics.segments import SEGMENT_ORDER, assign_segments, summarize_segments

REQUIRED_COLUMNS: tuple[str, ...] = ("customer_id", "last_login", "watch_time_hours")
"""visit_frequency and monthly_revenue are optional (absent or all missing is fine)."""

ADDED_COLUMNS: tuple[str, ...] = (
    "days_since_last_login",
    "engagement_level",
    "segment",
    "r_score",
    "f_score",
    "m_score",
    "fm_score",
    "rfm_segment",
    "cluster",
    "cluster_name",
    "discount_target",
    "target_reason",
    "discount_pct",
    "control_group",
)
"""Columns analyze_customers appends to the input columns, in order."""

T = TypeVar("T")


@dataclass(frozen=True)
class AnalysisResult:
    """Everything one analysis run produces.

    customers: input columns (untouched) + ADDED_COLUMNS, same index as the input.
        Text results are pandas categoricals (engagement_level, segment,
        rfm_segment, cluster_name, target_reason); scores are int8, cluster int64.
    as_of: reference date for recency.
    thresholds: flat dict of JSON-serialisable floats (None when not available):
        engagement_low_max_hours, engagement_medium_max_hours,
        recency_p20..p80_days, frequency_p20..p80 and monetary_p20..p80_hours.
    segment_summary / rfm_summary: :func:`summarize_segments` tables.
    clusters: the K-Means validation.
    flags: frequency_available (bool), frequency_missing_count (int).
    step_seconds: wall time per step, for logs and the bench command.
    """

    customers: pd.DataFrame
    as_of: date
    thresholds: dict[str, float | None]
    segment_summary: pd.DataFrame
    rfm_summary: pd.DataFrame
    clusters: ClusterResult
    flags: dict[str, bool | int]
    step_seconds: dict[str, float]

    @property
    def discount_targets(self) -> pd.DataFrame:
        """The targeted customers only (control group included, flagged)."""
        return self.customers[self.customers["discount_target"]]


def analyze_customers(
    df: pd.DataFrame,
    as_of: date | None = None,
    k: int = 4,
    random_state: int = 42,
    discount_table: DiscountTable | None = None,
    campaign_seed: str = DEFAULT_CAMPAIGN_SEED,
    control_share: float = DEFAULT_CONTROL_SHARE,
) -> AnalysisResult:
    """Features, rule segments, RFM, K-Means check and discount targets in one pass.

    ``as_of`` defaults to the latest last_login in ``df`` (never today's date).
    visit_frequency and monthly_revenue may be absent or all missing.
    """
    missing = [column for column in REQUIRED_COLUMNS if column not in df.columns]
    if missing:
        raise ValueError(f"customer frame lacks columns {missing}")
    if df.empty:
        raise ValueError("no customers to analyse")
    clashes = [column for column in ADDED_COLUMNS if column in df.columns]
    if clashes:
        raise ValueError(f"customer frame already has result columns {clashes}")

    seconds: dict[str, float] = {}

    def timed(step: str, compute: Callable[[], T]) -> T:
        start = time.perf_counter()
        value = compute()
        seconds[step] = time.perf_counter() - start
        return value

    # Copy-on-write (pandas 3): the new columns never reach ``df``, and its columns are not
    # duplicated (a deep copy of ten million customers is half a gigabyte).
    customers = df.copy(deep=False)

    def features() -> date:
        reference = as_of if as_of is not None else default_as_of(customers["last_login"])
        customers["days_since_last_login"] = days_since_last_login(
            customers["last_login"], reference
        )
        return reference

    reference_date = timed("features", features)

    def engagement_step() -> EngagementThresholds:
        cut_points = engagement_thresholds(customers["watch_time_hours"])
        customers["engagement_level"] = engagement_level(customers["watch_time_hours"], cut_points)
        return cut_points

    engagement = timed("engagement", engagement_step)
    customers["segment"] = timed(
        "segments",
        lambda: assign_segments(customers["engagement_level"], customers["days_since_last_login"]),
    )
    rfm = timed(
        "rfm",
        lambda: score_rfm(
            customers["days_since_last_login"],
            customers.get("visit_frequency"),
            customers["watch_time_hours"],
        ),
    )
    for column in rfm.scores.columns:
        customers[column] = rfm.scores[column]

    clusters = timed(
        "clusters",
        lambda: cluster_customers(
            customers,
            segments=customers["segment"],
            k=k,
            random_state=random_state,
            watch_thresholds=engagement,
        ),
    )
    customers["cluster"] = clusters.labels
    customers["cluster_name"] = pd.Categorical.from_codes(
        clusters.labels.to_numpy(), categories=clusters.centroids["name"].tolist()
    )

    targets = timed(
        "discounts",
        lambda: select_discount_targets(customers, discount_table, campaign_seed, control_share),
    )
    for column in targets.columns:
        customers[column] = targets[column]

    segment_summary, rfm_summary = timed(
        "summaries",
        lambda: (
            summarize_segments(customers, "segment", SEGMENT_ORDER),
            summarize_segments(customers, "rfm_segment", RFM_SEGMENT_ORDER),
        ),
    )

    thresholds: dict[str, float | None] = {
        "engagement_low_max_hours": engagement.low_max,
        "engagement_medium_max_hours": engagement.medium_max,
    }
    for prefix, values, unit in (
        ("recency", rfm.recency_thresholds, "_days"),
        ("frequency", rfm.frequency_thresholds, ""),
        ("monetary", rfm.monetary_thresholds, "_hours"),
    ):
        for percentile, value in zip((20, 40, 60, 80), values or (None,) * 4, strict=True):
            thresholds[f"{prefix}_p{percentile}{unit}"] = None if value is None else float(value)

    return AnalysisResult(
        customers=customers[[*df.columns, *ADDED_COLUMNS]],
        as_of=reference_date,
        thresholds=thresholds,
        segment_summary=segment_summary,
        rfm_summary=rfm_summary,
        clusters=clusters,
        flags={
            "frequency_available": rfm.frequency_available,
            "frequency_missing_count": rfm.frequency_missing_count,
        },
        step_seconds=seconds,
    )
