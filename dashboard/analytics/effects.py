"""Treated-against-control statistics for a campaign: intervals and plain-words verdicts.

Pure functions on counts and numbers, no I/O.

* A proportion (renewal rate, login improvement) gets the **Wilson score interval**, which
  stays inside [0, 1] and keeps its coverage for small groups and rates near 0 or 1, where the
  textbook "p ± 1.96·SE" interval fails (Newcombe 1998, Stat Med 17:857).
* A difference of two proportions gets **Newcombe's hybrid score interval** (method 10 of
  Newcombe 1998, Stat Med 17:873), built from the two Wilson intervals.
* A difference of two means (watch-time increase) gets **Welch's interval**: no assumption that
  the two groups have the same variance, degrees of freedom from the Welch–Satterthwaite
  equation, quantile from Student's t (``scipy.stats.t``).

Too small to tell: a comparison is flagged when either group has fewer than
:data:`MIN_GROUP_SIZE` (30) customers, or, for a difference of proportions, when its interval
includes zero and is wider than :data:`MAX_PROPORTION_CI_WIDTH` (20 points): such an interval
cannot tell "no effect" from an effect of ten points either way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
MIN_GROUP_SIZE = 30
"""Below this many customers in the treated or the control group, no verdict is trusted."""
MAX_PROPORTION_CI_WIDTH = 0.20
"""A difference-of-proportions interval wider than this (20 points) that includes zero is too
imprecise to tell an effect from none."""
MINUS = "\u2212"


@dataclass(frozen=True)
class Interval:
    """An estimate with its two-sided confidence interval (``df`` for t-based intervals)."""

    estimate: float
    low: float
    high: float
    confidence: float = CONFIDENCE
    df: float | None = None

    @property
    def width(self) -> float:
        return self.high - self.low

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def includes_zero(self) -> bool:
        return self.contains(0.0)

    def as_dict(self) -> dict[str, float | None]:
        return {
            "estimate": self.estimate,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "df": self.df,
        }


def _z(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> Interval:
    """Wilson score interval for ``successes`` out of ``n`` (no continuity correction).

    Raises ValueError for n < 1 or successes outside [0, n].
    """
    if n < 1:
        raise ValueError("a proportion needs at least one observation")
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and {n}, got {successes}")
    z = _z(confidence)
    p = successes / n
    z2 = z * z
    denominator = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    # The exact bounds at 0 and n are 0 and 1; pin them against rounding.
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return Interval(p, low, high, confidence)


def newcombe_interval(
    successes_1: int, n_1: int, successes_2: int, n_2: int, confidence: float = CONFIDENCE
) -> Interval:
    """Newcombe's hybrid score interval for p1 − p2 (group 1 minus group 2).

    With Wilson intervals (l1, u1) and (l2, u2): low = d − √((p1−l1)² + (u2−p2)²),
    high = d + √((u1−p1)² + (p2−l2)²), where d = p1 − p2.
    """
    first = wilson_interval(successes_1, n_1, confidence)
    second = wilson_interval(successes_2, n_2, confidence)
    p1, p2 = first.estimate, second.estimate
    difference = p1 - p2
    below = math.hypot(p1 - first.low, second.high - p2)
    above = math.hypot(first.high - p1, p2 - second.low)
    return Interval(difference, difference - below, difference + above, confidence)


def welch_interval_from_stats(
    mean_1: float,
    variance_1: float,
    n_1: int,
    mean_2: float,
    variance_2: float,
    n_2: int,
    confidence: float = CONFIDENCE,
) -> Interval:
    """Welch interval for mean1 − mean2 from means, sample variances (ddof=1) and sizes."""
    if n_1 < 2 or n_2 < 2:
        raise ValueError("a difference of means needs at least two observations per group")
    share_1 = variance_1 / n_1
    share_2 = variance_2 / n_2
    difference = mean_1 - mean_2
    standard_error = math.sqrt(share_1 + share_2)
    if standard_error == 0.0:
        return Interval(difference, difference, difference, confidence, df=float(n_1 + n_2 - 2))
    df = (share_1 + share_2) ** 2 / (share_1**2 / (n_1 - 1) + share_2**2 / (n_2 - 1))
    t = float(stats.t.ppf(0.5 + confidence / 2.0, df))
    return Interval(
        difference, difference - t * standard_error, difference + t * standard_error, confidence, df
    )


def welch_interval(
    sample_1: Sequence[float] | np.ndarray,
    sample_2: Sequence[float] | np.ndarray,
    confidence: float = CONFIDENCE,
) -> Interval:
    """Welch interval for mean(sample_1) − mean(sample_2)."""
    first = np.asarray(sample_1, dtype=float)
    second = np.asarray(sample_2, dtype=float)
    if len(first) < 2 or len(second) < 2:
        raise ValueError("a difference of means needs at least two observations per group")
    return welch_interval_from_stats(
        float(first.mean()),
        float(first.var(ddof=1)),
        len(first),
        float(second.mean()),
        float(second.var(ddof=1)),
        len(second),
        confidence,
    )


def mean_interval(sample: Sequence[float] | np.ndarray, confidence: float = CONFIDENCE) -> Interval:
    """Student-t interval for one group's mean (the error bar of one bar)."""
    values = np.asarray(sample, dtype=float)
    n = len(values)
    if n < 1:
        raise ValueError("a mean needs at least one observation")
    mean = float(values.mean())
    if n < 2:
        return Interval(mean, mean, mean, confidence)
    half = float(stats.t.ppf(0.5 + confidence / 2.0, n - 1)) * float(values.std(ddof=1)) / n**0.5
    return Interval(mean, mean - half, mean + half, confidence, df=float(n - 1))


# --- Words ---------------------------------------------------------------------------------


def format_number(value: float, decimals: int = 1) -> str:
    """``-1.23`` → ``−1.2`` (a true minus sign; ``−0.0`` is written ``0.0``)."""
    text = f"{value:.{decimals}f}"
    if text.startswith("-"):
        text = text[1:] if float(text[1:]) == 0 else MINUS + text[1:]
    return text


def confidence_words(confidence: float) -> str:
    return f"{confidence * 100:g} % CI"


def verdict(
    subject: str,
    difference: Interval | None,
    *,
    unit: str = "points",
    scale: float = 100.0,
    decimals: int = 1,
    missing_reason: str = "a group is empty",
) -> str:
    """A plain-words reading of a treated − control difference.

    "the discount raised renewal by 6.1 points, 95 % CI 2.3 to 9.9" when the interval lies
    above zero, "lowered" when below, and "no clear effect on renewal: +1.1 points, 95 % CI
    −1.2 to 3.4 includes zero" otherwise. ``scale`` turns proportions into points (100);
    use ``scale=1`` and ``unit="hours"`` for means.
    """
    if difference is None:
        return f"{subject} cannot be compared: {missing_reason}"
    estimate = difference.estimate * scale
    low = format_number(difference.low * scale, decimals)
    high = format_number(difference.high * scale, decimals)
    ci = f"{confidence_words(difference.confidence)} {low} to {high}"
    if difference.low > 0:
        return f"the discount raised {subject} by {format_number(estimate, decimals)} {unit}, {ci}"
    if difference.high < 0:
        return (
            f"the discount lowered {subject} by {format_number(-estimate, decimals)} {unit}, {ci}"
        )
    shown = format_number(estimate, decimals)
    sign = "+" if estimate > 0 and shown != format_number(0.0, decimals) else ""
    return f"no clear effect on {subject}: {sign}{shown} {unit}, {ci} includes zero"


def too_small_warning(
    treated_n: int,
    control_n: int,
    difference: Interval | None,
    *,
    proportion: bool,
    min_group_size: int = MIN_GROUP_SIZE,
    max_proportion_width: float = MAX_PROPORTION_CI_WIDTH,
) -> str | None:
    """Why this comparison cannot tell an effect from none, or None when it can.

    Rule: fewer than ``min_group_size`` customers in either group; or, for proportions, an
    interval that includes zero and is wider than ``max_proportion_width``.
    """
    if control_n < min_group_size:
        return (
            f"only {control_n:,} control customers: too few to tell "
            f"(at least {min_group_size} are needed)"
        )
    if treated_n < min_group_size:
        return (
            f"only {treated_n:,} treated customers: too few to tell "
            f"(at least {min_group_size} are needed)"
        )
    if (
        proportion
        and difference is not None
        and difference.includes_zero
        and difference.width > max_proportion_width
    ):
        width = format_number(difference.width * 100)
        return (
            f"the interval is {width} points wide: the control group is too small to tell "
            f"an effect of less than about {format_number(difference.width * 50, 0)} points "
            "from none"
        )
    return None
