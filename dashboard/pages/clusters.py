"""Clusters: K-Means on watch time and recency, compared with the rule segments."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import ids
from dashboard.components import clusters as ui
from dashboard.components import formatting
from dashboard.components.common import empty_state, kpi_card, loading, section
from dashboard.components.figures import empty_figure
from dashboard.web import context
from db.queries import (
    aggregate,
    cluster_centroids,
    cluster_sweep,
    sample_customers,
)

dash.register_page(__name__, path="/clusters", name="Clusters", order=3, title="Clusters")

KPIS = "clusters-kpis"
SCATTER = "clusters-scatter"
SAMPLE_NOTE = "clusters-sample-note"
HEATMAP = "clusters-heatmap"
SWEEP = "clusters-sweep"
TABLE = "clusters-table"
SAMPLE_LIMIT = 3_000  # points drawn; enough to see the clusters, light to send
GRAPH_CONFIG = {"displaylogo": False}


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            loading(html.Div(id=KPIS)),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Clusters on watch time and recency",
                            [
                                html.Div(id=SAMPLE_NOTE, className="small text-muted mb-1"),
                                loading(dcc.Graph(id=SCATTER, config=GRAPH_CONFIG)),
                            ],
                            "Each dot a customer, coloured by K-Means cluster · × = centroid",
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        section(
                            "Clusters vs rule segments",
                            loading(dcc.Graph(id=HEATMAP, config=GRAPH_CONFIG)),
                            "Filtered customers in each cluster and rule segment",
                        ),
                        lg=5,
                    ),
                ],
                className="g-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Choosing k",
                            loading(dcc.Graph(id=SWEEP, config=GRAPH_CONFIG)),
                            "Inertia falls as k grows; a high silhouette means clear groups",
                        ),
                        lg=5,
                    ),
                    dbc.Col(
                        section(
                            "Clusters",
                            loading(html.Div(id=TABLE)),
                            "Centroids in original units · size over all customers and "
                            "over the filtered ones",
                        ),
                        lg=7,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


@callback(
    Output(KPIS, "children"),
    Output(SWEEP, "figure"),
    Output(TABLE, "children"),
    Input(ids.VIEW_STORE, "data"),
)
def show_model(store):
    view = context.resolve_view(store)
    if view.run is None:
        message = "No analysed data set yet: load a CSV on the Data page."
        return empty_state(message), empty_figure("No analysed data set yet"), None
    engine = context.engine()
    run = view.run
    centroids = cluster_centroids(engine, run.run_id)
    sweep = cluster_sweep(engine, run.run_id)
    filtered = aggregate(engine, run.run_id, view.filters, by=["cluster"])
    cards = [
        (
            "Clusters (k)",
            formatting.count(run.k_used),
            "K-Means on 2 standardised features",
            "clusters-kpi-k",
        ),
        (
            "Adjusted Rand index",
            formatting.number(run.adjusted_rand_index, 2),
            ui.ari_sentence(run.adjusted_rand_index),
            "clusters-kpi-ari",
        ),
        (
            "Silhouette",
            formatting.number(run.silhouette, 2),
            ui.silhouette_sentence(run.silhouette),
            "clusters-kpi-silhouette",
        ),
    ]
    kpis = html.Div(
        [
            dbc.Row(
                [dbc.Col(kpi_card(*card), xs=12, md=4) for card in cards],
                className="g-3 mb-1",
            ),
            html.Div(
                "Scores are for the whole data set's model (all customers), not the filters.",
                className="small text-muted mb-3",
            ),
        ]
    )
    sweep_figure = (
        ui.sweep_figure(sweep, run.k_used)
        if not sweep.empty
        else empty_figure("No k sweep for this data set")
    )
    table = (
        ui.cluster_table(ui.cluster_rows(centroids, filtered), "clusters-table-grid")
        if not centroids.empty
        else empty_state("No clusters for this data set.")
    )
    return kpis, sweep_figure, table


@callback(
    Output(SCATTER, "figure"),
    Output(SAMPLE_NOTE, "children"),
    Output(HEATMAP, "figure"),
    Input(ids.VIEW_STORE, "data"),
)
def show_customers(store):
    view = context.resolve_view(store)
    if view.run is None:
        empty = empty_figure("No analysed data set yet")
        return empty, "", empty
    engine = context.engine()
    run_id = view.run.run_id
    # The cluster × segment counts also give the filtered total: one query fewer.
    agreement = aggregate(engine, run_id, view.filters, by=["cluster", "segment"])
    total = int(agreement["customers"].sum())
    if total == 0:
        empty = empty_figure("No customer matches these filters")
        return empty, ui.sample_note(0, 0), empty
    centroids = cluster_centroids(engine, run_id)
    sample = sample_customers(
        engine,
        run_id,
        view.filters,
        limit=SAMPLE_LIMIT,
        columns=["cluster", "watch_time_hours", "days_since_last_login"],
    )
    return (
        ui.cluster_scatter(sample, centroids),
        ui.sample_note(len(sample), total),
        ui.agreement_heatmap(agreement, centroids),
    )
