"""Pure builders for trends over a series' snapshots: line charts and change notes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd

from dashboard.components import formatting
from dashboard.components.figures import ALL_SEGMENT_COLORS, figure_dict

LINE_COLOURS = ("#1f77b4", "#ef6c00", "#2e7d32", "#6a1b9a")


def _dates(frame: pd.DataFrame) -> list[str]:
    return [day.isoformat() for day in frame["as_of"]]


def _line(frame: pd.DataFrame, column: str, name: str, colour: str, axis: str = "y") -> dict:
    values = [None if v is None or v != v else float(v) for v in frame[column]]
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "x": _dates(frame),
        "y": values,
        "name": name,
        "yaxis": axis,
        "line": {"color": colour, "width": 2},
        "marker": {"size": 7},
    }


def _layout(title: str, height: int, yformat: str = ",", **extra: object) -> dict:
    return {
        "title": {"text": title, "font": {"size": 13}, "x": 0.01},
        "height": height,
        "xaxis": {"type": "category", "title": {"text": "Snapshot (as of)"}},
        "yaxis": {"tickformat": yformat, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.3},
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        **extra,
    }


def customers_chart(frame: pd.DataFrame, height: int = 320) -> dict:
    """Customers per snapshot (line) and customers gone since the previous one (bars)."""
    gone = {
        "type": "bar",
        "x": _dates(frame),
        "y": [None if v is None or v != v else int(v) for v in frame["gone"]],
        "name": "Gone since the previous snapshot",
        "marker": {"color": "#9e9e9e"},
    }
    line = _line(frame, "customers", "Customers", LINE_COLOURS[0])
    return figure_dict([gone, line], _layout("Customers and customers gone", height))


def engagement_chart(frame: pd.DataFrame, height: int = 320) -> dict:
    """Average watch time (left axis) and average visits (right axis) per snapshot."""
    watch = _line(frame, "avg_watch", "Avg watch time (h)", LINE_COLOURS[0])
    visits = _line(frame, "avg_visits", "Avg visits / month", LINE_COLOURS[1], axis="y2")
    layout = _layout(
        "Average watch time and visits",
        height,
        ",.1f",
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ",.1f", "rangemode": "tozero"},
    )
    return figure_dict([watch, visits], layout)


def shares_chart(
    frame: pd.DataFrame, prefix: str, order: Sequence[str], title: str, height: int = 320
) -> dict:
    """The share of each segment per snapshot, one line per segment in its colour."""
    lines = [
        _line(frame, f"{prefix}:{name}", name, ALL_SEGMENT_COLORS.get(name, "#607d8b"))
        for name in order
        if f"{prefix}:{name}" in frame
    ]
    return figure_dict(lines, _layout(title, height, ".0%"))


def targets_chart(frame: pd.DataFrame, height: int = 320) -> dict:
    line = _line(frame, "targets", "Discount targets", LINE_COLOURS[2])
    churn = _line(frame, "churn_rate", "Churn of the previous snapshot", LINE_COLOURS[3], "y2")
    layout = _layout(
        "Discount targets and churn since the previous snapshot",
        height,
        ",",
        yaxis2={"overlaying": "y", "side": "right", "tickformat": ".0%", "rangemode": "tozero"},
    )
    return figure_dict([line, churn], layout)


def change_note(current: float | None, previous: float | None, kind: str, since: date) -> str:
    """``▲ 1,234 since 2025-05-31``: the change of a KPI since the previous snapshot.

    ``kind``: count, number, hours or share (a share changes in points).
    """
    if current is None or previous is None or current != current or previous != previous:
        return ""
    delta = current - previous
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    size = abs(delta)
    if kind == "count":
        text = formatting.count(size)
    elif kind == "hours":
        text = formatting.hours(size)
    elif kind == "share":
        text = f"{size * 100:.1f} pts"
    else:
        text = formatting.number(size)
    return f"{arrow} {text} since {since.isoformat()}"


MAX_COHORTS = 24


def cohort_heatmap(table: pd.DataFrame, title: str) -> dict:
    """Join month (rows, newest at the bottom) x snapshot: the share of the cohort."""
    shown = table.tail(MAX_COHORTS)
    height = 150 + 26 * len(shown)  # every row tall enough to read its share
    z = [[None if v != v else round(float(v), 4) for v in row] for row in shown.to_numpy()]
    heatmap = {
        "type": "heatmap",
        "z": z,
        "x": [str(day) for day in shown.columns],
        "y": list(shown.index),
        "text": [["" if v is None else f"{v * 100:.0f} %" for v in row] for row in z],
        "texttemplate": "%{text}",
        "colorscale": [[0.0, "#fff5eb"], [0.5, "#fd8d3c"], [1.0, "#7f2704"]],
        "zmin": 0,
        "zmax": 1,
        "colorbar": {"tickformat": ".0%", "thickness": 12},
        "hovertemplate": "Joined %{y}, snapshot %{x}: %{z:.1%}<extra></extra>",
        "xgap": 2,
        "ygap": 2,
    }
    layout = {
        "title": {"text": title, "font": {"size": 13}, "x": 0.01},
        "height": height,
        "xaxis": {"type": "category", "title": {"text": "Snapshot (as of)"}},
        "yaxis": {"type": "category", "title": {"text": "Joined in"}, "autorange": "reversed"},
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    }
    return figure_dict([heatmap], layout)


def retention_curves(table: pd.DataFrame, cohorts: int = 6, height: int = 360) -> dict:
    """The share of each of the newest cohorts still present, snapshot after snapshot."""
    lines = []
    for position, (month, row) in enumerate(table.tail(cohorts).iterrows()):
        values = row.dropna()
        lines.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "x": [str(day) for day in values.index],
                "y": [round(float(v), 4) for v in values],
                "name": f"Joined {month}",
                "line": {"width": 2},
                "marker": {"size": 6},
                "legendrank": position,
            }
        )
    layout = {
        "title": {
            "text": "Retention curves of the newest cohorts",
            "font": {"size": 13},
            "x": 0.01,
        },
        "height": height,
        "xaxis": {"type": "category", "title": {"text": "Snapshot (as of)"}},
        "yaxis": {"tickformat": ".0%", "range": [0, 1.05]},
        "legend": {"orientation": "h", "y": -0.3},
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
    }
    return figure_dict(lines, layout)
