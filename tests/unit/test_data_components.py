"""Data page builders: upload summaries, the rejected-rows CSV, the data set rows."""

from __future__ import annotations

import csv
import io
from datetime import date

import pandas as pd

from dashboard.components.data import dataset_rows, rejected_csv, upload_summary

IDS = {
    "headline": "h",
    "loaded": "loaded",
    "rejected": "rejected",
    "reasons": "reasons",
    "download": "download",
    "show": "show",
    "refusal": "refusal",
}


def walk(component):
    """Every component in a Dash tree."""
    yield component
    children = getattr(component, "children", None)
    for child in children if isinstance(children, list | tuple) else [children]:
        if hasattr(child, "to_plotly_json"):
            yield from walk(child)


def by_id(tree, element_id):
    return next(c for c in walk(tree) if getattr(c, "id", None) == element_id)


def texts(component) -> list[str]:
    return [c.children for c in walk(component) if isinstance(getattr(c, "children", None), str)]


SUMMARY = {
    "ok": True,
    "already_loaded": False,
    "dataset_id": 3,
    "name": "January",
    "file": "january.csv",
    "rows_loaded": 12_345,
    "rows_rejected": 2,
    "rejected_by_reason": [
        {"reason": "missing last_login", "rows": 2},
        {"reason": "negative watch_time_hours", "rows": 1},
    ],
    "as_of": "2024-01-31",
    "run_id": 9,
    "customers": 12_345,
    "targets": 1_001,
}


def test_summary_shows_counts_reasons_and_both_buttons() -> None:
    tree = upload_summary(SUMMARY, IDS)
    assert by_id(tree, "h").children == "Loaded january.csv as data set 3 (January)."
    assert by_id(tree, "loaded").children == "12,345"
    assert by_id(tree, "rejected").children == "2"
    assert texts(by_id(tree, "reasons"))[2:] == [
        "missing last_login",
        "2",
        "negative watch_time_hours",
        "1",
    ]
    assert by_id(tree, "download").children == "Download rejected rows"
    assert by_id(tree, {"type": "show", "dataset": 3}).children == "Show this data set"
    assert "As of 2024-01-31 · 12,345 customers analysed, 1,001 discount targets" in texts(tree)
    assert "A row with several problems counts under each of them." in texts(tree)


def test_already_loaded_and_clean_file_have_no_download() -> None:
    summary = {**SUMMARY, "already_loaded": True, "rows_rejected": 0, "rejected_by_reason": []}
    tree = upload_summary(summary, IDS)
    assert by_id(tree, "h").children == (
        "january.csv was already loaded as data set 3 (January); nothing was changed."
    )
    assert all(getattr(c, "id", None) != "download" for c in walk(tree))


def test_refusal_is_plain_text_keeping_line_breaks() -> None:
    message = "missing required column(s): watch_time_hours\n  columns found: A, B"
    refusal = by_id(upload_summary({"ok": False, "message": message}, IDS), "refusal")
    assert refusal.children == message
    assert refusal.style == {"whiteSpace": "pre-wrap"}


def test_rejected_csv_is_formula_safe() -> None:
    frame = pd.DataFrame(
        {
            "line_number": [5, 9],
            "reason": ["missing last_login", "x"],
            "raw_line": ["=HYPERLINK(1),a", "@SUM(1),b"],
        }
    )
    rows = list(csv.reader(io.StringIO(rejected_csv(frame))))
    assert rows == [
        ["line", "reason", "raw line"],
        ["5", "missing last_login", "'=HYPERLINK(1),a"],
        ["9", "x", "'@SUM(1),b"],
    ]
    empty = rejected_csv(pd.DataFrame(columns=["line_number", "reason", "raw_line"]))
    assert empty == "line,reason,raw line\n"


def test_dataset_rows_mark_the_active_one() -> None:
    frame = pd.DataFrame(
        {
            "id": [2, 1],
            "name": ["B", "A"],
            "file": ["b.csv", "a.csv"],
            "as_of": [date(2024, 2, 1), date(2024, 1, 1)],
            "rows_loaded": [10, 2_000],
            "rows_rejected": [0, 3],
            "ingested_at": ["2026-11-21 10:00", "2026-11-20 09:00"],
        }
    )
    rows = dataset_rows(frame, active_id=1)
    assert [(r["id"], r["active"], r["as_of"]) for r in rows] == [
        (2, "", "2024-02-01"),
        (1, "Showing", "2024-01-01"),
    ]
    assert rows[1]["rows_loaded"] == 2_000


def test_chosen_columns_join_the_typed_column_names() -> None:
    from dashboard.components.data import merged_column_map

    typed = "Hours=watch_time_hours\nLast Payment=last_login\n"
    assert merged_column_map(typed, {"watch_time_hours": "Usage"}) == (
        "Last Payment=last_login\nUsage=watch_time_hours"
    )
    assert merged_column_map(None, {"customer_id": "Subscriber"}) == "Subscriber=customer_id"
