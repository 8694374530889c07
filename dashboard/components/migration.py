"""Pure builders for the Migration page: the previous x current matrix as a heatmap and a
Sankey diagram, the churn table and the cell's customer preview."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.analytics.migration import GONE, NEW
from dashboard.components.figures import ALL_SEGMENT_COLORS, figure_dict

OUTSIDE_COLOURS = {NEW: "#7e57c2", GONE: "#616161"}
PREVIEW_COLUMNS = {
    "customer_id": "Customer ID",
    "gender": "Gender",
    "country": "Country",
    "plan": "Plan",
    "segment": "Segment",
    "rfm_segment": "RFM segment",
    "days_since_last_login": "Days since login",
    "watch_time_hours": "Watch hours",
}


def _colour(name: str) -> str:
    return OUTSIDE_COLOURS.get(name) or ALL_SEGMENT_COLORS.get(name, "#90a4ae")


def _rgba(hex_colour: str, alpha: float) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def migration_heatmap(
    matrix: pd.DataFrame, shares: pd.DataFrame, previous: str, current: str
) -> dict:
    """Rows: the previous segment (and ``new``); columns: the current one (and ``gone``).

    Colour is the row share, so small segments read as clearly as large ones; each cell says
    its customers and share. A click on a cell selects its customers (the page listens).
    """
    text = [
        [
            f"{count:,}<br>{share * 100:.1f} %" if count else ""
            for count, share in zip(counts, row_shares, strict=True)
        ]
        for counts, row_shares in zip(matrix.to_numpy(), shares.to_numpy(), strict=True)
    ]
    heatmap = {
        "type": "heatmap",
        "z": shares.round(4).to_numpy().tolist(),
        "x": list(matrix.columns),
        "y": list(matrix.index),
        "customdata": matrix.to_numpy().tolist(),
        "text": text,
        "texttemplate": "%{text}",
        "colorscale": [[0.0, "#f7fbff"], [0.5, "#6baed6"], [1.0, "#08306b"]],
        "zmin": 0,
        "zmax": 1,
        "colorbar": {"title": {"text": "Row share"}, "tickformat": ".0%", "thickness": 12},
        "hovertemplate": (
            "%{y} → %{x}<br>%{customdata:,} customers<br>%{z:.1%} of %{y}<extra></extra>"
        ),
        "xgap": 2,
        "ygap": 2,
    }
    layout = {
        "height": 460,
        "xaxis": {"title": {"text": f"Now ({current})"}, "side": "top", "fixedrange": True},
        "yaxis": {
            "title": {"text": f"Before ({previous})"},
            "autorange": "reversed",
            "fixedrange": True,
        },
        "margin": {"l": 10, "r": 10, "t": 70, "b": 10},
    }
    return figure_dict([heatmap], layout)


def migration_sankey(cells: pd.DataFrame, order: tuple[str, ...]) -> dict:
    """Flows from the previous segments (left) to the current ones (right)."""
    sources = [s for s in (*order, NEW) if s in set(cells["from"])]
    targets = [t for t in (*order, GONE) if t in set(cells["to"])]
    left = {name: index for index, name in enumerate(sources)}
    right = {name: len(sources) + index for index, name in enumerate(targets)}
    flows = cells[cells["from"].isin(left) & cells["to"].isin(right)]
    sankey = {
        "type": "sankey",
        "arrangement": "fixed",
        "node": {
            "label": [*sources, *targets],
            "color": [_colour(name) for name in (*sources, *targets)],
            "pad": 14,
            "thickness": 16,
            "hovertemplate": "%{label}: %{value:,} customers<extra></extra>",
        },
        "link": {
            "source": [left[name] for name in flows["from"]],
            "target": [right[name] for name in flows["to"]],
            "value": [int(v) for v in flows["customers"]],
            "color": [_rgba(_colour(name), 0.35) for name in flows["from"]],
            "hovertemplate": (
                "%{source.label} → %{target.label}: %{value:,} customers<extra></extra>"
            ),
        },
    }
    return figure_dict([sankey], {"height": 460, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}})


def churn_table(rates: pd.DataFrame, table_id: str) -> dbc.Table | html.Div:
    """Per previous segment: customers, churned, rate with its 95 % interval and lift."""
    if rates.empty:
        return html.Div("No customer of the previous snapshot matches these filters.")
    header = html.Thead(
        html.Tr(
            [
                html.Th(label)
                for label in (
                    "Segment before",
                    "Customers",
                    "Churned",
                    "Churn rate",
                    "95 % interval",
                    "Lift",
                )
            ]
        )
    )
    rows = []
    for row in rates.to_dict("records"):
        is_base = row["segment"] == "All"
        rows.append(
            html.Tr(
                [
                    html.Td("All customers (base rate)" if is_base else row["segment"]),
                    html.Td(f"{row['customers']:,}", className="text-end"),
                    html.Td(f"{row['churned']:,}", className="text-end"),
                    html.Td(f"{row['rate'] * 100:.1f} %", className="text-end"),
                    html.Td(
                        f"{row['low'] * 100:.1f}–{row['high'] * 100:.1f} %", className="text-end"
                    ),
                    html.Td("" if is_base else f"{row['lift']:.2f}×", className="text-end"),
                ],
                className="fw-semibold" if is_base else None,
            )
        )
    return dbc.Table(
        [header, html.Tbody(rows)], id=table_id, size="sm", hover=True, className="mb-0"
    )


def churn_sentence(rates: pd.DataFrame) -> str:
    """The headline: the previous segment that left most, against the base rate."""
    segments = rates[rates["segment"] != "All"]
    if segments.empty:
        return ""
    worst = segments.sort_values(["rate", "customers"], ascending=[False, False]).iloc[0]
    base = rates[rates["segment"] == "All"].iloc[0]
    return (
        f"{worst['segment']} left at {worst['rate'] * 100:.0f} %, {worst['lift']:.1f}× the base "
        f"rate of {base['rate'] * 100:.0f} %."
    )


def cell_preview_table(frame: pd.DataFrame, table_id: str) -> dbc.Table:
    """The first customers of a cell, with the columns a marketer checks."""
    shown = frame[[c for c in PREVIEW_COLUMNS if c in frame.columns]]
    header = html.Thead(html.Tr([html.Th(PREVIEW_COLUMNS[c]) for c in shown.columns]))
    body = html.Tbody(
        [
            html.Tr(
                [html.Td("" if value is None or value != value else str(value)) for value in row]
            )
            for row in shown.itertuples(index=False, name=None)
        ]
    )
    return dbc.Table([header, body], id=table_id, size="sm", striped=True, className="mb-0")
