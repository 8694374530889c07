"""Overview in a real browser: KPIs follow the filters exactly, the URL carries them."""

from __future__ import annotations

import pandas as pd
from dash.testing.wait import until
from sqlalchemy import Engine, text

from tests.browser.conftest import console_errors


def expected(engine: Engine, where: str = "1 = 1") -> dict[str, str]:
    """KPI texts computed independently from the stored customer rows."""
    with engine.connect() as connection:
        frame = pd.read_sql_query(
            text(
                "SELECT segment, watch_time_hours, visit_frequency, discount_target "
                f"FROM customer_results WHERE {where}"
            ),
            connection,
        )
    customers = len(frame)
    return {
        "customers": f"{customers:,}",
        "watch": f"{frame['watch_time_hours'].mean():,.1f} h",
        "visits": f"{frame['visit_frequency'].mean():,.1f}",
        "targets": f"{int(frame['discount_target'].astype(bool).sum()):,}",
        "risky": f"{(frame['segment'] == 'Risky').mean() * 100:,.1f} %",
    }


def assert_kpis(dash_duo, values: dict[str, str]) -> None:
    dash_duo.wait_for_text_to_equal("#kpi-customers", values["customers"], timeout=15)
    for key in ("watch", "visits", "targets", "risky"):
        dash_duo.wait_for_text_to_equal(f"#kpi-{key}", values[key], timeout=10)


def test_overview_kpis_follow_filters_and_url(dash_duo, make_app, loaded_engine) -> None:
    dash_duo.start_server(make_app())
    assert_kpis(dash_duo, expected(loaded_engine))

    dash_duo.select_dcc_dropdown("#filter-gender", value="Female")
    assert_kpis(dash_duo, expected(loaded_engine, "gender = 'Female'"))
    assert "gender=Female" in dash_duo.driver.current_url

    dash_duo.select_dcc_dropdown("#filter-segment", value="Dormant")
    both = "gender = 'Female' AND segment = 'Dormant'"
    assert_kpis(dash_duo, expected(loaded_engine, both))

    # A link with the filters reproduces the view in a fresh page load.
    dash_duo.driver.get(dash_duo.server_url + "/?plan=Premium&country=Germany")
    assert_kpis(dash_duo, expected(loaded_engine, "plan = 'Premium' AND country = 'Germany'"))

    dash_duo.find_element("#filter-reset").click()
    assert_kpis(dash_duo, expected(loaded_engine))
    assert console_errors(dash_duo) == []


def test_a_phone_sees_numbers_first_and_unfolds_menu_and_filters(
    dash_duo, make_app, loaded_engine
) -> None:
    dash_duo.start_server(make_app())
    dash_duo.driver.set_window_size(390, 844)
    dash_duo.driver.get(dash_duo.server_url + "/discounts?plan=Basic")
    dash_duo.wait_for_element("#discounts-row-count", timeout=15)
    height = dash_duo.driver.execute_script("return window.innerHeight")
    width = dash_duo.driver.execute_script("return document.documentElement.clientWidth")
    page_width = dash_duo.driver.execute_script("return document.documentElement.scrollWidth")
    assert page_width <= width  # tables scroll inside their cards, the page does not
    assert not dash_duo.find_element("#nav").is_displayed()
    assert not dash_duo.find_element("#filter-plan").is_displayed()

    dash_duo.find_element("#filter-toggle").click()
    dash_duo.wait_for_element("#filter-plan", timeout=5)
    until_shown(dash_duo, "#filter-plan")
    dash_duo.find_element("#nav-toggle").click()
    until_shown(dash_duo, "#nav")
    dash_duo.find_element("#nav a[href='/?plan=Basic']").click()  # the filters travel along
    assert_kpis(dash_duo, expected(loaded_engine, "plan = 'Basic'"))
    first_number = dash_duo.find_element("#kpi-customers").location["y"]
    assert first_number < height, f"first number at y={first_number}, screen {height} high"
    assert not dash_duo.find_element("#nav").is_displayed()  # folded again after the move
    assert console_errors(dash_duo) == []


def until_shown(dash_duo, selector: str) -> None:
    until(lambda: dash_duo.find_element(selector).is_displayed(), timeout=5)


def test_a_filter_change_keeps_the_page_and_history_replays_every_view(
    dash_duo, make_app, loaded_engine
) -> None:
    """A filter change redraws the numbers, not the page; back, forward and the nav links
    each show the view their URL names."""
    dash_duo.start_server(make_app())
    assert_kpis(dash_duo, expected(loaded_engine))
    treemap = dash_duo.find_element("#overview-treemap")

    dash_duo.select_dcc_dropdown("#filter-gender", value="Female")
    assert_kpis(dash_duo, expected(loaded_engine, "gender = 'Female'"))
    dash_duo.select_dcc_dropdown("#filter-segment", value="Dormant")
    both = "gender = 'Female' AND segment = 'Dormant'"
    assert_kpis(dash_duo, expected(loaded_engine, both))
    assert treemap.is_displayed()  # the same element: the page was not drawn again
    until(
        lambda: (
            dash_duo.find_element("#nav a[href^='/segments']").get_attribute("href")
            == dash_duo.server_url + "/segments?gender=Female&segment=Dormant"
        ),
        timeout=5,
    )

    dash_duo.driver.back()
    assert_kpis(dash_duo, expected(loaded_engine, "gender = 'Female'"))
    assert dash_duo.driver.current_url == dash_duo.server_url + "/?gender=Female"
    assert dropdown_text(dash_duo, "#filter-segment") == ""
    dash_duo.driver.back()
    assert_kpis(dash_duo, expected(loaded_engine))
    assert dropdown_text(dash_duo, "#filter-gender") == ""
    dash_duo.driver.forward()
    assert_kpis(dash_duo, expected(loaded_engine, "gender = 'Female'"))
    assert dropdown_text(dash_duo, "#filter-gender") == "Female"

    dash_duo.find_element("#nav a[href^='/segments']").click()
    until(lambda: dash_duo.driver.current_url.endswith("/segments?gender=Female"), timeout=10)
    dash_duo.driver.back()
    assert_kpis(dash_duo, expected(loaded_engine, "gender = 'Female'"))
    assert console_errors(dash_duo) == []


def dropdown_text(dash_duo, selector: str) -> str:
    """The chosen values a dropdown shows (its placeholder "All" when none)."""
    until(lambda: dash_duo.find_element(selector).text.strip() != "", timeout=5)
    text = dash_duo.find_element(selector).text.strip()
    return "" if text == "All" else text
