"""Queries for the discount budget: the filtered targets by cell, control group and plan."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine

from db.filters import Filters
from db.queries import aggregate

BUDGET_DIMENSIONS = ("segment", "engagement_level", "control_group", "plan")


def budget_cells(engine: Engine, run_id: int, filters: Filters) -> pd.DataFrame:
    """Discount targets among ``filters`` by (segment, engagement, control group, plan).

    Grouping by control group lets the budget leave the held-out customers out exactly;
    grouping by plan lets customers without a monthly revenue be priced by their plan.
    """
    return aggregate(engine, run_id, filters.with_targets_only(), by=list(BUDGET_DIMENSIONS))
