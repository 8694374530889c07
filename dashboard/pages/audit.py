"""Audit log (admins): who signed in or failed, uploaded, analysed, edited, exported, deleted."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from dashboard import ids
from dashboard.components.audit import event_rows
from dashboard.components.common import empty_state, loading, page_title, section
from dashboard.web import auth, context
from db.audit import ACTIONS, recent_events

dash.register_page(
    __name__, path="/audit", name="Audit log", order=9, title="Audit log", min_role="admin"
)

GRID = "audit-grid"
ACTION = "audit-action"
LIMIT = 1000
ALL_ACTIONS = "all"  # a select shows an empty box for the value ""

auth.protect([GRID], "admin")


def layout(**_query: str) -> html.Div:
    if not context.can("admin"):
        return empty_state("The audit log is for administrators.")
    return html.Div(
        [
            page_title("Audit log", f"The newest {LIMIT:,} events, newest first"),
            section(
                "Events",
                [
                    dbc.Select(
                        id=ACTION,
                        options=[{"label": "All actions", "value": ALL_ACTIONS}]
                        + [{"label": a.replace("_", " "), "value": a} for a in ACTIONS],
                        value=ALL_ACTIONS,
                        className="mb-2",
                        style={"maxWidth": "260px"},
                    ),
                    loading(
                        dag.AgGrid(
                            id=GRID,
                            columnDefs=[
                                {"field": "at", "headerName": "When (UTC)", "width": 190},
                                {"field": "username", "headerName": "User", "width": 140},
                                {"field": "action", "headerName": "Action", "width": 150},
                                {"field": "outcome", "headerName": "Outcome", "width": 125},
                                {
                                    "field": "detail",
                                    "headerName": "Detail",
                                    "flex": 1,
                                    "minWidth": 300,
                                    "wrapText": True,
                                    "autoHeight": True,
                                    "cellStyle": {"lineHeight": "1.4", "padding": "6px"},
                                },
                                {"field": "remote_addr", "headerName": "Address", "width": 130},
                            ],
                            rowData=[],
                            defaultColDef={"resizable": True, "sortable": True, "filter": True},
                            dashGridOptions={"pagination": True, "paginationPageSize": 50},
                            style={"height": "600px", "width": "100%"},
                        )
                    ),
                ],
            ),
        ]
    )


@callback(Output(GRID, "rowData"), Input(ACTION, "value"), Input(ids.VIEW_STORE, "data"))
def show_events(action, _store):
    if not context.can("admin"):
        return []
    return event_rows(
        recent_events(
            context.engine(), LIMIT, None if action in (ALL_ACTIONS, "", None) else action
        )
    )
