"""Segments page in a real browser: the box plots draw exactly the filtered segments."""

from __future__ import annotations

from dash.testing import wait
from sqlalchemy import Engine, text

from dashboard.analytics.segments import SEGMENT_ORDER
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


def test_box_plots_draw_the_filtered_segments(dash_duo, make_app, loaded_engine) -> None:
    """Counts, rules and the sample note are checked over HTTP (test_pages_http.py); what only
    a browser shows is that Plotly draws one box per filtered segment with every customer."""
    start_app(dash_duo, make_app())
    dash_duo.driver.get(
        dash_duo.server_url + "/segments?plan=Premium&segment=Dormant&segment=Risky"
    )
    where = "plan = 'Premium' AND segment IN ('Dormant', 'Risky')"
    counts = expected_counts(loaded_engine, where)
    assert_counts(dash_duo, counts)
    expected_boxes = [[s, int(counts[s].replace(",", ""))] for s in ("Dormant", "Risky")]
    wait.until(lambda: box_sizes(dash_duo) == expected_boxes, timeout=10)
    assert console_errors(dash_duo) == []
