"""Recency and engagement level: reference date, whole days, tertile boundaries."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.analytics.features import (
    ENGAGEMENT_LEVELS,
    EngagementThresholds,
    days_since_last_login,
    default_as_of,
    engagement_level,
    engagement_thresholds,
)


def logins(*days: str) -> pd.Series:
    return pd.Series(pd.to_datetime(list(days)))


def test_default_as_of_is_latest_login_not_today() -> None:
    assert default_as_of(logins("2020-01-05", "2020-03-01", "2019-12-31")) == date(2020, 3, 1)


def test_default_as_of_ignores_missing_but_needs_one_date() -> None:
    assert default_as_of(pd.Series([pd.NaT, pd.Timestamp("2021-02-03")])) == date(2021, 2, 3)
    with pytest.raises(ValueError, match="no dates"):
        default_as_of(pd.Series([pd.NaT], dtype="datetime64[ns]"))


def test_days_since_last_login_counts_whole_days() -> None:
    series = logins("2024-06-30", "2024-06-29", "2024-05-01", "2024-03-02", "2024-03-01")
    result = days_since_last_login(series, date(2024, 6, 30))
    assert result.tolist() == [0, 1, 60, 120, 121]
    assert result.dtype == np.int64
    assert result.name == "days_since_last_login"


def test_days_since_last_login_ignores_time_of_day_and_keeps_index() -> None:
    series = pd.Series(pd.to_datetime(["2024-01-01 23:59", "2024-01-02 00:01"]), index=[7, 3])
    result = days_since_last_login(series, pd.Timestamp("2024-01-03 08:00"))
    assert result.to_dict() == {7: 2, 3: 1}


def test_login_after_as_of_counts_as_zero_days() -> None:
    result = days_since_last_login(logins("2024-02-10", "2024-01-31"), date(2024, 2, 1))
    assert result.tolist() == [0, 1]


def test_missing_login_is_an_error() -> None:
    with pytest.raises(ValueError, match="missing"):
        days_since_last_login(pd.Series([pd.Timestamp("2024-01-01"), pd.NaT]), date(2024, 1, 2))


def test_thresholds_are_linear_interpolated_tertiles() -> None:
    thresholds = engagement_thresholds(pd.Series([0.0, 10.0, 20.0, 40.0]))
    # positions 1.0 and 2.0 of the sorted values
    assert thresholds == EngagementThresholds(low_max=10.0, medium_max=20.0)
    interpolated = engagement_thresholds(pd.Series([0.0, 3.0]))
    assert interpolated.low_max == pytest.approx(1.0)
    assert interpolated.medium_max == pytest.approx(2.0)


def test_value_equal_to_threshold_takes_the_lower_level() -> None:
    watch = pd.Series([0.0, 10.0, 20.0, 40.0, 10.000001, 20.000001])
    thresholds = EngagementThresholds(low_max=10.0, medium_max=20.0)
    result = engagement_level(watch, thresholds)
    assert result.tolist() == ["Low", "Low", "Medium", "High", "Medium", "High"]


def test_engagement_defaults_to_the_columns_own_tertiles() -> None:
    result = engagement_level(pd.Series([0.0, 10.0, 20.0, 40.0], index=list("abcd")))
    assert result.to_dict() == {"a": "Low", "b": "Low", "c": "Medium", "d": "High"}
    assert list(result.cat.categories) == list(ENGAGEMENT_LEVELS)
    assert result.cat.ordered


def test_tied_values_share_a_level() -> None:
    watch = pd.Series([5.0, 5.0, 5.0, 5.0, 1.0, 9.0])
    result = engagement_level(watch)
    assert result.iloc[:4].nunique() == 1


def test_all_equal_watch_time_puts_everyone_in_low() -> None:
    result = engagement_level(pd.Series([7.5] * 5))
    assert result.tolist() == ["Low"] * 5


def test_one_customer_is_low() -> None:
    assert engagement_level(pd.Series([100.0])).tolist() == ["Low"]


@pytest.mark.parametrize(
    "values", [[], [1.0, np.nan], [1.0, np.inf], [-0.5, 2.0]], ids=["empty", "nan", "inf", "neg"]
)
def test_invalid_watch_time_is_rejected(values: list[float]) -> None:
    with pytest.raises(ValueError, match="watch_time_hours"):
        engagement_thresholds(pd.Series(values, dtype=np.float64))
