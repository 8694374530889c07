"""Discounts: who gets a win-back offer, what it would cost, and when it pays for itself."""

from __future__ import annotations

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback, clientside_callback, dcc, html, no_update

from dashboard import ids
from dashboard.components import discounts as budget_ui
from dashboard.components import formatting
from dashboard.components.common import empty_state, kpi_card, loading, section
from dashboard.components.grid import PURGE_JS, GridColumn, customer_grid
from dashboard.services.analysis import MAX_CONTROL_SHARE, apply_discount_levels_job
from dashboard.services.customer_grid import grid_rows
from dashboard.services.job_slots import queued_job
from dashboard.web import auth, context, downloads
from db.queries import RunInfo, budget_cells

dash.register_page(__name__, path="/discounts", name="Discounts", order=4, title="Discounts")

GRID = "discounts-grid"
GRID_PURGE = "discounts-grid-purge"
CAMPAIGN_LINK = "discounts-campaign-link"
ROW_COUNT = "discounts-row-count"
DOWNLOADS = "discounts-downloads"
REASONS = "discounts-reasons"
LEVELS = "discounts-levels"
LEVEL_INPUT = "discounts-level"  # pattern-matching id {"type": LEVEL_INPUT, "key": "Dormant|High"}
PRICES = "discounts-prices"
PRICE_INPUT = "discounts-price"  # {"type": PRICE_INPUT, "plan": name}
BUDGET = "discounts-budget"
APPLY = "discounts-apply"
CONTROL_SHARE = "discounts-control-share"  # percent of the targets held out
APPLY_STORE = "discounts-applied"  # the applied run's summary; refreshes the targets
APPLY_MESSAGE = "discounts-apply-message"
APPLY_QUEUE = "discounts-apply-queue"
PREVIEW_NOTE = "discounts-preview-note"

# Applying levels starts a new analysis run: analysts only, refused by the server otherwise.
auth.protect([APPLY_STORE], "analyst")

COLUMNS = (
    GridColumn("customer_id", "Customer ID", width=120),
    GridColumn("name", "Name", width=140),
    GridColumn("segment", "Segment"),
    GridColumn("engagement_level", "Engagement"),
    GridColumn("days_since_last_login", "Days since login", "days"),
    GridColumn("watch_time_hours", "Watch time", "hours"),
    GridColumn("discount_pct", "Discount", "pct"),
    GridColumn("control_group", "Control", "flag"),
)
FIELDS = [column.field for column in COLUMNS]


def _key(segment: str, level: str) -> str:
    return f"{segment}|{level}"


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            section(
                "Discount targets",
                [
                    html.Div(
                        [
                            html.Span(id=ROW_COUNT, className="fw-semibold me-3 text-nowrap"),
                            html.Div(
                                [
                                    dbc.Button(
                                        "Freeze as a campaign…",
                                        id=CAMPAIGN_LINK,
                                        href="/campaigns",
                                        color="secondary",
                                        outline=True,
                                        size="sm",
                                        className="me-2",
                                    )
                                    if context.can("analyst")
                                    else None,
                                    # Links to streamed files (dashboard.web.downloads).
                                    html.Span(
                                        id=DOWNLOADS, className="d-inline-flex flex-wrap gap-2"
                                    ),
                                ],
                                className="d-flex flex-wrap align-items-center gap-2",
                            ),
                        ],
                        className="d-flex flex-wrap align-items-center justify-content-between "
                        "gap-2 mb-2",
                    ),
                    customer_grid(GRID, COLUMNS),
                    dcc.Store(id=GRID_PURGE),
                ],
                "Dormant customers and Risky customers with medium engagement · "
                "control = held out to measure the campaign · click a header to sort",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        section(
                            "Targets by reason",
                            loading(html.Div(id=REASONS)),
                            "Filtered targets; control customers get no discount",
                        ),
                        lg=12,
                    ),
                    dbc.Col(
                        section(
                            "Budget before sending",
                            [
                                html.Div(id=LEVELS),
                                html.Div(id=PRICES),
                                html.Div(id=PREVIEW_NOTE, className="small text-muted mb-2"),
                                loading(html.Div(id=BUDGET)),
                                html.Div(
                                    [
                                        dbc.Button(
                                            "Apply these levels and control share to the data set",
                                            id=APPLY,
                                            color="primary",
                                            size="sm",
                                            className="me-2",
                                        ),
                                        html.Span(id=APPLY_MESSAGE, className="small"),
                                        html.Span(
                                            id=APPLY_QUEUE, className="small text-muted ms-2"
                                        ),
                                    ],
                                    className="mt-2",
                                )
                                if context.can("analyst")
                                else None,
                                dcc.Store(id=APPLY_STORE),
                            ],
                            "Monthly cost of the discounts for treated (non-control) targets",
                        ),
                        lg=12,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


clientside_callback(
    PURGE_JS, Output(GRID_PURGE, "data"), Input(ids.VIEW_STORE, "data"), State(GRID, "id")
)


@callback(
    Output(GRID, "getRowsResponse"),
    Input(GRID, "getRowsRequest"),
    State(ids.VIEW_STORE, "data"),
    prevent_initial_call=True,
)
def fetch_rows(request, store):
    view = context.resolve_view(store)
    if view.run is None or not request:
        return {"rowData": [], "rowCount": 0}
    return grid_rows(
        context.engine(), view.run.run_id, view.filters.with_targets_only(), request, FIELDS
    )


@callback(
    Output(ROW_COUNT, "children"),
    Output(REASONS, "children"),
    Output(LEVELS, "children"),
    Output(PRICES, "children"),
    Output(BUDGET, "children"),
    Output(DOWNLOADS, "children"),
    Output(PREVIEW_NOTE, "children"),
    Input(ids.VIEW_STORE, "data"),
    Input(APPLY_STORE, "data"),
)
def show_targets(store, _applied=None):
    """Targets, reasons and the budget at the run's discount levels, from one cube query.

    The budget is built here with the level and price inputs' starting values, so it does not
    wait for (and query again in) :func:`show_budget`, which only answers the user's edits.
    """
    view = context.resolve_view(store)
    if view.run is None:
        message = empty_state("No analysed data set yet: load a CSV on the Data page.")
        return "", message, None, None, None, None, ""
    cells = budget_cells(context.engine(), view.run.run_id, view.filters)
    targets = int(cells["customers"].sum())  # the cells partition the filtered targets
    levels = budget_ui.discount_levels(view.run.parameters)
    count_text = f"{formatting.count(targets)} targets"
    buttons = _download_buttons(view, budget_ui.list_counts(cells))
    if cells.empty:
        message = empty_state("No discount target matches these filters.")
        inputs = _level_inputs(levels, budget_ui.control_share_pct(view.run.parameters))
        return count_text, message, inputs, None, message, buttons, ""
    reasons = budget_ui.reason_table(
        budget_ui.reason_summary(cells, levels), "discounts-reason-grid"
    )
    plans = budget_ui.plans_missing_revenue(cells)
    prices = budget_ui.default_plan_prices(plans) if plans else {}
    budget = _budget_view(budget_ui.budget_summary(cells, levels, prices), view.run)
    inputs = _level_inputs(levels, budget_ui.control_share_pct(view.run.parameters))
    return count_text, reasons, inputs, _price_inputs(prices), budget, buttons, ""


def _download_buttons(view, counts: dict[str, int]) -> list:
    """The send list first, then the control list, then every target with its flag."""
    urls = {
        kind: downloads.customers_url(kind, view.run.dataset_id, view.filters)
        for kind in budget_ui.DOWNLOAD_LISTS
    }
    return budget_ui.download_buttons(urls, counts)


def _level_inputs(levels: dict[tuple[str, str], float], share_pct: float) -> dbc.Row:
    inputs = []
    for segment, level in budget_ui.LEVEL_KEYS:
        key = _key(segment, level)
        inputs.append(
            dbc.Col(
                [
                    dbc.Label(f"{segment} / {level} (%)", className="small mb-0"),
                    dbc.Input(
                        id={"type": LEVEL_INPUT, "key": key},
                        type="number",
                        min=0,
                        max=100,
                        step=0.5,
                        value=levels.get((segment, level), 0.0),
                        debounce=True,
                        size="sm",
                    ),
                ],
                xs=12,
                sm=4,
            )
        )
    inputs.append(
        dbc.Col(
            [
                dbc.Label("Control share (% held out)", className="small mb-0"),
                dbc.Input(
                    id=CONTROL_SHARE,
                    type="number",
                    min=0,
                    max=MAX_SHARE_PCT,
                    step=1,
                    value=share_pct,
                    debounce=True,
                    size="sm",
                ),
            ],
            xs=12,
            sm=4,
        )
    )
    return dbc.Row(inputs, className="g-2 mb-2")


def _price_inputs(prices: dict[str, float]) -> html.Div | None:
    """Price inputs for the plans whose targets have no monthly revenue (None when none)."""
    if not prices:
        return None
    return html.Div(
        [
            html.Div(
                "Some targets have no monthly revenue in this data set: they are priced at "
                "their plan's monthly price below (edit to match your price list).",
                className="small text-muted mb-1",
                id="discounts-price-note",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label(f"{plan} price / month", className="small mb-0"),
                            dbc.Input(
                                id={"type": PRICE_INPUT, "plan": plan},
                                type="number",
                                min=0,
                                step=0.01,
                                value=price,
                                debounce=True,
                                size="sm",
                            ),
                        ],
                        xs=6,
                        sm=3,
                    )
                    for plan, price in prices.items()
                ],
                className="g-2 mb-2",
            ),
        ]
    )


@callback(
    Output(BUDGET, "children", allow_duplicate=True),
    Output(PREVIEW_NOTE, "children", allow_duplicate=True),
    Input({"type": LEVEL_INPUT, "key": ALL}, "value"),
    Input({"type": PRICE_INPUT, "plan": ALL}, "value"),
    Input(CONTROL_SHARE, "value"),
    State({"type": LEVEL_INPUT, "key": ALL}, "id"),
    State({"type": PRICE_INPUT, "plan": ALL}, "id"),
    State(ids.VIEW_STORE, "data"),
    prevent_initial_call=True,
)
def show_budget(level_values, price_values, share_value, level_ids, price_ids, store):
    view = context.resolve_view(store)
    if view.run is None or not level_ids:
        return (no_update, no_update) if view.run is not None else (None, None)
    levels = _levels_from(view.run.parameters, level_ids, level_values)
    prices = {
        component_id["plan"]: float(value)
        for component_id, value in zip(price_ids, price_values, strict=True)
        if value is not None and float(value) >= 0
    }
    cells = budget_cells(context.engine(), view.run.run_id, view.filters)
    applied_share = budget_ui.control_share_pct(view.run.parameters)
    note = budget_ui.preview_note(
        levels,
        budget_ui.discount_levels(view.run.parameters),
        _clamped(share_value, applied_share, MAX_SHARE_PCT),
        applied_share,
    )
    if cells.empty:
        return empty_state("No discount target matches these filters."), note
    return _budget_view(budget_ui.budget_summary(cells, levels, prices), view.run), note


def _levels_from(parameters, level_ids, level_values) -> dict[tuple[str, str], float]:
    """The run's levels with the values typed into the level inputs (clamped to 0-100)."""
    levels = budget_ui.discount_levels(parameters)
    for component_id, value in zip(level_ids, level_values, strict=True):
        segment, level = component_id["key"].split("|", 1)
        levels[(segment, level)] = _clamped(value, levels.get((segment, level), 0.0))
    return levels


@callback(
    Output(APPLY_STORE, "data"),
    Input(APPLY, "n_clicks"),
    State({"type": LEVEL_INPUT, "key": ALL}, "value"),
    State({"type": LEVEL_INPUT, "key": ALL}, "id"),
    State(CONTROL_SHARE, "value"),
    State(ids.VIEW_STORE, "data"),
    background=True,
    progress=[Output(APPLY_QUEUE, "children")],
    running=[
        (Output(APPLY, "disabled"), True, False),
        (Output(APPLY_MESSAGE, "children"), "Analysing with the new levels…", ""),
    ],
    prevent_initial_call=True,
)
def apply_levels(set_progress, clicks, level_values, level_ids, share_value, store):
    """Save the typed levels and control share as the data set's discount table (a new run;
    audited by the job)."""
    view = context.resolve_view(store)
    if not clicks or view.run is None or not level_ids:
        return no_update
    levels = _levels_from(view.run.parameters, level_ids, level_values)
    share = _clamped(share_value, budget_ui.control_share_pct(view.run.parameters), MAX_SHARE_PCT)
    settings = context.settings()
    with queued_job(settings.cache_dir, settings.job_slots, set_progress):
        return apply_discount_levels_job(
            settings.database_url,
            view.run.dataset_id,
            levels,
            context.actor(),
            control_share=share / 100,
        )


@callback(
    Output(APPLY_MESSAGE, "children", allow_duplicate=True),
    Input(APPLY_STORE, "data"),
    prevent_initial_call=True,
)
def show_applied(summary):
    if not summary:
        return no_update
    colour = "text-success" if summary.get("ok") else "text-danger"
    return html.Span(summary.get("message", ""), className=colour, id=f"{APPLY_MESSAGE}-text")


MAX_SHARE_PCT = MAX_CONTROL_SHARE * 100  # the service refuses a larger hold-out


def _clamped(value, default: float, top: float = 100.0) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default
    return min(top, max(0.0, number))


def _budget_view(budget: budget_ui.Budget, run: RunInfo) -> html.Div:
    currency = context.currency_of(run)
    priced_note = (
        f"{formatting.count(budget.priced_customers)} priced by plan"
        if budget.priced_customers
        else "from their monthly revenue"
    )
    cards = [
        (
            "Treated targets",
            formatting.count(budget.treated),
            f"{formatting.count(budget.control)} in control",
            "discounts-kpi-treated",
        ),
        (
            "Revenue at risk / month",
            formatting.money(budget.revenue_at_risk, currency=currency),
            priced_note,
            "discounts-kpi-revenue",
        ),
        (
            "Discount cost / month",
            formatting.money(budget.monthly_cost, currency=currency),
            "if every treated target takes the offer",
            "discounts-kpi-cost",
        ),
        (
            "Break-even save rate",
            budget_ui.rate(budget.break_even),
            "of the revenue at risk must be kept",
            "discounts-kpi-break-even",
        ),
    ]
    money_format = {"function": "d3.format(',.2f')(params.value)"}
    return html.Div(
        [
            dbc.Row(
                [dbc.Col(kpi_card(*card), xs=12, sm=6, lg=3) for card in cards],
                className="g-2 mb-2",
            ),
            html.P(
                [
                    budget_ui.BREAK_EVEN_SENTENCE,
                    " ",
                    html.Span(context.currency_note(run), id="discounts-currency"),
                ],
                className="small text-muted",
                id="discounts-formula",
            ),
            dag.AgGrid(
                id="discounts-budget-grid",
                rowData=budget_ui.cell_rows(budget),
                columnDefs=[
                    {
                        "field": "cell",
                        "headerName": "Segment / engagement",
                        "flex": 2,
                        "minWidth": 150,
                    },
                    {
                        "field": "customers",
                        "headerName": "Treated",
                        "type": "rightAligned",
                        "valueFormatter": {"function": "d3.format(',')(params.value)"},
                    },
                    {
                        "field": "revenue",
                        "headerName": _with_currency("Revenue / month", currency),
                        "type": "rightAligned",
                        "valueFormatter": money_format,
                    },
                    {"field": "discount", "headerName": "Discount", "type": "rightAligned"},
                    {
                        "field": "cost",
                        "headerName": _with_currency("Cost / month", currency),
                        "type": "rightAligned",
                        "valueFormatter": money_format,
                    },
                    {"field": "break_even", "headerName": "Break-even", "type": "rightAligned"},
                ],
                defaultColDef={"flex": 1, "sortable": False, "resizable": True, "minWidth": 105},
                dashGridOptions={"domLayout": "autoHeight", "suppressCellFocus": True},
                style={"width": "100%"},
                className="ag-theme-alpine",
            ),
        ]
    )


def _with_currency(header: str, currency: str | None) -> str:
    return f"{header} ({currency})" if currency else header


@callback(Output(CAMPAIGN_LINK, "href"), Input(ids.URL, "search"))
def campaign_link(search):
    """The Campaigns page, where the targets are frozen, with the same data set and filters."""
    return f"/campaigns{search or ''}"
