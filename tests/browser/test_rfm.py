"""RFM page in a real browser: treemap, R × FM grid and details table equal SQL over the rows."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from tests.browser.conftest import console_errors, start_app

FILTER_QUERY = "?gender=Female&plan=Premium&plan=Standard"
FILTER_WHERE = "gender = 'Female' AND plan IN ('Premium', 'Standard')"


def customers(engine: Engine, where: str) -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql_query(
            text(
                "SELECT rfm_segment, r_score, fm_score, watch_time_hours, visit_frequency, "
                f"days_since_last_login FROM customer_results WHERE {where}"
            ),
            connection,
        )


def poll(read: Callable[[], Any], expected: Any, timeout: float = 15) -> Any:
    """Read until the value equals ``expected`` (the page refreshes as the filters arrive)."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        try:
            value = read()
        except Exception:
            value = None
        if value == expected:
            return value
        time.sleep(0.2)
    return value


def plot_data(dash_duo, graph_id: str, field: str) -> Any:
    return dash_duo.driver.execute_script(
        f"return document.querySelector('#{graph_id} .js-plotly-plot').data[0].{field}"
    )


def test_heatmap_and_treemap_equal_sql(dash_duo, make_app, loaded_engine) -> None:
    frame = customers(loaded_engine, FILTER_WHERE)
    with loaded_engine.connect() as connection:
        cells = connection.execute(
            text(
                "SELECT r_score, fm_score, COUNT(*) FROM customer_results "
                f"WHERE {FILTER_WHERE} GROUP BY r_score, fm_score"
            )
        ).all()
    grid = [[0] * 5 for _ in range(5)]
    for r_score, fm_score, count in cells:
        grid[fm_score - 1][r_score - 1] = count
    assert sum(map(sum, grid)) == len(frame) > 0

    start_app(dash_duo, make_app())
    dash_duo.driver.get(dash_duo.server_url + "/rfm" + FILTER_QUERY)
    assert poll(lambda: plot_data(dash_duo, "rfm-heatmap", "z"), grid) == grid
    labels = plot_data(dash_duo, "rfm-heatmap", "text")
    assert labels == [[f"{count:,}" for count in row] for row in grid]

    means = frame.groupby("rfm_segment")[["watch_time_hours", "visit_frequency"]].mean()
    segments = poll(
        lambda: sorted(plot_data(dash_duo, "rfm-treemap", "labels")), sorted(means.index)
    )
    assert segments == sorted(means.index)
    treemap = dash_duo.driver.execute_script(
        "const t = document.querySelector('#rfm-treemap .js-plotly-plot').data[0];"
        "return [t.labels, t.values, t.marker.colors];"
    )
    for label, value, colour in zip(*treemap, strict=True):
        assert value == pytest.approx(means.loc[label, "watch_time_hours"], abs=1e-4)
        assert colour == pytest.approx(means.loc[label, "visit_frequency"], abs=0.005)
    assert console_errors(dash_duo) == []


DISPLAYED_ROWS = """
const rows = {};
document.querySelectorAll('#rfm-details .ag-row').forEach(row => {
  const index = row.getAttribute('row-index');
  rows[index] = rows[index] || {};
  row.querySelectorAll('.ag-cell').forEach(cell => {
    rows[index][cell.getAttribute('col-id')] = cell.innerText.trim();
  });
});
return Object.keys(rows).sort((a, b) => a - b).map(key => rows[key]);
"""


def downloaded_csv(dash_duo, timeout: float = 10) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = list(Path(dash_duo.download_path).glob("*.csv"))
        if files:
            return files[0]
        time.sleep(0.2)
    raise AssertionError(f"no CSV downloaded into {dash_duo.download_path}")


def test_details_table_and_download_match(dash_duo, make_app, loaded_engine) -> None:
    frame = customers(loaded_engine, FILTER_WHERE)
    counts = frame["rfm_segment"].value_counts()

    start_app(dash_duo, make_app())
    dash_duo.driver.get(dash_duo.server_url + "/rfm" + FILTER_QUERY)
    expected_counts = {segment: f"{count:,}" for segment, count in counts.items()}
    displayed = poll(
        lambda: {
            row["segment"]: row["customers"]
            for row in dash_duo.driver.execute_script(DISPLAYED_ROWS)
        },
        expected_counts,
    )
    assert displayed == expected_counts
    rows = dash_duo.driver.execute_script(DISPLAYED_ROWS)

    dash_duo.find_element("#rfm-details-download-button").click()
    path = downloaded_csv(dash_duo)
    assert path.name.endswith(".csv") and "rfm_segments" in path.name
    downloaded = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [row["segment"] for row in downloaded] == [row["segment"] for row in rows]
    means = frame.groupby("rfm_segment")[["days_since_last_login", "watch_time_hours"]].mean()
    for shown, saved in zip(rows, downloaded, strict=True):
        segment = saved["segment"]
        assert int(saved["customers"]) == counts[segment]
        assert shown["customers"] == f"{int(saved['customers']):,}"
        assert shown["share_pct"] == f"{float(saved['share_pct']):,.1f}"
        assert float(saved["share_pct"]) == round(counts[segment] / len(frame) * 100, 1)
        assert float(saved["avg_recency_days"]) == round(
            means.loc[segment, "days_since_last_login"], 1
        )
        assert shown["avg_watch_hours"] == f"{means.loc[segment, 'watch_time_hours']:,.1f}"
    assert console_errors(dash_duo) == []
