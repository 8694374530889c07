"""Budget maths of the Discounts page, pinned exactly."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.components.discounts import (
    UNKNOWN_PLAN_PRICE,
    break_even_rate,
    budget_summary,
    default_plan_prices,
    discount_levels,
    plans_missing_revenue,
    reason_summary,
)

LEVELS = {("Dormant", "High"): 10.0, ("Dormant", "Medium"): 15.0, ("Risky", "Medium"): 20.0}


def cells(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=[
            "segment",
            "engagement_level",
            "control_group",
            "plan",
            "customers",
            "monthly_revenue_sum",
            "monthly_revenue_count",
        ],
    )


def test_break_even_of_one_cell_is_d_over_one_minus_d() -> None:
    assert break_even_rate(0.2) == pytest.approx(0.25)
    assert break_even_rate(0.5) == pytest.approx(1.0)
    assert break_even_rate(0.1) == pytest.approx(0.1 / 0.9)
    assert break_even_rate(0.0) == 0.0
    assert break_even_rate(1.0) is None


def test_budget_leaves_control_out_and_weights_cells_by_net_revenue() -> None:
    frame = cells(
        [
            ("Dormant", "High", False, "Basic", 100, 1000.0, 100),
            ("Dormant", "High", True, "Basic", 10, 100.0, 10),  # control: not in the budget
            ("Dormant", "Medium", False, "Premium", 40, 400.0, 40),
            ("Dormant", "Medium", False, "Basic", 10, 0.0, 0),  # no revenue: plan price
        ]
    )
    budget = budget_summary(frame, LEVELS, {"Basic": 9.99})
    assert budget.treated == 150
    assert budget.control == 10
    assert budget.priced_customers == 10
    assert budget.revenue_at_risk == pytest.approx(1000.0 + 400.0 + 99.9)
    assert budget.monthly_cost == pytest.approx(0.10 * 1000.0 + 0.15 * 499.9)
    expected = (0.10 * 1000.0 + 0.15 * 499.9) / (0.90 * 1000.0 + 0.85 * 499.9)
    assert budget.break_even == pytest.approx(expected)
    by_cell = {(c.segment, c.engagement_level): c for c in budget.cells}
    assert by_cell[("Dormant", "Medium")].break_even == pytest.approx(0.15 / 0.85)
    assert by_cell[("Dormant", "Medium")].cost == pytest.approx(0.15 * 499.9)


def test_budget_follows_changed_levels() -> None:
    frame = cells([("Risky", "Medium", False, "Basic", 4, 80.0, 4)])
    budget = budget_summary(frame, {("Risky", "Medium"): 25.0})
    assert budget.monthly_cost == pytest.approx(20.0)
    assert budget.break_even == pytest.approx(0.25 / 0.75)


def test_a_full_discount_never_breaks_even_and_empty_cells_give_zeros() -> None:
    frame = cells([("Risky", "Medium", False, "Basic", 4, 80.0, 4)])
    assert budget_summary(frame, {("Risky", "Medium"): 100.0}).break_even is None
    empty = budget_summary(cells([]), LEVELS)
    assert (empty.treated, empty.revenue_at_risk, empty.monthly_cost) == (0, 0, 0)
    assert empty.break_even is None


def test_unknown_plans_cost_the_default_price() -> None:
    frame = cells([("Dormant", "High", False, None, 2, 0.0, 0)])
    budget = budget_summary(frame, LEVELS, {})
    assert budget.revenue_at_risk == pytest.approx(2 * UNKNOWN_PLAN_PRICE)
    assert plans_missing_revenue(frame) == ["(none)"]
    assert default_plan_prices(["Basic", "Gold"]) == {"Basic": 9.99, "Gold": UNKNOWN_PLAN_PRICE}


def test_discount_levels_come_from_the_run_parameters() -> None:
    parameters = {
        "discount_table": [
            {"segment": "Dormant", "engagement": "High", "discount_pct": 12.5},
            {"segment": "Risky", "engagement": "Medium", "discount_pct": 30},
        ]
    }
    levels = discount_levels(parameters)
    assert levels[("Dormant", "High")] == 12.5
    assert levels[("Dormant", "Medium")] == 15.0  # default kept
    assert levels[("Risky", "Medium")] == 30.0
    assert discount_levels(None) == LEVELS


def test_reason_summary_counts_treated_and_control() -> None:
    frame = cells(
        [
            ("Dormant", "High", False, "Basic", 5, 50.0, 5),
            ("Dormant", "Medium", True, "Basic", 2, 20.0, 2),
            ("Risky", "Medium", False, "Basic", 7, 70.0, 7),
        ]
    )
    summary = reason_summary(frame, LEVELS).set_index("reason")
    assert summary.loc["Dormant"].tolist() == [7, 5, 2, "High 10 % · Medium 15 %"]
    assert summary.loc["Risky, medium engagement"].tolist() == [7, 7, 0, "20 %"]


def test_a_preview_says_what_nothing_else_uses_yet() -> None:
    from dashboard.components.discounts import discount_levels, preview_note

    applied = discount_levels(None)
    assert preview_note(applied, applied) == ""
    changed = {**applied, ("Risky", "Medium"): 25.0}
    assert preview_note(changed, applied) == (
        "Preview only: Risky/Medium 25 % (applied 20 %). The target table, the send list and "
        "the messages still use the applied levels until an analyst applies these."
    )
    assert preview_note(applied, applied, 10.0, 10.0) == ""
    assert preview_note(applied, applied, 20.0, 10.0) == (
        "Preview only: control share 20 % (applied 10 %). The target table, the send list and "
        "the messages still use the applied levels until an analyst applies these. The treated "
        "and control counts below still split the targets at the applied share."
    )
