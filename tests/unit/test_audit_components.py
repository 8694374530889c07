"""The audit log reads as words: a refused upload names its file and reason."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from dashboard.components.audit import detail_text, event_rows


def test_a_refused_upload_reads_file_then_reason() -> None:
    detail = {"reason": "No column could be read as the customer ID.", "file": "odd.csv"}
    assert detail_text(detail) == (
        "file: odd.csv · reason: No column could be read as the customer ID."
    )


def test_details_as_words_empty_values_left_out() -> None:
    detail = {
        "rows": 1204,
        "table": "send_list",
        "dataset_id": 3,
        "targets_only": False,
        "filters": {"country": ["Canada", "USA"]},
        "note": None,
    }
    assert detail_text(detail) == (
        "data set: 3 · table: send_list · rows: 1,204 · filters: country Canada, USA"
        " · targets only: no"
    )
    assert detail_text(None) == detail_text({}) == ""


def test_event_rows() -> None:
    frame = pd.DataFrame(
        {
            "at": [datetime(2026, 12, 2, 6, 5, 4)],
            "username": [None],
            "action": ["manage_users"],
            "outcome": ["ok"],
            "detail": [{"user": "ana", "command": "add"}],
            "remote_addr": [None],
        }
    )
    assert event_rows(frame) == [
        {
            "at": "2026-12-02 06:05:04",
            "username": "",
            "action": "manage users",
            "outcome": "ok",
            "detail": "command: add · user: ana",
            "remote_addr": "",
        }
    ]
