"""Audit events as an administrator reads them: times, who, what, and details as words."""

from __future__ import annotations

from typing import Any

import pandas as pd

# The details a reader looks for first, in this order; the rest follow alphabetically.
LEADING_KEYS = ("file", "reason", "dataset_id", "rows_loaded", "rows_rejected", "table", "rows")
KEY_WORDS = {"dataset_id": "data set", "already_loaded": "already loaded"}


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return ", ".join(f"{key} {_value_text(item)}" for key, item in sorted(value.items()))
    if isinstance(value, list | tuple):
        return ", ".join(_value_text(item) for item in value)
    return str(value)


def detail_text(detail: dict[str, Any] | None) -> str:
    """``file: export.csv · reason: … · data set: 3`` (empty values left out)."""
    if not detail:
        return ""
    present = {key: value for key, value in detail.items() if value not in (None, "", [], {})}
    keys = [key for key in LEADING_KEYS if key in present]
    keys += sorted(key for key in present if key not in LEADING_KEYS)
    return " · ".join(
        f"{KEY_WORDS.get(key, key.replace('_', ' '))}: {_value_text(present[key])}" for key in keys
    )


def event_rows(frame: pd.DataFrame) -> list[dict]:
    """Events as grid rows: times as text, details as words."""
    return [
        {
            "at": f"{row.at:%Y-%m-%d %H:%M:%S}" if row.at is not None else "",
            "username": row.username or "",
            "action": row.action.replace("_", " "),
            "outcome": row.outcome,
            "detail": detail_text(row.detail),
            "remote_addr": row.remote_addr or "",
        }
        for row in frame.itertuples(index=False)
    ]
