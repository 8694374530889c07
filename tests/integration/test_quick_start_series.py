"""The Quick start sample is a short series, so trends, migration and churn show on first
start."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, text

from dashboard.services import series
from dashboard.services.startup import SAMPLE_NAME, load_sample_series
from db.queries import active_run_id


def test_the_sample_is_three_monthly_snapshots_of_one_base_linked_for_migration_and_churn(
    engine: Engine, tmp_path: Path
) -> None:
    ids = load_sample_series(engine, tmp_path, echo=lambda _: None, rows=300)

    assert ids == [1, 2, 3]
    info = series.all_series(engine)[0]
    assert info.name == SAMPLE_NAME
    assert [(s.dataset_id, s.as_of.isoformat()) for s in info.snapshots] == [
        (1, "2025-05-01"),
        (2, "2025-05-31"),
        (3, "2025-06-30"),
    ]
    assert active_run_id(engine) == info.snapshots[-1].run_id  # the newest is shown first
    with engine.connect() as connection:
        sizes = connection.execute(
            text("SELECT dataset_id, COUNT(*) FROM customers GROUP BY dataset_id ORDER BY 1")
        ).all()
        labels = connection.execute(
            text(
                "SELECT dataset_id, next_dataset_id, COUNT(*), "
                "SUM(CASE WHEN churned THEN 1 ELSE 0 END) FROM churn_labels "
                "GROUP BY dataset_id, next_dataset_id ORDER BY 1"
            )
        ).all()
    assert [tuple(row) for row in sizes] == [(1, 300), (2, 285), (3, 257)]
    assert [tuple(row) for row in labels] == [(1, 2, 300, 39), (2, 3, 285, 51)]

    pair = series.pair_of(engine, SAMPLE_NAME)
    assert (pair.previous.dataset_id, pair.current.dataset_id) == (2, 3)
    cells = series.migration_cells(engine, pair, "rule")
    assert cells.loc[cells["to"] != "gone", "customers"].sum() == 257
    assert cells.loc[cells["from"] != "new", "customers"].sum() == 285
    rates = series.series_churn_rates(engine, SAMPLE_NAME)
    assert [(r["previous_dataset_id"], r["rule"][-1]["churned"]) for r in rates] == [
        (1, 39),
        (2, 51),
    ]
