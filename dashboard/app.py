"""The Dash application factory: no side effects at import, one app per process."""

from __future__ import annotations

import dash

from dashboard import ids, shell
from dashboard.config import Settings, load_settings
from dashboard.web import auth, context, downloads, file_uploads, hardening, jobs, plotly_js
from db.session import make_engine


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the Dash app for ``settings`` (read from the environment when omitted).

    The database engine is created here, once per process, and reached by callbacks
    through :mod:`dashboard.web.context`.
    """
    settings = settings or load_settings()
    app = dash.Dash(
        "dashboard",
        background_callback_manager=jobs.background_manager(settings),
        use_pages=True,
        title=settings.app_title,
        # Page callbacks name components that only exist once their page is shown; Dash would
        # otherwise refuse them when it checks callbacks against the frame's layout.
        suppress_callback_exceptions=True,
        update_title=None,
        # gzip for the scripts (7.7 MB of them become about 2.3 MB) and callback answers:
        # flask-compress, which Dash switches on with this flag.
        compress=True,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
        on_error=hardening.callback_error_handler(ids.FILTER_MESSAGE),
    )
    app.server.config[context.SETTINGS_KEY] = settings
    # flask-compress leaves a streamed response's file open (it never closes the original
    # response), so only whole-body responses are compressed: scripts, callbacks, pages.
    app.server.config["COMPRESS_STREAMS"] = False
    # Callbacks, forms and everything else are small; a file travels on POST /upload alone,
    # which sets its own limit (dashboard.web.file_uploads).
    app.server.config["MAX_CONTENT_LENGTH"] = REQUEST_MAX_BYTES
    app.server.extensions[context.ENGINE_KEY] = make_engine(settings.database_url)
    app.layout = lambda: shell.layout(settings.app_title, demo_mode=not settings.auth_required)
    shell.register_callbacks(app)
    auth.install(app.server, settings, context.ENGINE_KEY)
    hardening.install(app.server, context.ENGINE_KEY, app.csp_hashes)
    downloads.install(app.server)
    file_uploads.install(app.server)
    plotly_js.install(app.server, app.config.requests_pathname_prefix)
    if settings.proxy_hops > 0:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.server.wsgi_app = ProxyFix(app.server.wsgi_app, x_for=hops, x_proto=hops)
    _register_scripts(app)
    return app


def _register_scripts(app: dash.Dash) -> None:
    """Render the index page once inside this process.

    Dash records which script files it may serve while it renders a page; a gunicorn worker
    that had not rendered one yet refused the scripts a browser asked it for next.
    """
    with app.server.test_request_context("/"):
        app._setup_server()
        app.index()


REQUEST_MAX_BYTES = 1024 * 1024
"""The largest body of any request but an upload: a Dash callback's JSON is a few KB."""


def upload_request_limit(max_upload_bytes: int) -> int:
    """Largest request a proxy in front must let through: an upload's raw bytes plus headers."""
    return max_upload_bytes + REQUEST_MAX_BYTES
