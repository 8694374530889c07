"""Campaign statistics: intervals against published values and scipy, verdicts in plain words."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dashboard.analytics.effects import (
    Interval,
    format_number,
    mean_interval,
    newcombe_interval,
    too_small_warning,
    verdict,
    welch_interval,
    welch_interval_from_stats,
    wilson_interval,
)
from dashboard.analytics.measure import (
    LOGIN,
    RENEWAL,
    WATCH_TIME,
    RenewalRule,
    choose_renewal_rule,
    metric_results,
    outcome_frame,
    read_status,
)


# Newcombe (1998), "Two-sided confidence intervals for the single proportion: comparison of
# seven methods", Stat Med 17:857-872, Table I, method 3 (score, no continuity correction).
@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_interval_matches_newcombe_1998(
    successes: int, n: int, low: float, high: float
) -> None:
    interval = wilson_interval(successes, n)
    assert interval.estimate == pytest.approx(successes / n)
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)


# Newcombe (1998), "Interval estimation for the difference between independent proportions:
# comparison of eleven methods", Stat Med 17:873-890, Table II, method 10 (hybrid score).
@pytest.mark.parametrize(
    ("counts", "low", "high"),
    [
        ((56, 70, 48, 80), 0.0524, 0.3339),
        ((9, 10, 3, 10), 0.1705, 0.8090),
        ((6, 7, 2, 7), 0.0582, 0.8062),
        ((5, 56, 0, 29), -0.0381, 0.1926),
        ((0, 10, 0, 20), -0.1611, 0.2775),
        ((0, 10, 0, 10), -0.2775, 0.2775),
        ((10, 10, 0, 20), 0.6791, 1.0),
        ((10, 10, 0, 10), 0.6075, 1.0),
    ],
)
def test_newcombe_interval_matches_newcombe_1998(
    counts: tuple[int, int, int, int], low: float, high: float
) -> None:
    interval = newcombe_interval(*counts)
    assert interval.estimate == pytest.approx(counts[0] / counts[1] - counts[2] / counts[3])
    assert interval.low == pytest.approx(low, abs=5e-5)
    assert interval.high == pytest.approx(high, abs=5e-5)


def test_wilson_and_newcombe_refuse_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson_interval(0, 0)
    with pytest.raises(ValueError):
        wilson_interval(5, 4)
    with pytest.raises(ValueError):
        newcombe_interval(1, 2, 3, 0)


def test_welch_interval_equals_scipy_ttest_ind_unequal_variances() -> None:
    rng = np.random.default_rng(7)
    treated = rng.lognormal(1.5, 0.8, 400)
    control = rng.lognormal(1.3, 1.1, 45)
    ours = welch_interval(treated, control)
    reference = stats.ttest_ind(treated, control, equal_var=False).confidence_interval(0.95)
    assert ours.estimate == pytest.approx(treated.mean() - control.mean())
    assert ours.low == pytest.approx(reference.low, rel=1e-10)
    assert ours.high == pytest.approx(reference.high, rel=1e-10)
    ours_90 = welch_interval(treated, control, confidence=0.90)
    reference_90 = stats.ttest_ind(treated, control, equal_var=False).confidence_interval(0.90)
    assert ours_90.low == pytest.approx(reference_90.low, rel=1e-10)
    # Welch–Satterthwaite degrees of freedom lie between the smaller group's n − 1 and n1 + n2 − 2.
    assert 44 < (ours.df or 0) < 443


def test_welch_from_stats_handles_constant_groups() -> None:
    interval = welch_interval_from_stats(3.0, 0.0, 10, 1.0, 0.0, 12)
    assert (interval.estimate, interval.low, interval.high) == (2.0, 2.0, 2.0)
    with pytest.raises(ValueError):
        welch_interval([1.0], [1.0, 2.0])


def test_mean_interval_equals_scipy_t_interval() -> None:
    values = np.array([1.0, 4.0, 2.5, 8.0, 3.0, 0.5])
    interval = mean_interval(values)
    low, high = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    assert (interval.low, interval.high) == (pytest.approx(low), pytest.approx(high))


def test_verdicts_say_raised_lowered_or_no_clear_effect() -> None:
    assert (
        verdict("renewal", Interval(0.061, 0.023, 0.099))
        == "the discount raised renewal by 6.1 points, 95 % CI 2.3 to 9.9"
    )
    assert (
        verdict("renewal", Interval(-0.05, -0.081, -0.019))
        == "the discount lowered renewal by 5.0 points, 95 % CI \u22128.1 to \u22121.9"
    )
    assert (
        verdict("renewal", Interval(0.011, -0.012, 0.034))
        == "no clear effect on renewal: +1.1 points, 95 % CI \u22121.2 to 3.4 includes zero"
    )
    assert (
        verdict("watch time", Interval(2.345, 0.4, 4.29), unit="hours per customer", scale=1)
        == "the discount raised watch time by 2.3 hours per customer, 95 % CI 0.4 to 4.3"
    )
    assert verdict("renewal", None, missing_reason="no control customers") == (
        "renewal cannot be compared: no control customers"
    )
    assert format_number(-0.04) == "0.0"


def test_too_small_warning_rule() -> None:
    assert "only 29 control customers" in (
        too_small_warning(500, 29, Interval(0.1, 0.05, 0.15), proportion=True) or ""
    )
    assert "only 12 treated" in (too_small_warning(12, 300, None, proportion=False) or "")
    wide = Interval(0.05, -0.08, 0.18)
    assert "26.0 points wide" in (too_small_warning(400, 60, wide, proportion=True) or "")
    # A wide interval that excludes zero has told us something; a narrow one always has.
    assert too_small_warning(400, 60, Interval(0.2, 0.05, 0.35), proportion=True) is None
    assert too_small_warning(400, 60, Interval(0.0, -0.05, 0.05), proportion=True) is None
    assert too_small_warning(400, 60, wide, proportion=False) is None


@pytest.mark.parametrize(
    ("headers", "column", "negative"),
    [
        (["Subscription Status", "Notes"], "Subscription Status", False),
        (["churned"], "churned", True),
        (["is_churned", "Region"], "is_churned", True),
        (["is_active"], "is_active", False),
        (["Churn", "Status"], "Status", False),
        (["Favourite Genre"], None, False),
    ],
)
def test_renewal_rule_picks_the_status_column(
    headers: list[str], column: str | None, negative: bool
) -> None:
    assert choose_renewal_rule(headers) == RenewalRule(column, negative)


def test_status_values_are_read_with_the_column_polarity() -> None:
    cells = pd.Series(["Active", "Cancelled", "1", "0", "Yes", "no", "True", "", None, "maybe"])
    renewed, readable = read_status(cells, negative=False)
    assert renewed.tolist() == [True, False, True, False, True, False, True, False, False, False]
    assert readable.tolist() == [True, True, True, True, True, True, True, False, False, False]
    renewed, _ = read_status(cells, negative=True)
    assert renewed.tolist() == [True, False, False, True, False, True, False, False, False, False]


def test_outcomes_from_members_and_followup_rows() -> None:
    members = pd.DataFrame(
        {
            "customer_id": ["A", "B", "C", "D"],
            "control_group": [False, False, True, True],
            "days_since_last_login": [100, 20, 200, 45],
            "watch_time_hours": [10.0, 5.0, 7.0, 1.0],
        }
    )
    followup = pd.DataFrame(
        {
            "customer_id": ["A", "C", "D", "Z"],
            "last_login": [date(2025, 9, 20), date(2025, 5, 1), date(2025, 7, 2), date(2025, 9, 1)],
            "watch_time_hours": [15.5, 7.0, 3.0, 1.0],
        }
    )
    login_rule = outcome_frame(
        members, followup, date(2025, 6, 30), date(2025, 9, 28), RenewalRule(None)
    )
    assert login_rule["matched"].tolist() == [True, False, True, True]
    assert login_rule["renewed"].tolist() == [True, False, False, True]
    assert login_rule["watch_increase"].tolist()[0] == 5.5
    assert np.isnan(login_rule["watch_increase"].tolist()[1])
    assert login_rule["login_eligible"].tolist() == [True, False, True, True]
    # 2025-09-20 is 8 days before the follow-up's as-of date; 2025-07-02 is 88 days before.
    assert login_rule["login_improved"].tolist() == [True, False, False, False]

    with_status = followup.assign(status=["Active", "Active", "Cancelled", "Active"])
    status_rule = outcome_frame(
        members,
        with_status,
        date(2025, 6, 30),
        date(2025, 9, 28),
        RenewalRule("Subscription Status"),
    )
    assert status_rule["renewed"].tolist() == [True, False, True, False]

    results = {metric.metric: metric for metric in metric_results(status_rule)}
    assert results[RENEWAL].treated.n == 2 and results[RENEWAL].treated.successes == 1
    assert results[RENEWAL].control.successes == 1
    assert results[WATCH_TIME].treated.n == 1 and results[WATCH_TIME].difference is None
    assert "fewer than 2 treated customers" in results[WATCH_TIME].verdict
    assert results[LOGIN].treated.n == 1  # B was back within 30 days already at baseline
    assert results[RENEWAL].warning is not None  # two control customers cannot tell anything
