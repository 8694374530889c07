"""The frame around every page: header, navigation, filter bar, and the URL that holds them.

The URL query string is the single source of truth for what a manager looks at
(``?dataset=3&gender=Female&segment=Dormant``): it survives page changes, and a copied link
reproduces the view. One callback keeps the filter controls, the URL and ``VIEW_STORE`` in
step; every page reads ``VIEW_STORE``.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, ctx, dcc, html, no_update
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.components import formatting
from dashboard.web import context
from db.filters import (
    FILTER_LABELS,
    MULTI_VALUE_FILTERS,
    option_values,
    search_from_view,
    split_known,
    view_from_search,
)
from db.queries import count_customers, filter_options

FILTER_OUTPUTS = [Output(ids.FILTER_INPUTS[name], "value") for name in MULTI_VALUE_FILTERS]
FILTER_NAMES = {ids.FILTER_INPUTS[name]: name for name in MULTI_VALUE_FILTERS}
FILTER_VALUE_INPUTS = [Input(ids.FILTER_INPUTS[name], "value") for name in MULTI_VALUE_FILTERS]


def layout(title: str, demo_mode: bool) -> html.Div:
    """The app layout, built per request (it shows who is signed in).

    Pages render inside ``dash.page_container``.
    """
    banner = (
        dbc.Alert(
            "Local demo: sign-in is off because the server only listens on this computer.",
            color="info",
            className="py-1 px-3 mb-0 small rounded-0 text-center",
            id=ids.DEMO_BANNER,
        )
        if demo_mode
        else None
    )
    return html.Div(
        [
            dcc.Location(id=ids.URL, refresh=False),
            dcc.Store(id=ids.VIEW_STORE),
            banner,
            _header(title, _user_area()),
            dbc.Container(
                [
                    _filter_bar(),
                    html.Div(id=ids.FILTER_MESSAGE),
                    dash.page_container,
                ],
                fluid=True,
                className="pb-4",
            ),
        ]
    )


def _user_area() -> html.Div | None:
    """Who is signed in, their role, and a sign-out form (a CSRF-protected POST)."""
    from dashboard.web import auth

    identity = auth.current_identity()
    if identity is None or not identity.signed_in:
        return None
    return html.Div(
        [
            html.Span(
                f"{identity.username} · {identity.role}", className="text-white-50 small me-2"
            ),
            html.A(
                "Password",
                href="/account/password",
                id="change-password-link",
                className="btn btn-outline-light btn-sm me-2",
                title="Change your password",
            ),
            html.Form(
                [
                    dcc.Input(type="hidden", name=auth.CSRF_KEY, value=auth.csrf_token()),
                    html.Button(
                        "Sign out", type="submit", className="btn btn-outline-light btn-sm"
                    ),
                ],
                action="/logout",
                method="post",
                className="d-inline",
            ),
        ],
        className="d-flex align-items-center",
    )


def _header(title: str, user_area: html.Div | None) -> dbc.Navbar:
    return dbc.Navbar(
        dbc.Container(
            [
                html.Div(
                    [
                        html.Span(title, className="navbar-brand mb-0 h1 fs-5 text-wrap"),
                        html.Div(id=ids.DATASET_LABEL, className="text-white-50 small"),
                    ]
                ),
                dbc.NavbarToggler(id=ids.NAV_TOGGLE, n_clicks=0),
                dbc.Collapse(
                    html.Div(
                        [dbc.Nav(id=ids.NAV, pills=True, className="flex-wrap"), user_area],
                        className="d-flex flex-column flex-lg-row flex-wrap gap-2 "
                        "align-items-lg-center justify-content-lg-between w-100",
                    ),
                    id=ids.NAV_COLLAPSE,
                    is_open=False,
                    navbar=True,
                ),
            ],
            fluid=True,
            className="gap-2",
        ),
        color="dark",
        dark=True,
        expand="lg",
        className="mb-3",
    )


def _dropdown(name: str) -> dbc.Col:
    return dbc.Col(
        [
            dbc.Label(
                FILTER_LABELS[name], html_for=ids.FILTER_INPUTS[name], className="small mb-0"
            ),
            dcc.Dropdown(
                id=ids.FILTER_INPUTS[name],
                multi=True,
                placeholder="All",
                options=[],
                value=[],
            ),
        ],
        xs=12,
        sm=6,
        lg=2,
    )


def _filter_bar() -> dbc.Card:
    """The filters; on a narrow screen folded behind a "Filters" button that shows the count."""
    return dbc.Card(
        dbc.CardBody(
            [
                dbc.Button(
                    "Filters",
                    id=ids.FILTER_TOGGLE,
                    n_clicks=0,
                    color="secondary",
                    outline=True,
                    size="sm",
                    className="d-md-none w-100",
                ),
                dbc.Collapse(_filter_controls(), id=ids.FILTER_COLLAPSE, is_open=False),
            ],
            className="py-2",
        ),
        className="mb-3 shadow-sm",
        id=ids.FILTER_BAR,
    )


def _filter_controls() -> dbc.Row:
    return dbc.Row(
        [
            *[_dropdown(name) for name in MULTI_VALUE_FILTERS],
            dbc.Col(
                [
                    dbc.Label(
                        "Customer ID",
                        html_for=ids.FILTER_CUSTOMER_ID,
                        className="small mb-0",
                    ),
                    dbc.Input(
                        id=ids.FILTER_CUSTOMER_ID,
                        placeholder="Exact ID",
                        debounce=True,
                        maxLength=200,
                        value="",
                    ),
                ],
                xs=12,
                sm=6,
                lg=2,
            ),
            dbc.Col(
                html.Div(
                    [
                        html.Span(id=ids.FILTER_COUNT, className="fw-semibold me-3"),
                        dbc.Button(
                            "Reset filters",
                            id=ids.FILTER_RESET,
                            color="secondary",
                            outline=True,
                            size="sm",
                        ),
                    ],
                    className="d-flex align-items-center justify-content-end h-100 pt-2",
                ),
                xs=12,
            ),
        ],
        className="g-2",
    )


def sync_view(search, *values):
    """Keep URL, controls and VIEW_STORE equal, whichever of them the user changed.

    A dropdown drops values missing from its options, so options are sent together with
    the values whenever the URL (and so possibly the data set) changes.
    """
    *filter_values, customer_id, _reset = values
    trigger = ctx.triggered_id
    current = view_from_search(search)
    options = [no_update] * len(MULTI_VALUE_FILTERS)
    known: dict[str, list[str]] = {}
    if trigger in (None, ids.URL):
        current, known = checked_link(current)
    if trigger == ids.FILTER_RESET:
        view = {"dataset_id": current["dataset_id"], "filters": {}}
    elif trigger in (None, ids.URL):
        view = current
    else:
        filters = dict(zip(MULTI_VALUE_FILTERS, filter_values, strict=True))
        filters["customer_id"] = (customer_id or "").strip()
        view = {"dataset_id": current["dataset_id"], "filters": filters}
    new_search = search_from_view(view)
    filters = view["filters"]
    controls = [list(filters.get(name) or []) for name in MULTI_VALUE_FILTERS]
    if trigger in (None, ids.URL):
        options = [
            _options(option_values(known.get(name, []), chosen))
            for name, chosen in zip(MULTI_VALUE_FILTERS, controls, strict=True)
        ]
    return (
        view,
        new_search if new_search != (search or "") else no_update,
        *options,
        *controls,
        filters.get("customer_id", ""),
    )


def _options(values: list[str]) -> list[dict[str, str]]:
    return [{"label": value, "value": value} for value in values]


def search_options(search, selected, store):
    """A dropdown's options as the user types: matches from the whole column, at most
    MAX_FILTER_OPTIONS, the selected values kept (a large column is never sent whole)."""
    if search is None:
        raise PreventUpdate
    run = context.resolve_view(store).run
    if run is None:
        raise PreventUpdate
    name = FILTER_NAMES[ctx.outputs_list["id"]]
    known = filter_options(context.engine(), run.run_id).get(name, [])
    return _options(option_values(known, selected if isinstance(selected, list) else [], search))


def checked_link(view: dict) -> tuple[dict, dict[str, list[str]]]:
    """The view a link asks for, reduced to what exists, with a notice naming what did not.

    A data set that is not there (deleted, never analysed) shows the newest one instead, and
    a filter value the data set lacks is left out; either way the page says so in words, so a
    shared link never shows something else in silence. Returns the view (with ``notice``)
    and the known filter values of its run, for the dropdowns.
    """
    requested = view.get("dataset_id")
    run = context.active_run_for(requested)
    notices: list[str] = []
    if requested is not None and (run is None or run.dataset_id != requested):
        shown = f": showing {run.dataset_name} (data set {run.dataset_id})" if run else ""
        notices.append(f"There is no analysed data set {requested}{shown}.")
    if run is None:
        return {**view, "dataset_id": None, "notice": " ".join(notices) or None}, {}
    known = filter_options(context.engine(), run.run_id)
    kept, dropped = split_known(view.get("filters") or {}, known)
    for name, values in dropped.items():
        listed = ", ".join(repr(value[:40]) for value in values[:3])
        noun = "is" if len(values) == 1 else "are"
        notices.append(
            f"{FILTER_LABELS[name]} {listed} {noun} not in {run.dataset_name}, so the view "
            "leaves it out."
        )
    notice = " ".join(notices) or None
    return {
        "dataset_id": run.dataset_id if requested is not None else None,
        "filters": kept,
        "notice": notice,
    }, known


def show_view(store):
    """The active run's name and as-of date, and how many customers match the filters."""
    view = context.resolve_view(store)
    said = view.problem or (store or {}).get("notice")
    message = (
        dbc.Alert(said, color="warning", className="py-2", id=ids.VIEW_NOTICE) if said else None
    )
    if view.run is None:
        return "No analysed data set yet", "", message
    total = count_customers(context.engine(), view.run.run_id, view.filters)
    label = f"{view.run.dataset_name} · as of {view.run.as_of:%d %b %Y}"
    counted = (
        f"{formatting.count(total)} of {formatting.count(view.run.customers)} customers"
        if not view.filters.is_empty()
        else f"{formatting.count(total)} customers"
    )
    return label, counted, message


def navigation(pathname, search):
    """Links to every page the user may open, keeping the current filters.

    Drawn on the server when the page changes (roles decide the links); a filter change only
    rewrites the links' query strings in the browser (``NAV_SEARCH_JS``), with no request.
    """
    return [
        dbc.NavItem(
            dbc.NavLink(
                page["name"],
                href=f"{page['relative_path']}{search or ''}",
                active=pathname == page["relative_path"],
                className="py-1 px-2 small",
            )
        )
        for page in dash.page_registry.values()
        if context.can(page.get("min_role", "viewer"))
    ]


# The nav links carry the filters: on a filter change, swap each link's query string.
NAV_SEARCH_JS = """
function(search, links) {
    if (!Array.isArray(links)) { return window.dash_clientside.no_update; }
    return links.map(function(item) {
        const link = item.props.children;
        const path = link.props.href.split("?")[0];
        const props = Object.assign({}, link.props, {href: path + (search || "")});
        const child = Object.assign({}, link, {props: props});
        return Object.assign({}, item, {props: Object.assign({}, item.props, {children: child})});
    });
}
"""

# A narrow screen's menu and filters open on their button and fold again on a page change.
FOLD_JS = """
function(_clicks, _pathname, isOpen) {
    const trigger = (dash_clientside.callback_context.triggered[0] || {}).prop_id || "";
    return trigger.endsWith(".n_clicks") ? !isOpen : false;
}
"""


def register_callbacks(app: dash.Dash) -> None:
    """Attach the frame's callbacks to ``app``.

    Per app rather than at import, so every app built in one process (one per test) has them.
    """
    app.callback(
        Output(ids.VIEW_STORE, "data"),
        Output(ids.URL, "search"),
        *[Output(ids.FILTER_INPUTS[name], "options") for name in MULTI_VALUE_FILTERS],
        *FILTER_OUTPUTS,
        Output(ids.FILTER_CUSTOMER_ID, "value"),
        Input(ids.URL, "search"),
        *FILTER_VALUE_INPUTS,
        Input(ids.FILTER_CUSTOMER_ID, "value"),
        Input(ids.FILTER_RESET, "n_clicks"),
    )(sync_view)
    for name in MULTI_VALUE_FILTERS:
        dropdown = ids.FILTER_INPUTS[name]
        app.callback(
            Output(dropdown, "options", allow_duplicate=True),
            Input(dropdown, "search_value"),
            State(dropdown, "value"),
            State(ids.VIEW_STORE, "data"),
            prevent_initial_call=True,
        )(search_options)
    app.callback(
        Output(ids.DATASET_LABEL, "children"),
        Output(ids.FILTER_COUNT, "children"),
        Output(ids.FILTER_MESSAGE, "children"),
        Input(ids.VIEW_STORE, "data"),
    )(show_view)
    app.callback(Output(ids.NAV, "children"), Input(ids.URL, "pathname"), State(ids.URL, "search"))(
        navigation
    )
    app.clientside_callback(
        NAV_SEARCH_JS,
        Output(ids.NAV, "children", allow_duplicate=True),
        Input(ids.URL, "search"),
        State(ids.NAV, "children"),
        prevent_initial_call=True,
    )
    for toggle, collapse in (
        (ids.NAV_TOGGLE, ids.NAV_COLLAPSE),
        (ids.FILTER_TOGGLE, ids.FILTER_COLLAPSE),
    ):
        app.clientside_callback(
            FOLD_JS,
            Output(collapse, "is_open"),
            Input(toggle, "n_clicks"),
            Input(ids.URL, "pathname"),
            State(collapse, "is_open"),
            prevent_initial_call=True,
        )
