"""Overview: headline KPIs, the segment treemap and the segment distribution."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from dashboard import ids
from dashboard.components import formatting
from dashboard.components.common import empty_state, kpi_card, loading, section
from dashboard.components.figures import empty_figure, segment_distribution, segment_treemap
from dashboard.web import context
from db.queries import aggregate, totals_of

dash.register_page(__name__, path="/", name="Overview", order=0, title="Overview")

KPIS = "overview-kpis"
TREEMAP = "overview-treemap"
TREEMAP_KIND = "overview-treemap-kind"
DISTRIBUTION = "overview-distribution"
SEGMENT_KINDS = [
    {"label": "Rule segments", "value": "rule"},
    {"label": "RFM segments", "value": "rfm"},
]


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            loading(html.Div(id=KPIS)),
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
    by_segment = aggregate(context.engine(), view.run.run_id, view.filters, by=["segment"])
    totals = totals_of(by_segment)  # one query: the segments partition the filtered customers
    customers = int(totals["customers"])
    risky = int(by_segment.loc[by_segment["segment"] == "Risky", "customers"].sum())
    visits_note = "" if view.run.frequency_available else "not in this data set"
    cards = [
        ("Customers", formatting.count(customers), "", "kpi-customers"),
        (
            "Avg visits / month",
            formatting.number(totals["avg_visit_frequency"]),
            visits_note,
            "kpi-visits",
        ),
        ("Avg watch time", formatting.hours(totals["avg_watch_time_hours"]), "", "kpi-watch"),
        (
            "Discount targets",
            formatting.count(totals["targets"]),
            f"{formatting.count(totals['control'])} held out as control",
            "kpi-targets",
        ),
        (
            "Share Risky",
            formatting.share(risky / customers if customers else None),
            f"{formatting.count(risky)} customers",
            "kpi-risky",
        ),
    ]
    return dbc.Row(
        [dbc.Col(kpi_card(*card), xs=6, lg=True) for card in cards],
        className="g-3 mb-3",
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
