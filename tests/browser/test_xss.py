"""Data values are text, never markup: a customer named like an attack shows as written."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from dashboard.services.analysis import analyze_dataset
from db.ingest import ingest_file
from tests.browser.conftest import console_errors

HOSTILE_NAME = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
HEADER = "Customer ID,Name,Gender,Country,Plan,Last Login,Watch Time Hours,Visits\n"


def test_html_in_names_is_shown_as_text(dash_duo, make_app, engine: Engine, tmp_path: Path) -> None:
    rows = [
        f'X1,"{HOSTILE_NAME.replace(chr(34), chr(34) * 2)}",F,<b>Land</b>,Basic,2024-06-01,2,1',
        "X2,Plain Name,M,Spain,Basic,2024-03-01,50,9",
        "X3,Other Name,F,Spain,Premium,2024-06-30,90,12",
    ]
    path = tmp_path / "hostile.csv"
    path.write_text(HEADER + "\n".join(rows) + "\n")
    analyze_dataset(engine, ingest_file(engine, path).dataset_id)

    dash_duo.start_server(make_app())
    dash_duo.driver.get(f"{dash_duo.server_url}/customer?customer_id=X1")
    dash_duo.wait_for_contains_text("#lookup-result", HOSTILE_NAME, timeout=15)
    page_text = dash_duo.find_element("#lookup-result").text
    assert HOSTILE_NAME in page_text
    assert "<b>Land</b>" in page_text
    assert dash_duo.driver.execute_script("return window.__xss === undefined")
    assert dash_duo.driver.find_elements("css selector", "#lookup-result img") == []
    # The country filter offers the value as text too.
    dash_duo.driver.get(f"{dash_duo.server_url}/")
    dash_duo.wait_for_text_to_equal("#kpi-customers", "3", timeout=15)
    assert dash_duo.driver.execute_script("return window.__xss === undefined")
    assert console_errors(dash_duo) == []
