"""Messaging: what marketing says to each segment, editable in place, and whom it reaches."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import ids
from dashboard.components.common import empty_state, loading, page_title, section
from dashboard.components.csv_export import export_filename
from dashboard.components.messaging import (
    edit_problem,
    edits_from_event,
    saved_text,
    strategies_csv,
    strategy_grid,
    strategy_rows,
)
from dashboard.web import auth, context
from db.queries import aggregate, messaging_strategies, update_messaging

dash.register_page(__name__, path="/messaging", name="Messaging", order=5, title="Messaging")

GRID = "messaging-grid"
SAVED = "messaging-saved"
NOTE = "messaging-note"
DOWNLOAD_BUTTON = "messaging-download-button"
DOWNLOAD = "messaging-download"

# Saving an edit needs the analyst role: the server refuses the callback for viewers.
auth.protect([SAVED], "analyst")


def layout(**_query: str) -> html.Div:
    can_edit = context.can("analyst")
    hint = (
        "What we tell each segment. Click a headline, message, channel or offer to "
        "edit it; changes are saved at once."
        if can_edit
        else "What we tell each segment. Editing needs the analyst role."
    ) + (
        " The rule segment's strategy is the one message a customer gets: {first_name}, "
        "{plan}, {days_since_last_login} and {discount_pct} are filled per customer, and "
        "text in [[ ]] is shown only to customers who get a discount. RFM strategies are "
        "context and are not sent."
    )
    return html.Div(
        [
            page_title("Messaging", hint),
            section(
                "Strategies by segment",
                [
                    html.Div(id=NOTE),
                    loading(strategy_grid(GRID, can_edit)),
                    html.Div(
                        [
                            html.Span(id=SAVED, className="text-success small", role="status"),
                            dbc.Button(
                                "Download CSV",
                                id=DOWNLOAD_BUTTON,
                                color="secondary",
                                outline=True,
                                size="sm",
                            ),
                        ],
                        className="d-flex justify-content-between align-items-center mt-2",
                    ),
                    dcc.Download(id=DOWNLOAD),
                ],
                "Reaches: filtered customers in the segment (rule segments first, then RFM)",
            ),
        ]
    )


def _rows(store) -> tuple[list[dict], str | None]:
    """Strategy rows with their reach under the current filters, and a note if any."""
    view = context.resolve_view(store)
    strategies = messaging_strategies(context.engine())
    if view.run is None:
        rows = strategy_rows(strategies, None, None)
        return rows, "No analysed data set yet: load a CSV on the Data page to see the reach."
    engine, run_id = context.engine(), view.run.run_id
    rule = aggregate(engine, run_id, view.filters, by=["segment"])
    rfm = aggregate(engine, run_id, view.filters, by=["rfm_segment"])
    return strategy_rows(strategies, rule, rfm), None


@callback(Output(GRID, "rowData"), Output(NOTE, "children"), Input(ids.VIEW_STORE, "data"))
def show_strategies(store):
    rows, note = _rows(store)
    return rows, empty_state(note) if note else None


@callback(
    Output(SAVED, "children"),
    Input(GRID, "cellValueChanged"),
    prevent_initial_call=True,
)
def save_edit(event):
    """Save each edited cell in the name of the signed-in user, and audit it."""
    if not context.can("analyst"):
        return "Editing needs the analyst role; nothing was saved."
    user = context.identity().username
    edits = edits_from_event(event)
    problems = [problem for problem in map(edit_problem, edits) if problem]
    if problems:
        return " ".join(problems)
    failed = [
        edit
        for edit in edits
        if not update_messaging(
            context.engine(), edit.segment_kind, edit.segment, edit.column, edit.value, user
        )
    ]
    for edit in edits:
        context.record(
            "edit_messaging",
            {"segment_kind": edit.segment_kind, "segment": edit.segment, "column": edit.column},
            "failed" if edit in failed else "ok",
        )
    return saved_text(edits, failed) or no_update


@callback(
    Output(DOWNLOAD, "data"),
    Input(DOWNLOAD_BUTTON, "n_clicks"),
    State(ids.VIEW_STORE, "data"),
    prevent_initial_call=True,
)
def download(_clicks, store):
    rows, _note = _rows(store)
    run = context.resolve_view(store).run
    filename = (
        export_filename(run.dataset_name, run.as_of, "messaging")
        if run is not None
        else "messaging_strategies.csv"
    )
    context.record("export", {"table": "messaging", "rows": len(rows), "filename": filename})
    return {"content": strategies_csv(rows), "filename": filename}
