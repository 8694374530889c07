"""Pure builders for the Segments and RFM pages: small frames in, components and figures out.

The rule segments are explained in business words from the run's stored thresholds, so the
text always matches the data the run classified. Segment colours come from
``dashboard.components.figures`` so a segment looks the same on every page.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from typing import Any

import dash_bootstrap_components as dbc
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from dash import html

from dashboard.analytics.features import ENGAGEMENT_LEVELS
from dashboard.analytics.rfm import RFM_SEGMENT_ORDER, rfm_segment
from dashboard.analytics.segments import DORMANT_AFTER_DAYS, RISKY_AFTER_DAYS, SEGMENT_ORDER
from dashboard.components import formatting
from dashboard.components.csv_export import neutralise_frame
from dashboard.components.figures import (
    ALL_SEGMENT_COLORS,
    SEGMENT_COLORS,
    base_layout,
    empty_figure,
)

NOT_IN_DATA = "not in this data set"
ENGAGEMENT_COLORS = {"Low": "#cfd8dc", "Medium": "#78909c", "High": "#37474f"}
SCORES = (1, 2, 3, 4, 5)
R_AXIS_TITLE = "R (recency score, 5 = most recent)"
FM_AXIS_TITLE = "FM (frequency+monetary score)"
COUNT_ID_PREFIX = "segments-count-"


# --- Segments page -----------------------------------------------------------------------


def segment_rules(thresholds: Mapping[str, Any]) -> dict[str, str]:
    """Each rule segment's rule in business words, with the run's engagement cut points.

    Mirrors :func:`dashboard.analytics.segments.assign_segments`: Low engagement is watch
    time <= the low cut point, High is more than the medium cut point; 60 days since the
    last login is still active, 61-120 is Dormant, more than 120 is Risky.
    """
    low = formatting.hours(thresholds.get("engagement_low_max_hours"))
    medium = formatting.hours(thresholds.get("engagement_medium_max_hours"))
    low_number = low.removesuffix(" h")
    active = f"active within {DORMANT_AFTER_DAYS} days"
    return {
        "Loyal": f"High engagement (more than {medium} of watch time) and {active}",
        "Casual": f"Medium engagement ({low_number}–{medium}) and {active}",
        "Dormant": (
            "Medium or High engagement, last login "
            f"{DORMANT_AFTER_DAYS + 1}–{RISKY_AFTER_DAYS} days ago"
        ),
        "Risky": f"Low engagement ({low} or less) or no login for more than {RISKY_AFTER_DAYS} days",
    }


def segment_figures(by_segment: pd.DataFrame) -> pd.DataFrame:
    """One row per rule segment in display order (zero customers where absent), with share.

    ``by_segment`` is ``aggregate(..., by=["segment"])``.
    """
    frame = by_segment.set_index("segment").reindex(list(SEGMENT_ORDER))
    frame["customers"] = frame["customers"].fillna(0).astype(int)
    total = int(frame["customers"].sum())
    frame["share"] = frame["customers"] / total if total else np.nan
    return frame.reset_index()


def _stat(label: str, value: str) -> html.Div:
    return html.Div(
        [html.Span(label, className="text-muted"), html.Span(value, className="fw-semibold")],
        className="d-flex justify-content-between gap-2 small",
    )


def segment_cards(
    by_segment: pd.DataFrame, thresholds: Mapping[str, Any], frequency_available: bool
) -> dbc.Row:
    """A card per rule segment: its rule, customers, share and averages, in its colour.

    The customer count of segment S carries the id ``segments-count-S`` (for tests).
    """
    rules = segment_rules(thresholds)
    figures = segment_figures(by_segment)
    cards = []
    for row in figures.itertuples(index=False):
        color = SEGMENT_COLORS[row.segment]
        visits = formatting.number(row.avg_visit_frequency) if frequency_available else NOT_IN_DATA
        body = dbc.CardBody(
            [
                html.H3(row.segment, className="h6 fw-bold mb-1", style={"color": color}),
                html.Div(rules[row.segment], className="small text-muted mb-2 segment-rule"),
                html.Div(
                    [
                        html.Span(
                            formatting.count(row.customers),
                            id=f"{COUNT_ID_PREFIX}{row.segment}",
                            className="fs-4 fw-bold",
                        ),
                        html.Span(" customers · ", className="text-muted small"),
                        html.Span(
                            formatting.share(row.share),
                            id=f"segments-share-{row.segment}",
                            className="small fw-semibold",
                        ),
                    ],
                    className="mb-2",
                ),
                _stat("Avg watch time", formatting.hours(row.avg_watch_time_hours)),
                _stat("Avg days since login", formatting.days(row.avg_days_since_last_login)),
                _stat("Avg visits / month", visits),
            ]
        )
        cards.append(
            dbc.Col(
                dbc.Card(
                    body,
                    className="h-100 shadow-sm",
                    style={"borderTop": f"4px solid {color}"},
                ),
                xs=12,
                sm=6,
                xl=3,
            )
        )
    return dbc.Row(cards, className="g-3 mb-3")


def sample_note(sampled: int, total: int) -> str:
    """Says whether the box plots show every filtered customer or a random sample."""
    if sampled < total:
        return (
            f"Based on a random sample of {formatting.count(sampled)} "
            f"of {formatting.count(total)} customers."
        )
    return f"All {formatting.count(total)} filtered customers."


def segment_boxes(sample: pd.DataFrame, column: str, axis_title: str) -> go.Figure:
    """Box plot of ``column`` per rule segment (segments in display order, segment colours)."""
    if sample.empty:
        return empty_figure("No customer matches these filters")
    figure = go.Figure()
    for segment in SEGMENT_ORDER:
        values = sample.loc[sample["segment"] == segment, column]
        if values.empty:
            continue
        figure.add_trace(
            go.Box(
                y=values.to_numpy(dtype=float),  # numpy: validated at once, sent as binary
                name=segment,
                marker_color=SEGMENT_COLORS[segment],
                boxmean=True,
                boxpoints="outliers",
                marker={"size": 3, "opacity": 0.4},
                hoverinfo="y+name",
            )
        )
    figure.update_layout(showlegend=False)
    figure.update_yaxes(title_text=axis_title, tickformat=",", rangemode="tozero")
    figure = base_layout(figure, 340)
    figure.update_layout(margin={"t": 30})
    return figure


def engagement_mix(by_level: pd.DataFrame) -> go.Figure:
    """Share of Low / Medium / High engagement within each rule segment, as stacked bars.

    ``by_level`` is ``aggregate(..., by=["segment", "engagement_level"])``.
    """
    if by_level.empty:
        return empty_figure("No customer matches these filters")
    counts = (
        by_level.pivot_table(
            index="segment", columns="engagement_level", values="customers", aggfunc="sum"
        )
        .reindex(index=[s for s in SEGMENT_ORDER if s in set(by_level["segment"])])
        .reindex(columns=list(ENGAGEMENT_LEVELS))
        .fillna(0)
    )
    totals = counts.sum(axis=1)
    figure = go.Figure()
    for level in ENGAGEMENT_LEVELS:
        level_counts = counts[level]
        shares = (level_counts / totals * 100).round(1)
        figure.add_trace(
            go.Bar(
                name=f"{level} engagement",
                y=counts.index.tolist(),
                x=shares.tolist(),
                orientation="h",
                marker_color=ENGAGEMENT_COLORS[level],
                customdata=level_counts.astype(int).tolist(),
                text=[f"{share:.0f} %" if share >= 6 else "" for share in shares],
                textposition="inside",
                insidetextanchor="middle",
                hovertemplate=(
                    f"<b>%{{y}}</b><br>{level} engagement: %{{x:.1f}} %"
                    "<br>%{customdata:,} customers<extra></extra>"
                ),
            )
        )
    figure.update_yaxes(autorange="reversed")
    figure.update_xaxes(
        title_text="Share of customers",
        range=[0, 100.5],
        tickvals=[0, 25, 50, 75, 100],
        ticktext=["0 %", "25 %", "50 %", "75 %", "100 %"],
    )
    figure = base_layout(figure, 320)
    figure.update_layout(
        barmode="stack",
        legend={"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom", "traceorder": "normal"},
        margin={"t": 50, "r": 20},
    )
    return figure


# --- RFM page ----------------------------------------------------------------------------

DETAIL_COLUMNS = (
    ("segment", "RFM segment"),
    ("customers", "Customers"),
    ("share_pct", "Share (%)"),
    ("avg_recency_days", "Avg days since login"),
    ("avg_visits_per_month", "Avg visits / month"),
    ("avg_watch_hours", "Avg watch time (h)"),
    ("avg_monthly_revenue", "Avg monthly revenue"),
)


def _round(value: Any, digits: int) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return round(float(value), digits)


def rfm_details(
    by_rfm: pd.DataFrame, frequency_available: bool, revenue_available: bool
) -> pd.DataFrame:
    """The RFM segment details table: one row per segment present, in RFM order.

    ``by_rfm`` is ``aggregate(..., by=["rfm_segment"])``. Averages are rounded to one
    decimal (revenue to two); the visits column is left out when the data set has no
    visit frequency, the revenue column when it has no revenue.
    """
    order = {name: position for position, name in enumerate(RFM_SEGMENT_ORDER)}
    frame = by_rfm.assign(_order=by_rfm["rfm_segment"].map(order)).sort_values("_order")
    total = frame["customers"].sum()
    table = pd.DataFrame(
        {
            "segment": frame["rfm_segment"].astype(str),
            "customers": frame["customers"].astype(int),
            "share_pct": [_round(c / total * 100, 1) if total else None for c in frame.customers],
            "avg_recency_days": [_round(v, 1) for v in frame["avg_days_since_last_login"]],
            "avg_visits_per_month": [_round(v, 1) for v in frame["avg_visit_frequency"]],
            "avg_watch_hours": [_round(v, 1) for v in frame["avg_watch_time_hours"]],
            "avg_monthly_revenue": [_round(v, 2) for v in frame["avg_monthly_revenue"]],
        }
    )
    dropped = []
    if not frequency_available:
        dropped.append("avg_visits_per_month")
    if not revenue_available:
        dropped.append("avg_monthly_revenue")
    return table.drop(columns=dropped).reset_index(drop=True)


def _formatter(decimals: int, suffix: str = "") -> dict[str, str]:
    return {
        "function": (
            f"params.value == null ? '–' : d3.format(',.{decimals}f')(params.value) + '{suffix}'"
        )
    }


def rfm_detail_column_defs(table: pd.DataFrame) -> list[dict[str, Any]]:
    """AG Grid column definitions for the columns present in ``table``."""
    headers = dict(DETAIL_COLUMNS)
    decimals = {
        "customers": 0,
        "share_pct": 1,
        "avg_recency_days": 1,
        "avg_visits_per_month": 1,
        "avg_watch_hours": 1,
        "avg_monthly_revenue": 2,
    }
    definitions: list[dict[str, Any]] = []
    for column in table.columns:
        definition: dict[str, Any] = {"field": column, "headerName": headers[column]}
        if column == "segment":
            definition.update(pinned="left", minWidth=170, cellStyle=_segment_cell_style())
        else:
            definition.update(
                type="numericColumn", valueFormatter=_formatter(decimals[column]), minWidth=120
            )
        definitions.append(definition)
    return definitions


def _segment_cell_style() -> dict[str, Any]:
    """Each RFM segment name with a left bar in its colour."""
    return {
        "styleConditions": [
            {
                "condition": f"params.value === {name!r}",
                "style": {"borderLeft": f"6px solid {color}", "fontWeight": "600"},
            }
            for name, color in ALL_SEGMENT_COLORS.items()
            if name in RFM_SEGMENT_ORDER
        ]
    }


def rfm_details_csv(table: pd.DataFrame) -> str:
    """The details table as CSV: exactly its rows, its column names, formula-safe."""
    buffer = io.StringIO()
    neutralise_frame(table).to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue()


def rfm_grid_counts(by_scores: pd.DataFrame) -> np.ndarray:
    """5×5 customer counts: ``counts[fm - 1][r - 1]`` (zeros where nobody is).

    ``by_scores`` is ``aggregate(..., by=["r_score", "fm_score"])``.
    """
    counts = np.zeros((5, 5), dtype=np.int64)
    for row in by_scores.itertuples(index=False):
        counts[int(row.fm_score) - 1, int(row.r_score) - 1] += int(row.customers)
    return counts


def rfm_heatmap(by_scores: pd.DataFrame) -> go.Figure:
    """The R × FM grid as a heatmap of customer counts, every cell labelled.

    x is R (1-5, most recent on the right), y is FM (1-5, highest at the top); the
    hover names the RFM segment each cell belongs to.
    """
    if by_scores.empty:
        return empty_figure("No customer matches these filters")
    counts = rfm_grid_counts(by_scores)
    r_grid, fm_grid = np.meshgrid(SCORES, SCORES)
    segments = np.asarray(rfm_segment(r_grid.ravel(), fm_grid.ravel()).astype(str)).reshape(5, 5)
    figure = go.Figure(
        go.Heatmap(
            x=list(SCORES),
            y=list(SCORES),
            z=counts.tolist(),
            text=[[f"{value:,}" for value in row] for row in counts],
            texttemplate="%{text}",
            textfont={"size": 14},
            customdata=segments.tolist(),
            colorscale="Blues",
            showscale=False,
            xgap=2,
            ygap=2,
            hovertemplate=(
                "R %{x} · FM %{y}<br><b>%{customdata}</b><br>%{z:,} customers<extra></extra>"
            ),
        )
    )
    figure.update_xaxes(title_text=R_AXIS_TITLE, tickvals=list(SCORES), showgrid=False)
    figure.update_yaxes(title_text=FM_AXIS_TITLE, tickvals=list(SCORES), showgrid=False)
    return base_layout(figure, 420)


def _plain(value: float | None, unit: str = "") -> str:
    """A threshold without a pointless ".0" (12 days, 12.8 days)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    text = f"{value:,.0f}" if value == round(value) else f"{value:,.1f}"
    return text + unit


def _numbers(values: list[float | None], unit: str = "") -> str:
    return ", ".join(_plain(value, unit) for value in values)


def rfm_explanation(thresholds: Mapping[str, Any], frequency_available: bool) -> str:
    """How R, F, M and FM were scored for this run, from its stored percentiles."""
    recency = [thresholds.get(f"recency_p{p}_days") for p in (20, 40, 60, 80)]
    frequency = [thresholds.get(f"frequency_p{p}") for p in (20, 40, 60, 80)]
    monetary = [thresholds.get(f"monetary_p{p}_hours") for p in (20, 40, 60, 80)]
    r_text = (
        "Each score runs from 1 to 5 on the 20/40/60/80th percentiles of this data set. "
        f"R scores recency ({_numbers(recency, ' days')} since the last login): "
        f"5 = logged in within {_plain(recency[0], ' days')}, "
        f"1 = more than {_plain(recency[3], ' days')} ago."
    )
    m_text = f"M scores watch time ({_numbers(monetary, ' h')}): 5 = the most watched."
    if frequency_available and all(value is not None for value in frequency):
        f_text = (
            f"F scores visits per month ({_numbers(frequency)} visits); "
            "a customer without a visit count gets F = M."
        )
    else:
        f_text = "This data set has no visit frequency, so F = M (FM is watch time alone)."
    return f"{r_text} {m_text} {f_text} FM is the average of F and M, rounded up."


RFM_SEGMENT_RULES = (
    "Champions: R 4–5 and FM 4–5 · Potential Loyalists: R 4–5, FM 2–3 · "
    "New Viewers: R 4–5, FM 1 · Needs Attention: R 3 · At Risk: R 1–2, FM 4–5 · "
    "Hibernating: R 1–2, FM 2–3 · Lost: R 1–2, FM 1."
)
"""How the seven RFM segments come from R and FM (see ``dashboard.analytics.rfm``)."""
