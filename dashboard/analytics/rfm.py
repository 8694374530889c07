"""RFM scoring (Recency, Frequency, Monetary) and the seven RFM segments.

For a streaming service "monetary" is engagement: M comes from watch_time_hours and
F from visit_frequency. Each score is 1-5 on the 20/40/60/80 percentiles (linear
interpolation), bins right-inclusive: a value equal to a threshold falls in the
lower bin, so tied values always share a score.

- R from days_since_last_login, fewer days is better: <= p20 -> 5, <= p40 -> 4,
  <= p60 -> 3, <= p80 -> 2, more -> 1. When everyone has the same recency, all are 5.
- F from visit_frequency and M from watch_time_hours, more is better: <= p20 -> 1,
  <= p40 -> 2, <= p60 -> 3, <= p80 -> 4, more -> 5. All-equal values all score 1.
- Missing visit frequency: when the data set has none at all, F = M and
  ``frequency_available`` is False. When only some customers lack it, the
  percentiles are taken over the customers who have it and each customer without
  it gets F = M too: watch time is the best evidence we hold of how often they
  come back, and it neither rewards nor punishes them for a gap in the data (a
  fixed 1 would push them into Lost/Hibernating, a fixed 3 into the middle).
  ``frequency_missing_count`` reports how many scores were filled this way.
- FM = ceil((F + M) / 2), i.e. the average of F and M rounded up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

RFM_SEGMENT_ORDER: tuple[str, ...] = (
    "Champions",
    "Potential Loyalists",
    "New Viewers",
    "Needs Attention",
    "At Risk",
    "Hibernating",
    "Lost",
)
"""RFM segments in display order."""

SCORE_PERCENTILES: tuple[float, ...] = (0.2, 0.4, 0.6, 0.8)


def _segment_for(recency: int, fm: int) -> str:
    if recency >= 4:
        return "Champions" if fm >= 4 else "New Viewers" if fm == 1 else "Potential Loyalists"
    if recency == 3:
        return "Needs Attention"
    return "At Risk" if fm >= 4 else "Lost" if fm == 1 else "Hibernating"


# _SEGMENT_GRID[r - 1, fm - 1] is the position in RFM_SEGMENT_ORDER (25 cells, built once).
_SEGMENT_GRID = np.array(
    [[RFM_SEGMENT_ORDER.index(_segment_for(r, fm)) for fm in range(1, 6)] for r in range(1, 6)],
    dtype=np.int8,
)


@dataclass(frozen=True)
class RFMResult:
    """Per-customer scores and the thresholds that produced them.

    ``scores`` has the input index and columns r_score, f_score, m_score, fm_score
    (int8, 1-5) and rfm_segment (categorical in RFM_SEGMENT_ORDER). Thresholds are
    the 20/40/60/80 percentiles; ``frequency_thresholds`` is None when no customer
    has a visit frequency.
    """

    scores: pd.DataFrame
    recency_thresholds: tuple[float, float, float, float]
    frequency_thresholds: tuple[float, float, float, float] | None
    monetary_thresholds: tuple[float, float, float, float]
    frequency_available: bool
    frequency_missing_count: int


def quintile_thresholds(values: pd.Series | np.ndarray) -> tuple[float, float, float, float]:
    """The 20/40/60/80 percentiles (linear interpolation) of the non-missing values."""
    array = np.asarray(values, dtype=np.float64)
    array = array[~np.isnan(array)]
    if array.size == 0:
        raise ValueError("cannot compute percentiles of an empty or all-missing column")
    p20, p40, p60, p80 = (float(x) for x in np.quantile(array, SCORE_PERCENTILES))
    return p20, p40, p60, p80


def quintile_score(
    values: pd.Series | np.ndarray,
    thresholds: tuple[float, float, float, float],
    higher_is_better: bool = True,
) -> np.ndarray:
    """Score 1-5 per value (int8): <= p20 -> 1 ... > p80 -> 5, reversed for recency.

    A value equal to a threshold falls in the lower bin. Missing values get 0 so the
    caller can spot and fill them.
    """
    array = np.asarray(values, dtype=np.float64)
    bins = np.searchsorted(np.asarray(thresholds), array, side="left").astype(np.int8)
    scores = bins + 1 if higher_is_better else 5 - bins
    return np.where(np.isnan(array), 0, scores).astype(np.int8)


def rfm_segment(
    r_score: np.ndarray | pd.Series, fm_score: np.ndarray | pd.Series
) -> pd.Categorical:
    """The RFM segment for each (R, FM) pair, both 1-5.

    Champions: R >= 4 and FM >= 4. Potential Loyalists: R >= 4, FM 2-3. New Viewers:
    R >= 4, FM 1. Needs Attention: R = 3. At Risk: R <= 2, FM >= 4. Hibernating:
    R <= 2, FM 2-3. Lost: R <= 2, FM 1.
    """
    r = np.asarray(r_score, dtype=np.intp)
    fm = np.asarray(fm_score, dtype=np.intp)
    if r.size and (r.min() < 1 or r.max() > 5 or fm.min() < 1 or fm.max() > 5):
        raise ValueError("R and FM scores must be between 1 and 5")
    return pd.Categorical.from_codes(
        _SEGMENT_GRID[r - 1, fm - 1], categories=list(RFM_SEGMENT_ORDER)
    )


def score_rfm(
    days_since_last_login: pd.Series,
    visit_frequency: pd.Series | None,
    watch_time_hours: pd.Series,
) -> RFMResult:
    """R, F, M, FM scores and the RFM segment of every customer (see module docstring).

    ``visit_frequency`` may be None or all missing: then F = M and
    ``frequency_available`` is False.
    """
    index = watch_time_hours.index
    recency_thresholds = quintile_thresholds(days_since_last_login)
    monetary_thresholds = quintile_thresholds(watch_time_hours)
    r = quintile_score(days_since_last_login, recency_thresholds, higher_is_better=False)
    m = quintile_score(watch_time_hours, monetary_thresholds)
    if (r == 0).any() or (m == 0).any():
        raise ValueError("days_since_last_login and watch_time_hours must not be missing")

    frequency = (
        np.full(len(index), np.nan)
        if visit_frequency is None
        else visit_frequency.to_numpy(dtype=np.float64)
    )
    missing = np.isnan(frequency)
    frequency_available = not missing.all()
    frequency_thresholds = quintile_thresholds(frequency) if frequency_available else None
    if frequency_thresholds is None:
        f = m.copy()
    else:
        f = np.where(missing, m, quintile_score(frequency, frequency_thresholds)).astype(np.int8)

    fm = ((f.astype(np.int16) + m + 1) // 2).astype(np.int8)
    scores = pd.DataFrame(
        {
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "fm_score": fm,
            "rfm_segment": rfm_segment(r, fm),
        },
        index=index,
    )
    return RFMResult(
        scores=scores,
        recency_thresholds=recency_thresholds,
        frequency_thresholds=frequency_thresholds,
        monetary_thresholds=monetary_thresholds,
        frequency_available=frequency_available,
        frequency_missing_count=int(missing.sum()),
    )
