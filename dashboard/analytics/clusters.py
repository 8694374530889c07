"""K-Means as an independent check of the rule segments.

K-Means groups customers on two standardised features, watch_time_hours and
days_since_last_login (each rescaled to mean 0 and standard deviation 1 over all
customers, so hours and days weigh the same). If the clusters line up with the rule
segments (high adjusted Rand index, a diagonal-looking contingency table), the
hand-written rules describe real groups in the data.

Decisions:

- Large data sets: the model is fitted on a seeded random sample of at most
  ``max_fit_samples`` customers (200,000 by default), then every customer is assigned
  to the nearest centroid. Fitting on all of them changes the centroids very little
  and costs much more time.
- Cluster numbers are stable: clusters are renumbered by centroid watch hours
  (ascending), then days since last login (ascending), so cluster 0 is always the
  lowest-watching group.
- Names describe the centroid: watch level "low/medium/high watch" from the data's
  watch tertiles (the engagement thresholds) and recency "recent" (<= 60 days),
  "lapsing" (61-120) or "inactive" (> 120), the rule segments' cut points. When two
  clusters would get the same name, each gets a suffix " (1)", " (2)" in cluster order.
- Degenerate data: k is reduced to the number of distinct (standardised) points in
  the fit sample, so one customer or all-identical customers give one cluster.
  The silhouette score is None when it is undefined (fewer than 2 clusters in its
  sample, or as many clusters as points); the adjusted Rand index is None when its
  formula is 0/0 (fewer than 2 customers, or clusters and segments both a single
  group, or both all singletons). The k sweep lists only the k values the sweep sample supports.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sklearn
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, silhouette_score
from threadpoolctl import threadpool_limits

from dashboard.analytics.features import EngagementThresholds, engagement_thresholds
from dashboard.analytics.segments import (
    DORMANT_AFTER_DAYS,
    RISKY_AFTER_DAYS,
    SEGMENT_ORDER,
    category_codes,
)

FEATURES: tuple[str, str] = ("watch_time_hours", "days_since_last_login")
SWEEP_KS: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8)


@dataclass(frozen=True)
class ClusterResult:
    """Outcome of :func:`cluster_customers`.

    labels: cluster number per customer (int, aligned to the input index).
    centroids: one row per cluster with columns cluster, watch_time_hours,
        days_since_last_login (original units), size (customers assigned), name.
    k: clusters actually used (k_requested reduced on degenerate data).
    silhouette: mean silhouette on a seeded sample, or None when undefined.
    sweep: columns k, inertia (sum of squared standardised distances on the sweep
        sample), silhouette (on a sub-sample of it; NaN when undefined).
    contingency: long table cluster, segment, count for every cluster x rule segment
        (zero cells included); None when no segments were given.
    adjusted_rand_index: agreement with the rule segments (1 = identical
        partitions, about 0 = chance); None when undefined or no segments given.
    feature_mean, feature_scale: the standardisation, in FEATURES order, so callers
        can place new points or check distances in the same space.
    fit_sample_size: customers the model was fitted on.
    """

    labels: pd.Series
    centroids: pd.DataFrame
    k: int
    k_requested: int
    silhouette: float | None
    sweep: pd.DataFrame
    contingency: pd.DataFrame | None
    adjusted_rand_index: float | None
    feature_mean: tuple[float, float]
    feature_scale: tuple[float, float]
    fit_sample_size: int
    random_state: int


def cluster_customers(
    customers: pd.DataFrame,
    segments: pd.Series | None = None,
    k: int = 4,
    random_state: int = 42,
    n_init: int = 4,
    max_fit_samples: int = 200_000,
    silhouette_samples: int = 10_000,
    sweep_samples: int = 20_000,
    sweep_silhouette_samples: int = 5_000,
    sweep_ks: tuple[int, ...] = SWEEP_KS,
    watch_thresholds: EngagementThresholds | None = None,
) -> ClusterResult:
    """Fit K-Means on (watch_time_hours, days_since_last_login) and compare with rules.

    ``customers`` needs both feature columns; ``segments`` (rule segment per customer,
    same index) enables the contingency table and the adjusted Rand index.
    ``watch_thresholds`` names the clusters; it defaults to the data's engagement
    thresholds. Everything random is seeded from ``random_state``.

    Runs single-threaded: on two features the work is small, and OpenMP and BLAS threads
    competing with web workers or other jobs for the same cores made it 3-5 times
    slower in measurements, never faster.
    """
    with threadpool_limits(limits=1):
        return _cluster_customers(
            customers,
            segments,
            k,
            random_state,
            n_init,
            max_fit_samples,
            silhouette_samples,
            sweep_samples,
            sweep_silhouette_samples,
            sweep_ks,
            watch_thresholds,
        )


def _cluster_customers(
    customers: pd.DataFrame,
    segments: pd.Series | None,
    k: int,
    random_state: int,
    n_init: int,
    max_fit_samples: int,
    silhouette_samples: int,
    sweep_samples: int,
    sweep_silhouette_samples: int,
    sweep_ks: tuple[int, ...],
    watch_thresholds: EngagementThresholds | None,
) -> ClusterResult:
    if k < 1:
        raise ValueError("k must be at least 1")
    if n_init < 4:
        raise ValueError("n_init must be at least 4 for stable clusters")
    points = customers[list(FEATURES)].to_numpy(dtype=np.float64)
    n = len(points)
    if n == 0:
        raise ValueError("cannot cluster an empty set of customers")
    if not np.isfinite(points).all():
        raise ValueError(f"{FEATURES} must be finite")

    mean, scale = _standardisation(points)
    standardised = (points - mean) / scale

    fit_rows = _sample_rows(n, max_fit_samples, random_state, stream=0)
    fit_points = standardised[fit_rows]
    k_used = min(k, _distinct_count(fit_points))
    model = KMeans(n_clusters=k_used, n_init=n_init, random_state=random_state)
    model.fit(fit_points)

    # Renumber: ascending centroid watch hours, then days (original units).
    centres_original = model.cluster_centers_ * scale + mean
    order = np.lexsort((centres_original[:, 1], centres_original[:, 0]))
    renumber = np.empty(k_used, dtype=np.int64)
    renumber[order] = np.arange(k_used)
    labels = renumber[model.predict(standardised)]

    if watch_thresholds is None:
        watch_thresholds = engagement_thresholds(customers[FEATURES[0]])
    centroids = pd.DataFrame(
        {
            "cluster": np.arange(k_used, dtype=np.int64),
            "watch_time_hours": centres_original[order, 0],
            "days_since_last_login": centres_original[order, 1],
            "size": np.bincount(labels, minlength=k_used).astype(np.int64),
        }
    )
    centroids["name"] = cluster_names(
        centroids["watch_time_hours"], centroids["days_since_last_login"], watch_thresholds
    )

    silhouette_rows = _sample_rows(n, silhouette_samples, random_state, stream=1)
    silhouette = _silhouette(standardised[silhouette_rows], labels[silhouette_rows], random_state)

    contingency = None
    ari = None
    if segments is not None:
        segment_codes = _segment_codes(segments)
        contingency = _contingency(labels, segment_codes, k_used)
        ari = _adjusted_rand_index(segment_codes, labels)

    return ClusterResult(
        labels=pd.Series(labels, index=customers.index, name="cluster"),
        centroids=centroids,
        k=k_used,
        k_requested=k,
        silhouette=silhouette,
        sweep=k_sweep(
            standardised,
            sweep_ks,
            random_state,
            n_init,
            sweep_samples,
            sweep_silhouette_samples,
        ),
        contingency=contingency,
        adjusted_rand_index=ari,
        feature_mean=(float(mean[0]), float(mean[1])),
        feature_scale=(float(scale[0]), float(scale[1])),
        fit_sample_size=len(fit_rows),
        random_state=random_state,
    )


def _standardisation(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and standard deviation (1 for a constant feature, as in StandardScaler).

    Values near the float limit (a watch time of 1e308) overflow the variance; the statistics
    are then taken on values divided by their largest magnitude, which gives the same
    standardised points without overflowing.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        mean = points.mean(axis=0)
        scale = points.std(axis=0)
    if not (np.isfinite(mean).all() and np.isfinite(scale).all()):
        magnitude = np.abs(points).max(axis=0)
        magnitude[magnitude == 0] = 1.0
        shrunk = points / magnitude
        mean = shrunk.mean(axis=0) * magnitude
        scale = shrunk.std(axis=0) * magnitude
    scale[scale == 0] = 1.0  # a constant feature carries no distance
    return mean, scale


def cluster_names(
    watch_time_hours: pd.Series,
    days_since_last_login: pd.Series,
    watch_thresholds: EngagementThresholds,
) -> list[str]:
    """A unique, readable name per centroid, e.g. "high watch, recent".

    Watch: "low" <= low_max, "medium" <= medium_max, else "high" (engagement
    thresholds, right-inclusive). Recency: "recent" <= 60 days, "lapsing" <= 120 days,
    else "inactive". Repeated names get " (1)", " (2)", ... in the given order.
    """
    watch_words = np.array(["low watch", "medium watch", "high watch"])
    recency_words = np.array(["recent", "lapsing", "inactive"])
    watch = np.searchsorted(
        [watch_thresholds.low_max, watch_thresholds.medium_max],
        np.asarray(watch_time_hours, dtype=np.float64),
        side="left",
    )
    recency = np.searchsorted(
        [DORMANT_AFTER_DAYS, RISKY_AFTER_DAYS],
        np.asarray(days_since_last_login, dtype=np.float64),
        side="left",
    )
    names = [f"{w}, {r}" for w, r in zip(watch_words[watch], recency_words[recency], strict=True)]
    totals = Counter(names)
    seen: Counter[str] = Counter()
    unique = []
    for name in names:
        if totals[name] == 1:
            unique.append(name)
        else:
            seen[name] += 1
            unique.append(f"{name} ({seen[name]})")
    return unique


def k_sweep(
    standardised: np.ndarray,
    ks: tuple[int, ...] = SWEEP_KS,
    random_state: int = 42,
    n_init: int = 4,
    max_samples: int = 20_000,
    silhouette_samples: int = 5_000,
) -> pd.DataFrame:
    """Inertia and silhouette for each k, fitted on a seeded sample (elbow chart).

    Each k is fitted on the same seeded sample of at most ``max_samples`` points;
    inertia is over that sample, silhouette over a seeded sub-sample of at most
    ``silhouette_samples`` of it (silhouette costs grow with the square of the
    points). Only k values up to the number of distinct points in the sample are
    listed; silhouette is NaN where it is undefined.
    """
    rows = _sample_rows(len(standardised), max_samples, random_state, stream=2)
    sample = standardised[rows]
    scored = _sample_rows(len(sample), silhouette_samples, random_state, stream=3)
    distinct = _distinct_count(sample)
    records = []
    for k in ks:
        if k > distinct:
            continue
        model = KMeans(n_clusters=k, n_init=n_init, random_state=random_state).fit(sample)
        score = _silhouette(sample[scored], model.labels_[scored], random_state)
        records.append(
            {
                "k": k,
                "inertia": float(model.inertia_),
                "silhouette": np.nan if score is None else score,
            }
        )
    frame = pd.DataFrame(records, columns=["k", "inertia", "silhouette"])
    return frame.astype({"k": np.int64, "inertia": np.float64, "silhouette": np.float64})


def _sample_rows(n: int, max_rows: int, random_state: int, stream: int) -> np.ndarray:
    """All row positions, or a seeded sample of ``max_rows`` (sorted) without replacement."""
    if n <= max_rows:
        return np.arange(n)
    rng = np.random.default_rng([random_state, stream])
    return np.sort(rng.choice(n, size=max_rows, replace=False))


def _distinct_count(points: np.ndarray) -> int:
    return len(np.unique(points, axis=0))


def _silhouette(points: np.ndarray, labels: np.ndarray, random_state: int) -> float | None:
    n_labels = len(np.unique(labels))
    if n_labels < 2 or n_labels >= len(points):
        return None
    # scikit-learn's default 1 GiB distance chunks would add ~800 MiB of peak memory on
    # 10,000 points; small chunks use ~50 MiB and are no slower.
    with sklearn.config_context(working_memory=64):
        return float(silhouette_score(points, labels, random_state=random_state))


def _adjusted_rand_index(segment_codes: np.ndarray, labels: np.ndarray) -> float | None:
    """ARI, or None where its formula is 0/0.

    That is fewer than 2 customers, or both partitions trivial in the same way (one
    group each, or every customer alone in both); scikit-learn reports 1.0 there by
    convention, which would overstate agreement on a degenerate data set.
    """
    n = len(labels)
    groups = (len(np.unique(segment_codes)), len(np.unique(labels)))
    if n < 2 or groups == (1, 1) or groups == (n, n):
        return None
    return float(adjusted_rand_score(segment_codes, labels))


def _segment_codes(segments: pd.Series) -> np.ndarray:
    return category_codes(segments, SEGMENT_ORDER, "segments").astype(np.int64)


def _contingency(labels: np.ndarray, codes: np.ndarray, k: int) -> pd.DataFrame:
    width = len(SEGMENT_ORDER)
    counts = np.bincount(labels * width + codes, minlength=k * width)
    return pd.DataFrame(
        {
            "cluster": np.repeat(np.arange(k, dtype=np.int64), width),
            "segment": np.tile(np.array(SEGMENT_ORDER, dtype=object), k),
            "count": counts.astype(np.int64),
        }
    )
