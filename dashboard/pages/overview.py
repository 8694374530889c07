"""Overview: headline KPIs, the segment treemap and the segment distribution."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import ids
from dashboard.components import formatting
from dashboard.components.common import empty_state, kpi_card, loading, section
from dashboard.components.figures import empty_figure, segment_distribution, segment_treemap
from dashboard.components.trends import change_note, customers_chart, engagement_chart
from dashboard.services import series as series_service
from dashboard.web import context
from db.queries import aggregate

dash.register_page(__name__, path="/", name="Overview", order=0, title="Overview")

KPIS = "overview-kpis"
TREEMAP = "overview-treemap"
TREEMAP_KIND = "overview-treemap-kind"
DISTRIBUTION = "overview-distribution"
TREND = "overview-trend"
GRAPH_CONFIG = {"displaylogo": False}
SEGMENT_KINDS = [
    {"label": "Rule segments", "value": "rule"},
    {"label": "RFM segments", "value": "rfm"},
]


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            loading(html.Div(id=KPIS)),
            html.Div(id=TREND),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Segment map",
                            [
                                dbc.RadioItems(
                                    id=TREEMAP_KIND,
                                    options=SEGMENT_KINDS,
                                    value="rule",
                                    inline=True,
                                    className="mb-2",
                                ),
                                loading(dcc.Graph(id=TREEMAP, config={"displaylogo": False})),
                            ],
                            "Tile size: average watch time",
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        section(
                            "Segment distribution",
                            loading(dcc.Graph(id=DISTRIBUTION, config={"displaylogo": False})),
                            "Customers per segment and share of the filtered total",
                        ),
                        lg=5,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


@callback(Output(KPIS, "children"), Input(ids.VIEW_STORE, "data"))
def show_kpis(store):
    view = context.resolve_view(store)
    if view.run is None:
        return empty_state("No analysed data set yet: load a CSV on the Data page.")
    engine = context.engine()
    now = series_service.kpis(engine, view.run.run_id, view.filters)
    previous = series_service.previous_snapshot(engine, view.run.dataset_id)
    before = (
        None if previous is None else series_service.kpis(engine, previous.run_id, view.filters)
    )

    def change(name: str, kind: str) -> str:
        if before is None:
            return ""
        return change_note(getattr(now, name), getattr(before, name), kind, previous.as_of)

    visits_note = "" if view.run.frequency_available else "not in this data set"
    cards = [
        (
            "Customers",
            formatting.count(now.customers),
            change("customers", "count"),
            "kpi-customers",
        ),
        (
            "Avg visits / month",
            formatting.number(now.avg_visits),
            visits_note or change("avg_visits", "number"),
            "kpi-visits",
        ),
        (
            "Avg watch time",
            formatting.hours(now.avg_watch),
            change("avg_watch", "hours"),
            "kpi-watch",
        ),
        (
            "Discount targets",
            formatting.count(now.targets),
            " · ".join(
                note
                for note in (
                    f"{formatting.count(now.control)} held out as control",
                    change("targets", "count"),
                )
                if note
            ),
            "kpi-targets",
        ),
        (
            "Share Risky",
            formatting.share(now.risky_share),
            " · ".join(
                note
                for note in (
                    f"{formatting.count(now.risky)} customers",
                    change("risky_share", "share"),
                )
                if note
            ),
            "kpi-risky",
        ),
    ]
    return dbc.Row(
        [dbc.Col(kpi_card(*card), xs=6, lg=True) for card in cards],
        className="g-3 mb-3",
    )


@callback(Output(TREND, "children"), Input(ids.VIEW_STORE, "data"))
def show_trend(store):
    """Under the KPIs, for a data set in a series: customers and engagement per snapshot."""
    view = context.resolve_view(store)
    if view.run is None:
        return None
    info, frame = series_service.series_trend(context.engine(), view.run.dataset_id, view.filters)
    if info is None or len(frame) < 2:
        return None
    return section(
        "Trend",
        dbc.Row(
            [
                dbc.Col(dcc.Graph(figure=customers_chart(frame, 260), config=GRAPH_CONFIG), lg=6),
                dbc.Col(dcc.Graph(figure=engagement_chart(frame, 260), config=GRAPH_CONFIG), lg=6),
            ],
            className="g-2",
        ),
        f"Series {info.name}: {len(frame)} snapshots; more on the Trends page",
    )


@callback(
    Output(TREEMAP, "figure"),
    Output(DISTRIBUTION, "figure"),
    Input(ids.VIEW_STORE, "data"),
    Input(TREEMAP_KIND, "value"),
)
def show_segments(store, kind):
    view = context.resolve_view(store)
    if view.run is None:
        empty = empty_figure("No analysed data set yet")
        return empty, empty
    column = "segment" if kind == "rule" else "rfm_segment"
    frame = aggregate(context.engine(), view.run.run_id, view.filters, by=[column])
    frame = frame.rename(columns={column: "segment"})
    if frame.empty:
        empty = empty_figure("No customer matches these filters")
        return empty, empty
    return segment_treemap(frame, kind), segment_distribution(frame, kind)
