"""analyze_customers: the whole analysis on one frame, plus an opt-in 1M-row measurement."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.analysis import ADDED_COLUMNS, analyze_customers
from dashboard.analytics.rfm import RFM_SEGMENT_ORDER
from dashboard.analytics.segments import SEGMENT_ORDER


def generated_customers(n: int, seed: int = 0, with_frequency: bool = True) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i:07d}" for i in range(n)],
            "gender": rng.choice(["Female", "Male", "Other"], n),
            "last_login": pd.Timestamp("2024-06-30")
            - pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "watch_time_hours": rng.gamma(2.0, 12.0, n).round(1),
            "visit_frequency": rng.poisson(8, n).astype(float),
            "monthly_revenue": rng.choice([8.99, 13.99, 17.99, np.nan], n),
            "country": rng.choice(["US", "UK", "DE", "IN"], n),
        },
        index=pd.RangeIndex(1, n + 1),
    )
    if not with_frequency:
        frame["visit_frequency"] = np.nan
    return frame


def test_output_columns_index_and_passthrough() -> None:
    customers = generated_customers(800)
    result = analyze_customers(customers)
    out = result.customers
    assert list(out.columns) == [*customers.columns, *ADDED_COLUMNS]
    assert out.index.equals(customers.index)
    pd.testing.assert_frame_equal(out[customers.columns], customers)
    assert (
        out[list(ADDED_COLUMNS)].drop(columns=["target_reason", "discount_pct"]).notna().all().all()
    )
    assert set(out["segment"]) <= set(SEGMENT_ORDER)
    assert set(out["rfm_segment"]) <= set(RFM_SEGMENT_ORDER)


def test_as_of_defaults_to_latest_login_and_can_be_given() -> None:
    customers = generated_customers(300)
    assert analyze_customers(customers).as_of == date(2024, 6, 30)
    later = analyze_customers(customers, as_of=date(2024, 7, 10))
    assert later.as_of == date(2024, 7, 10)
    assert (later.customers["days_since_last_login"].min()) == 10


def test_thresholds_are_json_floats_and_flags_are_set() -> None:
    result = analyze_customers(generated_customers(500))
    json.dumps(result.thresholds)
    assert all(isinstance(value, float) for value in result.thresholds.values())
    assert set(result.thresholds) == {
        "engagement_low_max_hours",
        "engagement_medium_max_hours",
        *(f"recency_p{p}_days" for p in (20, 40, 60, 80)),
        *(f"frequency_p{p}" for p in (20, 40, 60, 80)),
        *(f"monetary_p{p}_hours" for p in (20, 40, 60, 80)),
    }
    assert result.flags == {"frequency_available": True, "frequency_missing_count": 0}
    assert set(result.step_seconds) == {
        "features",
        "engagement",
        "segments",
        "rfm",
        "clusters",
        "discounts",
        "summaries",
    }


def test_without_frequency_or_revenue() -> None:
    customers = generated_customers(400, with_frequency=False).drop(columns=["monthly_revenue"])
    result = analyze_customers(customers)
    assert result.flags["frequency_available"] is False
    assert result.thresholds["frequency_p20"] is None
    out = result.customers
    assert (out["f_score"] == out["m_score"]).all()
    assert "monthly_revenue" not in out.columns
    assert result.rfm_summary["avg_monthly_revenue"].isna().all()
    json.dumps(result.thresholds)


def test_summaries_clusters_and_targets_agree_with_the_customer_frame() -> None:
    result = analyze_customers(generated_customers(1_000))
    out = result.customers
    assert result.segment_summary["segment"].tolist() == list(SEGMENT_ORDER)
    assert result.segment_summary["count"].sum() == 1_000
    assert result.rfm_summary["segment"].tolist() == list(RFM_SEGMENT_ORDER)
    assert result.rfm_summary["count"].sum() == 1_000
    names = result.clusters.centroids.set_index("cluster")["name"]
    assert (out["cluster_name"].astype(str) == out["cluster"].map(names)).all()
    assert result.clusters.contingency is not None
    assert result.clusters.contingency["count"].sum() == 1_000
    assert result.discount_targets["discount_target"].all()
    assert len(result.discount_targets) == out["discount_target"].sum()
    engagement = result.thresholds["engagement_medium_max_hours"]
    high = out["engagement_level"] == "High"
    assert (out.loc[high, "watch_time_hours"] > engagement).all()


def test_repeatable() -> None:
    customers = generated_customers(600)
    first = analyze_customers(customers, random_state=3, campaign_seed="x")
    second = analyze_customers(customers, random_state=3, campaign_seed="x")
    pd.testing.assert_frame_equal(first.customers, second.customers)
    assert first.thresholds == second.thresholds


def test_one_customer() -> None:
    result = analyze_customers(generated_customers(1))
    row = result.customers.iloc[0]
    assert row["days_since_last_login"] == 0
    assert row["engagement_level"] == "Low"
    assert row["segment"] == "Risky"
    assert row["rfm_segment"] == "New Viewers"
    assert row["cluster"] == 0
    assert result.clusters.silhouette is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.drop(columns=["watch_time_hours"]), "lacks columns"),
        (lambda df: df.iloc[:0], "no customers"),
        (lambda df: df.assign(segment="x"), "already has result columns"),
    ],
)
def test_bad_input_is_rejected(
    change: Callable[[pd.DataFrame], pd.DataFrame], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        analyze_customers(change(generated_customers(20)))


@pytest.mark.parametrize(
    ("hours", "days"),
    [
        ([1e308, 6.0, 7.0, 8.0, 9.0], [60, 59, 58, 29, 0]),  # near the float limit
        ([5.0] * 6, [60] * 6),  # every customer the same
        ([1e308] * 3 + [1.0] * 3, [60] * 3 + [425] * 3),  # two tied groups, one enormous
    ],
    ids=["huge", "constant", "tied"],
)
def test_any_finite_input_gives_a_result(hours: list[float], days: list[int]) -> None:
    as_of = pd.Timestamp("2024-03-01")
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(len(hours))],
            "last_login": [as_of - pd.Timedelta(days=d) for d in days],
            "watch_time_hours": hours,
            "visit_frequency": np.nan,
            "monthly_revenue": np.nan,
        }
    )
    result = analyze_customers(frame, as_of=date(2024, 3, 1))
    centroids = result.clusters.centroids
    assert np.isfinite(centroids[["watch_time_hours", "days_since_last_login"]]).all().all()
    assert int(centroids["size"].sum()) == len(hours)
    assert result.clusters.k == min(4, len({(h, d) for h, d in zip(hours, days, strict=True)}))
