"""Cohort retention over a generated series, against the same counts made in pandas from
the exported files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from dashboard.analytics.migration import cohort_shares
from dashboard.services.sample_data import JOIN_DATE, LAST_LOGIN, generate_series, write_frame
from dashboard.services.series import cohorts, join_series
from db.ingest import IngestOptions, ingest_file
from db.series import cohort_counts, series_info


def test_cohort_counts_equal_pandas_over_the_exports(any_engine: Engine, tmp_path: Path) -> None:
    exports = []
    for day, frame in generate_series(400, seed=3, snapshots=3, every_days=45):
        path = tmp_path / f"base_{day}.csv"
        write_frame(frame, path)
        result = ingest_file(any_engine, path)
        join_series(any_engine, result.dataset_id, "Base")
        exports.append((result.dataset_id, result.as_of_date, frame))

    first_month: dict[str, str] = {}
    for _, _, frame in exports:  # oldest first: a customer's join month from its first export
        for customer, joined in zip(frame["Customer ID"], frame[JOIN_DATE], strict=True):
            first_month.setdefault(customer, pd.Timestamp(joined).strftime("%Y-%m"))
    sizes = pd.Series(first_month).value_counts()
    expected = []
    for dataset_id, as_of, frame in exports:
        months = frame["Customer ID"].map(first_month)
        days = (pd.Timestamp(as_of) - pd.to_datetime(frame[LAST_LOGIN])).dt.days
        for month, group in frame.groupby(months):
            active = int((days[group.index] <= 30).sum())
            expected.append((month, int(sizes[month]), dataset_id, as_of, len(group), active))

    counts = cohort_counts(any_engine, series_info(any_engine, "Base").series_id)
    assert sorted(map(tuple, counts.itertuples(index=False))) == sorted(expected)

    present, active = cohort_shares(counts)
    by_cell = {(month, as_of): (size, n, a) for month, size, _, as_of, n, a in expected}
    assert not present.empty
    for month in present.index:
        for as_of in present.columns:
            value = present.loc[month, as_of]
            if value == value:  # a cell the table shows
                size, n, a = by_cell[(month, as_of)]
                assert (value, active.loc[month, as_of]) == (n / size, a / size)
                assert pd.Timestamp(as_of) >= pd.Timestamp(f"{month}-01") + pd.offsets.MonthBegin(1)
    shown_present, _ = cohorts(any_engine, exports[-1][0])
    assert shown_present.equals(present)


COHORT_HEADER = "Customer ID,Gender,Last Login,Watch Time Hours,Join Date\n"
COHORT_SNAPSHOTS = {
    "2024-01-31": [
        "A,F,2024-01-30,5,2023-11-03",  # November, active
        "B,F,2023-12-01,5,2023-11-20",  # November, 61 days: not active
        "C,M,2024-01-20,5,2023-12-05",  # December
        "N,M,2024-01-20,5,",  # no join date: in no cohort
    ],
    "2024-02-29": [
        "A,F,2024-02-28,5,2023-11-03",  # B is missing this month
        "C,M,2024-01-01,5,2023-12-05",  # 59 days: not active
        "D,F,2024-02-10,5,2024-01-15",  # January, new
    ],
    "2024-03-31": [
        "A,F,2024-03-30,5,2023-11-03",
        "B,F,2024-03-30,5,2023-11-20",  # back: still one of November's two customers
        "D,F,2024-03-01,5,2024-01-15",  # 30 days: active
    ],
}


def test_a_returning_customer_counts_once_and_a_late_snapshot_recounts_the_later_ones(
    any_engine: Engine, tmp_path: Path
) -> None:
    """March and January are loaded first; February arrives last, between them, and the
    arrivals of March are counted again against both."""
    ids = {}
    for as_of in ("2024-03-31", "2024-01-31", "2024-02-29"):
        path = tmp_path / f"base_{as_of}.csv"
        path.write_text(COHORT_HEADER + "\n".join(COHORT_SNAPSHOTS[as_of]) + "\n")
        options = IngestOptions(as_of=date.fromisoformat(as_of))
        ids[as_of] = ingest_file(any_engine, path, options).dataset_id
        join_series(any_engine, ids[as_of], "Base")

    counts = cohort_counts(any_engine, series_info(any_engine, "Base").series_id)
    rows = {
        (month, as_of.isoformat()): (size, present, active)
        for month, size, _, as_of, present, active in counts.itertuples(index=False)
    }
    assert rows == {
        ("2023-11", "2024-01-31"): (2, 2, 1),
        ("2023-11", "2024-02-29"): (2, 1, 1),
        ("2023-11", "2024-03-31"): (2, 2, 2),
        ("2023-12", "2024-01-31"): (1, 1, 1),
        ("2023-12", "2024-02-29"): (1, 1, 0),
        ("2024-01", "2024-02-29"): (1, 1, 1),
        ("2024-01", "2024-03-31"): (1, 1, 1),
    }
