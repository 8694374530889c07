"""What a browser downloads first: compressed scripts and a plotly.js of the traces drawn."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

from dashboard.web import plotly_js

DASHBOARD = Path(__file__).parents[2] / "dashboard"


def test_the_plotly_path_answers_with_the_dashboard_bundle_compressed(make_app) -> None:
    client = make_app().server.test_client()
    path = f"/{plotly_js.PLOTLY_PATH}"
    plain = client.get(path)
    assert plain.status_code == 200
    assert plain.data == plotly_js.BUNDLE.read_bytes()
    assert len(plain.data) < 2_000_000  # the full bundle of the plotly package is 4.8 MB

    packed = client.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < 700_000

    again = client.get(path, headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304


def test_component_scripts_and_callback_answers_are_compressed(make_app) -> None:
    client = make_app().server.test_client()
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    index = gzip.decompress(page.data).decode()
    scripts = re.findall(r'src="(/_dash-component-suites/[^"]+\.js)"', index)
    assert any("dash_ag_grid" in script for script in scripts)
    for script in scripts:
        response = client.get(script, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200
        if len(response.data) > 500:
            assert response.headers["Content-Encoding"] == "gzip", script


def test_every_trace_type_the_pages_draw_is_in_the_bundle() -> None:
    source = "\n".join(path.read_text() for path in DASHBOARD.rglob("*.py"))
    drawn = {
        name.lower()
        for name in re.findall(r"\bgo\.(Bar|Box|Heatmap|Treemap|Sankey|Scatter)\(", source)
    }
    drawn |= set(re.findall(r'"type": "(scatter\w*|bar|box|heatmap|treemap|sankey)"', source))
    assert drawn <= set(plotly_js.TRACE_TYPES), drawn - set(plotly_js.TRACE_TYPES)
    bundle = plotly_js.BUNDLE.read_text()
    for trace in plotly_js.TRACE_TYPES:
        assert f'name:"{trace}",basePlotModule' in bundle, trace
