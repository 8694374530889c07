"""Builders for the Customer lookup: one customer's profile and the one action for them."""

from __future__ import annotations

from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from dashboard.analytics.messaging import Action, customer_action
from dashboard.components import formatting
from dashboard.components.common import section


def _text(value: Any) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _fields(pairs: list[tuple[str, str, str]]) -> html.Dl:
    """A definition list; each value carries an id ``lookup-<key>`` for tests."""
    children = []
    for key, label, value in pairs:
        children.append(html.Dt(label, className="col-6 col-md-5 text-muted fw-normal small"))
        children.append(html.Dd(value, className="col-6 col-md-7 mb-1", id=f"lookup-{key}"))
    return html.Dl(children, className="row mb-0")


def profile_fields(
    profile: dict[str, Any], currency: str | None = None
) -> dict[str, list[tuple[str, str, str]]]:
    """Formatted (key, label, text) triples per group, from a ``customer_profile`` dict."""
    target = bool(profile["discount_target"])
    return {
        "Behaviour and plan": [
            ("watch-time", "Watch time", formatting.hours(profile["watch_time_hours"])),
            ("visits", "Visits / month", formatting.number(profile["visit_frequency"])),
            ("days", "Days since last login", formatting.count(profile["days_since_last_login"])),
            ("last-login", "Last login", _text(profile["last_login"])),
            ("plan", "Plan", _text(profile["plan"])),
            ("country", "Country", _text(profile["country"])),
            ("gender", "Gender", _text(profile["gender"])),
            ("age", "Age", _text(profile["age"])),
            (
                "revenue",
                "Monthly revenue",
                formatting.money(profile["monthly_revenue"], currency=currency),
            ),
        ],
        "Segments": [
            ("segment", "Rule segment", _text(profile["segment"])),
            ("engagement", "Engagement", _text(profile["engagement_level"])),
            ("rfm", "RFM scores (R / F / M / FM)", _rfm_scores(profile)),
            ("rfm-segment", "RFM segment", _text(profile["rfm_segment"])),
            ("cluster", "Cluster", f"{profile['cluster']}: {_text(profile['cluster_name'])}"),
        ],
        "Win-back discount": [
            ("target", "Discount target", "yes" if target else "no"),
            ("reason", "Reason", _text(profile["target_reason"]) if target else "–"),
            (
                "discount",
                "Suggested discount",
                f"{profile['discount_pct']:g} %" if target and profile["discount_pct"] else "–",
            ),
            ("control", "Control group", "yes" if profile["control_group"] else "no"),
            ("list", "Download list", _list_name(target, bool(profile["control_group"]))),
        ],
    }


def _list_name(target: bool, control: bool) -> str:
    """Which of the Discounts page's downloads holds this customer."""
    if not target:
        return "none (not a target)"
    return "control list (held out: do not send)" if control else "send list"


def _rfm_scores(profile: dict[str, Any]) -> str:
    return " / ".join(_text(profile[key]) for key in ("r_score", "f_score", "m_score", "fm_score"))


def _strategy_card(kind_label: str, strategy: dict[str, str] | None, segment: str, key: str):
    if strategy is None:
        body = html.Div(f"No strategy stored for {segment}.", className="text-muted")
    else:
        body = [
            html.Div(strategy["headline"], className="fw-semibold", id=f"lookup-{key}-headline"),
            html.P(strategy["message"], className="mb-1 small", id=f"lookup-{key}-message"),
            html.Div(
                [html.Span("Channel: ", className="text-muted"), strategy["channel"]],
                className="small",
                id=f"lookup-{key}-channel",
            ),
            html.Div(
                [html.Span("Offer: ", className="text-muted"), strategy["offer"]],
                className="small",
                id=f"lookup-{key}-offer",
            ),
        ]
    return dbc.Card(
        dbc.CardBody(
            [
                html.Div(f"{kind_label}: {segment}", className="small text-muted"),
                *(body if isinstance(body, list) else [body]),
            ]
        ),
        className="h-100",
    )


def _strategy(strategies: pd.DataFrame, kind: str, segment: str) -> dict[str, str] | None:
    match = strategies[(strategies["segment_kind"] == kind) & (strategies["segment"] == segment)]
    return None if match.empty else {k: str(v) for k, v in match.iloc[0].items()}


def _action_card(action: Action, segment: str) -> dbc.Card:
    """The one message this customer gets (their rule segment's, with their own discount)."""
    if not action.send:
        body: list = [html.Div(action.note, className="fw-semibold", id="lookup-action-note")]
    else:
        body = [
            html.Div(action.headline, className="fw-semibold", id="lookup-rule-headline"),
            html.P(action.message, className="mb-1 small", id="lookup-rule-message"),
            html.Div(
                [html.Span("Channel: ", className="text-muted"), action.channel],
                className="small",
                id="lookup-rule-channel",
            ),
            html.Div(
                [html.Span("Offer: ", className="text-muted"), action.offer],
                className="small",
                id="lookup-rule-offer",
            ),
        ]
    return dbc.Card(
        dbc.CardBody(
            [html.Div(f"The message · rule segment {segment}", className="small text-muted"), *body]
        ),
        className="h-100 border-primary",
    )


def profile_view(
    profile: dict[str, Any], strategies: pd.DataFrame, currency: str | None = None
) -> html.Div:
    name = _text(profile["name"]) if profile["name"] else ""
    title = f"{profile['customer_id']}" + (f" · {name}" if name else "")
    groups = profile_fields(profile, currency)
    columns = [
        dbc.Col(section(group, _fields(pairs)), xs=12, md=6, xl=4)
        for group, pairs in groups.items()
    ]
    rule_segment = str(profile["segment"])
    rfm_segment = str(profile["rfm_segment"])
    messages = dbc.Row(
        [
            dbc.Col(
                _action_card(
                    customer_action(profile, _strategy(strategies, "rule", rule_segment)),
                    rule_segment,
                ),
                xs=12,
                md=6,
            ),
            dbc.Col(
                _strategy_card(
                    "RFM context, not sent",
                    _strategy(strategies, "rfm", rfm_segment),
                    rfm_segment,
                    "rfm",
                ),
                xs=12,
                md=6,
            ),
        ],
        className="g-3",
    )
    return html.Div(
        [
            html.H2(title, className="h5 mb-3", id="lookup-title"),
            dbc.Row(columns, className="g-3"),
            section(
                "What to tell them",
                messages,
                "One message per customer: the rule segment's, with this customer's discount; "
                "the RFM strategy is context for you",
            ),
        ]
    )


def history_table(history: list, current_dataset_id: int) -> html.Div | None:
    """The customer's segments in each snapshot of the series (None outside a series)."""
    if not history:
        return None
    rows = []
    for snapshot in history:
        if not snapshot.analysed:
            segment = rfm = "not analysed"
        elif snapshot.segment is None:
            segment = rfm = "not in this snapshot"
        else:
            segment, rfm = snapshot.segment, snapshot.rfm_segment
        rows.append(
            html.Tr(
                [html.Td(str(snapshot.as_of)), html.Td(segment), html.Td(rfm)],
                className="fw-semibold" if snapshot.dataset_id == current_dataset_id else None,
            )
        )
    header = html.Thead(html.Tr([html.Th("Snapshot"), html.Th("Segment"), html.Th("RFM segment")]))
    return html.Div(
        [
            html.H2("In each snapshot of the series", className="h6 fw-semibold mt-3"),
            dbc.Table([header, html.Tbody(rows)], id="lookup-history", size="sm", className="mb-0"),
        ]
    )
