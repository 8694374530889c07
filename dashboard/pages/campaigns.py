"""Campaigns: freeze the discount targets under a name, then measure them against a later
export of the same customers, treated against control.

Results are computed on demand from the database (:func:`dashboard.services.campaigns.measure_campaign`)
and kept only in the browser's ``dcc.Store`` for redrawing by breakdown; the dashboard
filters apply to the members' baseline values.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components import campaigns as ui
from dashboard.components.common import empty_state, loading, page_title, section
from dashboard.components.csv_export import export_filename, neutralise_frame
from dashboard.services.campaigns import (
    CampaignError,
    MeasureError,
    create_campaign,
    get_campaign,
    list_campaigns,
    measure_campaign,
)
from dashboard.web import auth, context, downloads
from db.queries import list_datasets

dash.register_page(__name__, path="/campaigns", name="Campaigns", order=8, title="Campaigns")

NAME = "campaigns-name"
CREATE = "campaigns-create"
CREATE_MESSAGE = "campaigns-create-message"
CREATED = "campaigns-created"
CREATE_HINT = "campaigns-create-hint"
GRID = "campaigns-grid"
GRID_BOX = "campaigns-grid-box"
LIST_EMPTY = "campaigns-list-empty"
FOLLOWUP = "campaigns-followup"
BREAKDOWN = "campaigns-breakdown"
RESULT_STORE = "campaigns-result"
MESSAGE = "campaigns-message"
SUMMARY = "campaigns-summary"
METRICS = "campaigns-metrics"
RESULTS_BOX = "campaigns-results-box"
DOWNLOAD_RESULTS = "campaigns-download-results"
DOWNLOAD_TARGETS = "campaigns-download-targets"
DOWNLOAD_CONTROL = "campaigns-download-control"
DOWNLOAD = "campaigns-download"
PREFIX = "campaigns"

# Creating a campaign writes to the database: analysts and above only, whatever the page shows.
auth.protect([CREATE_MESSAGE, CREATED], "analyst")


def _create_form() -> html.Div:
    return html.Div(
        [
            dbc.Label("Campaign name", html_for=NAME, className="small mb-0"),
            dbc.Input(
                id=NAME, placeholder="e.g. Summer win-back", maxLength=200, value="", debounce=False
            ),
            dbc.Button(
                "Freeze current targets as a campaign",
                id=CREATE,
                color="primary",
                className="mt-2 w-100",
            ),
            html.Div(id=CREATE_HINT, className="text-muted small mt-2"),
            loading(html.Div(id=CREATE_MESSAGE, className="small mt-2", role="status")),
        ]
    )


def layout(**_query: str) -> html.Div:
    create = (
        _create_form()
        if context.can("analyst")
        else empty_state("Creating campaigns needs the analyst role.")
    )
    # The member lists can be as long as the target list: links to streamed files
    # (dashboard.web.downloads), set once a campaign is selected.
    list_links = [
        dbc.Button(
            label,
            id=component_id,
            href="",
            external_link=True,
            disabled=True,
            color="secondary",
            outline=True,
            size="sm",
        )
        for label, component_id in (
            ("Download target list", DOWNLOAD_TARGETS),
            ("Download control list", DOWNLOAD_CONTROL),
        )
    ]
    download_buttons = html.Div(
        [
            dbc.Button(
                "Download results CSV",
                id=DOWNLOAD_RESULTS,
                color="primary",
                outline=True,
                size="sm",
            ),
            *list_links,
            dcc.Download(id=DOWNLOAD),
        ],
        className="d-flex flex-wrap gap-2",
    )
    return html.Div(
        [
            dcc.Store(id=CREATED),
            dcc.Store(id=RESULT_STORE),
            page_title(
                "Campaigns",
                "Freeze a target list when you send the discounts, then measure it against a "
                "later export: treated against control",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Create a campaign",
                            create,
                            "Copies the current discount targets and their control group",
                        ),
                        lg=4,
                    ),
                    dbc.Col(
                        section(
                            "Campaigns",
                            [
                                html.Div(id=LIST_EMPTY),
                                html.Div(loading(ui.campaign_grid(GRID)), id=GRID_BOX),
                            ],
                            "Select one to measure it",
                        ),
                        lg=8,
                    ),
                ],
                className="g-3",
            ),
            section(
                "Results",
                [
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    dbc.Label(
                                        "Follow-up data set",
                                        html_for=FOLLOWUP,
                                        className="small mb-0",
                                    ),
                                    dcc.Dropdown(
                                        id=FOLLOWUP,
                                        options=[],
                                        clearable=False,
                                        searchable=False,
                                        placeholder="Choose a later export",
                                    ),
                                ],
                                md=6,
                                xl=5,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label("Show", html_for=BREAKDOWN, className="small mb-0"),
                                    dbc.RadioItems(
                                        id=BREAKDOWN,
                                        options=ui.BREAKDOWN_OPTIONS,
                                        value=ui.ALL,
                                        inline=True,
                                    ),
                                ],
                                md=6,
                                xl=7,
                            ),
                            dbc.Col(download_buttons, xs=12),
                        ],
                        className="g-3 mb-3",
                    ),
                    html.Div(id=MESSAGE),
                    loading(
                        html.Div(
                            [html.Div(id=SUMMARY, className="mb-3"), html.Div(id=METRICS)],
                            id=RESULTS_BOX,
                        )
                    ),
                ],
                "Members matched by customer ID · bars: 95 % intervals per group · "
                "filters apply to the members' baseline values",
            ),
        ]
    )


@callback(
    Output(GRID, "rowData"),
    Output(GRID, "selectedRows"),
    Output(LIST_EMPTY, "children"),
    Output(GRID_BOX, "style"),
    Input(ids.VIEW_STORE, "data"),
    Input(CREATED, "data"),
    State(GRID, "selectedRows"),
)
def show_campaigns(_store, created, selected):
    """The campaign list; keeps the selection, selects a new campaign, else the newest."""
    rows = ui.campaign_rows(list_campaigns(context.engine()))
    if not rows:
        message = ui.NO_CAMPAIGN
        if not context.can("analyst"):
            message += " (creating a campaign needs the analyst role)."
        return [], [], empty_state(message), {"display": "none"}
    just_created = (created or {}).get("id") if ctx.triggered_id == CREATED else None
    chosen = ui.choose_campaign(rows, just_created, ui.selected_campaign_id(selected))
    return rows, {"ids": [str(chosen)]}, None, None


@callback(Output(CREATE_HINT, "children"), Input(ids.VIEW_STORE, "data"))
def show_hint(store):
    if not context.can("analyst"):
        return no_update
    view = context.resolve_view(store)
    run = view.run
    if run is None:
        return "No analysed data set yet: load a CSV on the Data page."
    return (
        f"Freezes all {run.targets:,} discount targets of data set {run.dataset_id} "
        f"({run.dataset_name}, as of {run.as_of.isoformat()}), whatever the filters."
    )


@callback(
    Output(CREATE_MESSAGE, "children"),
    Output(CREATED, "data"),
    Input(CREATE, "n_clicks"),
    State(NAME, "value"),
    State(ids.VIEW_STORE, "data"),
    prevent_initial_call=True,
)
def create(clicks, name, store):
    """Freeze the active data set's targets as a campaign (analyst role; audited)."""
    if not clicks:
        raise PreventUpdate
    if not context.can("analyst"):
        return dbc.Alert("Creating campaigns needs the analyst role.", color="danger"), no_update
    view = context.resolve_view(store)
    if view.run is None:
        return dbc.Alert("No analysed data set yet.", color="warning", className="py-2"), no_update
    try:
        campaign = create_campaign(
            context.engine(),
            name or "",
            view.run.dataset_id,
            context.identity().username,
            actor=context.actor(),
        )
    except CampaignError as error:
        return dbc.Alert(str(error), color="danger", className="py-2 mb-0"), no_update
    message = ui.create_message(campaign.name, campaign.members, campaign.control)
    alert = dbc.Alert(message, color="success", className="py-2 mb-0", id=f"{PREFIX}-created-text")
    return alert, {"id": campaign.id}


def _campaign(selected):
    campaign_id = ui.selected_campaign_id(selected)
    if campaign_id is None:
        return None
    try:
        return get_campaign(context.engine(), campaign_id)
    except CampaignError:
        return None


@callback(
    Output(FOLLOWUP, "options"),
    Output(FOLLOWUP, "value"),
    Input(GRID, "selectedRows"),
    State(FOLLOWUP, "value"),
)
def show_followups(selected, current):
    """Every data set but the campaign's baseline; keeps a valid choice, else the newest."""
    campaign = _campaign(selected)
    if campaign is None:
        return [], None
    options, default = ui.followup_options(
        list_datasets(context.engine()), campaign.dataset_id, campaign.baseline_as_of
    )
    allowed = {option["value"] for option in options if not option["disabled"]}
    return options, current if current in allowed else default


@callback(
    Output(RESULT_STORE, "data"),
    Input(GRID, "selectedRows"),
    Input(FOLLOWUP, "value"),
    Input(ids.VIEW_STORE, "data"),
)
def measure(selected, followup_id, store):
    """The measurement document for the campaign × follow-up under the filters, or why not."""
    campaign = _campaign(selected)
    if campaign is None:
        return {"message": ui.NO_CAMPAIGN}
    if followup_id is None:
        return {"message": ui.NO_FOLLOWUP}
    filters = context.resolve_view(store).filters
    try:
        measured = measure_campaign(context.engine(), campaign, int(followup_id), filters)
    except MeasureError as error:
        return {"message": str(error)}
    return {"result": measured.as_dict()}


@callback(
    Output(MESSAGE, "children"),
    Output(SUMMARY, "children"),
    Output(METRICS, "children"),
    Input(RESULT_STORE, "data"),
    Input(BREAKDOWN, "value"),
)
def show_results(data, breakdown):
    if not data:
        raise PreventUpdate
    document = data.get("result")
    if document is None:
        return empty_state(data.get("message") or ui.NO_CAMPAIGN), None, None
    return (
        None,
        ui.match_summary(document, PREFIX),
        ui.metric_cards(document, breakdown or ui.ALL, PREFIX),
    )


@callback(
    Output(DOWNLOAD_TARGETS, "href"),
    Output(DOWNLOAD_TARGETS, "disabled"),
    Output(DOWNLOAD_CONTROL, "href"),
    Output(DOWNLOAD_CONTROL, "disabled"),
    Input(GRID, "selectedRows"),
    Input(ids.VIEW_STORE, "data"),
)
def list_links(selected, store):
    """Links to the selected campaign's filtered target and control lists."""
    campaign = _campaign(selected)
    view = context.resolve_view(store)
    if campaign is None or view.run is None:
        return "", True, "", True
    dataset_id = view.run.dataset_id
    return (
        downloads.members_url(campaign.id, "targets", dataset_id, view.filters),
        False,
        downloads.members_url(campaign.id, "control", dataset_id, view.filters),
        False,
    )


@callback(
    Output(DOWNLOAD, "data"),
    Input(DOWNLOAD_RESULTS, "n_clicks"),
    State(GRID, "selectedRows"),
    State(FOLLOWUP, "value"),
    State(ids.VIEW_STORE, "data"),
    prevent_initial_call=True,
)
def download_results(clicks, selected, followup_id, store):
    """The results table (one row per metric and breakdown) as formula-safe CSV."""
    campaign = _campaign(selected)
    if not clicks or campaign is None or followup_id is None:
        raise PreventUpdate
    filters = context.resolve_view(store).filters
    try:
        measured = measure_campaign(context.engine(), campaign, int(followup_id), filters)
    except MeasureError:
        raise PreventUpdate from None
    frame = neutralise_frame(measured.to_frame())
    context.record(
        "export",
        {
            "table": "campaign_results",
            "campaign_id": campaign.id,
            "followup_dataset_id": int(followup_id),
            "filters": filters.describe(),
            "rows": len(frame),
        },
    )
    filename = export_filename(campaign.name, campaign.baseline_as_of, "campaign_results")
    return {"content": frame.to_csv(index=False, lineterminator="\r\n"), "filename": filename}
