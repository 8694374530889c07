"""Money says which currency it is in: the file's own symbols, else the CURRENCY setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from dashboard.components import formatting
from dashboard.services.analysis import analyze_dataset
from dashboard.web.callback_client import CallbackClient
from db.ingest import IngestOptions, ingest_file
from db.queries import active_run, customer_profile
from tests.page_tree import text_of

ALL = {"dataset_id": None, "filters": {}}
HEADER = "customer_id,watch_time_hours,last_login,monthly_revenue,plan\n"


def _load(engine: Engine, tmp_path: Path, revenues: list[str]) -> int:
    lines = [
        f"{n},{1 + n % 7},2024-0{1 + n % 6}-15,{revenue},Basic"
        for n, revenue in enumerate(revenues, start=1)
    ]
    path = tmp_path / "export.csv"
    path.write_text(HEADER + "\n".join(lines) + "\n", encoding="utf-8")
    result = ingest_file(engine, path, IngestOptions(name="Priced export"))
    analyze_dataset(engine, result.dataset_id)
    return result.dataset_id


def test_the_most_written_currency_is_the_data_sets(engine: Engine, tmp_path: Path) -> None:
    revenues = ['"€12,99"', "9.99 EUR", "€8,50", "US$5", "7.00", "€1.234,50", "11"] * 6
    _load(engine, tmp_path, revenues)
    # € in 18 cells (US$ 6, EUR 6, none 12): the euro sign labels the money.
    assert active_run(engine).currency == "€"


def test_plain_numbers_name_no_currency(engine: Engine, tmp_path: Path) -> None:
    _load(engine, tmp_path, ["12.99", "9.99", "8.50", "5", "7", "1234.5"] * 7)
    assert active_run(engine).currency is None


@pytest.mark.parametrize(
    ("value", "currency", "text"),
    [
        (1234.5, "$", "$1,234.50"),
        (-5.0, "€", "-€5.00"),
        (1234.5, "CHF", "1,234.50 CHF"),
        (1234.5, None, "1,234.50"),
        (float("nan"), "$", "–"),
    ],
)
def test_money_text(value: float, currency: str | None, text: str) -> None:
    assert formatting.money(value, currency=currency) == text


def _budget_texts(callbacks: CallbackClient) -> tuple[str, str, str]:
    budget = callbacks.view("discounts-row-count.children", ALL)["discounts-budget"]["children"]
    return (
        text_of(budget, "discounts-kpi-revenue"),
        text_of(budget, "discounts-kpi-cost"),
        text_of(budget, "discounts-currency"),
    )


def test_discounts_and_lookup_show_the_files_currency(
    engine: Engine, tmp_path: Path, make_app
) -> None:
    _load(engine, tmp_path, ["$12.99", "$9.99", "$8.50", "$5.00", "$7.25", "$11.00"] * 7)
    callbacks = CallbackClient(make_app())
    revenue, cost, note = _budget_texts(callbacks)
    assert revenue.startswith("$") and cost.startswith("$")
    assert note == "Amounts in $, as export.csv writes its revenue."
    run = active_run(engine)
    profile = customer_profile(engine, run.run_id, "1")
    page = callbacks.view("lookup-result.children", ALL, {("lookup-customer-id", "value"): "1"})
    assert text_of(page["lookup-result"]["children"], "lookup-revenue") == formatting.money(
        profile["monthly_revenue"], currency="$"
    )


def test_the_currency_setting_wins_and_says_so(engine: Engine, tmp_path: Path, make_app) -> None:
    _load(engine, tmp_path, ["$12.99", "$9.99", "$8.50", "$5.00", "$7.25", "$11.00"] * 7)
    revenue, _cost, note = _budget_texts(CallbackClient(make_app(currency="EUR")))
    assert revenue.endswith(" EUR")
    assert note == "Amounts in EUR (the CURRENCY setting)."


def test_no_currency_is_stated(engine: Engine, tmp_path: Path, make_app) -> None:
    _load(engine, tmp_path, ["12.99", "9.99", "8.50", "5", "7", "11"] * 7)
    revenue, _cost, note = _budget_texts(CallbackClient(make_app()))
    assert revenue[0].isdigit()
    assert note == (
        "export.csv names no currency: amounts are plain numbers (set CURRENCY to label them)."
    )
