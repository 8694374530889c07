"""The stored run equals the pure analytics on the whole data set, column by column.

The analysis job reads only five columns, ships what it computed as codes and builds the
customer rows, the cubes and the sample pool inside the database. Here the reference is
computed the plain way, independently of that path: every customer column read straight from
``customers``, :func:`analyze_customers` on the wide frame, :func:`build_cube` on its result.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine, text

from dashboard.analytics.analysis import analyze_customers
from dashboard.analytics.cube import CUBE_DIMENSIONS, MEASURE_COLUMNS, build_cube
from dashboard.services import sample_data
from dashboard.services.analysis import analyze_dataset
from db.columns import CUSTOMER_COLUMNS
from db.ingest import ingest_file
from db.queries import delete_dataset
from db.results import PACKED_COLUMNS, packed_codes

WIDE = (
    "customer_id, name, gender, age, country, plan, last_login, watch_time_hours, "
    "visit_frequency, monthly_revenue"
)


@pytest.fixture(scope="module")
def plans_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Generated customers with 80 plans (so the cube caps them), some rare, and gaps."""
    path = tmp_path_factory.mktemp("identity") / "identity_4000.csv"
    sample_data.write_csv(path, rows=4_000, seed=23)
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    plan_column = next(name for name in frame.columns if name.lower() == "plan")
    rng = np.random.default_rng(5)
    frame[plan_column] = [f"Plan {n:02d}" for n in rng.zipf(1.6, len(frame)) % 80]
    frame.loc[rng.random(len(frame)) < 0.05, plan_column] = ""
    frame.to_csv(path, index=False)
    return path


def reference(engine: Engine, dataset_id: int) -> pd.DataFrame:
    """The whole data set read the plain way and analysed by the pure functions."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT {WIDE} FROM customers WHERE dataset_id = :d ORDER BY id"),
            {"d": dataset_id},
        ).all()
    frame = pd.DataFrame([tuple(row) for row in rows], columns=[c.strip() for c in WIDE.split(",")])
    frame["last_login"] = pd.to_datetime(frame["last_login"])
    for name in ("watch_time_hours", "visit_frequency", "monthly_revenue"):
        frame[name] = pd.to_numeric(frame[name]).astype("float64")
    return analyze_customers(frame).customers


def stored(engine: Engine, run_id: int, columns: str, order: str) -> pd.DataFrame:
    with engine.connect() as connection:
        result = connection.execute(
            text(f"SELECT {columns} FROM customer_results WHERE run_id = :r ORDER BY {order}"),
            {"r": run_id},
        )
        return pd.DataFrame(result.all(), columns=list(result.keys()))


def test_every_stored_column_equals_the_pure_analysis_of_the_whole_data_set(
    engine: Engine, plans_csv: Path
) -> None:
    dataset_id = ingest_file(engine, plans_csv).dataset_id
    run = analyze_dataset(engine, dataset_id)
    expected = reference(engine, dataset_id)
    got = stored(engine, run.run_id, ", ".join(CUSTOMER_COLUMNS), "id")
    assert len(got) == len(expected) == run.customers == 4_000
    for name in CUSTOMER_COLUMNS:
        want = expected[name]
        mine = got[name].astype(object).where(got[name].notna(), None).tolist()
        theirs = want.astype(object).where(want.notna(), None).tolist()
        if name == "last_login":  # SQLite hands dates back as ISO text
            mine, theirs = [str(v) for v in mine], [str(v.date()) for v in theirs]
        if name in ("discount_target", "control_group"):
            mine, theirs = [bool(v) for v in mine], [bool(v) for v in theirs]
        assert mine == theirs, name  # exact: the same floats, labels, scores and flags
    assert stored(engine, run.run_id, "sample_rank", "id")["sample_rank"].tolist() == (
        np.random.default_rng(42).permutation(4_000).tolist()
    )

    # The cube built by GROUP BY equals the pure cube: counts exactly, sums to rounding.
    pure = build_cube(expected)
    with engine.connect() as connection:
        result = connection.execute(
            text(
                f"SELECT {', '.join((*CUBE_DIMENSIONS, *MEASURE_COLUMNS))} FROM filter_cube "
                "WHERE run_id = :r"
            ),
            {"r": run.run_id},
        )
        cube = pd.DataFrame(result.all(), columns=list(result.keys()))
    assert pure["plan"].nunique() == 51  # 50 plans kept apart and the rest grouped
    key = list(CUBE_DIMENSIONS)

    def comparable(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.copy()
        frame["discount_target"] = frame["discount_target"].astype(bool)
        frame["control_group"] = frame["control_group"].astype(bool)
        frame["discount_pct"] = frame["discount_pct"].astype("float64")
        frame["country"] = frame["country"].astype(object).where(frame["country"].notna(), "")
        frame["plan"] = frame["plan"].astype(object).where(frame["plan"].notna(), "")
        frame["discount_pct"] = frame["discount_pct"].fillna(-1.0)
        return frame.sort_values(key, ignore_index=True)

    pure, cube = comparable(pure), comparable(cube)
    assert len(cube) == len(pure)
    pd.testing.assert_frame_equal(
        cube[key].astype(str), pure[key].astype(str), obj="cube dimensions"
    )
    for name in MEASURE_COLUMNS:
        np.testing.assert_allclose(
            cube[name].to_numpy(dtype=float), pure[name].to_numpy(dtype=float), rtol=1e-12
        )


def attached_partitions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.execute(
                text(
                    "SELECT inhrelid::regclass::text FROM pg_inherits "
                    "WHERE inhparent = 'customer_results'::regclass"
                )
            ).scalars()
        )


def test_each_run_is_a_partition_of_its_own_and_goes_with_its_run(
    engine: Engine, plans_csv: Path
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite keeps customer_results as one plain table")
    dataset_id = ingest_file(engine, plans_csv).dataset_id
    first = analyze_dataset(engine, dataset_id)
    second = analyze_dataset(engine, dataset_id)
    partitions = attached_partitions(engine)
    assert f"customer_results_p{second.run_id}" in partitions
    assert f"customer_results_p{first.run_id}" not in partitions  # dropped with its run
    with engine.connect() as connection:
        counts = connection.execute(
            text("SELECT run_id, count(*) FROM customer_results GROUP BY run_id")
        ).all()
    assert counts == [(second.run_id, 4_000)]
    assert delete_dataset(engine, dataset_id)
    assert f"customer_results_p{second.run_id}" not in attached_partitions(engine)


def test_codes_outside_four_bits_are_refused_before_anything_is_shipped() -> None:
    codes = pd.DataFrame({name: [0, 1] for name in PACKED_COLUMNS})
    assert packed_codes(codes).tolist() == [
        sum(1 << (4 * i) for i in range(len(PACKED_COLUMNS))),
        sum(2 << (4 * i) for i in range(len(PACKED_COLUMNS))),
    ]
    codes.loc[1, "cluster"] = 15  # k is at most 8 today; a 16th cluster would not fit
    with pytest.raises(ValueError, match="cluster has a code outside"):
        packed_codes(codes)
