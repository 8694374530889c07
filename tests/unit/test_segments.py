"""Rule segments at every boundary, and the per-segment summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.segments import (
    SEGMENT_ORDER,
    SUMMARY_COLUMNS,
    assign_segments,
    summarize_segments,
)


def segment_of(level: str, days: int) -> str:
    return assign_segments(pd.Series([level]), pd.Series([days])).iloc[0]


def test_segment_order_is_constant() -> None:
    assert SEGMENT_ORDER == ("Loyal", "Casual", "Dormant", "Risky")


@pytest.mark.parametrize(
    ("level", "days", "expected"),
    [
        # Low engagement is always Risky, even active today.
        ("Low", 0, "Risky"),
        ("Low", 60, "Risky"),
        ("Low", 61, "Risky"),
        ("Low", 121, "Risky"),
        # Medium: Casual up to 60 days, Dormant 61-120, Risky from 121.
        ("Medium", 0, "Casual"),
        ("Medium", 60, "Casual"),
        ("Medium", 61, "Dormant"),
        ("Medium", 120, "Dormant"),
        ("Medium", 121, "Risky"),
        # High: Loyal up to 60 days, Dormant 61-120, Risky from 121.
        ("High", 0, "Loyal"),
        ("High", 60, "Loyal"),
        ("High", 61, "Dormant"),
        ("High", 120, "Dormant"),
        ("High", 121, "Risky"),
        ("High", 5000, "Risky"),
    ],
)
def test_rule_boundaries(level: str, days: int, expected: str) -> None:
    assert segment_of(level, days) == expected


def test_every_customer_gets_exactly_one_segment_with_index_kept() -> None:
    levels = pd.Series(["High", "Medium", "Low", "High"], index=[10, 20, 30, 40])
    days = pd.Series([1, 1, 1, 90], index=[10, 20, 30, 40])
    result = assign_segments(levels, days)
    assert result.to_dict() == {10: "Loyal", 20: "Casual", 30: "Risky", 40: "Dormant"}
    assert list(result.cat.categories) == list(SEGMENT_ORDER)
    assert result.notna().all()


def test_categorical_engagement_input_is_accepted() -> None:
    levels = pd.Series(pd.Categorical(["Medium"], categories=["Low", "Medium", "High"]))
    assert assign_segments(levels, pd.Series([3])).tolist() == ["Casual"]


def test_unknown_engagement_level_is_an_error() -> None:
    with pytest.raises(ValueError, match="engagement_level"):
        assign_segments(pd.Series(["Huge"]), pd.Series([1]))


def summary_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": ["Loyal", "Loyal", "Risky", "Risky", "Risky"],
            "days_since_last_login": [10, 20, 130, 200, 300],
            "visit_frequency": [4.0, np.nan, 1.0, 2.0, 3.0],
            "watch_time_hours": [50.0, 30.0, 1.0, 2.0, 6.0],
            "monthly_revenue": [10.0, 20.0, 5.0, 5.0, 8.0],
        }
    )


def test_summary_numbers_are_exact_and_every_segment_is_listed() -> None:
    summary = summarize_segments(summary_frame())
    assert list(summary.columns) == list(SUMMARY_COLUMNS)
    assert summary["segment"].tolist() == list(SEGMENT_ORDER)
    assert summary["count"].tolist() == [2, 0, 0, 3]
    assert summary["share"].tolist() == [0.4, 0.0, 0.0, 0.6]
    loyal, risky = summary.iloc[0], summary.iloc[3]
    assert loyal["avg_days_since_last_login"] == 15.0
    assert loyal["avg_visit_frequency"] == 4.0  # the missing value is skipped
    assert loyal["avg_watch_time_hours"] == 40.0
    assert loyal["avg_monthly_revenue"] == 15.0
    assert risky["avg_days_since_last_login"] == pytest.approx(210.0)
    assert risky["avg_visit_frequency"] == 2.0
    assert risky["avg_watch_time_hours"] == 3.0
    assert risky["avg_monthly_revenue"] == 6.0
    empty = summary.iloc[1]
    assert np.isnan(empty[list(SUMMARY_COLUMNS[3:])].to_numpy(dtype=float)).all()


def test_summary_without_revenue_or_frequency_gives_nan_means() -> None:
    frame = summary_frame().drop(columns=["monthly_revenue"])
    frame["visit_frequency"] = np.nan
    summary = summarize_segments(frame)
    assert summary["avg_monthly_revenue"].isna().all()
    assert summary["avg_visit_frequency"].isna().all()
    assert summary["avg_watch_time_hours"].iloc[0] == 40.0


def test_summary_works_for_any_segment_column_and_order() -> None:
    frame = summary_frame().rename(columns={"segment": "rfm_segment"})
    frame["rfm_segment"] = ["Lost", "Lost", "Champions", "Lost", "Lost"]
    summary = summarize_segments(frame, "rfm_segment", ("Champions", "At Risk", "Lost"))
    assert summary["segment"].tolist() == ["Champions", "At Risk", "Lost"]
    assert summary["count"].tolist() == [1, 0, 4]
    assert summary["share"].tolist() == [0.2, 0.0, 0.8]


def test_summary_rejects_a_segment_outside_the_order() -> None:
    frame = summary_frame()
    frame.loc[0, "segment"] = "VIP"
    with pytest.raises(ValueError, match="VIP"):
        summarize_segments(frame)


def test_summary_of_no_customers_lists_every_segment() -> None:
    summary = summarize_segments(summary_frame().iloc[:0])
    assert summary["count"].tolist() == [0, 0, 0, 0]
    assert summary["share"].isna().all()
