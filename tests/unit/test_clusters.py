"""K-Means validation: reproducible, nearest-centroid, sampled fit, names, degenerate data."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.clusters import ClusterResult, cluster_customers, cluster_names
from dashboard.analytics.features import (
    EngagementThresholds,
    days_since_last_login,
    engagement_level,
)
from dashboard.analytics.segments import SEGMENT_ORDER, assign_segments

AS_OF = date(2024, 6, 30)


def random_customers(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "watch_time_hours": rng.gamma(2.0, 12.0, n).round(1),
            "days_since_last_login": rng.integers(0, 365, n),
        },
        index=pd.RangeIndex(100, 100 + n),
    )


def assert_nearest_centroid(customers: pd.DataFrame, result: ClusterResult) -> None:
    mean = np.array(result.feature_mean)
    scale = np.array(result.feature_scale)
    columns = ["watch_time_hours", "days_since_last_login"]
    points = (customers[columns].to_numpy(dtype=float) - mean) / scale
    centres = (result.centroids[columns].to_numpy(dtype=float) - mean) / scale
    distances = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    np.testing.assert_array_equal(result.labels.to_numpy(), distances.argmin(axis=1))


def test_standardisation_is_mean_and_population_std() -> None:
    customers = random_customers(300)
    result = cluster_customers(customers)
    assert result.feature_mean == pytest.approx(tuple(customers.mean()))
    assert result.feature_scale == pytest.approx(tuple(customers.std(ddof=0)))


def test_reproducible_run_to_run() -> None:
    customers = random_customers(1_500)
    first = cluster_customers(customers, random_state=7)
    second = cluster_customers(customers, random_state=7)
    pd.testing.assert_series_equal(first.labels, second.labels)
    pd.testing.assert_frame_equal(first.centroids, second.centroids)
    pd.testing.assert_frame_equal(first.sweep, second.sweep)
    assert first.silhouette == second.silhouette


def test_labels_are_aligned_ints_and_every_customer_is_at_its_nearest_centroid() -> None:
    customers = random_customers(1_500)
    result = cluster_customers(customers)
    assert result.labels.index.equals(customers.index)
    assert result.labels.dtype == np.int64
    assert result.k == result.k_requested == 4
    assert result.fit_sample_size == 1_500
    assert_nearest_centroid(customers, result)
    assert result.centroids["size"].sum() == 1_500
    assert result.centroids["size"].tolist() == result.labels.value_counts().sort_index().tolist()


def test_clusters_are_numbered_by_watch_then_days() -> None:
    result = cluster_customers(random_customers(1_500))
    centroids = result.centroids
    assert centroids["cluster"].tolist() == [0, 1, 2, 3]
    assert list(centroids.columns) == [
        "cluster",
        "watch_time_hours",
        "days_since_last_login",
        "size",
        "name",
    ]
    assert centroids["watch_time_hours"].is_monotonic_increasing
    assert centroids["name"].is_unique


def test_sampled_fit_path_assigns_everyone_to_the_nearest_centroid() -> None:
    customers = random_customers(1_500)
    result = cluster_customers(
        customers, max_fit_samples=200, silhouette_samples=300, sweep_samples=250
    )
    assert result.fit_sample_size == 200
    assert len(result.labels) == 1_500
    assert_nearest_centroid(customers, result)
    again = cluster_customers(
        customers, max_fit_samples=200, silhouette_samples=300, sweep_samples=250
    )
    pd.testing.assert_frame_equal(result.centroids, again.centroids)
    pd.testing.assert_series_equal(result.labels, again.labels)
    other_seed = cluster_customers(
        customers, random_state=1, max_fit_samples=200, silhouette_samples=300, sweep_samples=250
    )
    assert not np.allclose(
        result.centroids["watch_time_hours"], other_seed.centroids["watch_time_hours"]
    )


def test_sweep_covers_k_2_to_8() -> None:
    result = cluster_customers(random_customers(1_000), sweep_samples=400)
    sweep = result.sweep
    assert list(sweep.columns) == ["k", "inertia", "silhouette"]
    assert sweep["k"].tolist() == [2, 3, 4, 5, 6, 7, 8]
    assert sweep["inertia"].is_monotonic_decreasing
    assert sweep["silhouette"].between(-1, 1).all()
    assert result.silhouette is not None and -1 <= result.silhouette <= 1


def rule_shaped_customers() -> pd.DataFrame:
    """Four tight blobs, one per rule segment, sized so the watch tertiles split them.

    40 Risky (about 2 h, 200 days), 20 Casual (18 h, 10 days), 20 Dormant (22 h, 90 days),
    40 Loyal (50 h, 10 days): the 1/3 percentile falls between the Risky and the
    medium-watch groups and the 2/3 percentile between those and the Loyal group.
    """
    rng = np.random.default_rng(3)
    blobs = [("Risky", 40, 2.0, 200), ("Casual", 20, 18.0, 10), ("Dormant", 20, 22.0, 90)]
    blobs.append(("Loyal", 40, 50.0, 10))
    frames = [
        pd.DataFrame(
            {
                "intended": name,
                "watch_time_hours": hours + rng.uniform(-0.5, 0.5, size),
                "last_login": pd.Timestamp(AS_OF)
                - pd.to_timedelta(days + rng.integers(-2, 3, size), unit="D"),
            }
        )
        for name, size, hours, days in blobs
    ]
    customers = pd.concat(frames, ignore_index=True)
    customers["days_since_last_login"] = days_since_last_login(customers["last_login"], AS_OF)
    customers["engagement_level"] = engagement_level(customers["watch_time_hours"])
    customers["segment"] = assign_segments(
        customers["engagement_level"], customers["days_since_last_login"]
    )
    return customers


def test_clusters_match_rules_perfectly_on_rule_shaped_data() -> None:
    customers = rule_shaped_customers()
    assert customers["segment"].astype(str).tolist() == customers["intended"].tolist()
    result = cluster_customers(customers, segments=customers["segment"])
    assert result.adjusted_rand_index == pytest.approx(1.0)
    # clusters by watch: 0 Risky (2 h), 1 Casual (18 h), 2 Dormant (22 h), 3 Loyal (50 h)
    assert result.centroids["name"].tolist() == [
        "low watch, inactive",
        "medium watch, recent",
        "medium watch, lapsing",
        "high watch, recent",
    ]
    contingency = result.contingency
    assert contingency is not None
    assert list(contingency.columns) == ["cluster", "segment", "count"]
    assert len(contingency) == 4 * len(SEGMENT_ORDER)
    nonzero = contingency[contingency["count"] > 0]
    assert nonzero.to_dict("list") == {
        "cluster": [0, 1, 2, 3],
        "segment": ["Risky", "Casual", "Dormant", "Loyal"],
        "count": [40, 20, 20, 40],
    }


def test_contingency_lists_every_cell_and_ari_is_pinned_on_a_partial_match() -> None:
    customers = rule_shaped_customers()
    shuffled = customers["segment"].copy()
    shuffled.iloc[:10] = "Loyal"  # ten Risky customers relabelled: no longer a perfect match
    result = cluster_customers(customers, segments=shuffled)
    assert result.contingency is not None
    assert result.contingency["count"].sum() == len(customers)
    cell = result.contingency.set_index(["cluster", "segment"])["count"]
    assert cell[(0, "Loyal")] == 10
    assert cell[(0, "Risky")] == 30
    assert cell[(1, "Dormant")] == 0
    # pairs: together in both 1640, in clusters 1940, in segments 2040, all C(120, 2) = 7140
    # ARI = (1640 - 1940 * 2040 / 7140) / ((1940 + 2040) / 2 - 1940 * 2040 / 7140)
    assert result.adjusted_rand_index == pytest.approx(0.7562189, abs=1e-7)


def test_without_segments_there_is_no_contingency_or_ari() -> None:
    result = cluster_customers(random_customers(50))
    assert result.contingency is None
    assert result.adjusted_rand_index is None


def test_one_customer_gives_one_cluster_and_undefined_scores() -> None:
    customers = pd.DataFrame({"watch_time_hours": [3.0], "days_since_last_login": [10]})
    result = cluster_customers(customers, segments=pd.Series(["Risky"]))
    assert result.k == 1
    assert result.k_requested == 4
    assert result.labels.tolist() == [0]
    assert result.silhouette is None
    assert result.adjusted_rand_index is None
    assert result.sweep.empty
    assert list(result.sweep.columns) == ["k", "inertia", "silhouette"]
    assert result.centroids[["watch_time_hours", "days_since_last_login", "size"]].to_dict(
        "list"
    ) == {"watch_time_hours": [3.0], "days_since_last_login": [10.0], "size": [1]}


def test_all_identical_customers_give_one_cluster() -> None:
    customers = pd.DataFrame({"watch_time_hours": [5.0] * 30, "days_since_last_login": [7] * 30})
    result = cluster_customers(customers, segments=pd.Series(["Risky"] * 30))
    assert result.k == 1
    assert (result.labels == 0).all()
    assert result.silhouette is None
    assert result.adjusted_rand_index is None  # both partitions one group: 0/0
    assert result.feature_scale == (1.0, 1.0)


def test_fewer_distinct_points_than_k_reduces_k() -> None:
    customers = pd.DataFrame(
        {"watch_time_hours": [1.0, 1.0, 50.0, 50.0, 50.0], "days_since_last_login": [200] * 5}
    )
    result = cluster_customers(customers, segments=pd.Series(["Risky"] * 2 + ["Dormant"] * 3))
    assert result.k == 2
    assert result.labels.tolist() == [0, 0, 1, 1, 1]
    assert result.silhouette == pytest.approx(1.0)
    assert result.adjusted_rand_index == pytest.approx(1.0)
    assert result.sweep["k"].tolist() == [2]


def test_invalid_arguments() -> None:
    customers = random_customers(10)
    with pytest.raises(ValueError, match="k must"):
        cluster_customers(customers, k=0)
    with pytest.raises(ValueError, match="n_init"):
        cluster_customers(customers, n_init=1)
    with pytest.raises(ValueError, match="empty"):
        cluster_customers(customers.iloc[:0])


THRESHOLDS = EngagementThresholds(low_max=10.0, medium_max=30.0)


@pytest.mark.parametrize(
    ("hours", "days", "expected"),
    [
        (10.0, 60.0, "low watch, recent"),
        (10.01, 60.01, "medium watch, lapsing"),
        (30.0, 120.0, "medium watch, lapsing"),
        (30.01, 120.01, "high watch, inactive"),
        (45.0, 0.0, "high watch, recent"),
    ],
)
def test_cluster_names_use_watch_tertiles_and_60_120_day_rules(
    hours: float, days: float, expected: str
) -> None:
    assert cluster_names(pd.Series([hours]), pd.Series([days]), THRESHOLDS) == [expected]


def test_duplicate_cluster_names_are_numbered() -> None:
    names = cluster_names(
        pd.Series([1.0, 2.0, 40.0, 3.0]), pd.Series([200.0, 300.0, 5.0, 400.0]), THRESHOLDS
    )
    assert names == [
        "low watch, inactive (1)",
        "low watch, inactive (2)",
        "high watch, recent",
        "low watch, inactive (3)",
    ]
