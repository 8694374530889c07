"""Segments page in a real browser: per-segment counts and rules follow the filters exactly."""

from __future__ import annotations

from dash.testing import wait
from sqlalchemy import Engine, text

from dashboard.analytics.segments import SEGMENT_ORDER
from dashboard.components.segments import segment_rules
from db.queries import active_run
from tests.browser.conftest import console_errors, start_app


def expected_counts(engine: Engine, where: str = "1 = 1") -> dict[str, str]:
    """Customers per rule segment, counted independently in SQL (0 where absent)."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT segment, COUNT(*) FROM customer_results WHERE {where} GROUP BY segment")
        ).all()
    counts = dict.fromkeys(SEGMENT_ORDER, 0) | {segment: count for segment, count in rows}
    return {segment: f"{count:,}" for segment, count in counts.items()}


def assert_counts(dash_duo, counts: dict[str, str]) -> None:
    for segment, value in counts.items():
        dash_duo.wait_for_text_to_equal(f"#segments-count-{segment}", value, timeout=15)


def box_sizes(dash_duo) -> list | None:
    """[segment, number of customers] per box of the watch-time box plot.

    Read from ``_fullData``, where Plotly has decoded the binary arrays the server sends.
    """
    return dash_duo.driver.execute_script(
        "const plot = document.querySelector('#segments-watch-box .js-plotly-plot');"
        "return plot && plot._fullData ? plot._fullData.map(t => [t.name, t.y.length]) : null;"
    )


def test_segment_counts_rules_and_sample_note(dash_duo, make_app, loaded_engine) -> None:
    start_app(dash_duo, make_app())
    dash_duo.driver.get(dash_duo.server_url + "/segments")
    assert_counts(dash_duo, expected_counts(loaded_engine))
    with loaded_engine.connect() as connection:
        total = connection.execute(text("SELECT COUNT(*) FROM customer_results")).scalar_one()
    dash_duo.wait_for_text_to_equal(
        "#segments-sample-note", f"All {total:,} filtered customers.", timeout=10
    )

    rules = segment_rules(active_run(loaded_engine).thresholds)
    cards = dash_duo.find_element("#segments-cards").text
    for rule in rules.values():
        assert rule in cards

    dash_duo.driver.get(
        dash_duo.server_url + "/segments?plan=Premium&segment=Dormant&segment=Risky"
    )
    where = "plan = 'Premium' AND segment IN ('Dormant', 'Risky')"
    counts = expected_counts(loaded_engine, where)
    assert counts["Loyal"] == counts["Casual"] == "0"
    assert_counts(dash_duo, counts)

    expected_boxes = [[s, int(counts[s].replace(",", ""))] for s in ("Dormant", "Risky")]
    wait.until(lambda: box_sizes(dash_duo) == expected_boxes, timeout=10)
    assert console_errors(dash_duo) == []
