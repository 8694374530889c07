"""Rule-based marketing segments and the per-segment summary table.

Every customer gets exactly one segment, decided in this order:

1. Risky: Low engagement, or more than 120 days since the last login.
2. Dormant: otherwise more than 60 days (so Medium/High engagement, 61-120 days).
3. Loyal: otherwise High engagement (active within the last 60 days).
4. Casual: otherwise (Medium engagement, active within the last 60 days).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dashboard.analytics.features import ENGAGEMENT_LEVELS

SEGMENT_ORDER: tuple[str, ...] = ("Loyal", "Casual", "Dormant", "Risky")
"""Rule segments in display order, best customers first."""

DORMANT_AFTER_DAYS = 60
"""More than this many days since the last login: no longer active (Dormant or worse)."""

RISKY_AFTER_DAYS = 120
"""More than this many days since the last login: Risky whatever the engagement."""

SUMMARY_COLUMNS: tuple[str, ...] = (
    "segment",
    "count",
    "share",
    "avg_days_since_last_login",
    "avg_visit_frequency",
    "avg_watch_time_hours",
    "avg_monthly_revenue",
)
"""Columns of :func:`summarize_segments`, in order."""

_AVERAGED = {
    "avg_days_since_last_login": "days_since_last_login",
    "avg_visit_frequency": "visit_frequency",
    "avg_watch_time_hours": "watch_time_hours",
    "avg_monthly_revenue": "monthly_revenue",
}


def assign_segments(engagement_level: pd.Series, days_since_last_login: pd.Series) -> pd.Series:
    """The rule segment of each customer (categorical in SEGMENT_ORDER, same index).

    Boundaries: 60 days is still active, 61 is Dormant; 120 days is still Dormant,
    121 is Risky. Low engagement is Risky even if the customer logged in today.
    """
    level = category_codes(engagement_level, ENGAGEMENT_LEVELS, "engagement_level")
    days = days_since_last_login.to_numpy()
    is_low = level == ENGAGEMENT_LEVELS.index("Low")
    is_high = level == ENGAGEMENT_LEVELS.index("High")
    codes = np.select(
        [is_low | (days > RISKY_AFTER_DAYS), days > DORMANT_AFTER_DAYS, is_high],
        [
            SEGMENT_ORDER.index("Risky"),
            SEGMENT_ORDER.index("Dormant"),
            SEGMENT_ORDER.index("Loyal"),
        ],
        default=SEGMENT_ORDER.index("Casual"),
    )
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=list(SEGMENT_ORDER)),
        index=engagement_level.index,
        name="segment",
    )


def summarize_segments(
    customers: pd.DataFrame,
    segment_column: str = "segment",
    order: Sequence[str] = SEGMENT_ORDER,
) -> pd.DataFrame:
    """One row per segment of ``order`` (even when empty), in that order.

    Columns: segment, count, share (fraction of all customers, 0-1; 0.0 for an empty
    segment, NaN when there are no customers at all), and the mean of
    days_since_last_login, visit_frequency, watch_time_hours and monthly_revenue
    over the segment's customers. Means skip missing values; a mean is NaN when the
    segment is empty, the column is absent, or every value in it is missing.
    Works for the rule segments and, with ``segment_column="rfm_segment"`` and
    the RFM order, for the RFM segments.
    """
    order = list(order)
    codes = category_codes(customers[segment_column], order, segment_column)
    total = len(customers)
    counts = np.bincount(codes, minlength=len(order))
    summary = pd.DataFrame({"segment": order, "count": counts.astype(np.int64)})
    summary["share"] = counts / total if total else np.nan
    for target, source in _AVERAGED.items():
        if source not in customers.columns:
            summary[target] = np.nan
            continue
        values = customers[source].to_numpy(dtype=np.float64)
        present = ~np.isnan(values)
        sums = np.bincount(codes[present], weights=values[present], minlength=len(order))
        seen = np.bincount(codes[present], minlength=len(order))
        summary[target] = np.where(seen > 0, sums / np.maximum(seen, 1), np.nan)
    return summary[list(SUMMARY_COLUMNS)]


def category_codes(values: pd.Series, categories: Sequence[str], name: str) -> np.ndarray:
    """Position of each value in ``categories`` (intp); any other value is an error.

    Fast for categorical columns (maps the few categories, not every row).
    """
    wanted = pd.Index(list(categories))
    if isinstance(values.dtype, pd.CategoricalDtype):
        old_codes = values.cat.codes.to_numpy()
        mapping = np.append(wanted.get_indexer(values.cat.categories), -1)
        codes = mapping[old_codes]  # code -1 (missing) picks the appended -1
    else:
        codes = wanted.get_indexer(values)
    codes = codes.astype(np.intp)
    if (codes < 0).any():
        unknown = sorted(set(values[codes < 0].astype(str)))[:5]
        raise ValueError(f"{name} has values outside {list(categories)}: {unknown}")
    return codes
