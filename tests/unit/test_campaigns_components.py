"""The Campaigns page's pure builders, on a hand-made measurement document."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.components import campaigns as ui


def proportion(treated, control, difference, verdict, warning=None) -> dict:
    """A metric dict shaped like MetricResult.as_dict() for a proportion."""
    return {
        "metric": "renewal",
        "kind": "proportion",
        "treated": dict(zip(("n", "value", "low", "high"), treated, strict=True)),
        "control": dict(zip(("n", "value", "low", "high"), control, strict=True)),
        "difference": None
        if difference is None
        else dict(zip(("estimate", "low", "high"), difference, strict=True), confidence=0.95),
        "significant": difference is not None and not (difference[1] <= 0 <= difference[2]),
        "verdict": verdict,
        "warning": warning,
    }


RENEWAL = proportion(
    (600, 0.62, 0.58, 0.66),
    (60, 0.45, 0.33, 0.58),
    (0.17, 0.04, 0.29),
    "the discount raised renewal by 17.0 points, 95 % CI 4.0 to 29.0",
)
WATCH = {
    "metric": "watch_time_increase",
    "kind": "mean",
    "treated": {"n": 500, "value": 6.25, "low": 5.5, "high": 7.0},
    "control": {"n": 50, "value": -1.5, "low": -3.25, "high": 0.25},
    "difference": {"estimate": 7.75, "low": 5.0, "high": 10.5, "confidence": 0.95},
    "significant": True,
    "verdict": "the discount raised watch time by 7.8 hours per customer, 95 % CI 5.0 to 10.5",
    "warning": None,
}
SMALL = proportion(
    (40, 0.5, 0.35, 0.65),
    (12, 0.25, 0.09, 0.53),
    (0.25, -0.05, 0.45),
    "no clear effect on renewal: +25.0 points, 95 % CI −5.0 to 45.0 includes zero",
    "only 12 control customers: too few to tell (at least 30 are needed)",
)
DOCUMENT = {
    "baseline": {"dataset_id": 1, "as_of": "2025-06-30"},
    "followup": {"dataset_id": 2, "as_of": "2025-09-28"},
    "filters": "all customers",
    "renewal_rule": "status column 'Subscription Status' (a yes/active value means still "
    "subscribed); customers missing from the follow-up did not renew",
    "match": {
        "members": 660,
        "treated": 600,
        "control": 60,
        "matched": 612,
        "missing_from_followup": 48,
        "new_in_followup": 1234,
        "followup_customers": 1846,
        "unreadable_status": 0,
    },
    "metrics": {"renewal": RENEWAL, "watch_time_increase": WATCH},
    "breakdowns": [
        {"by": "target_reason", "group": "Dormant", "metrics": {"renewal": SMALL}},
        {"by": "discount_pct", "group": "10 %", "metrics": {"renewal": RENEWAL}},
        {"by": "discount_pct", "group": "20 %", "metrics": {"renewal": SMALL}},
    ],
}


def test_proportion_bars_have_exact_heights_and_error_bars() -> None:
    figure = ui.metric_figure([("All members", RENEWAL)])
    treated, control = figure.data
    assert treated.name.startswith("Treated") and control.name.startswith("Control")
    assert list(treated.x) == ["All members"]
    assert list(treated.y) == pytest.approx([62.0])
    assert list(treated.error_y.array) == pytest.approx([4.0])  # 66 − 62
    assert list(treated.error_y.arrayminus) == pytest.approx([4.0])  # 62 − 58
    assert list(control.y) == pytest.approx([45.0])
    assert list(control.error_y.array) == pytest.approx([13.0])
    assert list(control.error_y.arrayminus) == pytest.approx([12.0])
    assert treated.error_y.symmetric is False
    assert list(treated.text) == ["62.0 %"] and list(control.text) == ["45.0 %"]
    assert figure.layout.yaxis.ticksuffix == " %"
    assert figure.layout.barmode == "group"


def test_mean_bars_are_hours_and_may_be_negative() -> None:
    treated, control = ui.metric_figure([("All members", WATCH)]).data
    assert list(treated.y) == pytest.approx([6.25])
    assert list(treated.error_y.array) == pytest.approx([0.75])
    assert list(treated.error_y.arrayminus) == pytest.approx([0.75])
    assert list(control.y) == pytest.approx([-1.5])
    assert list(control.error_y.array) == pytest.approx([1.75])
    assert list(control.error_y.arrayminus) == pytest.approx([1.75])
    assert list(control.text) == ["−1.5 h"]


def test_breakdown_draws_one_pair_of_bars_per_group() -> None:
    groups = ui.metric_groups(DOCUMENT, "renewal", ui.BY_DISCOUNT)
    assert [label for label, _ in groups] == ["10 %", "20 %"]
    treated, control = ui.metric_figure(groups).data
    assert list(treated.x) == ["10 %", "20 %"]
    assert list(treated.y) == pytest.approx([62.0, 50.0])
    assert list(control.y) == pytest.approx([45.0, 25.0])
    assert list(control.error_y.array) == pytest.approx([13.0, 28.0])
    assert list(control.error_y.arrayminus) == pytest.approx([12.0, 16.0])
    assert [label for label, _ in ui.metric_groups(DOCUMENT, "renewal", ui.ALL)] == ["All members"]
    assert ui.metric_groups(DOCUMENT, "renewal", ui.BY_REASON)[0][0] == "Dormant"


def test_a_group_without_members_has_no_bar_and_all_empty_says_so() -> None:
    empty = proportion(
        (5, 0.4, 0.12, 0.77), (0, None, None, None), None, "renewal cannot be compared: x"
    )
    treated, control = ui.metric_figure([("Dormant", empty)]).data
    assert list(control.y) == [None] and list(treated.y) == pytest.approx([40.0])
    nothing = proportion((0, None, None, None), (0, None, None, None), None, "x")
    figure = ui.metric_figure([("Dormant", nothing)])
    assert figure.layout.annotations[0].text == "No member to compare"
    assert ui.difference_text(empty) == "–" and ui.interval_text(empty) == ""


def test_verdict_warning_and_number_texts() -> None:
    assert (
        ui.verdict_text(RENEWAL)
        == "The discount raised renewal by 17.0 points, 95 % CI 4.0 to 29.0."
    )
    assert ui.warning_text(RENEWAL) is None
    assert ui.warning_text(SMALL) == (
        "Too small to tell: only 12 control customers: too few to tell (at least 30 are needed)."
    )
    assert ui.verdict_text(SMALL).startswith("No clear effect on renewal: +25.0 points")
    assert ui.group_text(RENEWAL, "treated") == "62.0 %"
    assert ui.group_text(WATCH, "control") == "−1.5 h"
    assert ui.difference_text(RENEWAL) == "+17.0 points"
    assert ui.difference_text(WATCH) == "+7.8 h"
    assert ui.interval_text(RENEWAL) == "95 % CI 4.0 to 29.0"
    assert ui.interval_text(SMALL) == "95 % CI −5.0 to 45.0"
    negative = {**WATCH, "difference": {"estimate": -0.04, "low": -1, "high": 1}}
    assert ui.difference_text(negative) == "0.0 h"


def _texts(component) -> list[str]:
    """Every string in a component tree, depth first."""
    found: list[str] = []
    stack = [component]
    while stack:
        node = stack.pop(0)
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list | tuple):
            stack[:0] = list(node)
        elif node is not None and hasattr(node, "children"):
            stack.insert(0, node.children)
    return found


def test_match_summary_and_cards_show_counts_rule_and_verdicts() -> None:
    summary = ui.match_summary(DOCUMENT, "p")
    texts = _texts(summary)
    for value in ("660", "612", "48", "1,234", "600 treated · 60 control"):
        assert value in texts
    assert texts[texts.index("Renewal rule: ") + 1].startswith("Status column 'Subscription")
    cards = ui.metric_cards(DOCUMENT, ui.BY_DISCOUNT, "p")
    card_texts = _texts(cards)
    assert "10 %: " in card_texts and "20 %: " in card_texts
    assert ui.warning_text(SMALL) in card_texts
    assert "+17.0 points" in card_texts
    assert len(cards.children) == 2  # only the metrics in the document
    deleted = {**DOCUMENT, "match": {**DOCUMENT["match"], "new_in_followup": None}}
    assert "baseline deleted" in _texts(ui.match_summary(deleted, "p"))


def test_campaign_rows_selection_and_create_message() -> None:
    frame = pd.DataFrame(
        {
            "id": [2, 1],
            "name": ["Autumn", "Summer"],
            "dataset_id": pd.array([3, None], dtype="Int64"),
            "dataset_name": ["sept.csv", "june.csv"],
            "as_of": [date(2025, 9, 30), date(2025, 6, 30)],
            "targets": [1200, 846],
            "treated": [1080, 767],
            "control": [120, 79],
            "created_at": ["2025-10-01 09:00", "2025-07-01 10:00"],
            "created_by": ["ana", None],
        }
    )
    rows = ui.campaign_rows(frame)
    assert rows[0]["baseline"] == "3 · sept.csv" and rows[0]["as_of"] == "2025-09-30"
    assert rows[1]["baseline"] == "june.csv (deleted)" and rows[1]["dataset_id"] is None
    assert rows[1]["created_by"] == "" and rows[0]["targets"] == 1200
    assert ui.selected_campaign_id([{"id": 2, "name": "Autumn"}]) == 2
    assert ui.selected_campaign_id({"ids": ["1"]}) == 1
    assert ui.selected_campaign_id([]) is None and ui.selected_campaign_id(None) is None
    assert ui.choose_campaign(rows, None, 1) == 1
    assert ui.choose_campaign(rows, 99) == 2
    assert ui.choose_campaign([], 1) is None
    assert ui.create_message("Summer", 1234, 123) == (
        "Campaign 'Summer': 1,234 targets, 123 held out as control."
    )


def test_followup_options_skip_the_baseline_and_disable_earlier_sets() -> None:
    datasets = pd.DataFrame(
        {
            "id": [4, 3, 2, 1],
            "name": ["dec", "sept", "june copy", "june"],
            "as_of": [date(2025, 12, 1), date(2025, 9, 28), date(2025, 6, 30), date(2025, 6, 30)],
        }
    )
    options, default = ui.followup_options(datasets, 1, date(2025, 6, 30))
    assert [option["value"] for option in options] == [4, 3, 2]
    assert [option["disabled"] for option in options] == [False, False, True]
    assert options[1]["label"] == "3 · sept (as of 2025-09-28)"
    assert options[2]["label"].endswith("not after the baseline")
    assert default == 4
    assert ui.followup_options(datasets.iloc[2:], 1, date(2025, 6, 30))[1] is None
