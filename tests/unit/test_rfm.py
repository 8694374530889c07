"""RFM scores on the 20/40/60/80 percentiles, missing frequency, and the 25 R x FM cells."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.rfm import (
    RFM_SEGMENT_ORDER,
    quintile_score,
    quintile_thresholds,
    rfm_segment,
    score_rfm,
)

# Six values 0..5: the 20/40/60/80 percentiles fall exactly on 1, 2, 3 and 4.
SIX = pd.Series([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])


def test_segment_order_is_constant() -> None:
    assert RFM_SEGMENT_ORDER == (
        "Champions",
        "Potential Loyalists",
        "New Viewers",
        "Needs Attention",
        "At Risk",
        "Hibernating",
        "Lost",
    )


def test_thresholds_are_linear_interpolated_percentiles() -> None:
    assert quintile_thresholds(SIX) == (1.0, 2.0, 3.0, 4.0)
    assert quintile_thresholds(pd.Series([0.0, 10.0])) == pytest.approx((2.0, 4.0, 6.0, 8.0))
    assert quintile_thresholds(pd.Series([np.nan, 0.0, 10.0])) == pytest.approx((2, 4, 6, 8))


def test_thresholds_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        quintile_thresholds(pd.Series([np.nan, np.nan]))


def test_more_is_better_scores_with_values_on_thresholds_in_the_lower_bin() -> None:
    # 1 == p20 -> 1, 2 == p40 -> 2, 3 == p60 -> 3, 4 == p80 -> 4, above p80 -> 5
    assert quintile_score(SIX, (1.0, 2.0, 3.0, 4.0)).tolist() == [1, 1, 2, 3, 4, 5]
    just_above = np.array([1.0001, 2.0001, 3.0001, 4.0001])
    assert quintile_score(just_above, (1.0, 2.0, 3.0, 4.0)).tolist() == [2, 3, 4, 5]


def test_recency_scores_reverse_fewer_days_is_better() -> None:
    days = pd.Series([0, 1, 2, 3, 4, 5])
    assert quintile_score(days, (1.0, 2.0, 3.0, 4.0), higher_is_better=False).tolist() == [
        5,
        5,
        4,
        3,
        2,
        1,
    ]


def test_missing_value_scores_zero_for_the_caller_to_fill() -> None:
    assert quintile_score(np.array([np.nan, 0.0]), (1.0, 2.0, 3.0, 4.0)).tolist() == [0, 1]


def test_score_rfm_end_to_end_on_hand_made_frame() -> None:
    index = list("abcdef")
    result = score_rfm(
        days_since_last_login=pd.Series([0, 1, 2, 3, 4, 5], index=index),
        visit_frequency=pd.Series([5.0, 4.0, 3.0, 2.0, 1.0, 0.0], index=index),
        watch_time_hours=pd.Series([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], index=index),
    )
    scores = result.scores
    assert list(scores.index) == index
    assert scores["r_score"].tolist() == [5, 5, 4, 3, 2, 1]
    assert scores["f_score"].tolist() == [5, 4, 3, 2, 1, 1]
    assert scores["m_score"].tolist() == [1, 1, 2, 3, 4, 5]
    # FM = ceil((F + M) / 2): (5+1)/2=3, (4+1)/2=2.5->3, (3+2)/2=2.5->3, 2.5->3, 2.5->3, 3
    assert scores["fm_score"].tolist() == [3, 3, 3, 3, 3, 3]
    assert scores["rfm_segment"].tolist() == [
        "Potential Loyalists",
        "Potential Loyalists",
        "Potential Loyalists",
        "Needs Attention",
        "Hibernating",
        "Hibernating",
    ]
    assert result.recency_thresholds == (1.0, 2.0, 3.0, 4.0)
    assert result.frequency_thresholds == (1.0, 2.0, 3.0, 4.0)
    assert result.monetary_thresholds == (1.0, 2.0, 3.0, 4.0)
    assert result.frequency_available is True
    assert result.frequency_missing_count == 0


def test_fm_rounds_half_up() -> None:
    result = score_rfm(
        pd.Series([0, 0]), pd.Series([0.0, 10.0]), watch_time_hours=pd.Series([10.0, 0.0])
    )
    # F = 1, M = 5 and F = 5, M = 1: both (1 + 5) / 2 = 3
    assert result.scores["fm_score"].tolist() == [3, 3]
    result = score_rfm(
        pd.Series([0, 0, 0]), pd.Series([0.0, 5.0, 10.0]), pd.Series([0.0, 0.0, 0.0])
    )
    # F = 1, 3, 5 with M = 1: FM = 1, 2, 3
    assert result.scores["fm_score"].tolist() == [1, 2, 3]


@pytest.mark.parametrize("frequency", [None, pd.Series([np.nan] * 6)], ids=["absent", "all-nan"])
def test_no_visit_frequency_means_f_equals_m_and_a_flag(frequency: pd.Series | None) -> None:
    result = score_rfm(pd.Series([0, 1, 2, 3, 4, 5]), frequency, SIX)
    scores = result.scores
    assert scores["f_score"].tolist() == scores["m_score"].tolist() == [1, 1, 2, 3, 4, 5]
    assert scores["fm_score"].tolist() == [1, 1, 2, 3, 4, 5]
    assert result.frequency_available is False
    assert result.frequency_thresholds is None
    assert result.frequency_missing_count == 6


def test_partly_missing_frequency_uses_m_for_those_customers_only() -> None:
    frequency = pd.Series([np.nan, 0.0, 10.0, np.nan, 5.0, 5.0])
    result = score_rfm(pd.Series([0, 0, 0, 0, 0, 0]), frequency, SIX)
    # thresholds over the four known values 0, 5, 5, 10
    assert result.frequency_thresholds == pytest.approx((3.0, 5.0, 5.0, 7.0))
    assert result.scores["f_score"].tolist() == [1, 1, 5, 3, 2, 2]
    assert result.frequency_available is True
    assert result.frequency_missing_count == 2


def test_all_equal_columns_share_one_bin() -> None:
    """Everyone equal: every value equals every threshold, so the lowest bin (R = 5)."""
    result = score_rfm(pd.Series([30] * 4), pd.Series([2.0] * 4), pd.Series([8.0] * 4))
    scores = result.scores
    assert scores["r_score"].tolist() == [5] * 4
    assert scores["f_score"].tolist() == [1] * 4
    assert scores["m_score"].tolist() == [1] * 4
    assert scores["rfm_segment"].tolist() == ["New Viewers"] * 4


def test_one_customer() -> None:
    result = score_rfm(pd.Series([400]), pd.Series([3.0]), pd.Series([12.0]))
    assert result.scores.iloc[0][["r_score", "f_score", "m_score", "fm_score"]].tolist() == [
        5,
        1,
        1,
        1,
    ]
    assert result.scores["rfm_segment"].tolist() == ["New Viewers"]


def test_tied_values_share_a_score() -> None:
    result = score_rfm(pd.Series([9, 9, 9, 1, 50]), None, pd.Series([3.0, 3.0, 3.0, 0.0, 99.0]))
    assert result.scores["r_score"].iloc[:3].nunique() == 1
    assert result.scores["m_score"].iloc[:3].nunique() == 1


EXPECTED_GRID = {
    # R: FM 1..5
    5: ["New Viewers", *["Potential Loyalists"] * 2, *["Champions"] * 2],
    4: ["New Viewers", *["Potential Loyalists"] * 2, *["Champions"] * 2],
    3: ["Needs Attention"] * 5,
    2: ["Lost", *["Hibernating"] * 2, *["At Risk"] * 2],
    1: ["Lost", *["Hibernating"] * 2, *["At Risk"] * 2],
}


@pytest.mark.parametrize("r", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("fm", [1, 2, 3, 4, 5])
def test_all_25_cells_map_to_the_right_segment(r: int, fm: int) -> None:
    assert rfm_segment(np.array([r]), np.array([fm]))[0] == EXPECTED_GRID[r][fm - 1]


def test_segment_categories_follow_the_order() -> None:
    result = rfm_segment(np.array([5, 1]), np.array([5, 1]))
    assert list(result.categories) == list(RFM_SEGMENT_ORDER)
    assert list(result) == ["Champions", "Lost"]


@pytest.mark.parametrize(("r", "fm"), [(0, 3), (6, 3), (3, 0), (3, 6)])
def test_scores_outside_1_to_5_are_rejected(r: int, fm: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 5"):
        rfm_segment(np.array([r]), np.array([fm]))


def test_missing_watch_time_is_an_error() -> None:
    with pytest.raises(ValueError, match="must not be missing"):
        score_rfm(pd.Series([1, 2]), None, pd.Series([1.0, np.nan]))
