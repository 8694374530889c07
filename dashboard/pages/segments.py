"""Segments: the four rule segments, their rules in business words and how they differ."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import ids
from dashboard.components.common import empty_state, loading, page_title, section
from dashboard.components.figures import empty_figure
from dashboard.components.segments import engagement_mix, sample_note, segment_boxes, segment_cards
from dashboard.web import context
from db.queries import aggregate, sample_customers

dash.register_page(__name__, path="/segments", name="Segments", order=1, title="Segments")

CARDS = "segments-cards"
WATCH_BOX = "segments-watch-box"
RECENCY_BOX = "segments-recency-box"
SAMPLE_NOTE = "segments-sample-note"
MIX = "segments-engagement-mix"
SAMPLE_LIMIT = 5_000
GRAPH_CONFIG = {"displaylogo": False}


def _chart(title: str, graph_id: str) -> html.Div:
    return html.Div(
        [
            html.H3(title, className="h6 fw-semibold mb-1"),
            loading(dcc.Graph(id=graph_id, config=GRAPH_CONFIG)),
        ]
    )


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_title(
                "Segments",
                "Every customer falls in one rule segment, from watch time and days since "
                "the last login.",
            ),
            loading(html.Div(id=CARDS)),
            section(
                "Engagement by segment",
                [
                    dbc.Row(
                        [
                            dbc.Col(_chart("Watch time", WATCH_BOX), lg=6),
                            dbc.Col(_chart("Days since last login", RECENCY_BOX), lg=6),
                        ],
                        className="g-3",
                    ),
                    html.Div(id=SAMPLE_NOTE, className="text-muted small mt-2"),
                ],
                "Box: middle half of the customers · line: median · dashed line: average · "
                "dots: unusual values",
            ),
            section(
                "Engagement level mix per segment",
                loading(dcc.Graph(id=MIX, config=GRAPH_CONFIG)),
                "Share of each segment's customers with Low, Medium and High watch time",
            ),
        ]
    )


@callback(
    Output(CARDS, "children"),
    Output(MIX, "figure"),
    Input(ids.VIEW_STORE, "data"),
)
def show_segments(store):
    view = context.resolve_view(store)
    if view.run is None:
        message = "No analysed data set yet: load a CSV on the Data page."
        return empty_state(message), empty_figure("No analysed data set yet")
    engine, run = context.engine(), view.run
    by_segment = aggregate(engine, run.run_id, view.filters, by=["segment"])
    by_level = aggregate(engine, run.run_id, view.filters, by=["segment", "engagement_level"])
    cards = segment_cards(by_segment, run.thresholds, run.frequency_available)
    if by_segment.empty:
        cards = html.Div([empty_state("No customer matches these filters."), cards])
    return cards, engagement_mix(by_level)


@callback(
    Output(WATCH_BOX, "figure"),
    Output(RECENCY_BOX, "figure"),
    Output(SAMPLE_NOTE, "children"),
    Input(ids.VIEW_STORE, "data"),
)
def show_engagement(store):
    view = context.resolve_view(store)
    if view.run is None:
        empty = empty_figure("No analysed data set yet")
        return empty, empty, ""
    engine, run_id = context.engine(), view.run.run_id
    total = int(aggregate(engine, run_id, view.filters)["customers"].iloc[0])
    sample = sample_customers(
        engine,
        run_id,
        view.filters,
        limit=SAMPLE_LIMIT,
        columns=["segment", "watch_time_hours", "days_since_last_login"],
    )
    watch = segment_boxes(sample, "watch_time_hours", "Watch time (hours)")
    recency = segment_boxes(sample, "days_since_last_login", "Days since last login")
    note = sample_note(len(sample), total) if total else ""
    return watch, recency, note
