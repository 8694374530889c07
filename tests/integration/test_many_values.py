"""A column with many distinct values: dropdowns get a bounded list and search the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from dashboard.analytics.cube import CUBE_DIMENSIONS, CUBE_TOP_VALUES, OTHER_VALUE, VIEW_DIMENSIONS
from dashboard.services.analysis import analyze_dataset
from dashboard.web.callback_client import request_body
from db import columns
from db.columns import CUBE_OTHER_VALUE, VIEW_CUBE_DIMENSIONS
from db.filters import MAX_FILTER_OPTIONS, Filters, option_values
from db.ingest import ingest_file
from db.queries import active_run, aggregate, budget_cells, filter_options

HEADER = "Customer ID,Name,Gender,Country,Plan,Join Date,Last Login,Watch Time Hours,Visits,Monthly Revenue\n"
PLANS = 300


@pytest.fixture
def many_plans(engine: Engine, tmp_path: Path) -> int:
    lines = [
        f"C{n},Name {n},F,DE,Plan {n:03d},2023-01-01,2024-01-{1 + n % 28:02d},{n % 40},{n % 9},{n % 5 + 1}\n"
        for n in range(PLANS)
    ]
    path = tmp_path / "plans.csv"
    path.write_text(HEADER + "".join(lines))
    dataset_id = ingest_file(engine, path).dataset_id
    analyze_dataset(engine, dataset_id)
    return dataset_id


def plan_options(answer: dict) -> list[str]:
    return [option["value"] for option in answer["filter-plan"]["options"]]


def test_a_link_sends_a_bounded_list_with_its_chosen_value_first(callbacks, many_plans) -> None:
    answer = callbacks.call(
        "view-store.data", {("url", "search"): "?plan=Plan+250"}, changed=["url.search"]
    )
    options = plan_options(answer)
    assert len(options) == MAX_FILTER_OPTIONS + 1
    assert options[:3] == ["Plan 250", "Plan 000", "Plan 001"]
    assert answer["filter-plan"]["value"] == ["Plan 250"]
    assert answer["view-store"]["data"]["filters"]["plan"] == ["Plan 250"]


def test_typing_searches_the_whole_column_on_the_server(callbacks, many_plans) -> None:
    key = next(k for k in callbacks.app.callback_map if k.startswith("filter-plan.options@"))
    spec = callbacks.app.callback_map[key]
    values = {
        **callbacks.values,
        ("filter-plan", "search_value"): "plan 29",
        ("filter-plan", "value"): ["Plan 007"],
        ("view-store", "data"): {"dataset_id": None, "filters": {}},
    }
    body = request_body(key, spec, values, ["filter-plan.search_value"])
    response = callbacks.client.post("/_dash-update-component", json=body)
    assert response.status_code == 200
    options = [o["value"] for o in response.get_json()["response"]["filter-plan"]["options"]]
    assert options == ["Plan 007", *[f"Plan {n}" for n in range(290, 300)]]


def test_option_values_are_bounded_and_keep_the_selection() -> None:
    known = [f"p{n}" for n in range(1000)]
    assert len(option_values(known)) == MAX_FILTER_OPTIONS
    assert option_values(known, ["p999", "p1"], "p99", limit=3) == [
        "p999",
        "p1",
        "p99",
        "p990",
        "p991",
    ]
    assert option_values(known, None, "nothing like it") == []


def expected(engine: Engine, run_id: int, where: str = "") -> tuple[int, float]:
    """Customers and watch-time sum straight from the customer rows."""
    query = (
        "SELECT count(*), coalesce(sum(watch_time_hours), 0) FROM customer_results "
        f"WHERE run_id = :run {where}"
    )
    with engine.connect() as connection:
        count, hours = connection.execute(text(query), {"run": run_id}).one()
    return int(count), float(hours)


def test_the_cube_groups_rare_plans_and_every_answer_stays_exact(engine, many_plans) -> None:
    run = active_run(engine, many_plans)
    with engine.connect() as connection:
        plans = set(
            connection.execute(
                text("SELECT DISTINCT plan FROM filter_cube WHERE run_id = :run"),
                {"run": run.run_id},
            ).scalars()
        )
    assert len(plans) == CUBE_TOP_VALUES + 1 and OTHER_VALUE in plans
    assert OTHER_VALUE == CUBE_OTHER_VALUE  # the analytics and the queries name it alike
    assert set(VIEW_DIMENSIONS) == VIEW_CUBE_DIMENSIONS
    assert (columns.CUBE_DIMENSIONS, columns.VIEW_DIMENSIONS) == (CUBE_DIMENSIONS, VIEW_DIMENSIONS)
    # Every plan is still a filter value, and the grouping token is none of them.
    options = filter_options(engine, run.run_id)["plan"]
    assert options == [f"Plan {n:03d}" for n in range(PLANS)]
    # Totals (cube), a rare plan (customer rows), a kept one (cube) and a mix: all exact.
    kept = sorted(plans - {OTHER_VALUE})[0]
    cases = {
        Filters(): "",
        Filters(plan=("Plan 123",)): "AND plan = 'Plan 123'",
        Filters(plan=(kept,)): f"AND plan = '{kept}'",
        Filters(plan=(kept, "Plan 299"), gender=("Female",)): (
            f"AND plan IN ('{kept}', 'Plan 299') AND gender = 'Female'"
        ),
    }
    for filters, where in cases.items():
        totals = aggregate(engine, run.run_id, filters).iloc[0]
        count, hours = expected(engine, run.run_id, where)
        assert (int(totals["customers"]), float(totals["watch_time_hours_sum"])) == (
            count,
            pytest.approx(hours),
        ), filters
    by_plan = aggregate(engine, run.run_id, Filters(), by=["plan"])
    assert len(by_plan) == PLANS and OTHER_VALUE not in set(by_plan["plan"])


def test_budget_cells_group_by_plan_only_when_a_price_is_needed(
    engine: Engine, many_plans, tmp_path: Path
) -> None:
    run = active_run(engine, many_plans)
    cells = budget_cells(engine, run.run_id, Filters())
    targets, _hours = expected(engine, run.run_id, "AND discount_target")
    assert cells["plan"].isna().all() and int(cells["customers"].sum()) == targets
    # Without a revenue for some customers, the targets are grouped by plan to be priced.
    lines = [
        f"D{n},N {n},M,FR,{'Basic' if n % 2 else 'Premium'},2022-01-01,"
        f"{2023 + (n % 18) // 12}-{1 + (n % 18) % 12:02d}-01,{n % 4},{n % 3},"
        f"{'' if n % 3 == 0 else 7}\n"
        for n in range(60)
    ]
    path = tmp_path / "norevenue.csv"
    path.write_text(HEADER + "".join(lines))
    dataset_id = ingest_file(engine, path).dataset_id
    analyze_dataset(engine, dataset_id)
    run = active_run(engine, dataset_id)
    cells = budget_cells(engine, run.run_id, Filters())
    targets, _hours = expected(engine, run.run_id, "AND discount_target")
    assert set(cells["plan"]) <= {"Basic", "Premium"} and not cells["plan"].isna().any()
    assert int(cells["customers"].sum()) == targets > 0
