"""CSV exports of exactly the filtered customers, safe to open in a spreadsheet.

The command line (``python -m dashboard export customers``) and the streamed "Download CSV"
links write through :func:`customers_csv_chunks`, so they produce the same columns and the
same protection (:mod:`dashboard.components.csv_export`).
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import date
from typing import IO

import pandas as pd
from sqlalchemy import Engine

from dashboard.analytics.messaging import customer_action
from dashboard.components.csv_export import csv_chunks, neutralise_frame, write_chunks
from db.columns import CUSTOMER_COLUMNS
from db.filters import Filters
from db.queries import iter_customers, messaging_strategies


def prepare_customers(chunk: pd.DataFrame) -> pd.DataFrame:
    """A chunk of customer rows as the CSV shows them: yes/no flags, ISO dates, formula-safe."""
    chunk = chunk.copy()
    chunk["discount_target"] = chunk["discount_target"].map({True: "yes", False: "no"})
    chunk["control_group"] = chunk["control_group"].map({True: "yes", False: "no"})
    chunk["last_login"] = chunk["last_login"].map(
        lambda value: value.isoformat() if isinstance(value, date) else value, na_action="ignore"
    )
    return neutralise_frame(chunk)


# Rows per CSV piece: a few MB of text, so a download starts fast and a worker's memory
# stays small (50,000-row pieces held ~250 MB of pandas objects at once).
PIECE_ROWS = 10_000


MESSAGE_COLUMNS = ("message_headline", "message_text", "message_channel", "message_offer")
"""What a send list adds to each row: the one message for that customer, ready to send."""


def customers_csv_chunks(
    engine: Engine, run_id: int, filters: Filters
) -> Generator[tuple[str, int], None, None]:
    """The filtered customers of the run as CSV pieces (see :func:`csv_chunks`).

    A send list (``filters.control is False``) also carries each customer's rendered
    message (MESSAGE_COLUMNS), so the file can go to the email tool as it is.
    """
    chunks = iter_customers(engine, run_id, filters, chunk_rows=PIECE_ROWS)
    if filters.control is False:
        strategies = _rule_strategies(engine)
        frames = (prepare_customers(_with_messages(chunk, strategies)) for chunk in chunks)
        return csv_chunks(frames, (*CUSTOMER_COLUMNS, *MESSAGE_COLUMNS))
    return csv_chunks((prepare_customers(chunk) for chunk in chunks), CUSTOMER_COLUMNS)


def _rule_strategies(engine: Engine) -> dict[str, dict[str, str]]:
    frame = messaging_strategies(engine)
    rules = frame[frame["segment_kind"] == "rule"]
    return {str(row["segment"]): dict(row) for row in rules.to_dict("records")}


def _with_messages(chunk: pd.DataFrame, strategies: dict[str, dict[str, str]]) -> pd.DataFrame:
    """The chunk with the rendered message of each customer's one action."""
    actions = [
        customer_action(customer, strategies.get(str(customer["segment"])))
        for customer in chunk.to_dict("records")
    ]
    chunk = chunk.copy()
    chunk["message_headline"] = [action.headline for action in actions]
    chunk["message_text"] = [action.message for action in actions]
    chunk["message_channel"] = [action.channel for action in actions]
    chunk["message_offer"] = [action.offer for action in actions]
    return chunk


def write_customers_csv(engine: Engine, run_id: int, filters: Filters, out: IO[str]) -> int:
    """All filtered customers of the run, formula-safe; returns the row count."""
    return write_chunks(customers_csv_chunks(engine, run_id, filters), out)
