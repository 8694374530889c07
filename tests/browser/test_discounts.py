"""Discounts in a real browser: the paged target grid, its CSV and the budget, against SQL."""

from __future__ import annotations

import csv
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import dash
import pandas as pd
import pytest
from dash.testing.wait import until
from selenium.webdriver.common.keys import Keys
from sqlalchemy import Engine, text

from tests.browser.conftest import console_errors

PLAN_PRICES = {"Basic": 9.99, "Standard": 15.49, "Premium": 22.99}
LEVELS = {("Dormant", "High"): 10.0, ("Dormant", "Medium"): 15.0, ("Risky", "Medium"): 20.0}
FIRST_ROWS_JS = """
const api = dash_ag_grid.getApi('discounts-grid');
const ids = [];
for (let i = 0; i < arguments[0]; i++) {
    const node = api.getDisplayedRowAtIndex(i);
    if (!node || !node.data) return null;
    ids.push(node.data.customer_id);
}
return ids;
"""


def app_for_test(make_app: Callable[..., dash.Dash]) -> Iterator[dash.Dash]:
    """The app for one test (``make_app`` disposes its database pool afterwards)."""
    yield make_app()


@pytest.fixture
def app(make_app: Callable[..., dash.Dash]) -> Iterator[dash.Dash]:
    yield from app_for_test(make_app)


def targets(engine: Engine, where: str = "1 = 1") -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql_query(
            text(
                "SELECT id, customer_id, segment, engagement_level, plan, monthly_revenue, "
                "control_group FROM customer_results "
                f"WHERE discount_target AND {where} ORDER BY id"
            ),
            connection,
        )


def wait_for_first_page(dash_duo, expected: list[str]) -> None:
    until(
        lambda: dash_duo.driver.execute_script(FIRST_ROWS_JS, len(expected)) == expected,
        timeout=15,
        msg=f"grid's first rows never became {expected}",
    )


def expected_cost(frame: pd.DataFrame, levels: dict[tuple[str, str], float]) -> str:
    treated = frame[~frame["control_group"].astype(bool)]
    revenue = treated["monthly_revenue"].fillna(treated["plan"].map(PLAN_PRICES).fillna(9.99))
    pct = [
        levels[(s, e)] for s, e in zip(treated["segment"], treated["engagement_level"], strict=True)
    ]
    return f"{float((revenue * pd.Series(pct, index=treated.index) / 100).sum()):,.2f}"


def test_target_grid_pages_and_follows_filters(dash_duo, app, loaded_engine) -> None:
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/discounts")
    everyone = targets(loaded_engine)
    dash_duo.wait_for_text_to_equal("#discounts-row-count", f"{len(everyone):,} targets", 15)
    wait_for_first_page(dash_duo, everyone["customer_id"].head(12).tolist())

    dash_duo.select_dcc_dropdown("#filter-gender", value="Female")
    women = targets(loaded_engine, "gender = 'Female'")
    dash_duo.wait_for_text_to_equal("#discounts-row-count", f"{len(women):,} targets", 15)
    wait_for_first_page(dash_duo, women["customer_id"].head(12).tolist())

    # Sorting by a header asks the server for a new first page.
    dash_duo.find_element(
        '.ag-header-cell[col-id="watch_time_hours"] .ag-header-cell-label'
    ).click()
    with loaded_engine.connect() as connection:
        by_hours = pd.read_sql_query(
            text(
                "SELECT customer_id FROM customer_results WHERE discount_target AND "
                "gender = 'Female' ORDER BY watch_time_hours, id LIMIT 5"
            ),
            connection,
        )
    wait_for_first_page(dash_duo, by_hours["customer_id"].tolist())
    assert console_errors(dash_duo) == []


def test_download_and_budget_follow_the_targets(dash_duo, app, loaded_engine) -> None:
    dash_duo.start_server(app)
    dash_duo.driver.get(dash_duo.server_url + "/discounts?plan=Basic")
    basic = targets(loaded_engine, "plan = 'Basic'")
    dash_duo.wait_for_text_to_equal("#discounts-row-count", f"{len(basic):,} targets", 15)
    dash_duo.wait_for_text_to_equal("#discounts-kpi-cost", expected_cost(basic, LEVELS), 15)

    sent = basic[~basic["control_group"].astype(bool)]
    dash_duo.wait_for_text_to_equal(
        "#discounts-download-send-list", f"Send list ({len(sent):,})", 15
    )
    dash_duo.find_element("#discounts-download-send-list").click()
    folder = Path(dash_duo.download_path)
    deadline = time.time() + 15
    files: list[Path] = []
    while time.time() < deadline:
        files = [p for p in folder.glob("*.csv") if not p.name.endswith(".crdownload")]
        if files:
            break
        time.sleep(0.2)
    assert len(files) == 1 and "_send_list_" in files[0].name
    with files[0].open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["customer_id"] for row in rows] == sent["customer_id"].tolist()
    assert {row["discount_target"] for row in rows} == {"yes"}
    assert {row["control_group"] for row in rows} == {"no"}  # never the hold-out

    level = dash_duo.find_elements("#discounts-levels input")[2]  # Risky / Medium
    level.send_keys(Keys.CONTROL, "a")
    level.send_keys("30", Keys.ENTER)
    changed = {**LEVELS, ("Risky", "Medium"): 30.0}
    dash_duo.wait_for_text_to_equal("#discounts-kpi-cost", expected_cost(basic, changed), 15)
    share = dash_duo.find_element("#discounts-control-share")
    share.send_keys(Keys.CONTROL, "a")
    share.send_keys("25", Keys.ENTER)
    until(
        lambda: dash_duo.find_element("#discounts-preview-note").text.startswith(
            "Preview only: Risky/Medium 30 % (applied 20 %), control share 25 % (applied 10 %)."
        ),
        timeout=10,
    )
    # Applying makes a new run with 30 % and a 25 % hold-out: the table and the lists follow
    # and the preview note goes.
    dash_duo.find_element("#discounts-apply").click()
    dash_duo.wait_for_contains_text("#discounts-apply-message-text", "Applied:", timeout=60)
    until(lambda: dash_duo.find_element("#discounts-preview-note").text == "", timeout=15)
    with loaded_engine.connect() as connection:
        risky = (
            connection.execute(
                text(
                    "SELECT DISTINCT discount_pct FROM customer_results "
                    "WHERE discount_target AND segment = 'Risky'"
                )
            )
            .scalars()
            .all()
        )
    assert risky == [30.0]
    basic = targets(loaded_engine, "plan = 'Basic'")
    assert dash_duo.find_element("#discounts-control-share").get_attribute("value") == "25"
    sent = basic[~basic["control_group"].astype(bool)]
    dash_duo.wait_for_text_to_equal(
        "#discounts-download-send-list", f"Send list ({len(sent):,})", 15
    )
    dash_duo.wait_for_text_to_equal("#discounts-kpi-cost", expected_cost(basic, changed), 15)

    # An old link: a data set that is gone and a country this one lacks are named on screen,
    # and the send list's link is exactly the view shown.
    dash_duo.driver.get(
        dash_duo.server_url + "/discounts?dataset=987654&country=Atlantis&plan=Basic"
    )
    with loaded_engine.connect() as connection:
        dataset_id = connection.execute(text("SELECT id FROM datasets")).scalar_one()
    dash_duo.wait_for_text_to_equal(
        "#view-notice",
        f"There is no analysed data set 987654: showing Browser sample (data set {dataset_id}). "
        "Country 'Atlantis' is not in Browser sample, so the view leaves it out.",
        15,
    )
    dash_duo.wait_for_text_to_equal("#discounts-row-count", f"{len(basic):,} targets", 15)
    link = dash_duo.find_element("#discounts-download-send-list").get_attribute("href")
    assert link.endswith(f"/download/send-list.csv?dataset={dataset_id}&plan=Basic")
    until(lambda: "Atlantis" not in dash_duo.driver.current_url, timeout=10)
    assert console_errors(dash_duo) == []
