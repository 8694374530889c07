"""What a callback needs from the running app: settings, the engine, the active view.

The engine and settings are created once per process by ``create_app`` and kept on the
Flask app; nothing here holds per-user state (that lives in the URL and ``dcc.Store``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, g, has_request_context
from sqlalchemy import Engine

from dashboard.components import formatting
from dashboard.config import Settings
from db.audit import Actor
from db.filters import FilterError, Filters, checked, from_values
from db.queries import RunInfo, active_run, filter_options

SETTINGS_KEY = "DASHBOARD_SETTINGS"
ENGINE_KEY = "dashboard_engine"


def settings() -> Settings:
    return current_app.config[SETTINGS_KEY]


def engine() -> Engine:
    return current_app.extensions[ENGINE_KEY]


@dataclass(frozen=True)
class View:
    """The analysis run on screen and the filters applied to it (already validated)."""

    run: RunInfo | None
    filters: Filters
    problem: str | None = None  # a filter value that was dropped, in words


def active_run_for(dataset_id: int | None) -> RunInfo | None:
    """The run of the chosen data set, else of the newest analysed one.

    Resolved once per request (kept on ``flask.g``); the run's description itself is cached
    by run id in :func:`db.queries.active_run`.
    """
    memo = g.setdefault("active_runs", {}) if has_request_context() else {}
    if dataset_id not in memo:
        run = active_run(engine(), int(dataset_id)) if dataset_id is not None else None
        memo[dataset_id] = run or active_run(engine())
    return memo[dataset_id]


def currency_of(run: RunInfo) -> str | None:
    """The currency money is labelled with: the CURRENCY setting, else the data set's own."""
    return settings().currency or run.currency


def currency_note(run: RunInfo) -> str:
    return formatting.currency_note(
        currency_of(run), settings().currency is not None, run.source_file
    )


def resolve_view(store: dict | None) -> View:
    """The run and validated filters for a VIEW_STORE value; bad values are dropped, not used."""
    store = store or {}
    run = active_run_for(store.get("dataset_id"))
    values = store.get("filters") or {}
    try:
        if run is None:
            return View(run=None, filters=from_values(values))
        return View(run=run, filters=checked(values, filter_options(engine(), run.run_id)))
    except FilterError as error:
        return View(run=run, filters=Filters(), problem=str(error))


def identity():
    """Who is asking (the local demo admin when sign-in is off)."""
    from dashboard.web import auth

    return auth.current_identity() or auth.LOCAL_DEMO


def can(role: str) -> bool:
    """Whether the current user holds ``role`` or a higher one."""
    from dashboard.web import auth

    return auth.can(role)


def actor() -> Actor:
    """The current user as a job's actor (captured in the request, used by the job)."""
    from flask import has_request_context, request

    remote = request.remote_addr if has_request_context() else None
    return Actor(identity().username, remote)


def record(action: str, detail: dict | None = None, outcome: str = "ok") -> None:
    """Add an audit event for the current user and request."""
    from db import audit

    audit.record_for(engine(), actor(), action, outcome, detail)
