"""Migration page in a real browser: a click on a matrix cell lists that cell's customers
and its download holds exactly them."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from sqlalchemy import Engine

from dashboard.services.series import join_series
from tests.browser.conftest import console_errors, start_app
from tests.browser.test_rfm import downloaded_csv, poll
from tests.integration.test_series import load

CELL_IN_VIEWPORT = """
const gd = document.querySelector('#migration-heatmap .js-plotly-plot');
gd.scrollIntoView({block: 'center'});
const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
const box = gd.getBoundingClientRect();
return [box.left + xa._offset + xa.c2p(xa.d2c(arguments[0])),
        box.top + ya._offset + ya.c2p(ya.d2c(arguments[1]))];
"""


@pytest.fixture
def base_series(loaded_engine: Engine, tmp_path: Path) -> dict[str, int]:
    """The hand-made jan/feb/mar snapshots (tests/integration/test_series.py) as series Base."""
    ids = {month: load(loaded_engine, tmp_path, month) for month in ("jan", "feb", "mar")}
    for month in ids:
        join_series(loaded_engine, ids[month], "Base")
    return ids


@pytest.mark.usefixtures("base_series")
def test_a_clicked_cell_downloads_exactly_its_customers(dash_duo, make_app) -> None:
    start_app(dash_duo, make_app())
    dash_duo.driver.get(dash_duo.server_url + "/migration")
    heatmap_rows = "return document.querySelector('#migration-heatmap .js-plotly-plot').data[0].y"
    expected_rows = ["Loyal", "Casual", "Dormant", "Risky", "new"]
    assert poll(lambda: dash_duo.driver.execute_script(heatmap_rows), expected_rows) == (
        expected_rows
    )

    x, y = dash_duo.driver.execute_script(CELL_IN_VIEWPORT, "gone", "Risky")
    actions = ActionBuilder(dash_duo.driver)
    actions.pointer_action.move_to_location(int(x), int(y)).click()
    actions.perform()
    title = "Risky → gone: 2 customers"
    assert poll(lambda: dash_duo.find_element("#migration-cell-title").text, title) == title

    dash_duo.find_element("#migration-cell-download").click()
    path = downloaded_csv(dash_duo)
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert [(row["customer_id"], row["segment"]) for row in rows] == [
        ("B", "Risky"),
        ("D", "Risky"),
    ]
    assert console_errors(dash_duo) == []


TREND_LINES = """
const plots = document.querySelectorAll('#overview-trend .js-plotly-plot');
return Array.from(plots, gd => gd.data.map(t => [t.name, t.x, t.y]));
"""


@pytest.mark.usefixtures("base_series")
def test_the_overview_trend_section_draws_each_snapshot_under_the_filters(
    dash_duo, make_app
) -> None:
    start_app(dash_duo, make_app())
    dash_duo.driver.get(dash_duo.server_url + "/")
    dates = ["2024-01-31", "2024-02-29", "2024-03-31"]

    def customers_lines():
        plots = dash_duo.driver.execute_script(TREND_LINES)
        return plots[0] if len(plots) == 2 else None

    everyone = [
        ["Gone since the previous snapshot", dates, [None, 2, 2]],
        ["Customers", dates, [6, 6, 6]],
    ]
    assert poll(customers_lines, everyone) == everyone
    kpis = dash_duo.find_element("#overview-kpis").text
    assert "since 2024-02-29" in kpis

    dash_duo.driver.get(dash_duo.server_url + "/?gender=Female")
    women = [
        ["Gone since the previous snapshot", dates, [None, 0, 1]],
        ["Customers", dates, [3, 4, 4]],
    ]
    assert poll(customers_lines, women) == women
    assert console_errors(dash_duo) == []
