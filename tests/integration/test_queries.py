"""Read queries against real databases, checked against pandas over the stored customer rows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, select, text

from dashboard.services.analysis import AnalysisParameters, analyze_dataset
from db import queries
from db.filters import NULL_TOKEN, Filters
from db.models import CustomerResult, MessagingStrategy
from tests.integration.test_pipeline import RESULT_COLUMNS, load_hand_data


@dataclass(frozen=True)
class Analysed:
    engine: Engine
    run_id: int
    customers: pd.DataFrame  # every stored row of the run, with its id, in id order


@pytest.fixture
def analysed(any_engine: Engine, tmp_path: Path) -> Analysed:
    run = analyze_dataset(any_engine, load_hand_data(any_engine, tmp_path))
    table = CustomerResult.__table__
    with any_engine.connect() as connection:
        rows = connection.execute(
            select(table.c.id, *[table.c[name] for name in RESULT_COLUMNS])
            .where(table.c.run_id == run.run_id)
            .order_by(table.c.id)
        ).all()
    frame = pd.DataFrame(rows, columns=["id", *RESULT_COLUMNS])
    return Analysed(any_engine, run.run_id, frame)


def matching(frame: pd.DataFrame, filters: Filters) -> pd.DataFrame:
    """The rows a filter keeps, computed with pandas (None stands for NULL_TOKEN)."""
    keep = pd.Series(True, index=frame.index)
    for name, values in filters.chosen().items():
        wanted = {None if value == NULL_TOKEN else value for value in values}
        keep &= frame[name].map(lambda value, w=wanted: (None if pd.isna(value) else value) in w)
    if filters.customer_id:
        keep &= frame["customer_id"] == filters.customer_id
    if filters.targets_only:
        keep &= frame["discount_target"].astype(bool)
    return frame[keep]


def pandas_measures(rows: pd.DataFrame) -> dict[str, float]:
    visits = rows["visit_frequency"].astype(float)
    revenue = rows["monthly_revenue"].astype(float)
    count = len(rows)
    return {
        "customers": count,
        "watch_time_hours_sum": float(rows["watch_time_hours"].sum()),
        "days_since_last_login_sum": float(rows["days_since_last_login"].sum()),
        "visit_frequency_sum": float(visits.sum()),
        "visit_frequency_count": int(visits.notna().sum()),
        "monthly_revenue_sum": float(revenue.sum()),
        "monthly_revenue_count": int(revenue.notna().sum()),
        "targets": int(rows["discount_target"].astype(bool).sum()),
        "control": int(rows["control_group"].astype(bool).sum()),
        "avg_watch_time_hours": rows["watch_time_hours"].mean() if count else np.nan,
        "avg_days_since_last_login": rows["days_since_last_login"].mean() if count else np.nan,
        "avg_visit_frequency": visits.mean(),
        "avg_monthly_revenue": revenue.mean(),
    }


def as_plain(record: dict[str, object]) -> dict[str, object]:
    return {key: float(value) for key, value in record.items()}


FILTER_CASES = {
    "none": Filters(),
    "gender": Filters(gender=("Female",)),
    "two segments": Filters(segment=("Dormant", "Risky")),
    "rfm segment": Filters(rfm_segment=("At Risk", "Lost")),
    "country with missing": Filters(country=("Germany", NULL_TOKEN)),
    "missing plan only": Filters(plan=(NULL_TOKEN,)),
    "combined": Filters(gender=("Male",), segment=("Dormant", "Risky"), plan=("Standard",)),
    "customer id": Filters(customer_id="C05"),
    "customer id outside the other filters": Filters(gender=("Male",), customer_id="C05"),
    "targets only": Filters(targets_only=True),
    "targets in France": Filters(country=("France",), targets_only=True),
    "unknown gender": Filters(gender=("Unknown",), segment=("Risky",)),
    "nobody": Filters(segment=("Loyal",), rfm_segment=("Lost",)),
}


def test_aggregate_equals_pandas_over_the_customer_rows(analysed: Analysed) -> None:
    for case, filters in FILTER_CASES.items():
        rows = matching(analysed.customers, filters)
        totals = queries.aggregate(analysed.engine, analysed.run_id, filters)
        assert len(totals) == 1, case
        got = as_plain(totals.iloc[0].to_dict())
        expected = as_plain(pandas_measures(rows))
        assert got == pytest.approx(expected, rel=1e-12, nan_ok=True), case
        assert queries.count_customers(analysed.engine, analysed.run_id, filters) == len(rows)

        for by in (["segment"], ["gender", "country"], ["rfm_segment", "plan"]):
            grouped = queries.aggregate(analysed.engine, analysed.run_id, filters, by=by)
            keys = [
                tuple(None if pd.isna(value) else value for value in key)
                for key in grouped[by].itertuples(index=False, name=None)
            ]
            expected_groups = {
                tuple(None if pd.isna(value) else value for value in key): group
                for key, group in rows.groupby(by, dropna=False)
            }
            assert sorted(keys, key=str) == sorted(expected_groups, key=str), (case, by)
            for key, record in zip(keys, grouped.to_dict("records"), strict=True):
                measures = {name: record[name] for name in expected}
                assert as_plain(measures) == pytest.approx(
                    as_plain(pandas_measures(expected_groups[key])), rel=1e-12, nan_ok=True
                ), (case, by, key)


def test_aggregate_by_segment_is_exact_on_the_hand_made_file(analysed: Analysed) -> None:
    grouped = queries.aggregate(analysed.engine, analysed.run_id, Filters(), by=["segment"])
    assert grouped[["segment", "customers", "targets", "avg_watch_time_hours"]].values.tolist() == [
        ["Casual", 2, 0, 9.0],
        ["Dormant", 4, 4, 11.75],
        ["Loyal", 2, 0, 14.0],
        ["Risky", 8, 1, 5.375],
    ]


def page_ids(analysed: Analysed, filters: Filters, start: int, end: int, sort) -> list[str]:
    page = queries.customer_page(analysed.engine, analysed.run_id, filters, start, end, sort)
    assert list(page.columns) == list(queries.CUSTOMER_COLUMNS)
    return page["customer_id"].tolist()


def pandas_order(frame: pd.DataFrame, sort: list[tuple[str, str]]) -> list[str]:
    """Stable sort on the requested columns, ties in row-id order."""
    columns = [column for column, _ in sort] + ["id"]
    ascending = [direction != "desc" for _, direction in sort] + [True]
    return frame.sort_values(columns, ascending=ascending, kind="mergesort")["customer_id"].tolist()


SORTS = [
    [],
    [("watch_time_hours", "desc")],
    [("watch_time_hours", "asc")],
    [("segment", "asc")],
    [("segment", "desc"), ("days_since_last_login", "asc")],
    [("discount_target", "desc"), ("customer_id", "desc")],
    [("days_since_last_login", "desc")],
]


def test_customer_page_sorts_and_pages_exactly(analysed: Analysed) -> None:
    for sort in SORTS:
        expected = pandas_order(analysed.customers, sort)
        assert page_ids(analysed, Filters(), 0, 100, sort) == expected, sort
        pages = [page_ids(analysed, Filters(), start, start + 5, sort) for start in (0, 5, 10, 15)]
        assert [len(page) for page in pages] == [5, 5, 5, 1], sort
        assert [customer for page in pages for customer in page] == expected, sort
        assert page_ids(analysed, Filters(), 16, 30, sort) == [], sort
        assert page_ids(analysed, Filters(), 3, 3, sort) == [], sort


def test_customer_page_top_watchers_and_filtered_pages(analysed: Analysed) -> None:
    top = page_ids(analysed, Filters(), 0, 5, [("watch_time_hours", "desc")])
    assert top == ["C01", "C05", "C09", "C07", "C02"]
    risky = Filters(segment=("Risky",))
    assert page_ids(analysed, risky, 2, 6, [("watch_time_hours", "asc")]) == [
        "C14",
        "C16",
        "C13",
        "C11",
    ]
    # An unknown sort column is ignored (row-id order), never interpolated into SQL.
    assert page_ids(analysed, risky, 0, 100, [("id; DROP TABLE x", "asc")]) == pandas_order(
        matching(analysed.customers, risky), []
    )
    targets = page_ids(analysed, Filters(targets_only=True), 0, 100, [("discount_pct", "desc")])
    assert targets == ["C10", "C06", "C08", "C05", "C07"]


def test_customer_page_puts_missing_countries_at_the_same_end_on_both_backends(
    sqlite_engine: Engine, postgresql_engine: Engine, tmp_path: Path
) -> None:
    orders = {}
    for engine in (sqlite_engine, postgresql_engine):
        run = analyze_dataset(engine, load_hand_data(engine, tmp_path))
        page = queries.customer_page(engine, run.run_id, Filters(), 0, 100, [("country", "asc")])
        orders[engine.dialect.name] = [None if pd.isna(v) else v for v in page["country"]]
    # Both list the 14 known countries in order and the 2 missing ones together at one end.
    assert orders["sqlite"] == orders["postgresql"]


def test_sample_customers_is_a_bounded_stable_filtered_sample(analysed: Analysed) -> None:
    filters = Filters(segment=("Risky", "Dormant"))
    columns = ["customer_id", "segment", "watch_time_hours"]
    sample = queries.sample_customers(analysed.engine, analysed.run_id, filters, 5, columns)
    assert list(sample.columns) == columns
    assert len(sample) == 5
    assert set(sample["segment"]) <= {"Risky", "Dormant"}
    again = queries.sample_customers(analysed.engine, analysed.run_id, filters, 5, columns)
    pd.testing.assert_frame_equal(sample, again)
    # The sample is the filtered customers with the lowest sample ranks.
    candidates = matching(analysed.customers, filters).sort_values("sample_rank")
    assert sample["customer_id"].tolist() == candidates["customer_id"].head(5).tolist()
    # A limit above the number of matches returns every match once.
    everyone = queries.sample_customers(analysed.engine, analysed.run_id, filters, 50, columns)
    assert sorted(everyone["customer_id"]) == sorted(candidates["customer_id"])
    # sample_rank is a permutation of the run's customers.
    assert sorted(analysed.customers["sample_rank"]) == list(range(16))
    none = queries.sample_customers(
        analysed.engine, analysed.run_id, Filters(customer_id="nobody"), 5, columns
    )
    assert none.empty and list(none.columns) == columns


def test_samples_come_from_the_pool_but_a_named_customer_always_shows(
    any_engine: Engine, tmp_path: Path
) -> None:
    dataset_id = load_hand_data(any_engine, tmp_path)
    run = analyze_dataset(any_engine, dataset_id, AnalysisParameters(sample_pool=8))
    with any_engine.connect() as connection:
        ranks = dict(
            connection.execute(
                select(CustomerResult.customer_id, CustomerResult.sample_rank).where(
                    CustomerResult.run_id == run.run_id
                )
            ).all()
        )
    columns = ["customer_id", "sample_rank"]
    # A smaller pool bounds the work: only the 8 customers ranked below it are drawn.
    pooled = queries.sample_customers(any_engine, run.run_id, Filters(), 50, columns)
    assert pooled["sample_rank"].tolist() == list(range(8))
    assert pooled["customer_id"].tolist() == sorted(
        (customer for customer in ranks if ranks[customer] < 8), key=ranks.get
    )
    # A customer ranked outside the pool still shows when asked for by ID.
    outsider = next(customer for customer, rank in ranks.items() if rank >= 8)
    named = queries.sample_customers(
        any_engine, run.run_id, Filters(customer_id=outsider), 50, columns
    )
    assert named.values.tolist() == [[outsider, ranks[outsider]]]


def test_filter_options_lists_each_dimension_with_the_null_token(analysed: Analysed) -> None:
    assert queries.filter_options(analysed.engine, analysed.run_id) == {
        "gender": ["Female", "Male", "Unknown"],
        "segment": ["Casual", "Dormant", "Loyal", "Risky"],
        "rfm_segment": sorted(
            [
                "Champions",
                "Potential Loyalists",
                "New Viewers",
                "Needs Attention",
                "At Risk",
                "Hibernating",
                "Lost",
            ]
        ),
        "country": [NULL_TOKEN, "France", "Germany", "Spain"],
        "plan": [NULL_TOKEN, "Basic", "Premium", "Standard"],
    }


def test_customer_profile(analysed: Analysed) -> None:
    profile = queries.customer_profile(analysed.engine, analysed.run_id, "C10")
    assert profile is not None
    assert set(profile) == set(queries.CUSTOMER_COLUMNS)
    assert {
        key: profile[key]
        for key in (
            "customer_id",
            "name",
            "gender",
            "country",
            "plan",
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
            "discount_target",
            "target_reason",
            "discount_pct",
        )
    } == {
        "customer_id": "C10",
        "name": "Customer 10",
        "gender": "Male",
        "country": "Spain",
        "plan": "Basic",
        "days_since_last_login": 121,
        "watch_time_hours": 8.0,
        "visit_frequency": 3.0,
        "monthly_revenue": 8.5,
        "engagement_level": "Medium",
        "segment": "Risky",
        "r_score": 2,
        "f_score": 2,
        "m_score": 3,
        "fm_score": 3,
        "rfm_segment": "Hibernating",
        "discount_target": True,
        "target_reason": "Risky, medium engagement",
        "discount_pct": 20.0,
    }
    assert str(profile["last_login"]) == "2024-03-01"
    assert queries.customer_profile(analysed.engine, analysed.run_id, "C99") is None
    assert queries.customer_profile(analysed.engine, analysed.run_id + 1, "C10") is None


def messaging_rows(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text(
                    "SELECT segment_kind, segment, headline, message, channel, offer, updated_by "
                    "FROM messaging_strategies ORDER BY segment_kind, segment"
                )
            )
        ]


def test_update_messaging_edits_one_cell_and_refuses_unknown_columns(any_engine: Engine) -> None:
    before = messaging_rows(any_engine)
    assert len(before) == 4 + 7

    assert queries.update_messaging(
        any_engine, "rule", "Dormant", "headline", "  Come back: 15 % off  ", "maria"
    )
    after = messaging_rows(any_engine)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert len(changed) == 1
    old, new = changed[0]
    assert new[:2] == ("rule", "Dormant")
    assert new[2] == "Come back: 15 % off"
    assert new[3:6] == old[3:6]
    assert new[6] == "maria"

    for column in ("segment", "segment_kind", "updated_by", "headline; DROP TABLE x"):
        assert not queries.update_messaging(any_engine, "rule", "Dormant", column, "x", "eve")
    assert not queries.update_messaging(any_engine, "rule", "Nobody", "headline", "x", "eve")
    assert messaging_rows(any_engine) == after

    # A value longer than the column is cut to its length (200 for the headline).
    assert queries.update_messaging(any_engine, "rfm", "Lost", "headline", "x" * 500, None)
    with any_engine.connect() as connection:
        headline = connection.execute(
            select(MessagingStrategy.headline).where(
                MessagingStrategy.segment_kind == "rfm", MessagingStrategy.segment == "Lost"
            )
        ).scalar_one()
    assert headline == "x" * 200
    frame = queries.messaging_strategies(any_engine)
    assert list(frame.columns) == list(queries.MESSAGING_COLUMNS)
    assert len(frame) == 11
