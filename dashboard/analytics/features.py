"""Per-customer features: recency in days and the watch-time engagement level.

Pure functions: pandas in, pandas out, no I/O, no wall clock. Every threshold is a
percentile with linear interpolation (the numpy/pandas default) and every bin is
right-inclusive: a value equal to a threshold falls in the lower bin, so tied values
always share a bin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

ENGAGEMENT_LEVELS: tuple[str, ...] = ("Low", "Medium", "High")
"""Engagement levels from least to most watch time."""


@dataclass(frozen=True)
class EngagementThresholds:
    """Watch-time cut points in hours.

    ``low_max`` is the 1/3 percentile and ``medium_max`` the 2/3 percentile of
    watch_time_hours: Low is ``<= low_max``, Medium is ``<= medium_max``, High is
    ``> medium_max`` (the dashboard prints "High engagement = more than 29.1 h").
    """

    low_max: float
    medium_max: float


def default_as_of(last_login: pd.Series) -> date:
    """Return the reference date of an analysis: the latest last_login in the data.

    Never the wall clock, so re-analysing the same data set gives the same result on
    any day. Raises ValueError when there is no login date at all.
    """
    latest = pd.to_datetime(last_login).max()
    if pd.isna(latest):
        raise ValueError("cannot derive as_of: last_login has no dates")
    return latest.date()


def days_since_last_login(last_login: pd.Series, as_of: date | pd.Timestamp) -> pd.Series:
    """Whole days from each customer's last login to ``as_of`` (int64, same index).

    A login on the as_of date is 0 days; the day before is 1. Times of day are
    ignored (both sides are truncated to the date). A login after as_of (possible
    when the caller picks an earlier as_of) counts as 0 days: the customer is as
    recent as can be, never "negative days" inactive. A missing login date is an
    error, because recency drives every segment.
    """
    logins = pd.to_datetime(last_login)
    if logins.isna().any():
        raise ValueError("last_login has missing dates; ingestion should reject those rows")
    reference = pd.Timestamp(as_of).normalize()
    days = (reference - logins.dt.normalize()).dt.days.to_numpy(dtype=np.int64)
    return pd.Series(np.maximum(days, 0), index=last_login.index, name="days_since_last_login")


def engagement_thresholds(watch_time_hours: pd.Series) -> EngagementThresholds:
    """The 1/3 and 2/3 percentiles (linear interpolation) of watch_time_hours.

    Raises ValueError on an empty column or on missing / infinite / negative hours,
    which ingestion is expected to have rejected.
    """
    values = _validated_hours(watch_time_hours)
    low_max, medium_max = np.quantile(values, [1 / 3, 2 / 3])
    return EngagementThresholds(low_max=float(low_max), medium_max=float(medium_max))


def engagement_level(
    watch_time_hours: pd.Series, thresholds: EngagementThresholds | None = None
) -> pd.Series:
    """Low / Medium / High engagement from watch time (categorical, same index).

    Low: hours <= the 1/3 percentile; Medium: <= the 2/3 percentile; High: more than
    the 2/3 percentile. A value equal to a threshold takes the lower level, so when
    every customer watched the same hours, everyone is Low (all values equal both
    thresholds). ``thresholds`` defaults to those of this column.
    """
    values = _validated_hours(watch_time_hours)
    if thresholds is None:
        thresholds = engagement_thresholds(watch_time_hours)
    codes = np.searchsorted(
        np.array([thresholds.low_max, thresholds.medium_max]), values, side="left"
    )
    return pd.Series(
        pd.Categorical.from_codes(codes, categories=list(ENGAGEMENT_LEVELS), ordered=True),
        index=watch_time_hours.index,
        name="engagement_level",
    )


def _validated_hours(watch_time_hours: pd.Series) -> np.ndarray:
    values = watch_time_hours.to_numpy(dtype=np.float64)
    if values.size == 0:
        raise ValueError("watch_time_hours is empty")
    if not np.isfinite(values).all() or (values < 0).any():
        raise ValueError("watch_time_hours must be finite and >= 0")
    return values
