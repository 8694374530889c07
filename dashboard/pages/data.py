"""Data: load a CSV export (ingest, then analyse) and choose the data set every page shows.

The upload runs as a Dash background callback (the app's DiskcacheManager, set up in
``create_app``), so a big file neither blocks the server's request threads nor hits a
request timeout; the page shows its progress meanwhile.
"""

from __future__ import annotations

from pathlib import Path

import dash
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components.common import empty_state, loading, page_title, section
from dashboard.components.data import (
    DATE_ORDER_OPTIONS,
    dataset_grid,
    dataset_rows,
    merged_column_map,
    rejected_csv,
    series_timelines,
    upload_summary,
)
from dashboard.services import series as series_service
from dashboard.services.analysis import MAX_K, MIN_K, run_reanalysis_job
from dashboard.services.job_slots import queued_job
from dashboard.services.upload_store import find_upload, forget_upload, uploads_folder
from dashboard.services.uploads import MB, run_upload_job, stopped_upload
from dashboard.web import auth, context
from db.filters import search_from_view, view_from_search
from db.queries import dataset_file, list_datasets, rejected_rows

dash.register_page(__name__, path="/data", name="Data", order=6, title="Data")

UPLOAD = "data-upload"
UPLOADED = "data-uploaded"  # {"token", "filename"} from POST /upload, or {"error"}
NAME = "data-name"
SERIES = "data-series"
SERIES_NAMES = "data-series-names"
TIMELINES = "data-series-timelines"
DATE_ORDER = "data-date-order"
COLUMN_MAP = "data-column-map"
RELOAD = "data-reload"
PROGRESS = "data-progress"
RESULT_STORE = "data-result-store"
SUMMARY = "data-summary"
DOWNLOAD = "data-rejected-download"
GRID = "data-datasets"
SHOW = "data-show"
SHOW_MESSAGE = "data-show-message"
DELETE = "data-delete"
DELETE_CONFIRM = "data-delete-confirm"
DELETE_MESSAGE = "data-delete-message"
REANALYSE = "data-reanalyse"
REANALYSE_AS_OF = "data-reanalyse-as-of"
REANALYSE_K = "data-reanalyse-k"
REANALYSIS_STORE = "data-reanalysis-store"
REANALYSIS_MESSAGE = "data-reanalysis-message"
REANALYSIS_QUEUE = "data-reanalysis-queue"

# Uploading needs the analyst role and deleting the admin role: the server refuses the
# callbacks for lower roles whatever the page shows.
auth.protect([RESULT_STORE, REANALYSIS_STORE], "analyst")
auth.protect([DELETE_MESSAGE], "admin")
SUMMARY_IDS = {
    "headline": "data-summary-headline",
    "loaded": "data-summary-loaded",
    "rejected": "data-summary-rejected",
    "reasons": "data-summary-reasons",
    "download": "data-summary-download",
    "show": "data-summary-show",
    "refusal": "data-summary-refusal",
    "map_field": "data-map-field",  # {"type": ..., "field": name}: a column per missing field
    "map_apply": "data-map-apply",
    "map_form": "data-map-form",
}
SCROLL = "data-scroll"

# Bring what the upload says into view: progress, then the result or the refusal, which sit
# below the fold of a 1440×900 screen.
SCROLL_JS = """
function(progress, summary) {
    const id = summary ? 'data-summary' : (progress ? 'data-progress' : null);
    const element = id ? document.getElementById(id) : null;
    if (element) {
        element.scrollIntoView({block: 'center'});
    }
    return window.dash_clientside.no_update;
}
"""
UPLOAD_STYLE = {
    "borderWidth": "2px",
    "borderStyle": "dashed",
    "borderRadius": "0.5rem",
    "padding": "1.5rem 1rem",
    "textAlign": "center",
    "cursor": "pointer",
}


def _limit_text() -> str:
    try:
        limit = context.settings().max_upload_bytes
    except RuntimeError:  # outside a request (layout validation)
        return "Bigger files: python -m dashboard ingest FILE"
    return f"Up to {limit / MB:,.0f} MB; bigger files: python -m dashboard ingest FILE"


def _series_names() -> list[str]:
    try:
        engine = context.engine()
    except RuntimeError:  # outside a request (layout validation)
        return []
    return [info.name for info in series_service.all_series(engine)]


def _upload_form() -> html.Div:
    return html.Div(
        [
            dcc.Upload(
                id=UPLOAD,
                children=html.Div(
                    [
                        html.Div(
                            "Drag and drop a CSV export or an Excel workbook here",
                            className="fw-semibold",
                        ),
                        html.Div(["or ", html.Span("choose a file", className="link-primary")]),
                        html.Div(_limit_text(), className="text-muted small mt-1"),
                    ]
                ),
                # No accept filter: a browser drops a file it filters out without a word, so
                # every file reaches the loader, which names what it is when it cannot load it.
                multiple=False,
                style=UPLOAD_STYLE,
                className="mb-3 bg-light",
            ),
            dbc.Label("Display name (optional)", html_for=NAME, className="small mb-0"),
            dbc.Input(
                id=NAME, placeholder="The file name", maxLength=200, className="mb-2", value=""
            ),
            dbc.Label("Series (optional)", html_for=SERIES, className="small mb-0"),
            dbc.Input(
                id=SERIES,
                placeholder="The customer base this export is a snapshot of",
                maxLength=200,
                className="mb-2",
                value="",
                list=SERIES_NAMES,
            ),
            html.Datalist(
                id=SERIES_NAMES, children=[html.Option(value=name) for name in _series_names()]
            ),
            dbc.Label("Dates like 01/02/2024", html_for=DATE_ORDER, className="small mb-0"),
            dbc.RadioItems(
                id=DATE_ORDER,
                options=DATE_ORDER_OPTIONS,
                value="auto",
                className="mb-2 small",
            ),
            dbc.Label("Column names (optional)", html_for=COLUMN_MAP, className="small mb-0"),
            dbc.Textarea(
                id=COLUMN_MAP,
                placeholder="One per line, e.g.\nHours Streamed=watch_time_hours\n"
                "Last Payment=last_login",
                rows=3,
                maxLength=5000,
                className="mb-2 font-monospace small",
                value="",
            ),
            dbc.Button(
                "Load the same file again",
                id=RELOAD,
                color="secondary",
                outline=True,
                size="sm",
                className="mb-2",
                title="After changing the options above",
            ),
            html.Div(id=PROGRESS, className="text-muted small mb-2", role="status"),
            loading(html.Div(id=SUMMARY)),
            dcc.Store(id=SCROLL),
            dcc.Download(id=DOWNLOAD),
        ]
    )


def _reanalysis_form() -> html.Div:
    """Analyse the selected data set again with another as-of date or number of clusters."""
    return html.Div(
        [
            html.Div("Analyse again", className="fw-semibold small mt-3 mb-1"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label(
                                "As of (YYYY-MM-DD)",
                                html_for=REANALYSE_AS_OF,
                                className="small mb-0",
                            ),
                            dbc.Input(
                                id=REANALYSE_AS_OF,
                                placeholder="the latest login",
                                maxLength=10,
                                size="sm",
                                value="",
                            ),
                        ],
                        xs=6,
                        md=4,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Clusters (k)", html_for=REANALYSE_K, className="small mb-0"),
                            dbc.Input(
                                id=REANALYSE_K,
                                type="number",
                                min=MIN_K,
                                max=MAX_K,
                                step=1,
                                value=4,
                                size="sm",
                            ),
                        ],
                        xs=6,
                        md=3,
                    ),
                    dbc.Col(
                        dbc.Button(
                            "Analyse the selected data set",
                            id=REANALYSE,
                            color="secondary",
                            outline=True,
                            size="sm",
                        ),
                        xs=12,
                        md=5,
                        className="d-flex align-items-end mt-2 mt-md-0",
                    ),
                ],
                className="g-2",
            ),
            html.Div(id=REANALYSIS_MESSAGE, className="small mt-2", role="status"),
            html.Div(id=REANALYSIS_QUEUE, className="small text-muted", role="status"),
        ]
    )


def layout(**_query: str) -> html.Div:
    upload = (
        _upload_form()
        if context.can("analyst")
        else empty_state("Loading files needs the analyst role.")
    )
    delete = (
        dbc.Button("Delete data set", id=DELETE, color="danger", outline=True, size="sm")
        if context.can("admin")
        else None
    )
    return html.Div(
        [
            dcc.Store(id=UPLOADED),
            dcc.Store(id=RESULT_STORE),
            dcc.Store(id=REANALYSIS_STORE),
            dcc.ConfirmDialog(id=DELETE_CONFIRM),
            page_title(
                "Data",
                "Load a CSV export or a workbook and choose the data set the dashboard shows",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Load a CSV",
                            upload,
                            "Each file is checked, loaded whole or not at all, then analysed",
                        ),
                        lg=4,
                    ),
                    dbc.Col(
                        section(
                            "Data sets",
                            [
                                loading(dataset_grid(GRID)),
                                html.Div(
                                    [
                                        dbc.Button(
                                            "Show this data set",
                                            id=SHOW,
                                            color="primary",
                                            size="sm",
                                        ),
                                        delete,
                                        html.Span(id=SHOW_MESSAGE, className="text-muted small"),
                                        html.Span(id=DELETE_MESSAGE, className="small"),
                                    ],
                                    className="d-flex gap-3 align-items-center mt-2",
                                ),
                                _reanalysis_form() if context.can("analyst") else None,
                            ],
                            "Select a row, then show it on every page",
                        ),
                        lg=8,
                    ),
                ],
                className="g-3",
            ),
            section(
                "Series",
                loading(html.Div(id=TIMELINES)),
                "The same customer base export after export, oldest snapshot first",
            ),
        ]
    )


# The dropped file goes to POST /upload (its own path and size limit) straight from the
# browser; only the token it answers with reaches the load job below.
SEND_FILE_JS = """
async function(contents, filename) {
    if (!contents) {
        return window.dash_clientside.no_update;
    }
    const name = filename || "upload.csv";
    const text = atob(contents.slice(contents.indexOf(",") + 1));
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
        bytes[i] = text.charCodeAt(i);
    }
    let response;
    try {
        response = await fetch("/upload", {
            method: "POST",
            body: new Blob([bytes]),
            credentials: "same-origin",
            headers: {
                "Content-Type": "application/octet-stream",
                "X-Upload-Filename": encodeURIComponent(name)
            }
        });
    } catch (error) {
        return {error: name + " could not be sent; check the connection and try again."};
    }
    let answer = {};
    try {
        answer = await response.json();
    } catch (error) {
        answer = {};
    }
    if (!response.ok || !answer.token) {
        return {error: answer.error || (name + " was refused (" + response.status + ").")};
    }
    return {token: answer.token, filename: answer.filename};
}
"""
clientside_callback(
    SEND_FILE_JS,
    Output(UPLOADED, "data"),
    Input(UPLOAD, "contents"),
    State(UPLOAD, "filename"),
    prevent_initial_call=True,
)


@callback(
    Output(RESULT_STORE, "data"),
    Input(UPLOADED, "data"),
    Input(RELOAD, "n_clicks"),
    State(NAME, "value"),
    State(DATE_ORDER, "value"),
    State(COLUMN_MAP, "value"),
    State(SERIES, "value"),
    background=True,
    progress=[Output(PROGRESS, "children")],
    running=[
        (Output(UPLOAD, "disabled"), True, False),
        (Output(RELOAD, "disabled"), True, False),
        (Output(SUMMARY, "style"), {"opacity": 0.4}, {"opacity": 1}),
    ],
    prevent_initial_call=True,
)
def load_file(set_progress, uploaded, _reload, name, date_order, map_text, series=None):
    """Ingest then analyse the stored upload; the summary goes to RESULT_STORE.

    The job runs in a forked worker process, so it opens its own connection pool instead of
    using the one inherited from the server process. It finds the file by its token, and
    only an upload the same user sent.
    """
    if not uploaded:
        raise PreventUpdate
    if uploaded.get("error"):  # refused by POST /upload, which audited it
        return {"ok": False, "message": str(uploaded["error"])[:2000]}
    settings = context.settings()
    stored = find_upload(
        uploads_folder(settings.cache_dir), uploaded.get("token"), context.identity().username
    )
    if stored is None:
        return {"ok": False, "message": "That upload is no longer here; please upload it again."}
    with queued_job(settings.cache_dir, settings.job_slots, set_progress):
        summary = run_upload_job(
            settings.database_url,
            stored.path,
            stored.filename,
            max_bytes=settings.max_upload_bytes,
            name=name,
            date_order=date_order or "auto",
            map_text=map_text,
            chunk_rows=settings.ingest_chunk_rows,
            on_progress=lambda text: set_progress(text),
            actor=context.actor(),
            series=series or None,
        )
    set_progress("")
    if summary.get("ok"):
        forget_upload(stored)  # loaded: the database holds it now
    return summary


clientside_callback(
    SCROLL_JS,
    Output(SCROLL, "data"),
    Input(PROGRESS, "children"),
    Input(SUMMARY, "children"),
)


@callback(
    Output(COLUMN_MAP, "value"),
    Output(RELOAD, "n_clicks"),
    Input(SUMMARY_IDS["map_apply"], "n_clicks"),
    State({"type": SUMMARY_IDS["map_field"], "field": ALL}, "value"),
    State({"type": SUMMARY_IDS["map_field"], "field": ALL}, "id"),
    State(COLUMN_MAP, "value"),
    State(RELOAD, "n_clicks"),
    prevent_initial_call=True,
)
def load_with_chosen_columns(clicks, columns, field_ids, map_text, reloads):
    """Put the chosen column per missing field into the column names and load again."""
    if not clicks:
        raise PreventUpdate
    chosen = {
        field_id["field"]: column
        for field_id, column in zip(field_ids, columns, strict=True)
        if column
    }
    if not chosen:
        raise PreventUpdate
    return merged_column_map(map_text, chosen), (reloads or 0) + 1


@callback(
    Output(SUMMARY, "children"),
    Input(RESULT_STORE, "data"),
    State(UPLOADED, "data"),
    prevent_initial_call=True,
)
def show_summary(summary, uploaded):
    """Show the upload's result (the job has audited it).

    A job whose process died has no result of its own (the job manager says "stopped"):
    the database tells what it did, and the stored copy of the file is removed.
    """
    if not summary:
        return None
    if summary.get("stopped") and uploaded:
        stored = find_upload(
            uploads_folder(context.settings().cache_dir),
            uploaded.get("token"),
            context.identity().username,
        )
        if stored is not None:
            summary = stopped_upload(context.engine(), stored, context.actor())
    return upload_summary(summary, SUMMARY_IDS)


@callback(
    Output(DOWNLOAD, "data"),
    Input(SUMMARY_IDS["download"], "n_clicks"),
    State(RESULT_STORE, "data"),
    prevent_initial_call=True,
)
def download_rejected(clicks, summary):
    if not clicks or not summary or summary.get("dataset_id") is None:
        raise PreventUpdate
    try:
        dataset_id = int(summary["dataset_id"])
    except (TypeError, ValueError):
        raise PreventUpdate from None
    if dataset_file(context.engine(), dataset_id) is None:
        raise PreventUpdate  # the summary names a data set that is not there: nothing to export
    frame = rejected_rows(context.engine(), dataset_id)
    stem = Path(summary.get("file") or "upload").stem[:60] or "upload"
    context.record(
        "export",
        {"table": "rejected_rows", "dataset_id": dataset_id, "rows": len(frame)},
    )
    return {"content": rejected_csv(frame), "filename": f"{stem}_rejected_rows.csv"}


@callback(
    Output(REANALYSIS_STORE, "data"),
    Input(REANALYSE, "n_clicks"),
    State(GRID, "selectedRows"),
    State(REANALYSE_AS_OF, "value"),
    State(REANALYSE_K, "value"),
    background=True,
    progress=[Output(REANALYSIS_QUEUE, "children")],
    running=[
        (Output(REANALYSE, "disabled"), True, False),
        (Output(REANALYSIS_MESSAGE, "children"), "Analysing…", ""),
    ],
    prevent_initial_call=True,
)
def reanalyse(set_progress, clicks, selected, as_of_text, k_value):
    """Analyse the selected data set again (a background job: a million customers take
    about half a minute). Like the upload, it opens its own connection pool."""
    if not clicks:
        raise PreventUpdate
    dataset_id = selected[0].get("id") if selected else None
    settings = context.settings()
    with queued_job(settings.cache_dir, settings.job_slots, set_progress):
        return run_reanalysis_job(
            settings.database_url, dataset_id, as_of_text, k_value, context.actor()
        )


@callback(
    Output(REANALYSIS_MESSAGE, "children", allow_duplicate=True),
    Input(REANALYSIS_STORE, "data"),
    prevent_initial_call=True,
)
def show_reanalysis(summary):
    """Say what the new analysis found (the job has audited it)."""
    if not summary:
        raise PreventUpdate
    return html.Span(
        summary.get("message", ""),
        id=f"{REANALYSIS_MESSAGE}-text",
        className="text-success" if summary.get("ok") else "text-danger",
    )


@callback(
    Output(GRID, "rowData"),
    Input(ids.VIEW_STORE, "data"),
    Input(RESULT_STORE, "data"),
    Input(REANALYSIS_STORE, "data"),
)
def show_datasets(store, _summary, _reanalysis):
    view = context.resolve_view(store)
    active = view.run.dataset_id if view.run is not None else None
    return dataset_rows(list_datasets(context.engine()), active)


@callback(
    Output(TIMELINES, "children"),
    Input(RESULT_STORE, "data"),
    Input(REANALYSIS_STORE, "data"),
)
def show_series(_summary, _reanalysis):
    return series_timelines(series_service.all_series(context.engine()), f"{TIMELINES}-list")


@callback(
    Output(ids.URL, "search", allow_duplicate=True),
    Output(SHOW_MESSAGE, "children"),
    Input(SHOW, "n_clicks"),
    Input({"type": SUMMARY_IDS["show"], "dataset": ALL}, "n_clicks"),
    State(GRID, "selectedRows"),
    State(ids.URL, "search"),
    prevent_initial_call=True,
)
def show_dataset(grid_clicks, summary_clicks, selected, search):
    """Switch every page to the chosen data set, keeping the other query parameters.

    Dash also calls this when the summary's button appears or the page is rebuilt; only a
    real click (n_clicks set) switches.
    """
    trigger = ctx.triggered_id
    if trigger == SHOW and not grid_clicks:
        raise PreventUpdate
    if isinstance(trigger, dict):
        if not any(summary_clicks):
            raise PreventUpdate
        dataset_id = trigger["dataset"]
    elif selected:
        dataset_id = selected[0].get("id")
    else:
        return no_update, "Select a data set in the table first."
    if dataset_id is None:
        raise PreventUpdate
    view = view_from_search(search)
    view["dataset_id"] = int(dataset_id)
    return search_from_view(view), ""


@callback(
    Output(DELETE_CONFIRM, "displayed"),
    Output(DELETE_CONFIRM, "message"),
    Input(DELETE, "n_clicks"),
    State(GRID, "selectedRows"),
    prevent_initial_call=True,
)
def ask_delete(clicks, selected):
    if not clicks or not selected:
        raise PreventUpdate
    row = selected[0]
    return True, f"Delete data set {row.get('id')} ({row.get('name')}) and all its results?"


@callback(
    Output(DELETE_MESSAGE, "children"),
    Output(GRID, "rowData", allow_duplicate=True),
    Input(DELETE_CONFIRM, "submit_n_clicks"),
    State(GRID, "selectedRows"),
    State(ids.VIEW_STORE, "data"),
    prevent_initial_call=True,
)
def delete_selected(confirmed, selected, store):
    """Delete the selected data set with everything computed from it (admin only)."""
    if not confirmed or not selected:
        raise PreventUpdate
    if not context.can("admin"):
        return "Deleting needs the admin role.", no_update
    dataset_id = int(selected[0]["id"])
    deleted = series_service.delete_dataset(context.engine(), dataset_id)
    context.record("delete_dataset", {"dataset_id": dataset_id}, "ok" if deleted else "missing")
    view = context.resolve_view(store)
    active = view.run.dataset_id if view.run is not None else None
    message = f"Deleted data set {dataset_id}." if deleted else "That data set no longer exists."
    return message, dataset_rows(list_datasets(context.engine()), active)
