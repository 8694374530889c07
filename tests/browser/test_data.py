"""Data page in a real browser: upload (background job), its exact summary, and switching data sets."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta
from pathlib import Path

from selenium.webdriver.common.keys import Keys
from sqlalchemy import Engine, text

from tests.browser.conftest import console_errors, start_app

HEADER = "Customer ID,Name,Gender,Country,Plan,Join Date,Last Login,Watch Time Hours,Visits,Monthly Revenue\n"
GOOD = (
    "C1,Ann,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\n"
    "C2,Bob,M,FR,Premium,2023-02-01,2024-01-12,12.5,4,2\n"
    "C3,Cy,F,US,Standard,2023-03-01,2024-01-02,0.5,0,3\n"
)
BAD = (
    "C5,=HYPERLINK(1),F,DE,Basic,2023-01-01,2024-01-01,abc,1,1\n"
    "C6,Y,F,DE,Basic,2023-01-01,,-2.5,1,1\n"
)
UPLOAD_INPUT = "#data-upload input[type=file]"


def upload(dash_duo, path: Path) -> None:
    dash_duo.wait_for_element("#data-upload")
    dash_duo.find_element(UPLOAD_INPUT).send_keys(str(path))


def wait_for_file(folder: Path, timeout: float = 10) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in Path(folder).glob("*.csv") if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.1)
    raise AssertionError("no download arrived")


def header_label(engine: Engine, dataset_id: int) -> str:
    with engine.connect() as connection:
        name, as_of = connection.execute(
            text(
                "SELECT d.name, r.as_of_date FROM datasets d JOIN analysis_runs r "
                "ON r.dataset_id = d.id WHERE d.id = :d AND r.status = 'complete'"
            ),
            {"d": dataset_id},
        ).one()
    return f"{name} · as of {date.fromisoformat(str(as_of)[:10]):%d %b %Y}"


def test_upload_shows_exact_summary_and_switches_data_set(
    dash_duo, make_app, loaded_engine, tmp_path
) -> None:
    path = tmp_path / "january.csv"
    path.write_text(HEADER + GOOD + BAD)
    with loaded_engine.connect() as connection:
        first_id = connection.execute(text("SELECT id FROM datasets")).scalar_one()
    start_app(dash_duo, make_app())
    dash_duo.wait_for_page(dash_duo.server_url + "/data?plan=Basic")
    dash_duo.wait_for_text_to_equal("#dataset-label", header_label(loaded_engine, first_id))
    upload(dash_duo, path)

    dash_duo.wait_for_text_to_equal("#data-summary-loaded", "3", timeout=30)
    with loaded_engine.connect() as connection:
        new_id, loaded, rejected = connection.execute(
            text("SELECT id, rows_loaded, rows_rejected FROM datasets WHERE name = 'january.csv'")
        ).one()
        reasons = connection.execute(
            text("SELECT reason FROM rejected_rows WHERE dataset_id = :d ORDER BY line_number"),
            {"d": new_id},
        ).scalars()
        runs = connection.execute(
            text("SELECT count(*) FROM analysis_runs WHERE dataset_id = :d"), {"d": new_id}
        ).scalar_one()
        reasons = list(reasons)
    assert (loaded, rejected, runs) == (3, 2, 1)
    assert reasons == [
        "invalid number in watch_time_hours: 'abc'",
        "negative watch_time_hours: '-2.5'; missing last_login",
    ]
    assert dash_duo.find_element("#data-summary-rejected").text == "2"
    assert dash_duo.find_element("#data-summary-headline").text == (
        f"Loaded january.csv as data set {new_id} (january.csv)."
    )
    table_rows = [
        [cell.text for cell in row.find_elements("css selector", "td")]
        for row in dash_duo.find_elements("#data-summary-reasons tbody tr")
    ]
    assert table_rows == [
        ["invalid number in watch_time_hours", "1"],
        ["missing last_login", "1"],
        ["negative watch_time_hours", "1"],
    ]

    # Rejected rows download: line, reason, raw line; the formula cell is neutralised.
    dash_duo.find_element("#data-summary-download").click()
    rows = list(csv.reader(io.StringIO(wait_for_file(dash_duo.download_path).read_text())))
    assert rows[0] == ["line", "reason", "raw line"]
    assert [row[0] for row in rows[1:]] == ["5", "6"]
    assert rows[1][2] == "C5,=HYPERLINK(1),F,DE,Basic,2023-01-01,2024-01-01,abc,1,1"
    assert rows[2][1] == reasons[1]

    # The new data set is listed; showing it changes the header for every page.
    dash_duo.wait_for_element(f'#data-datasets .ag-row[row-id="{new_id}"]')
    dash_duo.find_element("#data-summary button.btn-primary").click()
    dash_duo.wait_for_text_to_equal("#dataset-label", header_label(loaded_engine, new_id))
    assert f"dataset={new_id}" in dash_duo.driver.current_url
    assert "plan=Basic" in dash_duo.driver.current_url
    dash_duo.wait_for_text_to_equal(
        f'#data-datasets .ag-row[row-id="{new_id}"] [col-id="active"]', "Showing"
    )

    # Back to the first one through the list.
    first_row = f'#data-datasets .ag-row[row-id="{first_id}"]'
    dash_duo.find_element(f'{first_row} [col-id="name"]').click()
    dash_duo.wait_for_element(f"{first_row}.ag-row-selected")
    dash_duo.find_element("#data-show").click()
    dash_duo.wait_for_text_to_equal("#dataset-label", header_label(loaded_engine, first_id))
    assert f"dataset={first_id}" in dash_duo.driver.current_url
    assert "plan=Basic" in dash_duo.driver.current_url
    assert console_errors(dash_duo) == []


def test_a_file_without_a_known_column_is_mapped_on_the_page_and_loads(
    dash_duo, make_app, loaded_engine, tmp_path
) -> None:
    """No command-line words: the page offers the file's columns, with sample values, for the
    missing field, and loads the file again with the one chosen."""
    path = tmp_path / "usage.csv"
    path.write_text(
        "Customer ID,Name,Last Login,Usage\nC1,Ann,2024-01-10,30\nC2,Bob,2024-01-12,4.5\n"
    )
    start_app(dash_duo, make_app())
    dash_duo.wait_for_page(dash_duo.server_url + "/data")
    upload(dash_duo, path)
    dash_duo.wait_for_text_to_equal(
        "#data-summary-refusal",
        "usage.csv has no column the loader recognises for the watch time (hours, or minutes). "
        "Choose the column that holds it below, then load the file again.",
        timeout=30,
    )
    assert "--map" not in dash_duo.find_element("#data-summary").text
    assert "Traceback" not in dash_duo.find_element("#data-summary").text
    form = dash_duo.find_element("#data-map-form").text
    assert "Column with the watch time (hours, or minutes)" in form
    assert "Usage — e.g. 30, 4.5" in form  # preselected: the column whose values fit
    dash_duo.find_element("#data-map-apply").click()
    dash_duo.wait_for_text_to_equal("#data-summary-loaded", "2", timeout=60)
    assert (
        dash_duo.find_element("#data-column-map").get_attribute("value") == "Usage=watch_time_hours"
    )
    with loaded_engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM datasets")).scalar_one() == 2
    assert console_errors(dash_duo) == []


def test_analysing_again_with_another_as_of_and_k(dash_duo, make_app, loaded_engine) -> None:
    with loaded_engine.connect() as connection:
        dataset_id, as_of = connection.execute(
            text("SELECT dataset_id, as_of_date FROM analysis_runs")
        ).one()
    later = date.fromisoformat(str(as_of)[:10]) + timedelta(days=10)

    start_app(dash_duo, make_app())
    dash_duo.wait_for_page(dash_duo.server_url + "/data")
    row = f'#data-datasets .ag-row[row-id="{dataset_id}"]'
    dash_duo.find_element(f'{row} [col-id="name"]').click()
    dash_duo.wait_for_element(f"{row}.ag-row-selected")
    dash_duo.find_element("#data-reanalyse-as-of").send_keys(later.isoformat())
    k_input = dash_duo.find_element("#data-reanalyse-k")
    k_input.send_keys(Keys.CONTROL, "a")
    k_input.send_keys("3")
    dash_duo.find_element("#data-reanalyse").click()
    message = dash_duo.wait_for_element("#data-reanalysis-message-text", timeout=60).text

    with loaded_engine.connect() as connection:
        run_id, k_used, new_as_of = connection.execute(
            text("SELECT id, k_used, as_of_date FROM analysis_runs")
        ).one()
        audit = (
            connection.execute(text("SELECT outcome FROM audit_events WHERE action = 'analyze'"))
            .scalars()
            .all()
        )
    assert (k_used, str(new_as_of)[:10]) == (3, later.isoformat())
    assert message.startswith(
        f"Analysis run {run_id} of data set {dataset_id} as of {later.isoformat()}: 2,000 customers"
    )
    assert audit == ["ok"]
    # Every page now shows the new run.
    dash_duo.driver.get(dash_duo.server_url + "/")
    dash_duo.wait_for_text_to_equal("#dataset-label", header_label(loaded_engine, dataset_id))
    assert f"{later:%d %b %Y}" in dash_duo.find_element("#dataset-label").text
    assert console_errors(dash_duo) == []
