"""Migration: who moved between segments from one snapshot of a series to the next, who
is new, who is gone, and how many of each segment churned by the later snapshot."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components.common import empty_state, loading, page_title, section
from dashboard.components.figures import empty_figure
from dashboard.components.migration import (
    cell_preview_table,
    churn_sentence,
    churn_table,
    migration_heatmap,
    migration_sankey,
)
from dashboard.services import series as series_service
from dashboard.services.campaigns import CampaignError
from dashboard.web import context
from dashboard.web.downloads import migration_url

dash.register_page(__name__, path="/migration", name="Migration", order=3.5, title="Migration")

SUMMARY = "migration-summary"
PREVIOUS = "migration-previous"
KIND = "migration-kind"
HEATMAP = "migration-heatmap"
SANKEY = "migration-sankey"
CHURN = "migration-churn"
CHURN_TABLE = "migration-churn-table"
CELL = "migration-cell"
CELL_TITLE = "migration-cell-title"
CELL_DOWNLOAD = "migration-cell-download"
CELL_TABLE = "migration-cell-table"
GRAPH_CONFIG = {"displaylogo": False}
KIND_LABELS = {"rule": "Rule segments", "rfm": "RFM segments"}
PREVIEW_ROWS = 20
FREEZE_NAME = "migration-freeze-name"
FREEZE = "migration-freeze"
FREEZE_MESSAGE = "migration-freeze-message"


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            page_title(
                "Migration between snapshots",
                "Where each segment's customers are one export later: moved, new or gone.",
            ),
            html.Div(id=SUMMARY, className="mb-2"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Compare with the snapshot of", html_for=PREVIOUS),
                            dcc.Dropdown(id=PREVIOUS, clearable=False, searchable=False),
                        ],
                        md=5,
                    ),
                    dbc.Col(
                        dbc.RadioItems(
                            id=KIND,
                            options=[{"label": v, "value": k} for k, v in KIND_LABELS.items()],
                            value="rule",
                            inline=True,
                            className="mt-4",
                        ),
                        md=7,
                    ),
                ],
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Before → now",
                            loading(dcc.Graph(id=HEATMAP, config=GRAPH_CONFIG)),
                            "Customers and share of the row; click a cell to list its customers",
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        section("Flows", loading(dcc.Graph(id=SANKEY, config=GRAPH_CONFIG))),
                        lg=5,
                    ),
                ],
                className="g-3",
            ),
            section(
                "Churn by segment before",
                loading(html.Div(id=CHURN)),
                "Churned: absent from the later snapshot, or cancelled there (its status column)",
            ),
            section(
                "Customers of the selected cell",
                [
                    html.Div(
                        [
                            html.Div(id=CELL_TITLE, className="fw-semibold"),
                            html.A(
                                "Download CSV",
                                id=CELL_DOWNLOAD,
                                className="btn btn-outline-secondary btn-sm d-none",
                                href="",
                            ),
                        ],
                        className="d-flex justify-content-between align-items-center mb-2",
                    ),
                    loading(html.Div(id=CELL)),
                    dbc.InputGroup(
                        [
                            dbc.Input(
                                id=FREEZE_NAME,
                                placeholder="Campaign name",
                                maxLength=200,
                                debounce=False,
                            ),
                            dbc.Button(
                                "Freeze as a campaign's target list",
                                id=FREEZE,
                                color="primary",
                                outline=True,
                            ),
                        ],
                        size="sm",
                        className="mt-3",
                    ),
                    html.Div(id=FREEZE_MESSAGE, className="small mt-2", role="status"),
                ],
                "Analysts can freeze a cell as a campaign (the run's control group rule applies)",
            ),
        ]
    )


@callback(
    Output(PREVIOUS, "options"),
    Output(PREVIOUS, "value"),
    Input(ids.VIEW_STORE, "data"),
)
def list_previous(store):
    view = context.resolve_view(store)
    if view.run is None:
        return [], None
    _info, earlier = series_service.earlier_snapshots(context.engine(), view.run.dataset_id)
    options = [
        {
            "label": f"{s.as_of} · data set {s.dataset_id} · {s.customers:,} customers",
            "value": s.dataset_id,
        }
        for s in earlier
    ]
    return options, (earlier[0].dataset_id if earlier else None)


def _pair(view, previous_id):
    return series_service.pair_for_dataset(context.engine(), view.run.dataset_id, previous_id)


@callback(
    Output(SUMMARY, "children"),
    Output(HEATMAP, "figure"),
    Output(SANKEY, "figure"),
    Output(CHURN, "children"),
    Input(ids.VIEW_STORE, "data"),
    Input(PREVIOUS, "value"),
    Input(KIND, "value"),
)
def show_migration(store, previous_id, kind):
    view = context.resolve_view(store)
    empty = empty_figure("No migration to show")
    if view.run is None:
        message = empty_state("No analysed data set yet: load a CSV on the Data page.")
        return message, empty, empty, ""
    try:
        pair = _pair(view, previous_id)
    except series_service.MigrationError as error:
        return empty_state(str(error)), empty, empty, ""
    kind = kind if kind in KIND_LABELS else "rule"
    shown = series_service.migration_view(context.engine(), pair, kind, view.filters)
    cells = shown.cells
    if cells.empty:
        none = empty_figure("No customer matches these filters")
        return _summary(pair, cells), none, none, ""
    heatmap = migration_heatmap(
        shown.matrix, shown.shares, str(pair.previous.as_of), str(pair.current.as_of)
    )
    churn = [
        html.P(churn_sentence(shown.rates), className="mb-2"),
        churn_table(shown.rates, CHURN_TABLE),
    ]
    sankey = migration_sankey(cells, series_service.segment_order(kind))
    return _summary(pair, cells), heatmap, sankey, churn


def _summary(pair, cells) -> html.Div:
    new = int(cells.loc[cells["from"] == "new", "customers"].sum())
    gone = int(cells.loc[cells["to"] == "gone", "customers"].sum())
    before = int(cells.loc[cells["from"] != "new", "customers"].sum())
    now = int(cells.loc[cells["to"] != "gone", "customers"].sum())
    return html.Div(
        [
            html.Span(f"Series {pair.series_name}: ", className="fw-semibold"),
            f"{pair.previous.as_of} (data set {pair.previous.dataset_id}, {before:,} customers) → "
            f"{pair.current.as_of} (data set {pair.current.dataset_id}, {now:,} customers); "
            f"{new:,} new, {gone:,} gone.",
        ],
        id=f"{SUMMARY}-text",
    )


@callback(
    Output(CELL_TITLE, "children"),
    Output(CELL_DOWNLOAD, "href"),
    Output(CELL_DOWNLOAD, "className"),
    Output(CELL, "children"),
    Input(HEATMAP, "clickData"),
    Input(ids.VIEW_STORE, "data"),
    Input(PREVIOUS, "value"),
    Input(KIND, "value"),
    State(HEATMAP, "figure"),
)
def show_cell(click, store, previous_id, kind, _figure):
    hidden = "btn btn-outline-secondary btn-sm d-none"
    view = context.resolve_view(store)
    points = (click or {}).get("points") or []
    if view.run is None or not points or dash.ctx.triggered_id != HEATMAP:
        return "Click a cell of the matrix to list its customers.", "", hidden, ""
    source, target = str(points[0].get("y")), str(points[0].get("x"))
    kind = kind if kind in KIND_LABELS else "rule"
    try:
        pair = _pair(view, previous_id)
        preview = series_service.cell_preview(
            context.engine(), pair, kind, source, target, view.filters, PREVIEW_ROWS
        )
    except series_service.MigrationError as error:
        return str(error), "", hidden, ""
    count = int(points[0].get("customdata") or 0)
    title = f"{source} → {target}: {count:,} customers"
    if count == 0:
        return title, "", hidden, empty_state("No customer in this cell.")
    href = migration_url(
        pair.current.dataset_id, pair.previous.dataset_id, kind, source, target, view.filters
    )
    note = html.Div(
        f"The first {min(count, PREVIEW_ROWS)} of {count:,}; the download has them all.",
        className="text-muted small mt-1",
    )
    shown = "btn btn-outline-secondary btn-sm"
    return title, href, shown, [cell_preview_table(preview, CELL_TABLE), note]


@callback(
    Output(FREEZE_MESSAGE, "children"),
    Input(FREEZE, "n_clicks"),
    State(FREEZE_NAME, "value"),
    State(HEATMAP, "clickData"),
    State(ids.VIEW_STORE, "data"),
    State(PREVIOUS, "value"),
    State(KIND, "value"),
    prevent_initial_call=True,
)
def freeze_cell(clicks, name, click, store, previous_id, kind):
    """Freeze the selected cell as a campaign (analyst role; audited)."""
    if not clicks:
        raise PreventUpdate
    if not context.can("analyst"):
        return dbc.Alert("Freezing a campaign needs the analyst role.", color="danger")
    points = (click or {}).get("points") or []
    view = context.resolve_view(store)
    if view.run is None or not points:
        return dbc.Alert("Click a cell of the matrix first.", color="warning", className="py-2")
    source, target = str(points[0].get("y")), str(points[0].get("x"))
    try:
        pair = _pair(view, previous_id)
        campaign = series_service.freeze_cell(
            context.engine(),
            pair,
            kind if kind in KIND_LABELS else "rule",
            source,
            target,
            name or "",
            context.identity().username,
            actor=context.actor(),
            filters=view.filters,
        )
    except (series_service.MigrationError, CampaignError) as error:
        return dbc.Alert(str(error), color="danger", className="py-2 mb-0")
    return dbc.Alert(
        f"Campaign {campaign.name!r} frozen: {campaign.members:,} customers of {source} → "
        f"{target}, {campaign.control:,} held out as control. Measure it on the Campaigns "
        "page once a later export is loaded.",
        color="success",
        className="py-2 mb-0",
        id=f"{FREEZE_MESSAGE}-text",
    )
