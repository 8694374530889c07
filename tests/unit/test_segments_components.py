"""Builders of the Segments and RFM pages: rule texts, cards, figures, details table, CSV."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from dashboard.components import segments as components
from dashboard.components.figures import SEGMENT_COLORS
from db.queries import with_averages

THRESHOLDS = {
    "engagement_low_max_hours": 12.3,
    "engagement_medium_max_hours": 29.14,
    "recency_p20_days": 5.0,
    "recency_p40_days": 15.0,
    "recency_p60_days": 66.4,
    "recency_p80_days": 180.0,
    "frequency_p20": 1.0,
    "frequency_p40": 3.0,
    "frequency_p60": 5.0,
    "frequency_p80": 7.0,
    "monetary_p20_hours": 9.2,
    "monetary_p40_hours": 15.4,
    "monetary_p60_hours": 25.2,
    "monetary_p80_hours": 43.4,
}


def measures(rows: list[dict]) -> pd.DataFrame:
    """A frame shaped like ``db.queries.aggregate`` output."""
    frame = pd.DataFrame(rows)
    for column in (
        "watch_time_hours_sum",
        "days_since_last_login_sum",
        "visit_frequency_sum",
        "visit_frequency_count",
        "monthly_revenue_sum",
        "monthly_revenue_count",
        "targets",
        "control",
    ):
        if column not in frame:
            frame[column] = 0
    return with_averages(frame)


def find(component, component_id: str):
    """The component with ``component_id`` in a Dash component tree (or None)."""
    if getattr(component, "id", None) == component_id:
        return component
    children = getattr(component, "children", None)
    if children is None or isinstance(children, str):
        return None
    for child in children if isinstance(children, list) else [children]:
        found = find(child, component_id)
        if found is not None:
            return found
    return None


def test_rules_use_the_run_thresholds_in_business_words() -> None:
    rules = components.segment_rules(THRESHOLDS)
    assert rules == {
        "Loyal": "High engagement (more than 29.1 h of watch time) and active within 60 days",
        "Casual": "Medium engagement (12.3–29.1 h) and active within 60 days",
        "Dormant": "Medium or High engagement, last login 61–120 days ago",
        "Risky": "Low engagement (12.3 h or less) or no login for more than 120 days",
    }


def test_cards_show_every_segment_with_counts_shares_and_averages() -> None:
    by_segment = measures(
        [
            {
                "segment": "Loyal",
                "customers": 3,
                "watch_time_hours_sum": 150.0,
                "days_since_last_login_sum": 30.0,
                "visit_frequency_sum": 24.0,
                "visit_frequency_count": 3,
            },
            {
                "segment": "Risky",
                "customers": 1,
                "watch_time_hours_sum": 2.0,
                "days_since_last_login_sum": 200.0,
            },
        ]
    )
    row = components.segment_cards(by_segment, THRESHOLDS, frequency_available=True)
    assert find(row, "segments-count-Loyal").children == "3"
    assert find(row, "segments-count-Casual").children == "0"
    assert find(row, "segments-count-Dormant").children == "0"
    assert find(row, "segments-count-Risky").children == "1"
    assert find(row, "segments-share-Loyal").children == "75.0 %"
    text = str(row)
    assert "50.0 h" in text and "10 days" in text and "8.0" in text
    assert SEGMENT_COLORS["Loyal"] in text

    without_visits = str(components.segment_cards(by_segment, THRESHOLDS, False))
    assert without_visits.count(components.NOT_IN_DATA) == 4


def test_sample_note_says_when_sampled() -> None:
    assert components.sample_note(5_000, 12_345) == (
        "Based on a random sample of 5,000 of 12,345 customers."
    )
    assert components.sample_note(800, 800) == "All 800 filtered customers."


def test_boxes_one_trace_per_present_segment_in_order_and_colour() -> None:
    sample = pd.DataFrame(
        {
            "segment": ["Risky", "Loyal", "Loyal", "Dormant"],
            "watch_time_hours": [1.0, 50.0, 70.0, 30.0],
        }
    )
    figure = components.segment_boxes(sample, "watch_time_hours", "Watch time (hours)")
    assert [trace.name for trace in figure.data] == ["Loyal", "Dormant", "Risky"]
    assert list(figure.data[0].y) == [50.0, 70.0]
    assert figure.data[2].marker.color == SEGMENT_COLORS["Risky"]
    empty = components.segment_boxes(sample.iloc[:0], "watch_time_hours", "x")
    assert empty.layout.annotations[0].text == "No customer matches these filters"


def test_engagement_mix_stacks_shares_per_segment() -> None:
    by_level = measures(
        [
            {"segment": "Dormant", "engagement_level": "High", "customers": 1},
            {"segment": "Dormant", "engagement_level": "Medium", "customers": 3},
            {"segment": "Loyal", "engagement_level": "High", "customers": 5},
        ]
    )
    figure = components.engagement_mix(by_level)
    assert figure.layout.barmode == "stack"
    levels = {trace.name: trace for trace in figure.data}
    assert list(levels) == ["Low engagement", "Medium engagement", "High engagement"]
    assert list(levels["High engagement"].y) == ["Loyal", "Dormant"]
    assert list(levels["High engagement"].x) == [100.0, 25.0]
    assert list(levels["Medium engagement"].x) == [0.0, 75.0]
    assert list(levels["Medium engagement"].customdata) == [0, 3]


def rfm_frame() -> pd.DataFrame:
    return measures(
        [
            {
                "rfm_segment": "Lost",
                "customers": 1,
                "watch_time_hours_sum": 2.0,
                "days_since_last_login_sum": 300.0,
                "visit_frequency_sum": 0.5,
                "visit_frequency_count": 1,
                "monthly_revenue_sum": 9.99,
                "monthly_revenue_count": 1,
            },
            {
                "rfm_segment": "Champions",
                "customers": 3,
                "watch_time_hours_sum": 100.0,
                "days_since_last_login_sum": 10.0,
                "visit_frequency_sum": 25.0,
                "visit_frequency_count": 3,
                "monthly_revenue_sum": 45.0,
                "monthly_revenue_count": 3,
            },
        ]
    )


def test_rfm_details_rows_in_segment_order_rounded() -> None:
    table = components.rfm_details(rfm_frame(), frequency_available=True, revenue_available=True)
    assert table.to_dict("records") == [
        {
            "segment": "Champions",
            "customers": 3,
            "share_pct": 75.0,
            "avg_recency_days": 3.3,
            "avg_visits_per_month": 8.3,
            "avg_watch_hours": 33.3,
            "avg_monthly_revenue": 15.0,
        },
        {
            "segment": "Lost",
            "customers": 1,
            "share_pct": 25.0,
            "avg_recency_days": 300.0,
            "avg_visits_per_month": 0.5,
            "avg_watch_hours": 2.0,
            "avg_monthly_revenue": 9.99,
        },
    ]
    lean = components.rfm_details(rfm_frame(), frequency_available=False, revenue_available=False)
    assert list(lean.columns) == [
        "segment",
        "customers",
        "share_pct",
        "avg_recency_days",
        "avg_watch_hours",
    ]
    definitions = components.rfm_detail_column_defs(lean)
    assert [d["field"] for d in definitions] == list(lean.columns)
    assert "d3.format(',.1f')" in definitions[2]["valueFormatter"]["function"]


def test_rfm_details_csv_has_exactly_the_table_rows() -> None:
    table = components.rfm_details(rfm_frame(), True, True)
    parsed = pd.read_csv(io.StringIO(components.rfm_details_csv(table)))
    pd.testing.assert_frame_equal(parsed, table, check_dtype=False)


def test_heatmap_is_a_labelled_5x5_grid_of_counts() -> None:
    by_scores = pd.DataFrame(
        {"r_score": [5, 5, 1, 3], "fm_score": [5, 1, 1, 3], "customers": [7, 2, 1200, 4]}
    )
    figure = components.rfm_heatmap(by_scores)
    heatmap = figure.data[0]
    z = np.array(heatmap.z)
    assert z.shape == (5, 5)
    assert z[4][4] == 7 and z[0][4] == 2 and z[0][0] == 1200 and z[2][2] == 4
    assert z.sum() == 1213
    assert heatmap.text[0][0] == "1,200" and heatmap.text[1][1] == "0"
    assert heatmap.customdata[4][4] == "Champions"
    assert heatmap.customdata[0][4] == "New Viewers"
    assert heatmap.customdata[3][0] == "At Risk"
    assert heatmap.customdata[2][2] == "Needs Attention"
    assert figure.layout.xaxis.title.text == "R (recency score, 5 = most recent)"
    assert figure.layout.yaxis.title.text == "FM (frequency+monetary score)"
    empty = components.rfm_heatmap(by_scores.iloc[:0])
    assert empty.layout.annotations[0].text == "No customer matches these filters"


@pytest.mark.parametrize("available", [True, False])
def test_explanation_states_thresholds_and_missing_frequency(available: bool) -> None:
    text = components.rfm_explanation(THRESHOLDS, frequency_available=available)
    assert "5 days, 15 days, 66.4 days, 180 days" in text
    assert "within 5 days" in text and "more than 180 days" in text
    assert "9.2 h, 15.4 h, 25.2 h, 43.4 h" in text
    if available:
        assert "1, 3, 5, 7 visits" in text
    else:
        assert "no visit frequency, so F = M" in text
