"""The filter cube: counts and sums per combination of filter values, for instant aggregates.

The Overview, Segments, RFM and budget views sum a few thousand cube rows instead of a
million customers; averages are sums divided by counts, so they stay exact under any filter.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

CUBE_DIMENSIONS = (
    "gender",
    "country",
    "plan",
    "segment",
    "engagement_level",
    "rfm_segment",
    "r_score",
    "fm_score",
    "cluster",
    "discount_target",
    "control_group",
    "discount_pct",
)
VIEW_DIMENSIONS = (
    "gender",
    "country",
    "plan",
    "segment",
    "rfm_segment",
    "discount_target",
    "control_group",
)
"""The view cube's dimensions: the filter bar's and the target/control flags, which is what
the Overview, the frame's count and the Segments and RFM views group and filter by."""
MEASURE_COLUMNS = (
    "customers",
    "watch_time_hours_sum",
    "days_since_last_login_sum",
    "visit_frequency_sum",
    "visit_frequency_count",
    "monthly_revenue_sum",
    "monthly_revenue_count",
)


CUBE_TOP_VALUES = 50
"""Country and plan values the cube keeps apart; the rest share OTHER_VALUE (see build_cube)."""
OTHER_VALUE = "\x1f(other values)"
"""The cube's stand-in for the less frequent values of a large column (never a real value:
it begins with a control character)."""
CAPPED_DIMENSIONS = ("country", "plan")


def top_values(values: pd.Series, keep: int = CUBE_TOP_VALUES) -> set[object]:
    """The ``keep`` most frequent values (ties by value, so the choice is repeatable)."""
    return top_counted_values(values.value_counts(dropna=True).to_dict(), keep)


def top_counted_values(counts: Mapping[object, int], keep: int = CUBE_TOP_VALUES) -> set[object]:
    """:func:`top_values` from counts per value (a missing value, None, is never kept)."""
    present = {value: count for value, count in counts.items() if value is not None}
    if len(present) <= keep:
        return set(present)
    ranked = sorted(present.items(), key=lambda item: (-item[1], str(item[0])))
    return {value for value, _count in ranked[:keep]}


def build_cube(customers: pd.DataFrame) -> pd.DataFrame:
    """Counts and sums per combination of filter dimensions that occurs in the data.

    A country or plan column with more than CUBE_TOP_VALUES values keeps its most frequent
    ones and groups the rest as OTHER_VALUE: 200,000 plans would make the cube as large as
    the customers. Totals stay exact (every customer is in some cube row); a filter on a
    grouped value is answered from the customer rows instead.
    """
    frame = pd.DataFrame(
        {
            dimension: customers[dimension].astype(object).where(customers[dimension].notna(), None)
            if dimension in ("country", "plan", "discount_pct")
            else customers[dimension]
            for dimension in CUBE_DIMENSIONS
        }
    )
    for dimension in CAPPED_DIMENSIONS:
        column = frame[dimension]
        kept = top_values(column)
        frame[dimension] = column.where(column.isna() | column.isin(kept), OTHER_VALUE)
    frame["discount_target"] = frame["discount_target"].astype(bool)
    frame["control_group"] = frame["control_group"].astype(bool)
    for dimension in ("gender", "segment", "engagement_level", "rfm_segment"):
        frame[dimension] = frame[dimension].astype(str)
    frame["customers"] = 1
    frame["watch_time_hours_sum"] = customers["watch_time_hours"].astype("float64")
    frame["days_since_last_login_sum"] = customers["days_since_last_login"].astype("float64")
    visits = customers["visit_frequency"].astype("float64")
    frame["visit_frequency_sum"] = visits.fillna(0.0)
    frame["visit_frequency_count"] = visits.notna().astype("int64")
    revenue = customers["monthly_revenue"].astype("float64")
    frame["monthly_revenue_sum"] = revenue.fillna(0.0)
    frame["monthly_revenue_count"] = revenue.notna().astype("int64")
    cube = (
        frame.groupby(list(CUBE_DIMENSIONS), dropna=False, observed=True, sort=True)
        .sum()
        .reset_index()
    )
    return cube[[*CUBE_DIMENSIONS, *MEASURE_COLUMNS]]


def build_view_cube(cube: pd.DataFrame) -> pd.DataFrame:
    """The filter cube summed over VIEW_DIMENSIONS only: about a fifth of its rows, so the
    views' common queries (grouped by a segment under any filter) read a few thousand rows.

    Sums of sums, so every count, sum and average is the same as from the full cube.
    """
    view = (
        cube.groupby(list(VIEW_DIMENSIONS), dropna=False, observed=True, sort=True)[
            list(MEASURE_COLUMNS)
        ]
        .sum()
        .reset_index()
    )
    for dimension in ("country", "plan"):
        view[dimension] = view[dimension].astype(object).where(view[dimension].notna(), None)
    return view[[*VIEW_DIMENSIONS, *MEASURE_COLUMNS]]
