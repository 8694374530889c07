"""Pure builders for the Clusters page: K-Means as an independent check of the rules.

Data in (small frames from ``db.queries``), Plotly figures and Dash components out.
"""

from __future__ import annotations

import math

import dash_ag_grid as dag
import pandas as pd
import plotly.graph_objects as go

from dashboard.analytics.segments import SEGMENT_ORDER
from dashboard.components import formatting
from dashboard.components.figures import HOUSE_LAYOUT, base_layout

CLUSTER_COLORS = (
    "#4e79a7",
    "#f28e2b",
    "#59a14f",
    "#e15759",
    "#76b7b2",
    "#edc948",
    "#b07aa1",
    "#9c755f",
)


def cluster_color(cluster: int) -> str:
    return CLUSTER_COLORS[int(cluster) % len(CLUSTER_COLORS)]


def cluster_label(cluster: int, name: str | None) -> str:
    return f"{int(cluster)}: {name}" if name else f"Cluster {int(cluster)}"


def sample_note(shown: int, total: int) -> str:
    """ "5,000 of 25,000 customers shown" (or "All 812 customers shown")."""
    if shown >= total:
        return f"All {formatting.count(total)} customers shown"
    return f"{formatting.count(shown)} of {formatting.count(total)} customers shown"


def cluster_scatter(sample: pd.DataFrame, centroids: pd.DataFrame) -> go.Figure:
    """Watch hours (x) against days since last login (y), one WebGL trace per cluster.

    ``sample`` has cluster, watch_time_hours, days_since_last_login (and optionally
    customer_id); ``centroids`` has cluster, name, watch_time_hours, days_since_last_login.
    Centroids are drawn as black-edged crosses labelled with their names.

    Built in one ``go.Figure`` call from plain dicts and numpy arrays: Plotly then validates
    everything once (adding traces and annotations one by one copied the figure each time),
    and sends the points as compact binary.
    """
    names = dict(zip(centroids["cluster"], centroids["name"], strict=True))
    traces: list[dict] = []
    for cluster, part in sample.groupby("cluster", sort=True):
        traces.append(
            {
                "type": "scattergl",
                "x": part["watch_time_hours"].round(2).to_numpy(dtype=float),
                "y": part["days_since_last_login"].to_numpy(dtype=float),
                "mode": "markers",
                "name": cluster_label(cluster, names.get(cluster)),
                "marker": {"size": 5, "opacity": 0.55, "color": cluster_color(cluster)},
                "hovertemplate": (
                    "%{x:,.1f} h watched<br>%{y:,} days since login<extra>%{fullData.name}</extra>"
                ),
            }
        )
    labels = [
        cluster_label(c, n) for c, n in zip(centroids["cluster"], centroids["name"], strict=True)
    ]
    annotations: list[dict] = []
    if not centroids.empty:
        traces.append(
            {
                "type": "scatter",
                "x": centroids["watch_time_hours"].round(2).tolist(),
                "y": centroids["days_since_last_login"].round(1).tolist(),
                "mode": "markers",
                "name": "Centroids",
                "text": labels,
                "marker": {
                    "symbol": "x",
                    "size": 14,
                    "color": [cluster_color(c) for c in centroids["cluster"]],
                    "line": {"width": 2, "color": "#212529"},
                },
                "hovertemplate": (
                    "<b>%{text}</b><br>centroid: %{x:,.1f} h, %{y:,.0f} days<extra></extra>"
                ),
            }
        )
        for position, (row, label) in enumerate(
            zip(centroids.itertuples(index=False), labels, strict=True)
        ):
            annotations.append(
                {
                    "x": float(row.watch_time_hours),
                    "y": float(row.days_since_last_login),
                    "text": label,
                    "showarrow": True,
                    "arrowhead": 0,
                    "arrowcolor": "#212529",
                    "ax": 40,
                    "ay": -28 - 22 * (position % 3),
                    "xanchor": "left",
                    "bgcolor": "rgba(255,255,255,0.9)",
                    "bordercolor": cluster_color(row.cluster),
                    "borderwidth": 1,
                    "font": {"size": 12, "color": "#212529"},
                }
            )
    axis = {"tickformat": ",", "rangemode": "tozero"}
    layout = {
        **HOUSE_LAYOUT,
        "height": 460,
        "annotations": annotations,
        "xaxis": {**axis, "title": {"text": "Watch time (hours)"}},
        "yaxis": {**axis, "title": {"text": "Days since last login"}},
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
        "margin": {"l": 10, "r": 10, "t": 20, "b": 10},
    }
    return go.Figure(data=traces, layout=layout)


def agreement_matrix(frame: pd.DataFrame, centroids: pd.DataFrame) -> pd.DataFrame:
    """Customers per cluster (rows, in cluster order) × rule segment (columns, in order).

    ``frame`` has cluster, segment, customers (e.g. ``aggregate(by=["cluster", "segment"])``).
    Missing combinations are 0; every centroid's cluster gets a row.
    """
    clusters = sorted(set(centroids["cluster"]).union(frame["cluster"]))
    segments = [s for s in SEGMENT_ORDER if s in set(frame["segment"])] or list(SEGMENT_ORDER)
    segments += sorted(set(frame["segment"]) - set(segments))
    matrix = (
        frame.groupby(["cluster", "segment"])["customers"]
        .sum()
        .unstack(fill_value=0)
        .reindex(index=clusters, columns=segments, fill_value=0)
        .astype(int)
    )
    matrix.columns.name = None
    return matrix


def agreement_heatmap(frame: pd.DataFrame, centroids: pd.DataFrame) -> go.Figure:
    """Cluster × rule-segment counts, each cell labelled with its count."""
    matrix = agreement_matrix(frame, centroids)
    names = dict(zip(centroids["cluster"], centroids["name"], strict=True))
    # Two short lines per cluster name, so the cells keep room for a count like "1,599".
    y_labels = [cluster_label(c, names.get(c)).replace(", ", ",<br>") for c in matrix.index]
    z = matrix.to_numpy().tolist()
    text = [[f"{value:,}" for value in row] for row in z]
    heatmap = {
        "type": "heatmap",
        "z": z,
        "x": list(matrix.columns),
        "y": y_labels,
        "text": text,
        "texttemplate": "%{text}",
        "textfont": {"size": 13},
        "colorscale": "Blues",
        "showscale": False,  # every cell carries its count; the scale only costs width
        "hovertemplate": "%{y}<br>%{x}: %{text} customers<extra></extra>",
        "xgap": 2,
        "ygap": 2,
    }
    layout = {
        **HOUSE_LAYOUT,
        "height": 120 + 60 * max(1, len(y_labels)),
        "yaxis": {"autorange": "reversed", "automargin": True},
        "xaxis": {"title": {"text": "Rule segment"}, "side": "bottom"},
    }
    return go.Figure(data=[heatmap], layout=layout)  # one call: validated once


def ari_sentence(ari: float | None) -> str:
    """What the adjusted Rand index says, in plain words."""
    if ari is None or (isinstance(ari, float) and math.isnan(ari)):
        return "Not defined for this data (too few customers or groups)."
    if ari >= 0.8:
        return "Clusters and rule segments group customers almost the same way."
    if ari >= 0.5:
        return "Clusters and rule segments largely agree on who belongs together."
    if ari >= 0.2:
        return "Clusters and rule segments agree only partly: they cut the data differently."
    return "Near 0: clusters and rules group customers differently (about chance agreement)."


def silhouette_sentence(score: float | None) -> str:
    """What the silhouette score says, in plain words."""
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return "Not defined for this data (fewer than two clusters)."
    if score >= 0.7:
        return "Clusters are clearly separated from each other."
    if score >= 0.5:
        return "Clusters are reasonably well separated."
    if score >= 0.25:
        return "Clusters overlap: the groups are real but their borders are fuzzy."
    return "Clusters overlap heavily: there is little natural grouping here."


def sweep_figure(sweep: pd.DataFrame, chosen_k: int) -> go.Figure:
    """Inertia (left axis) and silhouette (right axis) for k = 2..8, chosen k marked."""
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=sweep["k"].tolist(),
            y=sweep["inertia"].round(1).tolist(),
            mode="lines+markers",
            name="Inertia (lower = tighter)",
            line={"color": "#4e79a7"},
            hovertemplate="k = %{x}<br>inertia %{y:,.0f}<extra></extra>",
        )
    )
    figure.add_trace(
        go.Scatter(
            x=sweep["k"].tolist(),
            y=[None if pd.isna(v) else round(float(v), 3) for v in sweep["silhouette"]],
            mode="lines+markers",
            name="Silhouette (higher = clearer)",
            line={"color": "#e15759", "dash": "dot"},
            yaxis="y2",
            hovertemplate="k = %{x}<br>silhouette %{y:.2f}<extra></extra>",
        )
    )
    figure.add_vline(
        x=chosen_k,
        line={"color": "#6c757d", "dash": "dash"},
        annotation_text=f"chosen k = {chosen_k}",
        annotation_position="top",
    )
    figure = base_layout(figure, 340)
    figure.update_layout(
        xaxis={"title": {"text": "Number of clusters k"}, "dtick": 1},
        yaxis={"title": {"text": "Inertia"}, "tickformat": ",.0f"},
        yaxis2={
            "title": {"text": "Silhouette"},
            "overlaying": "y",
            "side": "right",
            "range": [0, 1],
            "tickmode": "linear",
            "tick0": 0,
            "dtick": 0.2,
            "tickformat": ".1f",
            "showgrid": False,
        },
        legend={"orientation": "h", "yanchor": "top", "y": -0.25, "x": 0},
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
    )
    return figure


def cluster_rows(centroids: pd.DataFrame, filtered: pd.DataFrame | None = None) -> list[dict]:
    """Records for the cluster table; ``filtered`` (cluster, customers) adds filtered sizes."""
    counts = (
        dict(zip(filtered["cluster"], filtered["customers"], strict=True))
        if filtered is not None
        else {}
    )
    return [
        {
            "cluster": int(row.cluster),
            "name": row.name,
            "watch_time_hours": round(float(row.watch_time_hours), 1),
            "days_since_last_login": round(float(row.days_since_last_login), 1),
            "customers": int(row.customers),
            "filtered": int(counts.get(row.cluster, 0)),
        }
        for row in centroids.itertuples(index=False)
    ]


def cluster_table(rows: list[dict], grid_id: str) -> dag.AgGrid:
    """The clusters as a small plain grid (k rows)."""
    count = {"function": "d3.format(',')(params.value)"}
    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=[
            {"field": "cluster", "headerName": "#", "maxWidth": 70},
            {"field": "name", "headerName": "Name", "minWidth": 220, "flex": 2},
            {
                "field": "watch_time_hours",
                "headerName": "Centroid watch time",
                "type": "rightAligned",
                "valueFormatter": {"function": "d3.format(',.1f')(params.value) + ' h'"},
            },
            {
                "field": "days_since_last_login",
                "headerName": "Centroid days since login",
                "type": "rightAligned",
                "valueFormatter": {"function": "d3.format(',.1f')(params.value)"},
            },
            {
                "field": "customers",
                "headerName": "Size (all)",
                "type": "rightAligned",
                "valueFormatter": count,
            },
            {
                "field": "filtered",
                "headerName": "Size (filtered)",
                "type": "rightAligned",
                "valueFormatter": count,
            },
        ],
        defaultColDef={
            "flex": 1,
            "sortable": True,
            "resizable": True,
            "minWidth": 80,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
        },
        dashGridOptions={"domLayout": "autoHeight", "suppressCellFocus": True},
        style={"width": "100%"},
        className="ag-theme-alpine",
    )
