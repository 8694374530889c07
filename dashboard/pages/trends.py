"""Trends: the series' snapshots side by side, under the filters: customers and who left,
engagement, segment shares, discount targets and churn."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import ids
from dashboard.components.common import empty_state, loading, page_title, section
from dashboard.components.figures import empty_figure
from dashboard.components.trends import (
    cohort_heatmap,
    customers_chart,
    engagement_chart,
    retention_curves,
    shares_chart,
    targets_chart,
)
from dashboard.services import series as series_service
from dashboard.web import context

dash.register_page(__name__, path="/trends", name="Trends", order=3.6, title="Trends")

SUMMARY = "trends-summary"
CUSTOMERS = "trends-customers"
ENGAGEMENT = "trends-engagement"
RULE_SHARES = "trends-rule-shares"
RFM_SHARES = "trends-rfm-shares"
TARGETS = "trends-targets"
GRAPHS = (CUSTOMERS, ENGAGEMENT, RULE_SHARES, RFM_SHARES, TARGETS)
COHORTS = "trends-cohorts"
COHORT_PRESENT = "trends-cohort-present"
COHORT_ACTIVE = "trends-cohort-active"
COHORT_CURVES = "trends-cohort-curves"
GRAPH_CONFIG = {"displaylogo": False}


def _graph(graph_id: str) -> dcc.Loading:
    return loading(dcc.Graph(id=graph_id, config=GRAPH_CONFIG))


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_title(
                "Trends over the snapshots",
                "The series of the data set on screen, one point per analysed snapshot.",
            ),
            html.Div(id=SUMMARY, className="mb-2"),
            dbc.Row(
                [
                    dbc.Col(section("Customers", _graph(CUSTOMERS)), lg=6),
                    dbc.Col(section("Engagement", _graph(ENGAGEMENT)), lg=6),
                    dbc.Col(section("Rule segments", _graph(RULE_SHARES)), lg=6),
                    dbc.Col(section("RFM segments", _graph(RFM_SHARES)), lg=6),
                    dbc.Col(section("Targets and churn", _graph(TARGETS)), lg=6),
                ],
                className="g-3",
            ),
            section(
                "Cohort retention",
                loading(html.Div(id=COHORTS)),
                "Customers by join month: the share still in each later snapshot, and the "
                "share active (a login within 30 days of the snapshot)",
            ),
        ]
    )


@callback(
    Output(SUMMARY, "children"),
    *(Output(graph, "figure") for graph in GRAPHS),
    Input(ids.VIEW_STORE, "data"),
)
def show_trends(store):
    view = context.resolve_view(store)
    empty = empty_figure("No trend to show")
    if view.run is None:
        message = empty_state("No analysed data set yet: load a CSV on the Data page.")
        return message, *(empty for _ in GRAPHS)
    info, frame = series_service.series_trend(context.engine(), view.run.dataset_id, view.filters)
    if info is None:
        message = empty_state(
            "This data set is not part of a series: load later exports of the same customers "
            "into one series (python -m dashboard ingest FILE --series NAME) to see trends."
        )
        return message, *(empty for _ in GRAPHS)
    summary = html.Div(
        f"Series {info.name}: {len(frame)} analysed snapshots, "
        f"{frame['as_of'].iloc[0]} to {frame['as_of'].iloc[-1]}.",
        id=f"{SUMMARY}-text",
    )
    return (
        summary,
        customers_chart(frame),
        engagement_chart(frame),
        shares_chart(frame, "share", series_service.SEGMENT_ORDER, "Share of each rule segment"),
        shares_chart(frame, "rfm", series_service.RFM_SEGMENT_ORDER, "Share of each RFM segment"),
        targets_chart(frame),
    )


@callback(Output(COHORTS, "children"), Input(ids.VIEW_STORE, "data"))
def show_cohorts(store):
    """Cohorts over the whole series (the filter bar does not apply: a cohort is everyone
    who joined in a month)."""
    view = context.resolve_view(store)
    if view.run is None:
        return empty_state("No analysed data set yet: load a CSV on the Data page.")
    present, active = series_service.cohorts(context.engine(), view.run.dataset_id)
    if present.empty:
        return empty_state(
            "No cohort to show: this needs a series with join dates and a snapshot taken "
            "after a join month ended."
        )
    return dbc.Row(
        [
            dbc.Col(
                dcc.Graph(
                    id=COHORT_PRESENT,
                    figure=cohort_heatmap(present, "Still in the snapshot"),
                    config=GRAPH_CONFIG,
                ),
                lg=6,
            ),
            dbc.Col(
                dcc.Graph(
                    id=COHORT_ACTIVE,
                    figure=cohort_heatmap(active, "Active within 30 days"),
                    config=GRAPH_CONFIG,
                ),
                lg=6,
            ),
            dbc.Col(
                dcc.Graph(id=COHORT_CURVES, figure=retention_curves(present), config=GRAPH_CONFIG),
                lg=12,
            ),
        ],
        className="g-2",
    )
