"""One page of a server-side customer table, as AG Grid's infinite row model asks for it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Engine

from dashboard.components.grid import page_bounds, rows_response, sort_from_request, wanted_columns
from db.filters import Filters
from db.queries import count_customers, customer_page


def grid_rows(
    engine: Engine,
    run_id: int,
    filters: Filters,
    request: Mapping[str, Any] | None,
    columns: Sequence[str],
    total: int | None = None,
) -> dict[str, Any]:
    """The getRowsResponse for a getRowsRequest: one page of rows and the filtered total.

    The sort follows the request (ties broken by row id, so pages never overlap); ``total``
    skips the count when the caller already knows it.
    """
    start, end = page_bounds(request)
    wanted = wanted_columns(columns)
    sort = sort_from_request(request, wanted)
    page = customer_page(engine, run_id, filters, start, end, sort=sort, columns=wanted)
    if total is None:
        total = count_customers(engine, run_id, filters)
    return rows_response(page, wanted, total)
