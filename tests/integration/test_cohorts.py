"""Cohort retention over a generated series, against the same counts made in pandas from
the exported files."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from dashboard.analytics.migration import cohort_shares
from dashboard.services.sample_data import JOIN_DATE, LAST_LOGIN, generate_series, write_frame
from dashboard.services.series import cohorts, join_series
from db.ingest import ingest_file
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
