"""Messaging in a real browser: reach equals SQL counts under a filter; edits persist."""

from __future__ import annotations

from selenium.webdriver.common.keys import Keys
from sqlalchemy import Engine, text

from tests.browser.conftest import console_errors, start_app


def reach_from_sql(engine: Engine, where: str = "1 = 1") -> dict[str, str]:
    """Customers per rule and per RFM segment, counted straight from customer_results."""
    expected: dict[str, str] = {}
    with engine.connect() as connection:
        for kind, column in (("rule", "segment"), ("rfm", "rfm_segment")):
            rows = connection.execute(
                text(
                    f"SELECT {column}, count(*) FROM customer_results WHERE {where} "
                    f"GROUP BY {column}"
                )
            ).all()
            expected.update({f"{kind}/{segment}": f"{count:,}" for segment, count in rows})
        strategies = connection.execute(
            text("SELECT segment_kind, segment FROM messaging_strategies")
        ).all()
    return {
        f"{kind}/{segment}": expected.get(f"{kind}/{segment}", "0") for kind, segment in strategies
    }


def cell(row_id: str, column: str) -> str:
    return (
        f'#messaging-grid .ag-center-cols-container .ag-row[row-id="{row_id}"] [col-id="{column}"]'
    )


def assert_reach(dash_duo, expected: dict[str, str]) -> None:
    for row_id, value in expected.items():
        dash_duo.wait_for_text_to_equal(cell(row_id, "reaches"), value, timeout=10)


def test_reach_follows_filters_and_edits_persist(dash_duo, make_app, loaded_engine) -> None:
    start_app(dash_duo, make_app())
    dash_duo.wait_for_page(dash_duo.server_url + "/messaging")
    assert_reach(dash_duo, reach_from_sql(loaded_engine))
    rows = dash_duo.find_elements("#messaging-grid .ag-center-cols-container .ag-row")
    assert len(rows) == len(reach_from_sql(loaded_engine))

    dash_duo.select_dcc_dropdown("#filter-plan", value="Premium")
    assert_reach(dash_duo, reach_from_sql(loaded_engine, "plan = 'Premium'"))

    # Edit a headline: it is saved to the database and survives a reload.
    new_headline = "=Come back for 3 months at 20 % off"
    dash_duo.find_element(cell("rule/Dormant", "headline")).click()
    editor = dash_duo.wait_for_element(f"{cell('rule/Dormant', 'headline')} input")
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(new_headline, Keys.ENTER)
    dash_duo.wait_for_text_to_equal("#messaging-saved", "Saved: Dormant · headline.")
    with loaded_engine.connect() as connection:
        stored = connection.execute(
            text(
                "SELECT headline, updated_by FROM messaging_strategies "
                "WHERE segment_kind = 'rule' AND segment = 'Dormant'"
            )
        ).one()
    assert tuple(stored) == (new_headline, "local")  # the local demo user (sign-in off)

    dash_duo.driver.refresh()
    dash_duo.wait_for_text_to_equal(cell("rule/Dormant", "headline"), new_headline, timeout=15)
    assert console_errors(dash_duo) == []
