"""Customer lookup in a real browser: exact values for one customer, a clear not-found."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import dash
import pandas as pd
import pytest
from selenium.webdriver.common.keys import Keys
from sqlalchemy import text

from tests.browser.conftest import console_errors
from tests.browser.test_discounts import app_for_test


@pytest.fixture
def app(make_app: Callable[..., dash.Dash]) -> Iterator[dash.Dash]:
    yield from app_for_test(make_app)


def test_lookup_shows_profile_and_not_found(dash_duo, app, loaded_engine) -> None:
    with loaded_engine.connect() as connection:
        row = pd.read_sql_query(
            text("SELECT * FROM customer_results WHERE discount_target ORDER BY id LIMIT 1"),
            connection,
        ).iloc[0]
        strategy = connection.execute(
            text(
                "SELECT headline, offer FROM messaging_strategies "
                "WHERE segment_kind = 'rfm' AND segment = :segment"
            ),
            {"segment": row["rfm_segment"]},
        ).one()
        rule_headline = connection.execute(
            text(
                "SELECT headline FROM messaging_strategies "
                "WHERE segment_kind = 'rule' AND segment = :segment"
            ),
            {"segment": row["segment"]},
        ).scalar_one()
    dash_duo.start_server(app)
    # The filter bar's customer ID prefills the lookup.
    dash_duo.driver.get(f"{dash_duo.server_url}/customer?customer_id={row['customer_id']}")
    dash_duo.wait_for_text_to_equal("#lookup-watch-time", f"{row['watch_time_hours']:,.1f} h", 15)
    assert dash_duo.find_element("#lookup-customer-id").get_attribute("value") == row["customer_id"]
    expected = {
        "#lookup-days": f"{row['days_since_last_login']:,}",
        "#lookup-last-login": str(row["last_login"])[:10],
        "#lookup-plan": str(row["plan"]),
        "#lookup-segment": row["segment"],
        "#lookup-engagement": row["engagement_level"],
        "#lookup-rfm": f"{row['r_score']} / {row['f_score']} / {row['m_score']} / {row['fm_score']}",
        "#lookup-rfm-segment": row["rfm_segment"],
        "#lookup-cluster": f"{row['cluster']}: {row['cluster_name']}",
        "#lookup-target": "yes",
        "#lookup-discount": f"{row['discount_pct']:g} %",
        "#lookup-control": "yes" if row["control_group"] else "no",
        "#lookup-revenue": f"{row['monthly_revenue']:,.2f}",
        "#lookup-rule-headline": rule_headline,
        "#lookup-rfm-headline": strategy.headline,
    }
    for selector, value in expected.items():
        assert dash_duo.find_element(selector).text == value, selector
    assert dash_duo.find_element("#lookup-rfm-offer").text == f"Offer: {strategy.offer}"

    box = dash_duo.find_element("#lookup-customer-id")
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys("<b>nobody</b>", Keys.ENTER)
    dash_duo.wait_for_text_to_equal(
        "#lookup-not-found", "No customer with ID '<b>nobody</b>' in Browser sample", 15
    )
    assert console_errors(dash_duo) == []
