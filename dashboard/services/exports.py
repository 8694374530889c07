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

from dashboard.components.csv_export import csv_chunks, neutralise_frame, write_chunks
from db.columns import CUSTOMER_COLUMNS
from db.filters import Filters
from db.queries import iter_customers


def _prepare(chunk: pd.DataFrame) -> pd.DataFrame:
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


def customers_csv_chunks(
    engine: Engine, run_id: int, filters: Filters
) -> Generator[tuple[str, int], None, None]:
    """The filtered customers of the run as CSV pieces (see :func:`csv_chunks`)."""
    chunks = iter_customers(engine, run_id, filters, chunk_rows=PIECE_ROWS)
    return csv_chunks((_prepare(chunk) for chunk in chunks), CUSTOMER_COLUMNS)


def write_customers_csv(engine: Engine, run_id: int, filters: Filters, out: IO[str]) -> int:
    """All filtered customers of the run, CUSTOMER_COLUMNS, formula-safe; returns the row count."""
    return write_chunks(customers_csv_chunks(engine, run_id, filters), out)
