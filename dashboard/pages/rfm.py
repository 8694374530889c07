"""RFM: the seven RFM segments as a treemap, a details table and the R × FM grid."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import ids
from dashboard.components.common import empty_state, loading, page_title, section
from dashboard.components.csv_export import export_filename
from dashboard.components.figures import empty_figure, segment_treemap
from dashboard.components.segments import (
    RFM_SEGMENT_RULES,
    rfm_detail_column_defs,
    rfm_details,
    rfm_details_csv,
    rfm_explanation,
    rfm_heatmap,
)
from dashboard.web import context
from db.queries import aggregate

dash.register_page(__name__, path="/rfm", name="RFM", order=2, title="RFM")

EXPLANATION = "rfm-explanation"
TREEMAP = "rfm-treemap"
DETAILS = "rfm-details"
DETAILS_NOTE = "rfm-details-note"
DOWNLOAD_BUTTON = "rfm-details-download-button"
DOWNLOAD = "rfm-details-download"
HEATMAP = "rfm-heatmap"
GRAPH_CONFIG = {"displaylogo": False}


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_title(
                "RFM segments",
                "Recency, frequency and watch time scored 1–5 and combined into seven segments.",
            ),
            html.P(id=EXPLANATION, className="small text-muted mb-1"),
            html.P(RFM_SEGMENT_RULES, className="small text-muted mb-3"),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "RFM segment map",
                            loading(dcc.Graph(id=TREEMAP, config=GRAPH_CONFIG)),
                            "Tile size: average watch time",
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        section(
                            "R × FM grid",
                            loading(dcc.Graph(id=HEATMAP, config=GRAPH_CONFIG)),
                            "Customers per recency score and frequency+monetary score",
                        ),
                        lg=6,
                    ),
                ],
                className="g-3",
            ),
            section(
                "Segment details",
                [
                    loading(
                        dag.AgGrid(
                            id=DETAILS,
                            rowData=[],
                            columnDefs=[],
                            defaultColDef={"sortable": True, "resizable": True, "flex": 1},
                            dashGridOptions={"domLayout": "autoHeight", "animateRows": False},
                            style={"height": None},
                        )
                    ),
                    html.Div(
                        [
                            html.Div(id=DETAILS_NOTE, className="text-muted small"),
                            dbc.Button(
                                "Download CSV",
                                id=DOWNLOAD_BUTTON,
                                color="secondary",
                                outline=True,
                                size="sm",
                            ),
                        ],
                        className="d-flex justify-content-between align-items-center gap-2 mt-2",
                    ),
                    dcc.Download(id=DOWNLOAD),
                ],
                "For the filtered customers; averages per customer",
            ),
        ]
    )


def _details(view):
    frame = aggregate(context.engine(), view.run.run_id, view.filters, by=["rfm_segment"])
    table = rfm_details(frame, view.run.frequency_available, view.run.revenue_available)
    return frame, table


@callback(
    Output(EXPLANATION, "children"),
    Output(TREEMAP, "figure"),
    Output(DETAILS, "rowData"),
    Output(DETAILS, "columnDefs"),
    Output(DETAILS_NOTE, "children"),
    Output(HEATMAP, "figure"),
    Input(ids.VIEW_STORE, "data"),
)
def show_rfm(store):
    view = context.resolve_view(store)
    if view.run is None:
        empty = empty_figure("No analysed data set yet")
        message = empty_state("No analysed data set yet: load a CSV on the Data page.")
        return message, empty, [], [], "", empty
    run = view.run
    explanation = rfm_explanation(run.thresholds, run.frequency_available)
    frame, table = _details(view)
    scores = aggregate(context.engine(), run.run_id, view.filters, by=["r_score", "fm_score"])
    if frame.empty:
        empty = empty_figure("No customer matches these filters")
        return explanation, empty, [], [], "No customer matches these filters.", empty
    treemap = segment_treemap(frame.rename(columns={"rfm_segment": "segment"}), "rfm")
    notes = []
    if not run.frequency_available:
        notes.append("Visit frequency is not in this data set.")
    if not run.revenue_available:
        notes.append("Monthly revenue is not in this data set.")
    return (
        explanation,
        treemap,
        table.to_dict("records"),
        rfm_detail_column_defs(table),
        " ".join(notes),
        rfm_heatmap(scores),
    )


@callback(
    Output(DOWNLOAD, "data"),
    Input(DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.VIEW_STORE, "data"),
    prevent_initial_call=True,
)
def download_details(n_clicks, store):
    view = context.resolve_view(store)
    if not n_clicks or view.run is None:
        return no_update
    _frame, table = _details(view)
    filename = export_filename(view.run.dataset_name, view.run.as_of, "rfm_segments")
    context.record(
        "export",
        {
            "table": "rfm_segments",
            "dataset_id": view.run.dataset_id,
            "filters": view.filters.describe(),
            "rows": len(table),
        },
    )
    return {"content": rfm_details_csv(table), "filename": filename}
