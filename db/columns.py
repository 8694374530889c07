"""The column vocabulary shared by queries, exports, grids and the analysis writer.

Plain names, no SQL: the one place the customer columns are spelled, so a builder can name
columns without importing a query module.
"""

from __future__ import annotations

CUSTOMER_COLUMNS = (
    "customer_id",
    "name",
    "gender",
    "age",
    "country",
    "plan",
    "last_login",
    "days_since_last_login",
    "watch_time_hours",
    "visit_frequency",
    "monthly_revenue",
    "engagement_level",
    "segment",
    "r_score",
    "f_score",
    "m_score",
    "fm_score",
    "rfm_segment",
    "cluster",
    "cluster_name",
    "discount_target",
    "target_reason",
    "discount_pct",
    "control_group",
)
"""One row per customer as pages, downloads and exports show it (customer_results' columns)."""

MESSAGING_COLUMNS = ("segment_kind", "segment", "headline", "message", "channel", "offer")
EDITABLE_MESSAGING_COLUMNS = ("headline", "message", "channel", "offer")


# Ids of data sets, runs and campaigns are 32-bit integers on both backends. An id from a link
# or a form beyond that range names nothing; asking the database would overflow instead.
MAX_ROW_ID = 2**31 - 1


def storable_id(value: int) -> bool:
    """Whether ``value`` can be the id of a data set, run or campaign."""
    return 0 < value <= MAX_ROW_ID


CUBE_OTHER_VALUE = "\x1f(other values)"
"""How filter_cube groups the less frequent values of a large country or plan column
(``dashboard.analytics.cube.OTHER_VALUE``, the same string; a test holds them equal)."""
CUBE_CAPPED_DIMENSIONS = ("country", "plan")
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
"""The dimensions of filter_cube (``dashboard.analytics.cube.CUBE_DIMENSIONS``)."""
VIEW_DIMENSIONS = (
    "gender",
    "country",
    "plan",
    "segment",
    "rfm_segment",
    "discount_target",
    "control_group",
)
"""The dimensions of view_cube (``dashboard.analytics.cube.VIEW_DIMENSIONS``; a test holds
both pairs equal)."""
VIEW_CUBE_DIMENSIONS = frozenset(VIEW_DIMENSIONS)
