"""Clusters in a real browser: sample size shown, agreement counts equal to SQL."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator

import dash
import pandas as pd
import pytest
from dash.testing.wait import until
from sqlalchemy import Engine, text

from tests.browser.conftest import console_errors
from tests.browser.test_discounts import app_for_test


@pytest.fixture
def app(make_app: Callable[..., dash.Dash]) -> Iterator[dash.Dash]:
    yield from app_for_test(make_app)


# null until Plotly has drawn the graph (the figure may arrive before the plot is drawn).
FIGURE_JS = "const g = document.querySelector('#{} .js-plotly-plot'); return g ? g.data : null;"
# Points per drawn scatter, counted in _fullData, where Plotly has decoded the binary arrays
# the server sends; null until drawn.
POINTS_JS = (
    "const g = document.querySelector('#clusters-scatter .js-plotly-plot');"
    "return g && g._fullData ? g._fullData.filter(t => t.type === 'scattergl')"
    ".reduce((n, t) => n + t.x.length, 0) : null;"
)
SEGMENTS = ["Loyal", "Casual", "Dormant", "Risky"]


def agreement(engine: Engine, where: str = "1 = 1") -> list[list[int]]:
    with engine.connect() as connection:
        frame = pd.read_sql_query(
            text(f"SELECT cluster, segment FROM customer_results WHERE {where}"), connection
        )
        clusters = pd.read_sql_query(text("SELECT cluster FROM cluster_centroids"), connection)
    table = pd.crosstab(frame["cluster"], frame["segment"])
    segments = [s for s in SEGMENTS if s in table.columns]
    table = table.reindex(index=sorted(clusters["cluster"]), columns=segments, fill_value=0)
    return table.to_numpy().tolist()


def heatmap_z(dash_duo) -> list[list[int]] | None:
    data = dash_duo.driver.execute_script(FIGURE_JS.format("clusters-heatmap"))
    return [list(row) for row in data[0]["z"]] if data and "z" in data[0] else None


def test_scatter_sample_and_agreement_counts(dash_duo, app, loaded_engine, monkeypatch) -> None:
    monkeypatch.setattr(sys.modules["dashboard.pages.clusters"], "SAMPLE_LIMIT", 500)
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/clusters")
    with loaded_engine.connect() as connection:
        total = connection.execute(text("SELECT COUNT(*) FROM customer_results")).scalar_one()
    dash_duo.wait_for_text_to_equal("#clusters-sample-note", f"500 of {total:,} customers shown")
    until(lambda: heatmap_z(dash_duo) == agreement(loaded_engine), timeout=15)
    until(lambda: dash_duo.driver.execute_script(POINTS_JS) == 500, timeout=15)

    dash_duo.select_dcc_dropdown("#filter-plan", value="Basic")
    with loaded_engine.connect() as connection:
        basic = connection.execute(
            text("SELECT COUNT(*) FROM customer_results WHERE plan = 'Basic'")
        ).scalar_one()
    assert basic > 500
    dash_duo.wait_for_text_to_equal(
        "#clusters-sample-note", f"500 of {basic:,} customers shown", timeout=15
    )
    until(lambda: heatmap_z(dash_duo) == agreement(loaded_engine, "plan = 'Basic'"), 15)
    assert console_errors(dash_duo) == []
