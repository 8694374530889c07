"""Migration between two snapshots and churn per segment: pure functions over cell counts.

A cell is (from, to, customers, churned) as ``db.transitions.transition_matrix`` returns
it: ``from`` is ``new`` for customers only in the current snapshot, ``to`` is ``gone`` for
customers only in the previous one.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from dashboard.analytics.effects import wilson_interval

NEW = "new"
GONE = "gone"


def ordered_matrix(cells: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Customers as a previous x current table in segment order, ``new`` as the last row and
    ``gone`` as the last column; every segment appears, empty cells are 0."""
    rows = [*order, NEW]
    columns = [*order, GONE]
    if cells.empty:
        return pd.DataFrame(0, index=rows, columns=columns, dtype="int64")
    table = cells.pivot_table(
        index="from", columns="to", values="customers", aggfunc="sum", fill_value=0
    )
    extra_rows = [r for r in table.index if r not in rows]
    extra_columns = [c for c in table.columns if c not in columns]
    return (
        table.reindex(index=rows + extra_rows, columns=columns + extra_columns, fill_value=0)
        .astype("int64")
        .rename_axis(index="from", columns="to")
    )


def row_shares(matrix: pd.DataFrame) -> pd.DataFrame:
    """Each cell as a share of its row (the previous segment's customers); 0 for empty rows."""
    totals = matrix.sum(axis=1)
    return matrix.div(totals.where(totals > 0), axis=0).fillna(0.0)


def churn_rates(
    cells: pd.DataFrame, order: Sequence[str], confidence: float = 0.95
) -> pd.DataFrame:
    """Per previous segment: customers, churned, rate with its Wilson interval, and lift over
    the base rate (all previous customers). New customers have no previous segment and are
    left out. Segments without customers are left out; the base is the last row (``All``).
    """
    previous = cells[cells["from"] != NEW]
    grouped = previous.groupby("from")[["customers", "churned"]].sum()
    total_customers = int(grouped["customers"].sum())
    total_churned = int(grouped["churned"].sum())
    base = total_churned / total_customers if total_customers else float("nan")
    rows = []
    names = [s for s in order if s in grouped.index] + [s for s in grouped.index if s not in order]
    for name, customers, churned in [
        *((s, int(grouped.at[s, "customers"]), int(grouped.at[s, "churned"])) for s in names),
        ("All", total_customers, total_churned),
    ]:
        if customers == 0:
            continue
        interval = wilson_interval(churned, customers, confidence)
        rows.append(
            {
                "segment": name,
                "customers": customers,
                "churned": churned,
                "rate": interval.estimate,
                "low": interval.low,
                "high": interval.high,
                "lift": interval.estimate / base if base else float("nan"),
            }
        )
    return pd.DataFrame(
        rows, columns=["segment", "customers", "churned", "rate", "low", "high", "lift"]
    )


def cohort_shares(counts: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join month x snapshot tables of the share of each cohort still present and active.

    ``counts`` is ``db.series.cohort_counts``. A snapshot taken during the join month itself
    would show a cohort still filling up, so only snapshots from the first day of the next
    month on are kept. Rows: join months, oldest first; columns: snapshot as-of dates.
    """
    if counts.empty:
        empty = pd.DataFrame()
        return empty, empty
    next_month = pd.to_datetime(counts["join_month"] + "-01") + pd.offsets.MonthBegin(1)
    kept = counts[pd.to_datetime(counts["as_of"]) >= next_month]
    if kept.empty:
        empty = pd.DataFrame()
        return empty, empty
    present = kept.assign(share=kept["present"] / kept["cohort_size"]).pivot(
        index="join_month", columns="as_of", values="share"
    )
    active = kept.assign(share=kept["active"] / kept["cohort_size"]).pivot(
        index="join_month", columns="as_of", values="share"
    )
    return present.sort_index(), active.sort_index()
