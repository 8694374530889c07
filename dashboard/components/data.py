"""Builders for the Data page: the upload form, the upload summary, the data set list."""

from __future__ import annotations

import io
import math
from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
from dash import dcc, html

from dashboard.components import formatting
from dashboard.components.csv_export import neutralise_frame

REJECTED_CSV_COLUMNS = {"line_number": "line", "reason": "reason", "raw_line": "raw line"}
DATE_ORDER_OPTIONS = [
    {"label": "Decide from the data", "value": "auto"},
    {"label": "Day first (31/01/2024)", "value": "dayfirst"},
    {"label": "Month first (01/31/2024)", "value": "monthfirst"},
]


def refusal(message: str, element_id: str) -> dbc.Alert:
    """The loader's message as plain text, its line breaks kept."""
    return dbc.Alert(
        html.Div(message, id=element_id, style={"whiteSpace": "pre-wrap"}),
        color="danger",
        className="mb-0",
    )


def rejected_reasons_table(reasons: list[dict[str, Any]], table_id: str) -> dbc.Table:
    """Rejected rows per reason (a row with several problems counts under each)."""
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th("Reason"), html.Th("Rows", className="text-end")])),
            html.Tbody(
                [
                    html.Tr(
                        [
                            html.Td(item["reason"]),
                            html.Td(formatting.count(item["rows"]), className="text-end"),
                        ]
                    )
                    for item in reasons
                ]
            ),
        ],
        id=table_id,
        size="sm",
        bordered=False,
        striped=True,
        className="mb-2",
    )


def merged_column_map(map_text: str | None, chosen: dict[str, str]) -> str:
    """The "Column names" text with one ``Header=field`` line per chosen field.

    A line already naming one of those fields is replaced; other lines stay as typed.
    """
    kept = [
        line
        for line in (map_text or "").splitlines()
        if line.strip() and line.rsplit("=", 1)[-1].strip() not in chosen
    ]
    return "\n".join([*kept, *(f"{column}={field}" for field, column in chosen.items())])


def column_label(name: str, samples: list[str]) -> str:
    """A column as the user recognises it: its name and a few of its values."""
    shown = ", ".join(samples[:5])
    return f"{name} — e.g. {shown}" if shown else f"{name} (empty in the first rows)"


def column_choices(summary: dict[str, Any], ids: dict[str, str]) -> html.Div:
    """Per missing field, a dropdown of the file's columns (with sample values) and a button
    that loads the file again with the chosen columns."""
    options = [
        {"label": column_label(column["name"], column["samples"]), "value": column["name"]}
        for column in summary.get("columns", [])
    ]
    rows = [
        dbc.Row(
            [
                dbc.Col(dbc.Label(f"Column with {item['label']}", className="small mb-0"), md=4),
                dbc.Col(
                    dcc.Dropdown(
                        id={"type": ids["map_field"], "field": item["field"]},
                        options=options,
                        value=item.get("suggested"),
                        placeholder="Choose a column",
                        clearable=False,
                    ),
                    md=8,
                ),
            ],
            className="g-2 mb-2 align-items-center",
        )
        for item in summary["missing"]
    ]
    button = dbc.Button("Load with these columns", id=ids["map_apply"], color="primary", size="sm")
    return html.Div([*rows, button], id=ids["map_form"], className="mt-2")


def upload_summary(summary: dict[str, Any], ids: dict[str, str]) -> html.Div:
    """What happened to an upload: counts, rejected reasons, the buttons that follow.

    ``ids`` names the elements tests and callbacks use: headline, loaded, rejected,
    reasons, download, show, refusal. The show button has a pattern-matching id
    ``{"type": ids["show"], "dataset": id}`` so a callback can listen to it before it exists.
    """
    if summary.get("missing"):
        return html.Div(
            [refusal(summary.get("message", ""), ids["refusal"]), column_choices(summary, ids)]
        )
    if not summary.get("rows_loaded") and not summary.get("ok"):
        return html.Div(refusal(summary.get("message", ""), ids["refusal"]))
    if summary.get("already_loaded"):
        headline = (
            f"{summary['file']} was already loaded as data set {summary['dataset_id']} "
            f"({summary['name']}); nothing was changed."
        )
    else:
        headline = (
            f"Loaded {summary['file']} as data set {summary['dataset_id']} ({summary['name']})."
        )
    counts = dbc.Row(
        [
            dbc.Col(_figure("Rows loaded", summary["rows_loaded"], ids["loaded"]), xs=6),
            dbc.Col(_figure("Rows rejected", summary["rows_rejected"], ids["rejected"]), xs=6),
        ],
        className="g-2 mb-2",
    )
    parts: list[Any] = [
        html.Div(headline, id=ids["headline"], className="fw-semibold mb-2"),
        counts,
        html.Div(
            f"As of {summary['as_of']}"
            + (
                f" · {formatting.count(summary['customers'])} customers analysed, "
                f"{formatting.count(summary['targets'])} discount targets"
                if summary.get("customers") is not None
                else ""
            ),
            className="text-muted small mb-2",
        ),
    ]
    if summary.get("series_note"):
        parts.append(
            html.Div(summary["series_note"], id=f"{ids['headline']}-series", className="small mb-2")
        )
    if not summary.get("ok"):
        parts.append(refusal(summary.get("message", ""), ids["refusal"]))
    if summary.get("rejected_by_reason"):
        parts.append(rejected_reasons_table(summary["rejected_by_reason"], ids["reasons"]))
        if sum(item["rows"] for item in summary["rejected_by_reason"]) > summary["rows_rejected"]:
            parts.append(
                html.Div(
                    "A row with several problems counts under each of them.",
                    className="text-muted small mb-2",
                )
            )
    buttons = []
    if summary["rows_rejected"]:
        buttons.append(
            dbc.Button(
                "Download rejected rows",
                id=ids["download"],
                color="secondary",
                outline=True,
                size="sm",
            )
        )
    if summary.get("ok"):
        buttons.append(
            dbc.Button(
                "Show this data set",
                id={"type": ids["show"], "dataset": summary["dataset_id"]},
                color="primary",
                size="sm",
            )
        )
    parts.append(html.Div(buttons, className="d-flex gap-2 flex-wrap"))
    return html.Div(parts)


def _figure(title: str, value: int, element_id: str) -> html.Div:
    return html.Div(
        [
            html.Div(title, className="text-muted small text-uppercase fw-semibold"),
            html.Div(formatting.count(value), id=element_id, className="fs-4 fw-bold"),
        ],
        className="border rounded px-3 py-2 h-100",
    )


def rejected_csv(frame: pd.DataFrame) -> str:
    """Rejected rows as CSV (line, reason, raw line), formula cells neutralised."""
    frame = frame.reindex(columns=list(REJECTED_CSV_COLUMNS))
    buffer = io.StringIO()
    neutralise_frame(frame).rename(columns=REJECTED_CSV_COLUMNS).to_csv(
        buffer, index=False, lineterminator="\n"
    )
    return buffer.getvalue()


def dataset_rows(frame: pd.DataFrame, active_id: int | None) -> list[dict[str, Any]]:
    """``list_datasets`` rows for the grid, with the data set on screen marked."""
    rows = []
    for record in frame.to_dict("records"):
        as_of = record.get("as_of")
        rows.append(
            {
                "id": int(record["id"]),
                "active": "Showing" if record["id"] == active_id else "",
                "name": str(record["name"]),
                "file": str(record["file"]),
                "as_of": as_of.isoformat() if hasattr(as_of, "isoformat") else str(as_of or ""),
                "rows_loaded": int(record["rows_loaded"]),
                "rows_rejected": int(record["rows_rejected"]),
                "ingested_at": str(record["ingested_at"]),
                "analysis": analysis_text(record.get("run_id")),
            }
        )
    return rows


NOT_ANALYSED = "not analysed: select it, then Analyse"


def analysis_text(run_id: object) -> str:
    """The data set's analysis in the grid: its run, or what to do when it has none."""
    if run_id is None or (isinstance(run_id, float) and math.isnan(run_id)):
        return NOT_ANALYSED
    return f"run {int(run_id)}"


def dataset_grid(grid_id: str) -> dag.AgGrid:
    """The data sets, one selectable row each (rows arrive from a callback)."""
    number = {
        "type": "rightAligned",
        "valueFormatter": {"function": "d3.format(',')(params.value)"},
        "flex": 1,
        "minWidth": 90,
    }
    return dag.AgGrid(
        id=grid_id,
        columnDefs=[
            {
                "field": "active",
                "headerName": "On screen",
                "width": 100,
                "cellStyle": {"fontWeight": 600},
            },
            {"field": "id", "headerName": "ID", "width": 60, "type": "rightAligned"},
            {
                "field": "name",
                "headerName": "Name",
                "minWidth": 140,
                "flex": 2,
                "tooltipField": "name",
            },
            {
                "field": "file",
                "headerName": "File",
                "minWidth": 140,
                "flex": 2,
                "tooltipField": "file",
            },
            {"field": "as_of", "headerName": "As of", "width": 120},
            {"field": "rows_loaded", "headerName": "Rows loaded", **number},
            {"field": "rows_rejected", "headerName": "Rows rejected", **number},
            {"field": "ingested_at", "headerName": "Loaded at", "width": 160},
            {"field": "analysis", "headerName": "Analysis", "minWidth": 150, "flex": 2},
        ],
        rowData=[],
        getRowId="'' + params.data.id",
        defaultColDef={
            "resizable": True,
            "sortable": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        getRowStyle={
            "styleConditions": [
                {"condition": "params.data.active !== ''", "style": {"backgroundColor": "#e7f1ff"}}
            ]
        },
        dashGridOptions={
            "rowSelection": {
                "mode": "singleRow",
                "checkboxes": False,
                "enableClickSelection": True,
            },
            "domLayout": "autoHeight",
            "pagination": True,
            "paginationPageSize": 10,
            "paginationPageSizeSelector": False,
        },
        style={"width": "100%"},
    )


def series_timelines(found: list, element_id: str) -> html.Div:
    """Each series as a timeline: its snapshots oldest first, as-of, data set, customers."""
    if not found:
        return html.Div(
            "No series yet: give an upload a series name (or python -m dashboard ingest FILE "
            "--series NAME) to follow the same customers export after export.",
            id=element_id,
            className="text-muted small",
        )
    blocks = []
    for info in found:
        steps = []
        for snapshot in info.snapshots:
            status = "" if snapshot.run_id else " · not analysed"
            steps.append(
                html.Li(
                    [
                        html.Span(str(snapshot.as_of), className="fw-semibold me-2"),
                        f"data set {snapshot.dataset_id} · {snapshot.name} · "
                        f"{formatting.count(snapshot.customers)} customers{status}",
                    ],
                    className="list-group-item py-1 small",
                )
            )
        blocks.append(
            html.Div(
                [
                    html.Div(
                        f"{info.name} · {len(info.snapshots)} snapshots",
                        className="fw-semibold small mb-1",
                    ),
                    html.Ol(steps, className="list-group list-group-numbered mb-3"),
                ]
            )
        )
    return html.Div(blocks, id=element_id)
