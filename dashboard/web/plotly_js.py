"""Serve a plotly.js built with only the traces the dashboard draws.

Dash's graphs load plotly.js on first use from one fixed path (``PLOTLY_PATH``), the full
bundle of the ``plotly`` package: 4.8 MB, of which a fresh browser spends about two seconds
compiling traces no page draws (maps, 3-D, finance...). This route answers that path with
``plotly_bundle/plotly-dashboard.min.js`` (1.8 MB): bar, box, heatmap, treemap, sankey,
scatter and scattergl, built by plotly.js's own esbuild settings (``plotly_bundle/build.js``,
versions pinned in ``plotly_bundle/package.json``; rebuild with ``npm ci && node build.js``
when the plotly package is upgraded or a page draws a new trace type). A more specific rule
than Dash's component-suites route, so Werkzeug picks it first.
"""

from __future__ import annotations

from pathlib import Path

import flask
from flask import Flask

BUNDLE = Path(__file__).with_name("plotly_bundle") / "plotly-dashboard.min.js"
PLOTLY_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"
TRACE_TYPES = ("bar", "box", "heatmap", "treemap", "sankey", "scatter", "scattergl")
"""The traces the bundle holds; a figure of another type would draw nothing."""


def install(server: Flask, pathname_prefix: str) -> None:
    """Answer ``PLOTLY_PATH`` under ``pathname_prefix`` with the dashboard's bundle."""

    def plotly_js() -> flask.Response:
        # A whole body (not a file stream), so it is compressed; the URL carries no version,
        # so the browser revalidates it by ETag instead of keeping it.
        response = flask.Response(BUNDLE.read_bytes(), mimetype="application/javascript")
        response.add_etag()
        response.cache_control.no_cache = True
        return response.make_conditional(flask.request)

    server.add_url_rule(f"{pathname_prefix}{PLOTLY_PATH}", "dashboard_plotly_js", plotly_js)
