"""Builders for the Messaging page: the strategy table, its reach, its edits and its CSV."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import dash_ag_grid as dag
import pandas as pd

from dashboard.analytics.messaging import CHANNELS, DEFAULT_STRATEGIES, template_problem
from dashboard.components.csv_export import neutralise_frame
from db.columns import EDITABLE_MESSAGING_COLUMNS

CHANNEL_CHOICES: tuple[str, ...] = (*CHANNELS, "SMS")
KIND_LABELS = {"rule": "Rule", "rfm": "RFM"}
KIND_ORDER = {"rule": 0, "rfm": 1}
SEEDED_POSITION = {(s["segment_kind"], s["segment"]): i for i, s in enumerate(DEFAULT_STRATEGIES)}
ROW_FIELDS = (
    "segment_kind",
    "kind",
    "segment",
    "reaches",
    "headline",
    "message",
    "channel",
    "offer",
)
CSV_COLUMNS = {
    "kind": "Segment type",
    "segment": "Segment",
    "reaches": "Reaches",
    "headline": "Headline",
    "message": "Message",
    "channel": "Channel",
    "offer": "Offer",
}


def _reach_by_segment(frame: pd.DataFrame | None, column: str) -> dict[str, int]:
    if frame is None or frame.empty:
        return {}
    return {
        str(segment): int(customers)
        for segment, customers in zip(frame[column], frame["customers"], strict=True)
        if segment is not None
    }


def strategy_rows(
    strategies: pd.DataFrame,
    rule_reach: pd.DataFrame | None,
    rfm_reach: pd.DataFrame | None,
) -> list[dict[str, Any]]:
    """One row per strategy, rule segments then RFM segments in the seeded order.

    ``reaches`` is how many filtered customers are in the strategy's segment (0 when none,
    None when there is no analysed data set: ``rule_reach``/``rfm_reach`` are None).
    """
    reach = {
        "rule": _reach_by_segment(rule_reach, "segment"),
        "rfm": _reach_by_segment(rfm_reach, "rfm_segment"),
    }
    known = {"rule": rule_reach is not None, "rfm": rfm_reach is not None}
    records = strategies.to_dict("records")
    records.sort(
        key=lambda row: (
            KIND_ORDER.get(row["segment_kind"], 2),
            SEEDED_POSITION.get((row["segment_kind"], row["segment"]), len(SEEDED_POSITION)),
            str(row["segment"]),
        )
    )
    rows = []
    for row in records:
        kind = row["segment_kind"]
        rows.append(
            {
                "segment_kind": kind,
                "kind": KIND_LABELS.get(kind, str(kind)),
                "segment": str(row["segment"]),
                "reaches": reach.get(kind, {}).get(row["segment"], 0) if known.get(kind) else None,
                "headline": str(row["headline"] or ""),
                "message": str(row["message"] or ""),
                "channel": str(row["channel"] or ""),
                "offer": str(row["offer"] or ""),
            }
        )
    return rows


def column_defs(can_edit: bool = True) -> list[dict[str, Any]]:
    """Segment and reach fixed; headline, message, channel (a choice) and offer editable
    (only for people allowed to edit)."""
    editable = {"editable": True, "cellClass": "messaging-editable"} if can_edit else {}
    wrapped = {
        "wrapText": True,
        "autoHeight": True,
        "cellStyle": {"lineHeight": "1.45", "paddingTop": "8px", "paddingBottom": "8px"},
    }
    text_editor = {"cellEditor": "agTextCellEditor", "cellEditorParams": {"maxLength": 200}}
    return [
        {"field": "kind", "headerName": "Type", "width": 80},
        {"field": "segment", "headerName": "Segment", "width": 170},
        {
            "field": "reaches",
            "headerName": "Reaches",
            "type": "rightAligned",
            "width": 110,
            "valueFormatter": {
                "function": "params.value == null ? '–' : d3.format(',')(params.value)"
            },
            "headerTooltip": "Filtered customers in this segment",
        },
        {
            "field": "headline",
            "headerName": "Headline",
            "minWidth": 180,
            "flex": 1,
            **wrapped,
            **editable,
            **text_editor,
        },
        {
            "field": "message",
            "headerName": "Message",
            "minWidth": 320,
            "flex": 2,
            **wrapped,
            "cellEditor": "agLargeTextCellEditor",
            "cellEditorPopup": True,
            "cellEditorParams": {"maxLength": 2000, "rows": 6, "cols": 60},
            **editable,
        },
        {
            "field": "channel",
            "headerName": "Channel",
            "width": 140,
            "cellEditor": "agSelectCellEditor",
            "cellEditorParams": {"values": list(CHANNEL_CHOICES)},
            **editable,
        },
        {
            "field": "offer",
            "headerName": "Offer",
            "minWidth": 200,
            "flex": 1,
            **wrapped,
            **editable,
            **text_editor,
        },
    ]


def strategy_grid(grid_id: str, can_edit: bool = True) -> dag.AgGrid:
    """The strategy table, editable for analysts and admins (rows arrive from a callback)."""
    return dag.AgGrid(
        id=grid_id,
        columnDefs=column_defs(can_edit),
        rowData=[],
        defaultColDef={
            "resizable": True,
            "sortable": True,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        getRowId="params.data.segment_kind + '/' + params.data.segment",
        dashGridOptions={
            "domLayout": "autoHeight",
            "singleClickEdit": True,
            "stopEditingWhenCellsLoseFocus": True,
            "tooltipShowDelay": 300,
        },
        style={"width": "100%"},
    )


@dataclass(frozen=True)
class CellEdit:
    """One edited strategy cell, checked and ready to save."""

    segment_kind: str
    segment: str
    column: str
    value: str


def edits_from_event(event: list[dict] | dict | None) -> list[CellEdit]:
    """The saveable edits in an AG Grid ``cellValueChanged`` value (a list, or one dict).

    Unchanged values, non-editable columns and channels outside CHANNEL_CHOICES are skipped.
    """
    changes = event if isinstance(event, list) else [event] if event else []
    edits = []
    for change in changes:
        column = change.get("colId")
        data = change.get("data") or {}
        value = change.get("value")
        if column not in EDITABLE_MESSAGING_COLUMNS or value == change.get("oldValue"):
            continue
        if column == "channel" and value not in CHANNEL_CHOICES:
            continue
        if not data.get("segment_kind") or not data.get("segment"):
            continue
        edits.append(
            CellEdit(
                segment_kind=str(data["segment_kind"]),
                segment=str(data["segment"]),
                column=column,
                value="" if value is None else str(value),
            )
        )
    return edits


def edit_problem(edit: CellEdit) -> str | None:
    """Why a rule-segment template edit cannot be saved (see analytics.messaging), or None.

    RFM strategies are context for marketers, never sent, so they are free text.
    """
    if edit.segment_kind != "rule" or edit.column == "channel":
        return None
    problem = template_problem(edit.value)
    return None if problem is None else f"Not saved: {edit.segment} {edit.column}: {problem}"


def saved_text(edits: list[CellEdit], failed: list[CellEdit]) -> str:
    """The small confirmation under the table."""
    if failed:
        names = ", ".join(f"{e.segment} {e.column}" for e in failed)
        return f"Not saved: {names} (the strategy no longer exists)."
    if not edits:
        return ""
    last = edits[-1]
    return f"Saved: {last.segment} · {last.column}."


def strategies_csv(rows: list[dict[str, Any]]) -> str:
    """The table as CSV text, safe to open in a spreadsheet (formula cells neutralised)."""
    frame = pd.DataFrame(rows, columns=list(ROW_FIELDS))[list(CSV_COLUMNS)]
    frame["reaches"] = frame["reaches"].astype("Int64")
    buffer = io.StringIO()
    neutralise_frame(frame).rename(columns=CSV_COLUMNS).to_csv(
        buffer, index=False, lineterminator="\n"
    )
    return buffer.getvalue()
