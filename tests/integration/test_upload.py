"""The upload job on a real database: exact counts, an analysis run, and nothing written on refusal."""

from __future__ import annotations

import base64

from sqlalchemy import Engine, text

from dashboard.services.uploads import decoded_size, parse_map_text, run_upload
from db.queries import active_run, rejected_rows

HEADER = "Customer ID,Name,Gender,Country,Plan,Join Date,Last Login,Watch Time Hours,Visits,Monthly Revenue\n"
GOOD = (
    "C1,Ann,F,DE,Basic,2023-01-01,2024-01-10,5,1,1\n"
    "C2,Bob,M,FR,Premium,2023-02-01,2024-01-12,12.5,4,2\n"
    "C3,Cy,F,US,Standard,2023-03-01,2024-01-02,0.5,0,3\n"
    "C4,Di,M,DE,Basic,2023-04-01,2023-11-20,40,9,1\n"
)
BAD = (
    "C5,X,F,DE,Basic,2023-01-01,2024-01-01,abc,1,1\n"
    "C6,Y,F,DE,Basic,2023-01-01,2024-01-01,-2.5,1,1\n"
    "C7,Z,F,DE,Basic,2023-01-01,,7,1,1\n"
    "C1,Ann,F,DE,Basic,2023-01-01,2023-12-10,5,1,1\n"
)
MISSING_WATCH_TIME = "Customer ID,Name,Last Login\nC1,Ann,2024-01-10\nC2,Bob,2024-01-12\n"


def data_url(text_body: str) -> str:
    return "data:text/csv;base64," + base64.b64encode(text_body.encode()).decode()


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("datasets", "customers", "rejected_rows", "analysis_runs")
        }


NOTHING = {"datasets": 0, "customers": 0, "rejected_rows": 0, "analysis_runs": 0}


def test_good_file_is_loaded_and_analysed_with_exact_counts(engine: Engine) -> None:
    progress: list[str] = []
    summary = run_upload(
        engine,
        data_url(HEADER + GOOD + BAD),
        "C:\\Users\\me\\export.csv",
        max_bytes=10_000,
        name="  January export ",
        on_progress=progress.append,
    )

    assert summary["ok"] is True and summary["already_loaded"] is False
    assert (summary["file"], summary["name"]) == ("export.csv", "January export")
    assert (summary["rows_loaded"], summary["rows_rejected"]) == (4, 4)
    assert summary["rejected_by_reason"] == [
        {"reason": "duplicate customer_id", "rows": 1},
        {"reason": "invalid number in watch_time_hours", "rows": 1},
        {"reason": "missing last_login", "rows": 1},
        {"reason": "negative watch_time_hours", "rows": 1},
    ]
    assert summary["as_of"] == "2024-01-12"
    run = active_run(engine, summary["dataset_id"])
    assert run is not None and run.run_id == summary["run_id"]
    assert (summary["customers"], run.customers) == (4, 4)
    assert counts(engine) == {"datasets": 1, "customers": 4, "rejected_rows": 4, "analysis_runs": 1}
    frame = rejected_rows(engine, summary["dataset_id"])
    assert frame["line_number"].tolist() == [6, 7, 8, 9]
    assert any(text_.startswith("Reading rows") for text_ in progress)
    assert progress[-1] == "Analysing 4 customers…"


def test_refused_file_gives_the_loaders_message_and_writes_nothing(engine: Engine) -> None:
    summary = run_upload(engine, data_url(MISSING_WATCH_TIME), "no_hours.csv", max_bytes=10_000)
    assert summary["ok"] is False
    assert summary["message"] == (
        "no_hours.csv has no column the loader recognises for the watch time (hours, or "
        "minutes). Choose the column that holds it below, then load the file again."
    )
    assert [item["field"] for item in summary["missing"]] == ["watch_time_hours"]
    assert "--map" not in summary["message"] and "Traceback" not in summary["message"]
    assert counts(engine) == NOTHING


def test_file_over_the_limit_is_refused_before_decoding_and_writes_nothing(engine: Engine) -> None:
    body = HEADER + GOOD
    summary = run_upload(engine, data_url(body), "big.csv", max_bytes=len(body) - 1)
    assert summary == {
        "ok": False,
        "message": (
            f"big.csv is {len(body) / 2**20:,.1f} MB, above the {(len(body) - 1) / 2**20:,.1f} MB "
            "upload limit.\nLoad big files with the command line instead: "
            "python -m dashboard ingest FILE (or raise MAX_UPLOAD_MB)."
        ),
    }
    assert counts(engine) == NOTHING


def test_same_file_twice_says_already_loaded_and_changes_nothing(engine: Engine) -> None:
    first = run_upload(engine, data_url(HEADER + GOOD), "a.csv", max_bytes=10_000)
    before = counts(engine)
    second = run_upload(engine, data_url(HEADER + GOOD), "copy.csv", max_bytes=10_000)
    assert second["ok"] is True and second["already_loaded"] is True
    assert second["dataset_id"] == first["dataset_id"]
    assert second["run_id"] == first["run_id"]
    assert "already loaded" in second["message"]
    assert counts(engine) == before


def test_map_lines_make_a_refused_file_load(engine: Engine) -> None:
    body = (
        "User ID,Plan,Last Payment,Hours Streamed\n1,Basic,2024-01-02,3.5\n2,Premium,2024-02-03,1\n"
    )
    summary = run_upload(
        engine,
        data_url(body),
        "bi.csv",
        max_bytes=10_000,
        map_text="Hours Streamed=watch_time_hours\n\n Last Payment = last_login \n",
    )
    assert (summary["ok"], summary["rows_loaded"], summary["rows_rejected"]) == (True, 2, 0)


def test_a_bad_map_line_is_refused_with_its_message(engine: Engine) -> None:
    summary = run_upload(engine, data_url(HEADER + GOOD), "a.csv", max_bytes=10_000, map_text="x")
    assert summary["ok"] is False and "not of the form 'Header=field'" in summary["message"]
    assert counts(engine) == NOTHING


def test_decoded_size_and_map_parsing() -> None:
    for raw in (b"", b"a", b"ab", b"abc", b"abcd" * 100):
        assert decoded_size(base64.b64encode(raw).decode()) == len(raw)
    assert parse_map_text(None) == {}
    assert parse_map_text("A=last_login\nB = watch time hours") == {
        "A": "last_login",
        "B": "watch_time_hours",
    }


def test_missing_columns_come_back_as_choices_in_the_pages_words(engine: Engine) -> None:
    body = "Customer ID,Name,Last Login,Usage\nC1,Ann,2024-01-10,30\nC2,Bob,2024-01-12,4.5\n"
    summary = run_upload(engine, data_url(body), "usage.csv", max_bytes=10_000)
    assert summary == {
        "ok": False,
        "message": "usage.csv has no column the loader recognises for the watch time (hours, "
        "or minutes). Choose the column that holds it below, then load the file again.",
        "missing": [
            {
                "field": "watch_time_hours",
                "label": "the watch time (hours, or minutes)",
                "suggested": "Usage",
            }
        ],
        "columns": [
            {"name": "Customer ID", "samples": ["C1", "C2"]},
            {"name": "Name", "samples": ["Ann", "Bob"]},
            {"name": "Last Login", "samples": ["2024-01-10", "2024-01-12"]},
            {"name": "Usage", "samples": ["30", "4.5"]},
        ],
    }
    assert counts(engine) == NOTHING
    loaded = run_upload(
        engine, data_url(body), "usage.csv", max_bytes=10_000, map_text="Usage=watch_time_hours"
    )
    assert (loaded["ok"], loaded["rows_loaded"]) == (True, 2)
