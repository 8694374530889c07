"""A server-side-paged customer table: AG Grid's infinite row model over ``customer_results``.

The browser never holds more than the blocks it is scrolled to. The grid asks for rows
with ``getRowsRequest`` ({startRow, endRow, sortModel}); the page's callback reads one page
(:func:`dashboard.services.customer_grid.grid_rows`) and :func:`rows_response` shapes it with
the filtered total, so the grid knows where the table ends.
When the filters change outside the grid, :data:`PURGE_JS` (a clientside callback) empties
the grid's cache so it asks again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import dash_ag_grid as dag
import pandas as pd

from db.columns import CUSTOMER_COLUMNS

BLOCK_SIZE = 100
MAX_BLOCK = 1000  # customer_page never returns more rows than this per request

_MISSING = "params.value == null"
FORMATTERS: dict[str, str] = {
    "count": f"{_MISSING} ? '–' : d3.format(',')(params.value)",
    "number": f"{_MISSING} ? '–' : d3.format(',.1f')(params.value)",
    "hours": f"{_MISSING} ? '–' : d3.format(',.1f')(params.value) + ' h'",
    "days": f"{_MISSING} ? '–' : d3.format(',')(params.value)",
    "pct": f"{_MISSING} ? '–' : d3.format(',.1~f')(params.value) + ' %'",
    "money": f"{_MISSING} ? '–' : d3.format(',.2f')(params.value)",
    "flag": f"{_MISSING} ? '–' : (params.value ? 'yes' : 'no')",
}
NUMERIC_KINDS = {"count", "number", "hours", "days", "pct", "money"}

PURGE_JS = """
function(store, gridId) {
    if (window.dash_ag_grid && window.dash_ag_grid.getApiAsync) {
        window.dash_ag_grid.getApiAsync(gridId).then(function(api) {
            api.purgeInfiniteCache();
        }).catch(function() {});
    }
    return window.dash_clientside.no_update;
}
"""
"""Clientside callback body: (VIEW_STORE data, grid id) -> purge the grid's row cache."""


@dataclass(frozen=True)
class GridColumn:
    """One column: the customer_results field, its header and how its values read."""

    field: str
    header: str
    kind: str = "text"  # text | count | number | hours | days | pct | money | flag
    width: int | None = None


def column_defs(columns: Sequence[GridColumn]) -> list[dict[str, Any]]:
    """AG Grid column definitions: formatted numbers, right-aligned, sortable."""
    defs: list[dict[str, Any]] = []
    for column in columns:
        if column.field not in CUSTOMER_COLUMNS:
            raise ValueError(f"{column.field!r} is not a customer column")
        definition: dict[str, Any] = {
            "field": column.field,
            "headerName": column.header,
            "sortable": True,
        }
        if column.kind in FORMATTERS:
            definition["valueFormatter"] = {"function": FORMATTERS[column.kind]}
        if column.kind in NUMERIC_KINDS:
            definition["type"] = "rightAligned"
        if column.width:
            definition["minWidth"] = column.width
        defs.append(definition)
    return defs


def customer_grid(grid_id: str, columns: Sequence[GridColumn], height: int = 460) -> dag.AgGrid:
    """An empty infinite-model grid; rows arrive through the page's getRowsRequest callback."""
    return dag.AgGrid(
        id=grid_id,
        columnDefs=column_defs(columns),
        defaultColDef={"resizable": True, "filter": False, "flex": 1, "minWidth": 110},
        rowModelType="infinite",
        dashGridOptions={
            "cacheBlockSize": BLOCK_SIZE,
            "maxBlocksInCache": 10,
            "infiniteInitialRowCount": 1,
            "rowBuffer": 10,
            "animateRows": False,
            "suppressMultiSort": True,
        },
        style={"height": f"{height}px", "width": "100%"},
        className="ag-theme-alpine",
    )


def sort_from_request(
    request: Mapping[str, Any] | None, allowed: Sequence[str]
) -> list[tuple[str, str]]:
    """The request's sortModel as (column, "asc"|"desc") pairs, unknown columns dropped."""
    pairs: list[tuple[str, str]] = []
    for item in (request or {}).get("sortModel") or []:
        column = item.get("colId")
        direction = "desc" if item.get("sort") == "desc" else "asc"
        if column in allowed:
            pairs.append((column, direction))
    return pairs


def _cell(value: Any) -> Any:
    """A JSON-friendly cell: ISO dates, None for missing, plain Python numbers."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def page_bounds(request: Mapping[str, Any] | None) -> tuple[int, int]:
    """(start, end) rows of a getRowsRequest, clamped to a page of at most MAX_BLOCK rows."""
    request = request or {}
    start = max(0, int(request.get("startRow") or 0))
    end = int(request.get("endRow") or start + BLOCK_SIZE)
    return start, max(start, min(end, start + MAX_BLOCK))


def wanted_columns(columns: Sequence[str]) -> list[str]:
    """The grid's columns with ``customer_id`` first (rows are identified by it)."""
    return list(dict.fromkeys(["customer_id", *columns]))


def rows_response(page: pd.DataFrame, columns: Sequence[str], total: int) -> dict[str, Any]:
    """The getRowsResponse: the page's rows as JSON-friendly dicts and the filtered total."""
    rows = [
        {column: _cell(value) for column, value in zip(columns, record, strict=True)}
        for record in page.itertuples(index=False, name=None)
    ]
    return {"rowData": rows, "rowCount": total}
