"""HTTP hardening around the app: security headers, /healthz, plain errors with an id."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from urllib.parse import urlparse

import flask
from dash.exceptions import DependencyException
from flask import Flask
from sqlalchemy import Engine
from werkzeug.exceptions import HTTPException

from db.session import current_revision, head_revision, ping

log = logging.getLogger("dashboard.errors")
COMPONENT_SUITES = "/_dash-component-suites/"
# Static files with fingerprinted names: no customer data, cached as their server says.
CACHEABLE_PREFIXES = ("/assets/", COMPONENT_SUITES, "/_favicon.ico")


def content_security_policy(script_hashes: list[str]) -> str:
    """A CSP that Dash works with: its inline bootstrap scripts are allowed by hash."""
    scripts = " ".join(script_hashes)  # Dash gives them quoted: 'sha256-...'
    return (
        "default-src 'self'; "
        f"script-src 'self' 'unsafe-eval' {scripts}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
        "worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'"
    )


def install(server: Flask, engine_key: str, script_hashes: Callable[[], list[str]]) -> None:
    """Security headers on every response, /healthz, and errors without stack traces.

    ``script_hashes`` is asked once, at the first response: Dash collects its inline scripts
    (clientside callbacks) only when it serves its first request.
    """
    policy: list[str] = []

    @server.after_request
    def security_headers(response: flask.Response) -> flask.Response:
        if not policy:
            policy.append(content_security_policy(script_hashes()))
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Content-Security-Policy", policy[0])
        if not flask.request.path.startswith(CACHEABLE_PREFIXES):
            # Pages, layouts, callback answers and downloads carry customer data: never kept
            # by the browser or a proxy.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @server.before_request
    def same_origin_posts():
        """Refuse a POST sent by another site's page (callbacks, sign-in and sign-out alike);
        SameSite cookies already keep the session out of it, this says so in words."""
        if flask.request.method != "POST":
            return None
        sender = flask.request.headers.get("Origin") or flask.request.headers.get("Referer")
        if not sender or sender == "null":
            return None  # scripts and old browsers send neither; the session still guards
        if urlparse(sender).netloc != flask.request.host:
            return flask.jsonify({"error": "cross-site request refused"}), 403
        return None

    @server.route("/favicon.ico")
    def favicon():
        # Browsers ask for /favicon.ico on pages without an icon link (the sign-in page): the
        # app's icon, public like the other assets, instead of a redirect to the sign-in.
        return flask.redirect("/_favicon.ico", 301)

    @server.route("/healthz")
    def healthz():
        engine: Engine = server.extensions[engine_key]
        report = {"database": "ok", "migrations": "unknown"}
        try:
            ping(engine)
            current, head = current_revision(engine), head_revision()
            report["migrations"] = "at head" if current == head else "behind"
            report["revision"] = current
        except Exception as error:
            report["database"] = f"unreachable: {type(error).__name__}"
        healthy = report["database"] == "ok" and report["migrations"] == "at head"
        return flask.jsonify(report), 200 if healthy else 503

    @server.errorhandler(413)
    def too_large(error: HTTPException):
        limit = flask.request.max_content_length or 0
        return flask.jsonify(
            {
                "error": f"This request is larger than the {limit / 1024 / 1024:,.0f} MB this "
                "address accepts; files are uploaded on the Data page."
            }
        ), 413

    @server.errorhandler(Exception)
    def plain_error(error: Exception):
        if isinstance(error, HTTPException):
            return error
        if flask.request.path.startswith(COMPONENT_SUITES) and isinstance(
            error, DependencyException | OSError
        ):
            return flask.Response("There is no such file.\n", 404, mimetype="text/plain")
        error_id = uuid.uuid4().hex[:12]
        log.exception("error %s on %s %s", error_id, flask.request.method, flask.request.path)
        return (
            flask.jsonify({"error": "Something went wrong.", "error_id": error_id}),
            500,
        )


def callback_error_handler(message_component_id: str):
    """Dash ``on_error``: log with an id and show a plain message with that id, no trace."""

    def on_error(error: Exception) -> None:
        import dash_bootstrap_components as dbc
        from dash import set_props

        error_id = uuid.uuid4().hex[:12]
        log.error("callback error %s", error_id, exc_info=error)
        set_props(
            message_component_id,
            {
                "children": dbc.Alert(
                    f"Something went wrong (error id {error_id}). Please try again; if it "
                    "persists, tell the dashboard's maintainers this id.",
                    color="danger",
                    className="py-2",
                )
            },
        )

    return on_error
