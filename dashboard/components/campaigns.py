"""Pure builders for the Campaigns page: the campaign list, the match counts and the
treated-against-control bars with their error bars and plain-words verdicts.

The results builders read a measurement as the JSON document of
:meth:`dashboard.analytics.measure.Measurement.as_dict` (what the page keeps in its ``dcc.Store``), so
they work on plain dicts and lists: a proportion's values are shares (0–1) drawn as
percentages, a mean's values are hours. Every bar's error bar is the group's own 95 %
interval (Wilson for a proportion, Student's t for a mean) as the measurement gives it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go
from dash import dcc, html

from dashboard.analytics.effects import format_number
from dashboard.components import formatting
from dashboard.components.figures import base_layout, empty_figure

ALL = "all"
BY_REASON = "target_reason"
BY_DISCOUNT = "discount_pct"
BREAKDOWN_OPTIONS = [
    {"label": "All members", "value": ALL},
    {"label": "By target reason", "value": BY_REASON},
    {"label": "By discount level", "value": BY_DISCOUNT},
]
METRIC_ORDER = ("renewal", "watch_time_increase", "login_improvement")
METRIC_TITLES = {
    "renewal": "Renewal rate",
    "watch_time_increase": "Watch-time increase",
    "login_improvement": "Login improvement",
}
METRIC_NOTES = {
    "renewal": "Share of members who renewed, treated against control",
    "watch_time_increase": "Hours watched between the two exports, per matched member",
    "login_improvement": "Share back within 30 days, among members away over 30 days",
}
TREATED_COLOR = "#0d6efd"
CONTROL_COLOR = "#adb5bd"
ALL_LABEL = "All members"
NO_CAMPAIGN = "Freeze the current discount targets on this page to start"
NO_FOLLOWUP = "Load a later export of the same customers on the Data page"


# --- The campaign list ---------------------------------------------------------------------


def campaign_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Grid rows from :func:`dashboard.services.campaigns.list_campaigns` (JSON-ready, newest first)."""
    rows = []
    for record in frame.to_dict("records"):
        dataset_id = record.get("dataset_id")
        deleted = dataset_id is None or pd.isna(dataset_id)
        baseline = record.get("dataset_name") or ""
        rows.append(
            {
                "id": int(record["id"]),
                "name": str(record["name"]),
                "baseline": f"{baseline} (deleted)"
                if deleted
                else f"{int(dataset_id)} · {baseline}",
                "dataset_id": None if deleted else int(dataset_id),
                "as_of": _iso(record.get("as_of")),
                "targets": int(record["targets"]),
                "control": int(record["control"]),
                "created_by": _text(record.get("created_by")),
                "created_at": _text(record.get("created_at")),
            }
        )
    return rows


def _text(value: Any) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value or "")


def campaign_grid(grid_id: str) -> dag.AgGrid:
    """A small single-selection grid of the campaigns (few rows: plain rowData)."""
    count = {"type": "rightAligned", "width": 95, "valueFormatter": {"function": _COUNT_JS}}
    return dag.AgGrid(
        id=grid_id,
        columnDefs=[
            {"field": "name", "headerName": "Campaign", "minWidth": 140, "flex": 2},
            {"field": "baseline", "headerName": "Baseline data set", "minWidth": 140, "flex": 2},
            {"field": "as_of", "headerName": "As of", "width": 120},
            {"field": "targets", "headerName": "Targets", **count},
            {"field": "control", "headerName": "Control", **count},
            {"field": "created_by", "headerName": "Created by", "width": 105},
            {"field": "created_at", "headerName": "Created at", "width": 160},
        ],
        rowData=[],
        getRowId="'' + params.data.id",
        defaultColDef={
            "resizable": True,
            "sortable": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
            "tooltipValueGetter": {"function": "params.value"},
        },
        dashGridOptions={
            "rowSelection": {
                "mode": "singleRow",
                "checkboxes": False,
                "enableClickSelection": True,
            },
            "domLayout": "autoHeight",
            "pagination": True,
            "paginationPageSize": 5,
            "paginationPageSizeSelector": False,
        },
        style={"width": "100%"},
    )


_COUNT_JS = "params.value == null ? '–' : d3.format(',')(params.value)"


def selected_campaign_id(selected: Any) -> int | None:
    """The campaign id from a grid's ``selectedRows`` (row dicts, or ``{"ids": [...]}``)."""
    if isinstance(selected, Mapping):
        chosen = list(selected.get("ids") or [])
        value = chosen[0] if chosen else None
    elif isinstance(selected, Sequence) and selected and isinstance(selected[0], Mapping):
        value = selected[0].get("id")
    else:
        value = None
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None


def choose_campaign(rows: Sequence[Mapping[str, Any]], *preferred: int | None) -> int | None:
    """The first of ``preferred`` that is in ``rows``, else the newest (first) row's id."""
    present = {row["id"] for row in rows}
    for candidate in preferred:
        if candidate is not None and candidate in present:
            return candidate
    return rows[0]["id"] if rows else None


def create_message(name: str, members: int, control: int) -> str:
    """Campaign 'X': N targets, M held out as control."""
    return (
        f"Campaign {name!r}: {formatting.count(members)} targets, "
        f"{formatting.count(control)} held out as control."
    )


# --- Follow-up data sets -------------------------------------------------------------------


def followup_options(
    datasets: pd.DataFrame, baseline_dataset_id: int | None, baseline_as_of: date
) -> tuple[list[dict[str, Any]], int | None]:
    """Dropdown options for every data set but the baseline, and the one to preselect.

    ``datasets`` comes from :func:`db.queries.list_datasets` (newest first). A data set that
    is not later than the baseline cannot be a follow-up: it is listed but disabled. The
    preselected one is the newest later data set (None when there is none).
    """
    options: list[dict[str, Any]] = []
    default = None
    for record in datasets.to_dict("records"):
        dataset_id = int(record["id"])
        if dataset_id == baseline_dataset_id:
            continue
        as_of = record["as_of"]
        later = as_of > baseline_as_of
        label = f"{dataset_id} · {record['name']} (as of {_iso(as_of)})"
        if not later:
            label += " – not after the baseline"
        options.append({"label": label, "value": dataset_id, "disabled": not later})
        if later and default is None:
            default = dataset_id
    return options, default


# --- Match counts --------------------------------------------------------------------------


def match_summary(document: Mapping[str, Any], id_prefix: str) -> html.Div:
    """Members, matched, missing and new, with the renewal rule in words."""
    counts = document["match"]
    new = counts.get("new_in_followup")
    cards = [
        (
            "Members",
            formatting.count(counts["members"]),
            f"{formatting.count(counts['treated'])} treated · "
            f"{formatting.count(counts['control'])} control",
            "members",
        ),
        ("Matched", formatting.count(counts["matched"]), "in both exports", "matched"),
        (
            "Missing from follow-up",
            formatting.count(counts["missing_from_followup"]),
            "counted as not renewed",
            "missing",
        ),
        (
            "New in follow-up",
            "–" if new is None else formatting.count(new),
            "baseline deleted" if new is None else "not in the baseline",
            "new",
        ),
    ]
    lines = [
        html.Span("Renewal rule: ", className="fw-semibold"),
        html.Span(_sentence(document["renewal_rule"]), id=f"{id_prefix}-rule"),
    ]
    unreadable = counts.get("unreadable_status") or 0
    notes = [html.Div(lines, className="small")]
    if unreadable:
        notes.append(
            html.Div(
                f"{formatting.count(unreadable)} matched members had a status value that "
                "could not be read; they count as not renewed.",
                className="small text-warning-emphasis",
            )
        )
    notes.append(
        html.Div(
            f"Baseline as of {document['baseline']['as_of']} · follow-up as of "
            f"{document['followup']['as_of']} · {_sentence(_filters_words(document['filters']))}",
            className="small text-muted",
        )
    )
    return html.Div(
        [
            dbc.Row(
                [
                    dbc.Col(_count_card(title, value, note, f"{id_prefix}-{key}"), xs=6, lg=3)
                    for title, value, note, key in cards
                ],
                className="g-2 mb-2",
            ),
            *notes,
        ]
    )


def _filters_words(filters: str) -> str:
    return "all members" if filters == "all customers" else f"members with baseline {filters}"


def _count_card(title: str, value: str, note: str, value_id: str) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(title, className="text-muted small text-uppercase fw-semibold"),
                html.Div(value, id=value_id, className="fs-4 fw-bold"),
                html.Div(note, className="text-muted small"),
            ],
            className="py-2 px-3",
        ),
        className="h-100",
    )


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith(".") else text + "."


# --- Metrics -------------------------------------------------------------------------------


def metric_groups(
    document: Mapping[str, Any], metric: str, breakdown: str
) -> list[tuple[str, dict[str, Any]]]:
    """(group label, metric dict) pairs for one metric: all members, or one per group."""
    if breakdown == ALL:
        return [(ALL_LABEL, document["metrics"][metric])]
    return [
        (part["group"], part["metrics"][metric])
        for part in document.get("breakdowns", [])
        if part["by"] == breakdown and metric in part["metrics"]
    ]


def _scale(metric: Mapping[str, Any]) -> float:
    return 100.0 if metric["kind"] == "proportion" else 1.0


def metric_figure(groups: Sequence[tuple[str, Mapping[str, Any]]], height: int = 300) -> go.Figure:
    """Treated and control bars side by side per group, each with its 95 % error bar.

    Proportions are drawn in percent (0–100), means in hours. A group without a value (no
    members) gets no bar; when no group has a value the figure says so.
    """
    if not groups or all(
        metric["treated"]["value"] is None and metric["control"]["value"] is None
        for _, metric in groups
    ):
        return empty_figure("No member to compare", height)
    proportion = groups[0][1]["kind"] == "proportion"
    figure = go.Figure()
    for side, name, color in (
        ("treated", "Treated (got the discount)", TREATED_COLOR),
        ("control", "Control (held out)", CONTROL_COLOR),
    ):
        labels, heights, above, below, texts, hover = [], [], [], [], [], []
        for label, metric in groups:
            group = metric[side]
            scale = _scale(metric)
            labels.append(label)
            if group["value"] is None:
                heights.append(None)
                above.append(0.0)
                below.append(0.0)
                texts.append("")
                hover.append(f"{name}<br>{label}: no members")
                continue
            value = group["value"] * scale
            low = (group["low"] if group["low"] is not None else group["value"]) * scale
            high = (group["high"] if group["high"] is not None else group["value"]) * scale
            heights.append(value)
            above.append(high - value)
            below.append(value - low)
            texts.append(_value_text(metric, group["value"]))
            hover.append(
                f"{name}<br>{label}: {_value_text(metric, group['value'])}"
                f"<br>95 % CI {_value_text(metric, group['low'])} to "
                f"{_value_text(metric, group['high'])}<br>n = {group['n']:,}"
            )
        figure.add_trace(
            go.Bar(
                name=name,
                x=labels,
                y=heights,
                marker_color=color,
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": above,
                    "arrayminus": below,
                    "color": "#212529",
                    "thickness": 1.5,
                    "width": 6,
                },
                # Values on the bars only for a single pair; the table gives every group's.
                text=texts if len(groups) == 1 else None,
                textposition="inside",
                textangle=0,
                insidetextanchor="start",
                textfont={"color": "white" if side == "treated" else "#212529"},
                hovertext=hover,
                hoverinfo="text",
            )
        )
    figure.update_layout(
        barmode="group",
        bargap=0.3,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        uniformtext={"minsize": 10, "mode": "hide"},
    )
    figure.update_yaxes(
        title_text="% of members" if proportion else "hours per member",
        ticksuffix=" %" if proportion else " h",
        rangemode="tozero",
        zeroline=True,
    )
    figure.update_xaxes(automargin=True)
    base_layout(figure, height)
    figure.update_layout(margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return figure


def _value_text(metric: Mapping[str, Any], value: float | None) -> str:
    if value is None:
        return "–"
    if metric["kind"] == "proportion":
        return f"{format_number(value * 100)} %"
    return f"{format_number(value)} h"


def group_text(metric: Mapping[str, Any], side: str) -> str:
    """One group's value as shown on the page: "62.3 %" or "12.4 h" ("–" when empty)."""
    return _value_text(metric, metric[side]["value"])


def difference_text(metric: Mapping[str, Any]) -> str:
    """Treated minus control with its unit: "+14.2 points", "−0.8 h" ("–" when none)."""
    difference = metric.get("difference")
    if difference is None:
        return "–"
    estimate = difference["estimate"] * _scale(metric)
    shown = format_number(estimate)
    sign = "+" if estimate > 0 and shown != format_number(0.0) else ""
    unit = "points" if metric["kind"] == "proportion" else "h"
    return f"{sign}{shown} {unit}"


def interval_text(metric: Mapping[str, Any]) -> str:
    """The difference's interval: "95 % CI 8.1 to 20.0" ("" when none)."""
    difference = metric.get("difference")
    if difference is None:
        return ""
    scale = _scale(metric)
    confidence = difference.get("confidence") or 0.95
    return (
        f"{confidence * 100:g} % CI {format_number(difference['low'] * scale)} to "
        f"{format_number(difference['high'] * scale)}"
    )


def verdict_text(metric: Mapping[str, Any]) -> str:
    """The measurement's plain-words verdict as a sentence."""
    return _sentence(metric["verdict"])


def warning_text(metric: Mapping[str, Any]) -> str | None:
    """The too-small warning as a sentence, or None."""
    warning = metric.get("warning")
    if not warning:
        return None
    return "Too small to tell: " + warning.strip().rstrip(".") + "."


def results_table(groups: Sequence[tuple[str, Mapping[str, Any]]], id_prefix: str) -> html.Table:
    """Group | treated | control | difference (95 % CI), the exact numbers behind the bars.

    Cell ids: ``{id_prefix}-{row}-treated``, ``-control``, ``-difference``.
    """
    header = html.Thead(
        html.Tr(
            [
                html.Th("Group"),
                html.Th("Treated", className="text-end"),
                html.Th("Control", className="text-end"),
                html.Th("Difference", className="text-end"),
            ]
        )
    )
    body = []
    for row, (label, metric) in enumerate(groups):
        cells = [html.Td(label)]
        for side in ("treated", "control"):
            cells.append(
                html.Td(
                    [
                        html.Span(group_text(metric, side), id=f"{id_prefix}-{row}-{side}"),
                        html.Div(
                            f"n = {formatting.count(metric[side]['n'])}",
                            className="text-muted small",
                        ),
                    ],
                    className="text-end",
                )
            )
        cells.append(
            html.Td(
                [
                    html.Span(difference_text(metric), id=f"{id_prefix}-{row}-difference"),
                    html.Div(interval_text(metric), className="text-muted small"),
                ],
                className="text-end",
            )
        )
        body.append(html.Tr(cells))
    return html.Table(
        [header, html.Tbody(body)], className="table table-sm align-middle mb-2 small"
    )


def verdict_list(groups: Sequence[tuple[str, Mapping[str, Any]]], id_prefix: str) -> html.Div:
    """One verdict (and warning) per group; the group's name leads when there are several."""
    items = []
    for row, (label, metric) in enumerate(groups):
        lead = [html.Span(f"{label}: ", className="fw-semibold")] if label != ALL_LABEL else []
        significant = bool(metric.get("significant"))
        items.append(
            html.Div(
                [*lead, html.Span(verdict_text(metric), id=f"{id_prefix}-{row}-verdict")],
                className="mb-1" + (" fw-semibold" if significant and not lead else ""),
            )
        )
        warning = warning_text(metric)
        if warning:
            items.append(
                html.Div(
                    warning,
                    id=f"{id_prefix}-{row}-warning",
                    className="small text-warning-emphasis bg-warning-subtle rounded px-2 py-1 "
                    "mb-2",
                )
            )
    return html.Div(items)


def metric_card(
    document: Mapping[str, Any], metric: str, breakdown: str, id_prefix: str
) -> dbc.Card:
    """One metric: its bars, the numbers behind them and the verdicts."""
    groups = metric_groups(document, metric, breakdown)
    prefix = f"{id_prefix}-{metric}"
    body: list[Any]
    if not groups:
        body = [html.Div("No member in any group.", className="text-muted")]
    else:
        body = [
            dcc.Graph(
                figure=metric_figure(groups, height=300 + 20 * max(0, len(groups) - 2)),
                config={"displaylogo": False, "displayModeBar": False},
                id=f"{prefix}-graph",
            ),
            verdict_list(groups, prefix),
            results_table(groups, prefix),
        ]
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.H3(METRIC_TITLES[metric], className="h6 mb-0 fw-semibold"),
                    html.Div(METRIC_NOTES[metric], className="text-muted small"),
                ],
                className="bg-white",
            ),
            dbc.CardBody(body),
        ],
        className="shadow-sm h-100",
    )


def metric_cards(document: Mapping[str, Any], breakdown: str, id_prefix: str) -> dbc.Row:
    """The three metrics side by side on a wide screen, stacked on a phone."""
    return dbc.Row(
        [
            dbc.Col(metric_card(document, metric, breakdown, id_prefix), xs=12, xl=4)
            for metric in METRIC_ORDER
            if metric in document["metrics"]
        ],
        className="g-3",
    )
