"""The Migration page through the HTTP callback interface and its cell download, on the
hand-made series of tests/integration/test_series.py (cells pinned there by hand)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import Engine

from dashboard.services.series import join_series
from dashboard.web.callback_client import CallbackClient
from tests.integration.test_series import load
from tests.page_tree import text_of, visible_text

ALL = {"dataset_id": None, "filters": {}}


@pytest.fixture
def series_ids(engine: Engine, tmp_path: Path) -> dict[str, int]:
    ids = {month: load(engine, tmp_path, month) for month in ("jan", "feb", "mar")}
    for month in ids:
        join_series(engine, ids[month], "Base")
    return ids


def heatmap_cells(figure: dict) -> dict[tuple[str, str], int]:
    trace = figure["data"][0]
    return {
        (row, column): count
        for row, counts in zip(trace["y"], trace["customdata"], strict=True)
        for column, count in zip(trace["x"], counts, strict=True)
        if count
    }


def test_the_latest_two_snapshots_by_default_and_any_earlier_one_on_request(
    series_ids, callbacks: CallbackClient
) -> None:
    options = callbacks.view("migration-previous.options", ALL)["migration-previous"]
    assert [o["value"] for o in options["options"]] == [series_ids["feb"], series_ids["jan"]]
    assert options["value"] == series_ids["feb"]

    shown = callbacks.view(
        "migration-summary.children", ALL, {("migration-previous", "value"): series_ids["feb"]}
    )
    assert text_of(shown["migration-summary"]["children"], "migration-summary-text") == (
        f"Series Base: 2024-02-29 (data set {series_ids['feb']}, 6 customers) → 2024-03-31 "
        f"(data set {series_ids['mar']}, 6 customers); 2 new, 2 gone."
    )
    assert heatmap_cells(shown["migration-heatmap"]["figure"]) == {
        ("Loyal", "Loyal"): 2,
        ("Casual", "Casual"): 1,
        ("Risky", "Casual"): 1,
        ("Risky", "gone"): 2,
        ("new", "Risky"): 2,
    }
    churn = visible_text(shown["migration-churn"]["children"])
    assert churn.startswith("Risky left at 67 %, 2.0× the base rate of 33 %.")

    january = callbacks.view(
        "migration-heatmap.figure", ALL, {("migration-previous", "value"): series_ids["jan"]}
    )
    assert heatmap_cells(january["migration-heatmap"]["figure"]) == {
        ("Loyal", "Loyal"): 1,
        ("Casual", "Loyal"): 1,
        ("Loyal", "gone"): 1,
        ("Dormant", "gone"): 1,
        ("Risky", "gone"): 2,
        ("new", "Casual"): 2,
        ("new", "Risky"): 2,
    }


def test_filters_apply_to_the_matrix(series_ids, callbacks: CallbackClient) -> None:
    men = {"dataset_id": None, "filters": {"gender": ["Male"]}}
    shown = callbacks.view(
        "migration-heatmap.figure", men, {("migration-previous", "value"): series_ids["feb"]}
    )
    # February -> March, men: D gone (previous value), H Risky -> Casual, J new -> Risky.
    assert heatmap_cells(shown["migration-heatmap"]["figure"]) == {
        ("Risky", "gone"): 1,
        ("Risky", "Casual"): 1,
        ("new", "Risky"): 1,
    }


def test_a_clicked_cell_lists_and_downloads_exactly_its_customers(
    series_ids, callbacks: CallbackClient
) -> None:
    click = {"points": [{"x": "gone", "y": "Risky", "customdata": 2}]}
    values = {
        ("migration-heatmap", "clickData"): click,
        ("migration-previous", "value"): series_ids["feb"],
        ("migration-kind", "value"): "rule",
    }
    shown = callbacks.call(
        "migration-cell.children", values, changed=["migration-heatmap.clickData"]
    )
    assert shown["migration-cell-title"]["children"] == "Risky → gone: 2 customers"
    table = shown["migration-cell"]["children"]
    assert [row[0] for row in _rows(table)] == ["B", "D"]
    href = shown["migration-cell-download"]["href"]
    response = callbacks.client.get(href)
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [(r["customer_id"], r["segment"]) for r in rows] == [("B", "Risky"), ("D", "Risky")]

    bogus = href.replace("from=Risky", "from=Bogus")
    refused = callbacks.client.get(bogus)
    assert refused.status_code == 400
    assert "--from must be one of" in refused.get_data(as_text=True)


def test_a_data_set_outside_any_series_says_how_to_get_one(
    engine: Engine, tmp_path: Path, callbacks: CallbackClient
) -> None:
    load(engine, tmp_path, "jan")
    shown = callbacks.view("migration-summary.children", ALL)
    assert "is not part of a series" in visible_text(shown["migration-summary"]["children"])


def _rows(table: dict) -> list[list[str]]:
    body = table[0]["props"]["children"][1]
    return [
        [visible_text(cell) for cell in row["props"]["children"]]
        for row in body["props"]["children"]
    ]


def test_the_customer_lookup_shows_the_segment_in_each_snapshot(
    series_ids, callbacks: CallbackClient
) -> None:
    def history(customer_id: str) -> str:
        shown = callbacks.call(
            "lookup-result.children", {("lookup-customer-id", "value"): customer_id}
        )
        return visible_text(
            next(
                node
                for node in _nodes(shown["lookup-result"]["children"])
                if node.get("props", {}).get("id") == "lookup-history"
            )
        )

    assert history("C") == (
        "SnapshotSegmentRFM segment"
        "2024-01-31CasualHibernating"  # 10 h, 21 days: Medium, active
        "2024-02-29LoyalChampions"
        "2024-03-31LoyalChampions"
    )
    assert history("G").startswith(
        "SnapshotSegmentRFM segment2024-01-31not in this snapshotnot in this snapshot"
        "2024-02-29Casual"
    )


def _nodes(tree):
    if isinstance(tree, dict):
        yield tree
        yield from _nodes(tree.get("props", {}).get("children"))
    elif isinstance(tree, list):
        for item in tree:
            yield from _nodes(item)


def test_trends_per_snapshot_under_the_filters(series_ids, engine: Engine) -> None:
    from dashboard.services.series import series_trend
    from db.filters import Filters

    info, frame = series_trend(engine, series_ids["mar"])
    assert info.name == "Base"
    assert frame["customers"].tolist() == [6, 6, 6]
    assert frame["gone"].tolist()[1:] == [2, 2]
    assert frame["churn_rate"].tolist()[1:] == [0.5, 2 / 6]
    assert frame["share:Risky"].tolist() == [2 / 6, 3 / 6, 2 / 6]
    assert frame["avg_watch"].tolist() == [11.0, 11.0, 11.0]

    _, women = series_trend(engine, series_ids["mar"], Filters(gender=("Female",)))
    assert women["customers"].tolist() == [3, 4, 4]  # A B C; + G; - B + I
    assert women["gone"].tolist()[1:] == [0, 1]


def test_overview_kpis_say_the_change_since_the_previous_snapshot(
    series_ids, callbacks: CallbackClient
) -> None:
    tree = callbacks.view("overview-kpis.children", ALL)["overview-kpis"]["children"]
    shown = visible_text(tree)
    assert "2 customers · ▼ 16.7 pts since 2024-02-29" in shown  # Risky 50 % -> 33.3 %
    assert "= 0 since 2024-02-29" in shown  # six customers in both
    trend = callbacks.view("overview-trend.children", ALL)["overview-trend"]["children"]
    assert "Series Base: 3 snapshots" in visible_text(trend)

    page = callbacks.view("trends-summary.children", ALL)
    assert text_of(page["trends-summary"]["children"], "trends-summary-text") == (
        "Series Base: 3 analysed snapshots, 2024-01-31 to 2024-03-31."
    )
    customers = page["trends-customers"]["figure"]["data"]
    assert customers[0]["y"] == [None, 2, 2]  # gone
    assert customers[1]["y"] == [6.0, 6.0, 6.0]


def test_an_analyst_freezes_the_clicked_cell_as_a_campaign(
    series_ids, callbacks: CallbackClient, engine: Engine
) -> None:
    from sqlalchemy import text

    values = {
        ("migration-heatmap", "clickData"): {"points": [{"x": "Risky", "y": "new"}]},
        ("migration-previous", "value"): series_ids["feb"],
        ("migration-kind", "value"): "rule",
        ("migration-freeze-name", "value"): "march sign-ups at risk",
        ("migration-freeze", "n_clicks"): 1,
    }
    shown = callbacks.call(
        "migration-freeze-message.children", values, changed=["migration-freeze.n_clicks"]
    )
    assert visible_text(shown["migration-freeze-message"]["children"]).startswith(
        "Campaign 'march sign-ups at risk' frozen: 2 customers of new → Risky"
    )
    with engine.connect() as connection:
        members = (
            connection.execute(
                text("SELECT customer_id FROM campaign_members ORDER BY customer_id")
            )
            .scalars()
            .all()
        )
    assert members == ["I", "J"]
    gone = {**values, ("migration-heatmap", "clickData"): {"points": [{"x": "gone", "y": "Risky"}]}}
    gone[("migration-freeze-name", "value")] = "another"
    refused = callbacks.call(
        "migration-freeze-message.children", gone, changed=["migration-freeze.n_clicks"]
    )
    assert "The gone are not in the current snapshot" in visible_text(
        refused["migration-freeze-message"]["children"]
    )


def test_cohorts_need_join_dates(series_ids, callbacks: CallbackClient) -> None:
    shown = callbacks.view("trends-cohorts.children", ALL)["trends-cohorts"]["children"]
    assert visible_text(shown).startswith("No cohort to show: this needs a series with join dates")
