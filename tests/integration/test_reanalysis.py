"""Analysing a data set again from the Data page's form, on both backends."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from dashboard.services.analysis import (
    AnalysisParameters,
    ReanalysisError,
    analyze_dataset,
    parse_parameters,
    run_reanalysis,
)
from dashboard.services.sample_data import write_csv
from db.ingest import ingest_file
from db.queries import active_run


@pytest.fixture
def analysed(engine: Engine, tmp_path: Path) -> int:
    path = tmp_path / "customers.csv"
    write_csv(path, rows=500, seed=3)
    dataset_id = ingest_file(engine, path).dataset_id
    analyze_dataset(engine, dataset_id)
    return dataset_id


def runs(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text("SELECT id, k_used, as_of_date FROM analysis_runs ORDER BY id")
            )
        ]


def days_by_customer(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(
            connection.execute(
                text("SELECT customer_id, days_since_last_login FROM customer_results")
            ).all()
        )


@pytest.mark.parametrize(
    ("as_of", "k", "message"),
    [
        ("30/06/2025", 4, "The as-of date must look like 2025-06-30, not '30/06/2025'."),
        ("2025-02-30", 4, "The as-of date must look like 2025-06-30, not '2025-02-30'."),
        ("", "four", "The number of clusters must be a whole number from 2 to 8."),
        ("", 1, "The number of clusters must be from 2 to 8, not 1."),
        ("", 9, "The number of clusters must be from 2 to 8, not 9."),
    ],
)
def test_bad_form_values_are_refused_in_words(as_of: str, k: object, message: str) -> None:
    with pytest.raises(ReanalysisError) as refused:
        parse_parameters(as_of, k)
    assert str(refused.value) == message


def test_a_later_as_of_and_another_k_replace_the_run(engine: Engine, analysed: int) -> None:
    [(first_run, _k, as_of_value)] = runs(engine)
    before = days_by_customer(engine)
    as_of = date.fromisoformat(str(as_of_value)[:10])
    later = as_of + timedelta(days=30)

    summary = run_reanalysis(engine, analysed, f" {later.isoformat()} ", "3")

    [(run_id, k_used, new_as_of)] = runs(engine)  # the new run replaced the old one
    assert run_id > first_run
    assert (k_used, str(new_as_of)[:10]) == (3, later.isoformat())
    after = days_by_customer(engine)
    assert after == {customer: days + 30 for customer, days in before.items()}
    with engine.connect() as connection:
        targets = connection.execute(
            text("SELECT count(*) FROM customer_results WHERE discount_target")
        ).scalar_one()
    assert summary == {
        "ok": True,
        "dataset_id": analysed,
        "run_id": run_id,
        "as_of": later.isoformat(),
        "k": 3,
        "customers": 500,
        "targets": targets,
        "message": summary["message"],
    }
    assert summary["message"].startswith(
        f"Analysis run {run_id} of data set {analysed} as of {later.isoformat()}: 500 customers"
    )


def test_refusals_leave_the_previous_results(engine: Engine, analysed: int) -> None:
    before = runs(engine)
    [(_run, _k, as_of_value)] = before
    earlier = date.fromisoformat(str(as_of_value)[:10]) - timedelta(days=1)

    too_early = run_reanalysis(engine, analysed, earlier.isoformat(), 4)
    assert too_early["ok"] is False
    assert too_early["message"].startswith(f"The as-of date {earlier.isoformat()} is before")
    assert run_reanalysis(engine, analysed, "", 12)["message"] == (
        "The number of clusters must be from 2 to 8, not 12."
    )
    assert run_reanalysis(engine, None, "", 4) == {
        "ok": False,
        "message": "Select a data set in the table first.",
    }
    assert run_reanalysis(engine, analysed + 1, "", 4)["message"] == (
        f"There is no data set {analysed + 1}."
    )
    assert runs(engine) == before


def test_applying_discount_levels_makes_a_new_run_with_them(engine: Engine, tmp_path: Path) -> None:
    from dashboard.services.analysis import apply_discount_levels
    from db.audit import Actor

    path = tmp_path / "customers.csv"
    write_csv(path, rows=1_500, seed=4)
    dataset_id = ingest_file(engine, path).dataset_id
    first = analyze_dataset(engine, dataset_id, AnalysisParameters(k=3))
    levels = {("Dormant", "High"): 12.5, ("Dormant", "Medium"): 15.0, ("Risky", "Medium"): 25.0}
    summary = apply_discount_levels(engine, dataset_id, levels, Actor("maria"))
    assert summary["ok"] is True and summary["run_id"] != first.run_id
    run = active_run(engine, dataset_id)
    assert run.run_id == summary["run_id"] and run.k_used == 3  # only the discounts changed
    with engine.connect() as connection:
        applied = {
            (segment, level): pct
            for segment, level, pct in connection.execute(
                text(
                    "SELECT DISTINCT segment, engagement_level, discount_pct FROM customer_results "
                    "WHERE run_id = :r AND discount_target"
                ),
                {"r": run.run_id},
            )
        }
        audited = connection.execute(
            text("SELECT username, action, outcome FROM audit_events ORDER BY id")
        ).all()
    assert applied == levels
    assert [tuple(row) for row in audited] == [("maria", "analyze", "ok")]

    refused = apply_discount_levels(
        engine, dataset_id, {("Risky", "Medium"): 150.0}, Actor("maria")
    )
    assert refused["ok"] is False and refused["message"].startswith("Nothing changed")
    assert active_run(engine, dataset_id).run_id == run.run_id


def test_applying_a_control_share_holds_out_that_share(engine: Engine, tmp_path: Path) -> None:
    from dashboard.services.analysis import apply_discount_levels
    from db.audit import Actor

    path = tmp_path / "customers.csv"
    write_csv(path, rows=3_000, seed=8)
    dataset_id = ingest_file(engine, path).dataset_id
    first = analyze_dataset(engine, dataset_id)
    levels = {("Risky", "Medium"): 20.0}

    def held_out(run_id: int) -> set[str]:
        with engine.connect() as connection:
            return {
                row[0]
                for row in connection.execute(
                    text(
                        "SELECT customer_id FROM customer_results "
                        "WHERE run_id = :r AND discount_target AND control_group"
                    ),
                    {"r": run_id},
                )
            }

    summary = apply_discount_levels(engine, dataset_id, levels, Actor("maria"), 0.3)
    assert summary["ok"] is True and "control share 30 %" in summary["message"]
    run = active_run(engine, dataset_id)
    assert run.parameters["control_share"] == 0.3
    before, after = held_out(first.run_id), held_out(run.run_id)
    # The same seeded hash decides: everyone held out at 10 % stays held out at 30 %.
    assert before < after
    assert abs(len(after) / run.targets - 0.3) < 0.05

    refused = apply_discount_levels(engine, dataset_id, levels, Actor("maria"), 0.8)
    assert refused["message"] == "Nothing changed: the control share is between 0 and 50%."
    assert active_run(engine, dataset_id).run_id == run.run_id
