"""Small building blocks every page uses: KPI cards, empty states, section cards."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html


def kpi_card(title: str, value: str, note: str = "", card_id: str | None = None) -> dbc.Card:
    """A headline number with its label; ``card_id`` marks the value for tests."""
    value_props = {"id": card_id} if card_id else {}
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(title, className="text-muted small text-uppercase fw-semibold"),
                html.Div(value, className="fs-3 fw-bold kpi-value", **value_props),
                html.Div(note, className="text-muted small") if note else None,
            ]
        ),
        className="h-100 shadow-sm",
    )


def empty_state(message: str) -> dbc.Alert:
    """What a page shows instead of a blank chart or table."""
    return dbc.Alert(message, color="light", className="text-center text-muted my-3 border")


def section(title: str, body, subtitle: str | None = None) -> dbc.Card:
    """A titled card around a chart or a table."""
    header = [html.H2(title, className="h6 mb-0 fw-semibold")]
    if subtitle:
        header.append(html.Div(subtitle, className="text-muted small"))
    return dbc.Card(
        [dbc.CardHeader(header, className="bg-white"), dbc.CardBody(body)],
        className="shadow-sm mb-3",
    )


def loading(children, component_id: str | None = None) -> dcc.Loading:
    """A spinner while callbacks fill ``children``."""
    props = {"id": component_id} if component_id else {}
    return dcc.Loading(children, type="circle", delay_show=150, **props)


def page_title(title: str, subtitle: str | None = None) -> html.Div:
    return html.Div(
        [
            html.H1(title, className="h4 mb-1"),
            html.Div(subtitle, className="text-muted") if subtitle else None,
        ],
        className="mb-3",
    )
