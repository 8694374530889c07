"""The shared figure builders: every segment keeps its own colour, the treemaps included."""

from __future__ import annotations

import math

import pandas as pd
import plotly.graph_objects as go

from dashboard.components.figures import (
    ALL_SEGMENT_COLORS,
    FONT,
    TREEMAP_COLOUR_NOTES,
    segment_distribution,
    segment_treemap,
)


def _segments(visits: list[float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "segment": ["Risky", "Loyal", "Dormant", "Casual"],
            "customers": [10, 40, 20, 30],
            "avg_watch_time_hours": [2.0, 30.0, 5.0, 12.0],
            "avg_visit_frequency": visits,
            "avg_days_since_last_login": [200.0, 3.0, 90.0, 20.0],
        }
    )


def test_treemap_fills_with_visits_and_borders_each_tile_in_its_segment_colour() -> None:
    figure = segment_treemap(_segments([1.0, 9.5, 2.0, 4.25]), "rule")
    tiles = figure["data"][0]
    assert tiles["labels"] == ["Loyal", "Casual", "Dormant", "Risky"]
    assert tiles["marker"]["colors"] == [9.5, 4.25, 2.0, 1.0]
    assert tiles["marker"]["line"]["color"] == [
        ALL_SEGMENT_COLORS[name] for name in ("Loyal", "Casual", "Dormant", "Risky")
    ]
    assert tiles["marker"]["colorbar"]["title"]["text"] == "Avg visits"
    assert figure["layout"]["title"]["text"] == TREEMAP_COLOUR_NOTES[True]
    # What Plotly itself accepts: the dict validates as a figure, with the house template.
    checked = go.Figure(figure)
    assert list(checked.data[0].customdata[0]) == [40, 30.0, 9.5, 3.0]
    assert checked.layout.template.layout.font.family == FONT


def test_treemap_without_visits_is_filled_with_segment_colours_and_says_so() -> None:
    figure = segment_treemap(_segments([math.nan] * 4), "rule")
    tiles = figure["data"][0]
    assert tiles["marker"]["colors"] == [
        ALL_SEGMENT_COLORS[name] for name in ("Loyal", "Casual", "Dormant", "Risky")
    ]
    assert "showscale" not in tiles["marker"]
    assert "no visit frequency" in figure["layout"]["title"]["text"]


def test_distribution_bars_use_the_same_segment_colours() -> None:
    figure = segment_distribution(_segments([1.0, 2.0, 3.0, 4.0]), "rule")
    bars = go.Figure(figure).data[0]  # validates as a Plotly figure
    assert list(bars.marker.color) == [
        ALL_SEGMENT_COLORS[name] for name in ("Loyal", "Casual", "Dormant", "Risky")
    ]
    assert list(bars.text) == ["40 (40.0 %)", "30 (30.0 %)", "20 (20.0 %)", "10 (10.0 %)"]
