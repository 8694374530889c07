"""Customer lookup: everything the analysis knows about one customer, and what to tell them."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from dashboard import ids
from dashboard.components.common import empty_state, loading, section
from dashboard.components.lookup import history_table, profile_view
from dashboard.services.series import customer_history
from dashboard.web import context
from db.filters import MAX_CUSTOMER_ID_LENGTH
from db.queries import customer_profile, messaging_strategies

dash.register_page(
    __name__, path="/customer", name="Customer lookup", order=7, title="Customer lookup"
)

INPUT = "lookup-customer-id"
RESULT = "lookup-result"


def layout(customer_id: str = "", **_query: str) -> html.Div:
    """The lookup box, prefilled from the URL's customer_id (the filter bar's Customer ID)."""
    prefill = customer_id if isinstance(customer_id, str) else ""
    return html.Div(
        [
            section(
                "Find a customer",
                dbc.Row(
                    dbc.Col(
                        [
                            dbc.Label("Customer ID", html_for=INPUT, className="small mb-0"),
                            dbc.Input(
                                id=INPUT,
                                placeholder="Type an exact customer ID and press Enter",
                                debounce=True,
                                maxLength=MAX_CUSTOMER_ID_LENGTH,
                                value=prefill.strip()[:MAX_CUSTOMER_ID_LENGTH],
                            ),
                        ],
                        xs=12,
                        md=6,
                        lg=4,
                    )
                ),
                "Prefilled from the filter bar's Customer ID when one is set",
            ),
            loading(html.Div(id=RESULT)),
        ]
    )


@callback(Output(RESULT, "children"), Input(INPUT, "value"), Input(ids.VIEW_STORE, "data"))
def show_customer(customer_id, store):
    view = context.resolve_view(store)
    if view.run is None:
        return empty_state("No analysed data set yet: load a CSV on the Data page.")
    customer_id = (customer_id or "").strip()[:MAX_CUSTOMER_ID_LENGTH]
    if not customer_id:
        return empty_state("Enter a customer ID to see their profile.")
    engine = context.engine()
    profile = customer_profile(engine, view.run.run_id, customer_id)
    if profile is None:
        return not_found(customer_id, view.run.dataset_name)
    shown = profile_view(profile, messaging_strategies(engine), context.currency_of(view.run))
    history = history_table(
        customer_history(engine, view.run.dataset_id, customer_id), view.run.dataset_id
    )
    return shown if history is None else html.Div([shown, history])


def not_found(customer_id: str, dataset_name: str) -> dbc.Alert:
    """The message for an unknown ID (plain text: the ID is never read as HTML)."""
    return dbc.Alert(
        f"No customer with ID '{customer_id}' in {dataset_name}",
        color="warning",
        id="lookup-not-found",
        className="my-3",
    )
