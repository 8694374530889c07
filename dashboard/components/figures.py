"""Pure figure builders: small frames in, Plotly figures out (testable without a browser).

One colour per segment on every chart, so "Dormant" is always the same amber.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

from dashboard.analytics.rfm import RFM_SEGMENT_ORDER
from dashboard.analytics.segments import SEGMENT_ORDER

SEGMENT_COLORS = {
    "Loyal": "#2e7d32",
    "Casual": "#1f77b4",
    "Dormant": "#f0a202",
    "Risky": "#c62828",
}
RFM_COLORS = {
    "Champions": "#1b5e20",
    "Potential Loyalists": "#66bb6a",
    "New Viewers": "#26a69a",
    "Needs Attention": "#ffb300",
    "At Risk": "#ef6c00",
    "Hibernating": "#8d6e63",
    "Lost": "#b71c1c",
}
ALL_SEGMENT_COLORS = {**SEGMENT_COLORS, **RFM_COLORS}
SEGMENT_ORDERS = {"rule": SEGMENT_ORDER, "rfm": RFM_SEGMENT_ORDER}
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"


# The house style: readable font, tight margins.
HOUSE_LAYOUT = {
    "font": {"family": FONT, "size": 13},
    "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    "hoverlabel": {"font": {"size": 13}},
}
# The trace types drawn here; Plotly's white template also styles some 20 others.
STYLED_TRACES = ("bar", "heatmap", "scatter", "scattergl")


def _house_template() -> go.layout.Template:
    """Plotly's white template with the house style, for the traces drawn here only.

    Every figure carries its template (copied when built, sent with the figure): the full
    one is 7 KB, mostly styles of traces no page draws.
    """
    white = pio.templates["plotly_white"]
    template = go.layout.Template(
        layout=white.layout, data={name: white.data[name] for name in STYLED_TRACES}
    )
    template.layout.update(HOUSE_LAYOUT)
    return template


# Set once for the process: naming a template on every figure made Plotly deep-copy it each
# time (about 30 ms per chart).
pio.templates["dashboard"] = _house_template()
pio.templates.default = "dashboard"
HOUSE_TEMPLATE: dict = pio.templates["dashboard"].to_plotly_json()
"""The house template as plain JSON, for figures built as dicts (read-only: every such figure
shares it, and Dash only serialises it)."""


def figure_dict(data: list[dict], layout: dict) -> dict:
    """A figure as the plain dict Dash sends, with the house template.

    For the charts redrawn on every filter change: a ``go.Figure`` validates and copies each
    property (3 ms per chart) and its serialisation walks every object again (0.6 ms); the
    dict is serialised as it is (0.04 ms).
    """
    return {"data": data, "layout": {"template": HOUSE_TEMPLATE, **layout}}


# Plotly's "Blues" without its near-white end, so the least-visited tile still stands
# out from the white page.
VISITS_SCALE = [[0.0, "#c6dbef"], [0.5, "#4292c6"], [1.0, "#08306b"]]


def base_layout(figure: go.Figure, height: int = 380) -> go.Figure:
    """Give a figure its height (the house style is the default template)."""
    figure.update_layout(height=height)
    return figure


def empty_figure(message: str, height: int = 300) -> go.Figure:
    """A blank chart that says why it is blank, instead of empty axes."""
    figure = go.Figure()
    figure.add_annotation(
        text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 15}
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False)
    return base_layout(figure, height)


def _ordered(frame, kind: str):
    order = {name: position for position, name in enumerate(SEGMENT_ORDERS[kind])}
    return frame.assign(_order=frame["segment"].map(order)).sort_values("_order")


TREEMAP_COLOUR_NOTES = {
    True: "Fill: average visits (scale) · border: the segment's colour",
    False: "Fill: the segment's colour (this data set has no visit frequency)",
}


def segment_treemap(frame, kind: str) -> dict:
    """One tile per segment: size = average watch time, fill = average visit frequency.

    ``frame`` has segment, customers, avg_watch_time_hours, avg_visit_frequency and
    avg_days_since_last_login (from ``db.queries.aggregate``). The visits scale cannot say
    which segment a tile is, so each tile keeps its segment's colour as a thick border; when
    the data set has no visit frequency the tiles are filled with that colour instead. The
    figure's title says which of the two it is.
    """
    frame = _ordered(frame, kind)
    visits = frame["avg_visit_frequency"]
    has_visits = bool(visits.notna().any())
    customdata = (
        frame[
            [
                "customers",
                "avg_watch_time_hours",
                "avg_visit_frequency",
                "avg_days_since_last_login",
            ]
        ]
        .to_numpy()
        .tolist()
    )
    segment_colours = [ALL_SEGMENT_COLORS[s] for s in frame["segment"]]
    # No padding around the implicit root: otherwise it shows as a dark frame.
    marker: dict = {"pad": {"t": 0, "l": 0, "r": 0, "b": 0}}
    if has_visits:
        marker.update(
            colors=visits.fillna(0).round(2).tolist(),
            colorscale=VISITS_SCALE,
            showscale=True,
            colorbar={"title": {"text": "Avg visits"}, "thickness": 12},
            line={"width": 6, "color": segment_colours},
        )
    else:
        marker.update(colors=segment_colours, line={"width": 2, "color": "white"})
    treemap = {
        "type": "treemap",
        "ids": frame["segment"].tolist(),
        "labels": frame["segment"].tolist(),
        "parents": [""] * len(frame),
        "values": frame["avg_watch_time_hours"].round(4).tolist(),
        "marker": marker,
        "customdata": customdata,
        "texttemplate": "<b>%{label}</b><br>%{value:,.1f} h avg",
        "hovertemplate": (
            "<b>%{label}</b><br>%{customdata[0]:,} customers"
            "<br>Avg watch time %{customdata[1]:,.1f} h"
            "<br>Avg visits %{customdata[2]:,.1f}"
            "<br>Avg days since login %{customdata[3]:,.0f}<extra></extra>"
        ),
        "sort": False,
        "root": {"color": "white"},
        "pathbar": {"visible": False},
        "tiling": {"pad": 3},
    }
    title = {"text": TREEMAP_COLOUR_NOTES[has_visits], "font": {"size": 13}, "x": 0.01}
    return figure_dict([treemap], {"title": title, "height": 420})


def segment_distribution(frame, kind: str) -> dict:
    """Customers per segment as horizontal bars labelled with count and share."""
    frame = _ordered(frame, kind)
    total = frame["customers"].sum()
    shares = frame["customers"] / total if total else frame["customers"] * 0
    bars = {
        "type": "bar",
        "x": frame["customers"].tolist(),
        "y": frame["segment"].tolist(),
        "orientation": "h",
        "marker": {"color": [ALL_SEGMENT_COLORS[s] for s in frame["segment"]]},
        "text": [
            f"{c:,} ({s * 100:.1f} %)" for c, s in zip(frame["customers"], shares, strict=True)
        ],
        "textposition": "auto",
        "hovertemplate": "<b>%{y}</b><br>%{x:,} customers<extra></extra>",
    }
    layout = {
        "yaxis": {"autorange": "reversed"},
        "xaxis": {"title": {"text": "Customers"}, "tickformat": ","},
        "height": 420,
    }
    return figure_dict([bars], layout)
