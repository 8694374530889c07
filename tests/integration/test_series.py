"""A hand-made three-snapshot series: membership, churn labels and transitions cell by cell.

Each snapshot has six customers with watch hours 1, 2, 3, 10, 20 and 30, so the engagement
thresholds are the same every month (Low up to 2.67 h, Medium up to 13.3 h) and each
customer's rule segment follows from its hours and last login (see the comments).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from dashboard.analytics.migration import churn_rates, ordered_matrix
from dashboard.analytics.segments import SEGMENT_ORDER
from dashboard.services.analysis import analyze_dataset
from dashboard.services.series import join_series
from db.filters import Filters
from db.ingest import ingest_file
from db.series import SeriesError, add_to_series, propose_series, series_info
from db.transitions import transition_matrix

HEADER = "Customer ID,Gender,Country,Plan,Last Login,Watch Time Hours,Status\n"
SNAPSHOTS = {
    "jan": [
        "A,F,DE,Basic,2024-01-31,30,Active",  # High, 0 days: Loyal
        "B,F,DE,Basic,2024-01-20,20,Active",  # High: Loyal
        "C,F,DE,Basic,2024-01-10,10,Active",  # Medium, 21 days: Casual
        "D,M,DE,Basic,2023-10-15,3,Active",  # Medium, 108 days: Dormant
        "E,M,DE,Basic,2024-01-25,2,Active",  # Low: Risky
        "F,M,DE,Basic,2024-01-30,1,Active",  # Low: Risky
    ],
    "feb": [
        "A,F,DE,Basic,2024-02-29,30,Active",  # Loyal -> Loyal
        "B,F,DE,Basic,2024-02-20,1,Cancelled",  # Loyal -> Risky, and cancelled: churned
        "C,F,DE,Basic,2024-02-28,20,Active",  # Casual -> Loyal
        "D,M,DE,Basic,2023-10-15,10,Active",  # Dormant -> Risky (137 days)
        "G,F,DE,Basic,2024-02-27,3,Active",  # new -> Casual
        "H,M,DE,Basic,2024-02-26,2,Active",  # new -> Risky; E and F are gone
    ],
    "mar": [
        "A,F,DE,Basic,2024-03-30,30,Active",  # Loyal -> Loyal
        "C,F,DE,Basic,2024-03-30,20,Active",  # Loyal -> Loyal
        "G,F,DE,Basic,2024-03-30,10,Active",  # Casual -> Casual
        "H,M,DE,Basic,2024-03-31,3,Active",  # Risky -> Casual
        "I,F,DE,Basic,2024-03-30,2,Active",  # new -> Risky
        "J,M,DE,Basic,2024-03-30,1,Active",  # new -> Risky; B and D are gone
    ],
}


def load(engine: Engine, tmp_path: Path, month: str) -> int:
    path = tmp_path / f"{month}.csv"
    path.write_text(HEADER + "\n".join(SNAPSHOTS[month]) + "\n")
    dataset_id = ingest_file(engine, path).dataset_id
    analyze_dataset(engine, dataset_id)
    return dataset_id


@pytest.fixture
def series(any_engine: Engine, tmp_path: Path) -> tuple[Engine, dict[str, int]]:
    """The three snapshots joined out of order (February first), as uploads may come."""
    ids = {month: load(any_engine, tmp_path, month) for month in ("feb", "jan", "mar")}
    for month in ("feb", "jan", "mar"):
        join_series(any_engine, ids[month], "Base")
    return any_engine, ids


def cells(engine: Engine, info, earlier: int, later: int, kind: str = "rule", **filters):
    runs = {s.dataset_id: s.run_id for s in info.snapshots}
    matrix = transition_matrix(engine, runs[earlier], runs[later], kind, Filters(**filters))
    return {(a, b): n for a, b, n in matrix[["from", "to", "customers"]].itertuples(index=False)}


def test_snapshots_are_ordered_by_as_of(series) -> None:
    engine, ids = series
    info = series_info(engine, "Base")
    assert [(s.dataset_id, str(s.as_of), s.customers) for s in info.snapshots] == [
        (ids["jan"], "2024-01-31", 6),
        (ids["feb"], "2024-02-29", 6),
        (ids["mar"], "2024-03-31", 6),
    ]


def test_churn_labels_say_who_left_or_cancelled(series) -> None:
    engine, ids = series
    with engine.connect() as connection:
        labels = connection.execute(
            text(
                "SELECT dataset_id, customer_id, next_dataset_id, churned FROM churn_labels "
                "ORDER BY dataset_id, customer_id"
            )
        ).all()
    by_month = {
        month: {(c, bool(churned)) for d, c, n, churned in labels if d == ids[month]}
        for month in ids
    }
    assert by_month["jan"] == {
        ("A", False), ("B", True), ("C", False), ("D", False), ("E", True), ("F", True),
    }  # fmt: skip
    assert by_month["feb"] == {
        ("A", False), ("B", True), ("C", False), ("D", True), ("G", False), ("H", False),
    }  # fmt: skip
    assert by_month["mar"] == set()  # no later snapshot yet
    assert {(d, n) for d, c, n, churned in labels} == {
        (ids["jan"], ids["feb"]),
        (ids["feb"], ids["mar"]),
    }


def test_rule_transitions_cell_by_cell(series) -> None:
    engine, ids = series
    info = series_info(engine, "Base")
    assert cells(engine, info, ids["jan"], ids["feb"]) == {
        ("Loyal", "Loyal"): 1,
        ("Loyal", "Risky"): 1,
        ("Casual", "Loyal"): 1,
        ("Dormant", "Risky"): 1,
        ("Risky", "gone"): 2,
        ("new", "Casual"): 1,
        ("new", "Risky"): 1,
    }
    assert cells(engine, info, ids["feb"], ids["mar"]) == {
        ("Loyal", "Loyal"): 2,
        ("Risky", "gone"): 2,
        ("Casual", "Casual"): 1,
        ("Risky", "Casual"): 1,
        ("new", "Risky"): 2,
    }


def test_filters_use_current_values_and_previous_ones_for_the_gone(series) -> None:
    engine, ids = series
    info = series_info(engine, "Base")
    assert cells(engine, info, ids["jan"], ids["feb"], gender=("Female",)) == {
        ("Loyal", "Loyal"): 1,
        ("Loyal", "Risky"): 1,
        ("Casual", "Loyal"): 1,
        ("new", "Casual"): 1,
    }
    assert cells(engine, info, ids["jan"], ids["feb"], segment=("Risky",)) == {
        ("Loyal", "Risky"): 1,
        ("Dormant", "Risky"): 1,
        ("Risky", "gone"): 2,
        ("new", "Risky"): 1,
    }


def test_a_customer_id_filter_finds_that_customer_s_cell(series) -> None:
    engine, ids = series
    info = series_info(engine, "Base")
    one = {"customer_id": "C"}
    assert cells(engine, info, ids["jan"], ids["feb"], **one) == {("Casual", "Loyal"): 1}
    assert cells(engine, info, ids["jan"], ids["feb"], customer_id="E") == {("Risky", "gone"): 1}
    assert cells(engine, info, ids["jan"], ids["feb"], customer_id="G") == {("new", "Casual"): 1}
    assert cells(engine, info, ids["jan"], ids["feb"], customer_id="G", gender=("Male",)) == {}
    assert cells(engine, info, ids["jan"], ids["feb"], customer_id="nobody") == {}
    from dashboard.services.series import migration_cells, pair_of

    pair = pair_of(engine, "Base", ids["jan"], ids["feb"])
    cancelled = migration_cells(engine, pair, "rule", Filters(customer_id="B"))
    assert cancelled.values.tolist() == [["Loyal", "Risky", 1, 1]]  # present, but cancelled


def test_churn_rates_per_previous_segment(series) -> None:
    engine, ids = series
    info = series_info(engine, "Base")
    runs = {s.dataset_id: s.run_id for s in info.snapshots}
    matrix = transition_matrix(engine, runs[ids["jan"]], runs[ids["feb"]], "rule")
    rates = churn_rates(matrix, SEGMENT_ORDER)
    assert rates[["segment", "customers", "churned"]].values.tolist() == [
        ["Loyal", 2, 1],
        ["Casual", 1, 0],
        ["Dormant", 1, 0],
        ["Risky", 2, 2],
        ["All", 6, 3],
    ]
    risky = rates.set_index("segment").loc["Risky"]
    assert (risky["rate"], risky["lift"]) == (1.0, 2.0)
    assert ordered_matrix(matrix, SEGMENT_ORDER).loc["new"].tolist() == [0, 1, 0, 1, 0]


def test_two_snapshots_of_one_series_cannot_share_an_as_of(
    any_engine: Engine, tmp_path: Path
) -> None:
    first = load(any_engine, tmp_path, "jan")
    path = tmp_path / "jan_again.csv"
    path.write_text(HEADER + "\n".join(SNAPSHOTS["jan"]) + "\nZ,F,DE,Basic,2024-01-02,5,Active\n")
    second = ingest_file(any_engine, path).dataset_id
    add_to_series(any_engine, first, "Base")
    with pytest.raises(SeriesError, match=r"already has a snapshot as of 2024-01-31"):
        add_to_series(any_engine, second, "Base")
    assert [s.dataset_id for s in series_info(any_engine, "Base").snapshots] == [first]


def test_a_new_export_of_the_same_customers_is_proposed_its_series(
    any_engine: Engine, tmp_path: Path
) -> None:
    jan = load(any_engine, tmp_path, "jan")
    add_to_series(any_engine, jan, "Base")
    feb = load(any_engine, tmp_path, "feb")  # shares A, B, C, D of six: two thirds
    proposal = propose_series(any_engine, feb)
    assert proposal is not None
    assert (proposal.series_name, proposal.dataset_id, proposal.shared) == ("Base", jan, 4)
    mar = load(any_engine, tmp_path, "mar")  # shares A and C with January: a third
    assert propose_series(any_engine, mar) is None


def test_deleting_a_middle_snapshot_links_its_neighbours(series) -> None:
    from dashboard.services.series import delete_dataset

    engine, ids = series
    assert delete_dataset(engine, ids["feb"])
    info = series_info(engine, "Base")
    assert [s.dataset_id for s in info.snapshots] == [ids["jan"], ids["mar"]]
    assert cells(engine, info, ids["jan"], ids["mar"]) == {
        ("Loyal", "Loyal"): 1,
        ("Casual", "Loyal"): 1,
        ("Loyal", "gone"): 1,
        ("Dormant", "gone"): 1,
        ("Risky", "gone"): 2,
        ("new", "Casual"): 2,
        ("new", "Risky"): 2,
    }
    with engine.connect() as connection:
        labels = connection.execute(
            text(
                "SELECT next_dataset_id, count(*), sum(CASE WHEN churned THEN 1 ELSE 0 END) "
                "FROM churn_labels GROUP BY next_dataset_id"
            )
        ).all()
    assert [tuple(row) for row in labels] == [(ids["mar"], 6, 4)]  # B, D, E and F left


def test_deleting_the_latest_snapshot_deletes_the_labels_made_against_it(series) -> None:
    from dashboard.services.series import delete_dataset

    engine, ids = series
    assert delete_dataset(engine, ids["mar"])
    with engine.connect() as connection:
        labels = connection.execute(
            text(
                "SELECT dataset_id, next_dataset_id, count(*) FROM churn_labels "
                "GROUP BY dataset_id, next_dataset_id"
            )
        ).all()
    assert [tuple(row) for row in labels] == [(ids["jan"], ids["feb"], 6)]
