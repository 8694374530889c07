"""Discount targets: the budget a campaign would cost before anything is sent.

The budget rule, per (segment, engagement) cell of treated (non-control) targets:

- A discount of d (a fraction) given to targets paying R a month costs d·R a month
  (the budget if every treated target takes the offer).
- It pays for itself when the revenue it keeps beats that cost: keeping a share s of
  the R at risk, each kept customer now paying (1 − d), brings s·(1 − d)·R, so the
  break-even save rate of a cell is s = d / (1 − d).
- Across cells (one save rate for the whole campaign) break-even is
  Σ d·R / Σ (1 − d)·R: each cell's d / (1 − d) weighted by the revenue it keeps net of
  the discount. A 100 % discount never breaks even (None).

Revenue R is the targets' monthly revenue; customers without one are priced at their
plan's monthly price (``plan_prices``, editable on the page; 9.99 for unknown plans).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import pandas as pd

from dashboard.analytics.discounts import DEFAULT_CONTROL_SHARE, table_from_records
from dashboard.components import formatting
from db.filters import NULL_TOKEN

LEVEL_KEYS: tuple[tuple[str, str], ...] = (
    ("Dormant", "High"),
    ("Dormant", "Medium"),
    ("Risky", "Medium"),
)
DEFAULT_PLAN_PRICES: dict[str, float] = {"Basic": 9.99, "Standard": 15.49, "Premium": 22.99}
UNKNOWN_PLAN_PRICE = 9.99
REASONS: tuple[tuple[str, str], ...] = (
    ("Dormant", "Dormant"),
    ("Risky", "Risky, medium engagement"),
)
BREAK_EVEN_SENTENCE = (
    "A discount of d on targets paying R a month costs d·R a month; it pays for itself when "
    "the share s of customers it keeps, now paying (1 − d)·R, brings more than that, so the "
    "break-even save rate is s = d / (1 − d) per cell, and Σ d·R / Σ (1 − d)·R overall."
)


def discount_levels(parameters: Mapping[str, Any] | None) -> dict[tuple[str, str], float]:
    """The run's discount table in percent by (segment, engagement), else the defaults."""
    return table_from_records((parameters or {}).get("discount_table"))


def control_share_pct(parameters: Mapping[str, Any] | None) -> float:
    """The run's control share in percent (10 % when the run does not say)."""
    try:
        return float((parameters or {}).get("control_share", DEFAULT_CONTROL_SHARE)) * 100
    except (TypeError, ValueError):
        return DEFAULT_CONTROL_SHARE * 100


def plan_price(plan: object, plan_prices: Mapping[str, float] | None) -> float:
    key = NULL_TOKEN if plan is None else str(plan)
    prices = plan_prices or {}
    if key in prices and prices[key] is not None:
        return float(prices[key])
    return DEFAULT_PLAN_PRICES.get(key, UNKNOWN_PLAN_PRICE)


def default_plan_prices(plans: list[str]) -> dict[str, float]:
    """Prefilled prices for the plans present (known list prices, else 9.99)."""
    return {plan: DEFAULT_PLAN_PRICES.get(plan, UNKNOWN_PLAN_PRICE) for plan in plans}


def plans_missing_revenue(cells: pd.DataFrame) -> list[str]:
    """Plans of treated targets that have no monthly revenue (these need a price)."""
    if cells.empty:
        return []
    missing = cells["customers"] - cells["monthly_revenue_count"]
    treated = ~cells["control_group"].astype(bool)
    plans = cells.loc[treated & (missing > 0), "plan"]
    return sorted({NULL_TOKEN if p is None else str(p) for p in plans})


@dataclass(frozen=True)
class BudgetCell:
    segment: str
    engagement_level: str
    customers: int
    revenue: float
    discount_pct: float
    cost: float
    break_even: float | None


@dataclass(frozen=True)
class Budget:
    """The campaign's monthly figures for the treated (non-control) filtered targets."""

    treated: int
    control: int
    revenue_at_risk: float
    monthly_cost: float
    break_even: float | None
    priced_customers: int  # treated targets whose revenue came from a plan price
    cells: tuple[BudgetCell, ...]


def break_even_rate(discount_fraction: float) -> float | None:
    """s = d / (1 − d): the save rate at which a discount d pays for itself."""
    if discount_fraction >= 1.0:
        return None
    return discount_fraction / (1.0 - discount_fraction)


def budget_summary(
    cells: pd.DataFrame,
    levels: Mapping[tuple[str, str], float],
    plan_prices: Mapping[str, float] | None = None,
) -> Budget:
    """Cost, revenue at risk and break-even save rate of the treated targets.

    ``cells`` has segment, engagement_level, control_group, plan, customers,
    monthly_revenue_sum and monthly_revenue_count (``aggregate`` of the filtered targets).
    ``levels`` maps (segment, engagement) to a discount in percent (missing = 0 %).
    """
    control = 0
    by_cell: dict[tuple[str, str], list[float]] = {}
    priced = 0
    for row in cells.itertuples(index=False):
        customers = int(row.customers)
        if bool(row.control_group):
            control += customers
            continue
        missing = customers - int(row.monthly_revenue_count)
        revenue = float(row.monthly_revenue_sum) + missing * plan_price(row.plan, plan_prices)
        priced += missing
        entry = by_cell.setdefault((str(row.segment), str(row.engagement_level)), [0, 0.0])
        entry[0] += customers
        entry[1] += revenue
    budget_cells = []
    for (segment, level), (customers, revenue) in sorted(by_cell.items()):
        pct = float(levels.get((segment, level), 0.0) or 0.0)
        fraction = pct / 100.0
        budget_cells.append(
            BudgetCell(
                segment=segment,
                engagement_level=level,
                customers=int(customers),
                revenue=revenue,
                discount_pct=pct,
                cost=fraction * revenue,
                break_even=break_even_rate(fraction),
            )
        )
    cost = sum(cell.cost for cell in budget_cells)
    revenue = sum(cell.revenue for cell in budget_cells)
    kept = sum((1.0 - cell.discount_pct / 100.0) * cell.revenue for cell in budget_cells)
    if any(cell.break_even is None and cell.revenue > 0 for cell in budget_cells):
        overall = None
    else:
        overall = cost / kept if kept > 0 else None
    return Budget(
        treated=sum(cell.customers for cell in budget_cells),
        control=control,
        revenue_at_risk=revenue,
        monthly_cost=cost,
        break_even=overall,
        priced_customers=priced,
        cells=tuple(budget_cells),
    )


def reason_summary(cells: pd.DataFrame, levels: Mapping[tuple[str, str], float]) -> pd.DataFrame:
    """Targets per reason: customers, treated, control and the discount levels used."""
    rows = []
    for segment, label in REASONS:
        part = cells[cells["segment"] == segment] if not cells.empty else cells
        customers = int(part["customers"].sum()) if not part.empty else 0
        control = (
            int(part.loc[part["control_group"].astype(bool), "customers"].sum())
            if not part.empty
            else 0
        )
        keys = [key for key in LEVEL_KEYS if key[0] == segment and key in levels]
        if len(keys) == 1:
            discount = f"{levels[keys[0]]:g} %"
        else:
            discount = " · ".join(f"{level} {levels[(seg, level)]:g} %" for seg, level in keys)
        rows.append(
            {
                "reason": label,
                "customers": customers,
                "treated": customers - control,
                "control": control,
                "discount": discount or "–",
            }
        )
    return pd.DataFrame(rows, columns=["reason", "customers", "treated", "control", "discount"])


def reason_table(frame: pd.DataFrame, grid_id: str) -> dag.AgGrid:
    """A small plain grid (two rows) of :func:`reason_summary`."""
    count = {"function": "d3.format(',')(params.value)"}
    return dag.AgGrid(
        id=grid_id,
        rowData=frame.to_dict("records"),
        columnDefs=[
            {
                "field": "reason",
                "headerName": "Reason",
                "flex": 2,
                "minWidth": 200,
            },
            {
                "field": "customers",
                "headerName": "Customers",
                "valueFormatter": count,
                "type": "rightAligned",
            },
            {
                "field": "treated",
                "headerName": "Treated",
                "valueFormatter": count,
                "type": "rightAligned",
            },
            {
                "field": "control",
                "headerName": "Control",
                "valueFormatter": count,
                "type": "rightAligned",
            },
            {"field": "discount", "headerName": "Discount"},
        ],
        defaultColDef={"flex": 1, "sortable": False, "resizable": True, "minWidth": 110},
        dashGridOptions={"domLayout": "autoHeight", "suppressCellFocus": True},
        style={"width": "100%"},
        className="ag-theme-alpine",
    )


def rate(value: float | None) -> str:
    """A save rate as a percentage, or why there is none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "never (100 % discount)"
    return formatting.share(value)


def cell_rows(budget: Budget) -> list[dict[str, Any]]:
    """The budget by cell as plain records for a small grid."""
    return [
        {
            "cell": f"{cell.segment} / {cell.engagement_level}",
            "customers": cell.customers,
            "revenue": round(cell.revenue, 2),
            "discount": f"{cell.discount_pct:g} %",
            "cost": round(cell.cost, 2),
            "break_even": rate(cell.break_even),
        }
        for cell in budget.cells
    ]


DOWNLOAD_LISTS = ("send-list", "control-list", "discount-targets")
DOWNLOAD_LABELS = {
    "send-list": "Send list",
    "control-list": "Control list",
    "discount-targets": "All targets + control flag",
}
DOWNLOAD_TITLES = {
    "send-list": "The targets to send the offer to: the control group is left out",
    "control-list": "The held-out control group: they must not get the offer",
    "discount-targets": "Every target with a control_group column (not for sending)",
}


def list_counts(cells: pd.DataFrame) -> dict[str, int]:
    """Rows of each target list, from budget cells grouped by control group."""
    if cells.empty:
        return dict.fromkeys(DOWNLOAD_LISTS, 0)
    held_out = cells["control_group"].astype(bool)
    control = int(cells.loc[held_out, "customers"].sum())
    send = int(cells.loc[~held_out, "customers"].sum())
    return {"send-list": send, "control-list": control, "discount-targets": send + control}


def download_buttons(urls: dict[str, str], counts: dict[str, int]) -> list[dbc.Button]:
    """Link buttons to the streamed lists, each with its row count; the send list stands out."""
    return [
        dbc.Button(
            f"{DOWNLOAD_LABELS[kind]} ({formatting.count(counts[kind])})",
            id=f"discounts-download-{kind}",
            href=urls[kind],
            external_link=True,
            color="primary" if kind == "send-list" else "secondary",
            outline=kind != "send-list",
            size="sm",
            className="text-nowrap",
            title=DOWNLOAD_TITLES[kind],
        )
        for kind in DOWNLOAD_LISTS
    ]


def preview_note(
    levels: Mapping[tuple[str, str], float],
    applied: Mapping[tuple[str, str], float],
    share_pct: float | None = None,
    applied_share_pct: float | None = None,
) -> str:
    """Say plainly when the page shows levels or a control share that nothing else uses yet."""
    changed = [key for key in LEVEL_KEYS if levels.get(key) != applied.get(key)]
    parts = [
        f"{s}/{e} {levels[(s, e)]:g} % (applied {applied.get((s, e), 0):g} %)" for s, e in changed
    ]
    share_changed = share_pct is not None and share_pct != applied_share_pct
    if share_changed:
        parts.append(f"control share {share_pct:g} % (applied {applied_share_pct:g} %)")
    if not parts:
        return ""
    counts = (
        " The treated and control counts below still split the targets at the applied share."
        if share_changed
        else ""
    )
    return (
        f"Preview only: {', '.join(parts)}. The target table, the send list and the messages "
        f"still use the applied levels until an analyst applies these.{counts}"
    )
