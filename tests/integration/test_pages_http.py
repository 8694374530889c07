"""Page logic through the HTTP callback interface: what a manager reads, without a browser.

Each test posts the requests the browser posts (``POST /_dash-update-component``, see
:mod:`dashboard.web.callback_client`) and checks the texts the page would show against
counts computed independently in SQL. Drawing, clicks and downloads stay in tests/browser.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from dashboard import ids
from dashboard.analytics.segments import SEGMENT_ORDER
from dashboard.components import formatting
from dashboard.components.segments import segment_rules
from dashboard.services.analysis import analyze_dataset
from dashboard.services.sample_data import write_csv
from dashboard.web.callback_client import CallbackClient
from db.ingest import IngestOptions, ingest_file
from db.queries import active_run
from db.session import StatementCounter
from tests.page_tree import find, text_of, visible_text

ALL = {"dataset_id": None, "filters": {}}


def view(**filters: object) -> dict:
    return {"dataset_id": None, "filters": filters}


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Engine:
    """The database under test with one analysed data set of 2,000 generated customers."""
    path = tmp_path / "customers.csv"
    write_csv(path, rows=2_000, seed=11)
    analyze_dataset(engine, ingest_file(engine, path, IngestOptions(name="HTTP sample")).dataset_id)
    return engine


@pytest.fixture
def client(loaded: Engine, callbacks: CallbackClient) -> CallbackClient:
    return callbacks


def frame_of(engine: Engine, where: str = "1 = 1") -> pd.DataFrame:
    with engine.connect() as connection:
        return pd.read_sql_query(
            text(f"SELECT * FROM customer_results WHERE {where} ORDER BY id"), connection
        )


def expected_kpis(engine: Engine, where: str = "1 = 1") -> dict[str, str]:
    """KPI texts computed independently from the stored customer rows."""
    frame = frame_of(engine, where)
    return {
        "kpi-customers": f"{len(frame):,}",
        "kpi-watch": f"{frame['watch_time_hours'].mean():,.1f} h",
        "kpi-visits": f"{frame['visit_frequency'].mean():,.1f}",
        "kpi-targets": f"{int(frame['discount_target'].astype(bool).sum()):,}",
        "kpi-risky": f"{(frame['segment'] == 'Risky').mean() * 100:,.1f} %",
    }


@pytest.mark.parametrize(
    ("filters", "where"),
    [
        ({}, "1 = 1"),
        ({"gender": ["Female"]}, "gender = 'Female'"),
        (
            {"gender": ["Female"], "segment": ["Dormant"]},
            "gender = 'Female' AND segment = 'Dormant'",
        ),
        ({"plan": ["Premium"], "country": ["Germany"]}, "plan = 'Premium' AND country = 'Germany'"),
    ],
)
def test_overview_kpis_equal_sql_under_filters(client, loaded, filters, where) -> None:
    tree = client.view("overview-kpis.children", view(**filters))["overview-kpis"]["children"]
    shown = {key: text_of(tree, key) for key in expected_kpis(loaded, where)}
    assert shown == expected_kpis(loaded, where)


def test_a_filter_change_costs_few_statements(client, loaded) -> None:
    """Overview KPIs in one aggregate, the Discounts targets and budget in one; every
    callback resolves the run with one small query (its description is cached by run id).
    The KPIs also ask, in one small query, for the snapshot before (a series' change notes)."""
    engine = client.app.server.extensions["dashboard_engine"]
    filtered = view(gender=["Female"], segment=["Dormant", "Risky"])
    client.view("overview-kpis.children", ALL)  # warm: run description and filter options
    counts = {}
    for output in (
        "overview-kpis.children",
        "overview-treemap.figure",
        "discounts-row-count.children",
        "filter-count.children",
    ):
        with StatementCounter(engine) as counter:
            client.view(output, filtered)
        counts[output] = counter.count
    assert counts == {
        "overview-kpis.children": 3,
        "overview-treemap.figure": 2,
        "discounts-row-count.children": 2,
        "filter-count.children": 2,
    }


def test_discount_targets_and_budget_arrive_together(client, loaded) -> None:
    response = client.view("discounts-row-count.children", view(plan=["Basic"]))
    targets = frame_of(loaded, "discount_target AND plan = 'Basic'")
    assert response["discounts-row-count"]["children"] == f"{len(targets):,} targets"
    # The budget comes in the same answer, at the run's discount levels (no second request).
    treated = targets[~targets["control_group"].astype(bool)]
    cost = (treated["discount_pct"] / 100 * treated["monthly_revenue"]).sum()
    budget = response["discounts-budget"]["children"]
    assert text_of(budget, "discounts-kpi-cost") == formatting.money(cost)
    assert text_of(budget, "discounts-kpi-revenue") == formatting.money(
        treated["monthly_revenue"].sum()
    )
    grid = find(response["discounts-reasons"]["children"], "discounts-reason-grid")
    assert sum(row["customers"] for row in grid["props"]["rowData"]) == len(targets)

    # The send list leads, each list with its row count and a link to exactly those rows.
    buttons = response["discounts-downloads"]["children"]
    control = int(targets["control_group"].astype(bool).sum())
    dataset_id = active_run(loaded).dataset_id
    assert [
        (
            text_of(buttons, f"discounts-download-{k}"),
            find(buttons, f"discounts-download-{k}")["props"]["href"],
        )
        for k in ("send-list", "control-list", "discount-targets")
    ] == [
        (
            f"Send list ({len(targets) - control:,})",
            f"/download/send-list.csv?dataset={dataset_id}&plan=Basic",
        ),
        (
            f"Control list ({control:,})",
            f"/download/control-list.csv?dataset={dataset_id}&plan=Basic",
        ),
        (
            f"All targets + control flag ({len(targets):,})",
            f"/download/discount-targets.csv?dataset={dataset_id}&plan=Basic",
        ),
    ]


def test_segment_cards_counts_rules_and_sample_note(client, loaded) -> None:
    cards = client.view("segments-cards.children", ALL)["segments-cards"]["children"]
    counts = frame_of(loaded)["segment"].value_counts()
    for segment in SEGMENT_ORDER:
        assert text_of(cards, f"segments-count-{segment}") == f"{int(counts.get(segment, 0)):,}"
    shown = visible_text(cards)
    for rule in segment_rules(active_run(loaded).thresholds).values():
        assert rule in shown

    filtered = view(plan=["Premium"], segment=["Dormant", "Risky"])
    cards = client.view("segments-cards.children", filtered)["segments-cards"]["children"]
    subset = frame_of(loaded, "plan = 'Premium' AND segment IN ('Dormant', 'Risky')")
    assert text_of(cards, "segments-count-Loyal") == text_of(cards, "segments-count-Casual") == "0"
    assert text_of(cards, "segments-count-Dormant") == f"{(subset['segment'] == 'Dormant').sum():,}"
    note = client.view("segments-sample-note.children", ALL)["segments-sample-note"]["children"]
    assert note == "All 2,000 filtered customers."


def test_lookup_shows_the_profile_and_a_clear_not_found(client, loaded) -> None:
    row = frame_of(loaded, "discount_target").iloc[0]
    page = client.call(
        "_pages_content.children",
        {("_pages_location", "pathname"): "/customer", ("_pages_location", "search"): ""},
    )
    assert find(page["_pages_content"]["children"], "lookup-customer-id")  # the page renders
    prefilled = client.call(
        "_pages_content.children",
        {
            ("_pages_location", "pathname"): "/customer",
            ("_pages_location", "search"): f"?customer_id={row['customer_id']}",
        },
    )
    box = find(prefilled["_pages_content"]["children"], "lookup-customer-id")
    assert box["props"]["value"] == row["customer_id"]  # the filter bar's ID prefills it

    result = client.call(
        "lookup-result.children",
        {("lookup-customer-id", "value"): row["customer_id"], (ids.VIEW_STORE, "data"): ALL},
    )["lookup-result"]["children"]
    expected = {
        "lookup-watch-time": f"{row['watch_time_hours']:,.1f} h",
        "lookup-days": f"{row['days_since_last_login']:,}",
        "lookup-last-login": str(row["last_login"])[:10],
        "lookup-segment": row["segment"],
        "lookup-engagement": row["engagement_level"],
        "lookup-rfm": f"{row['r_score']} / {row['f_score']} / {row['m_score']} / {row['fm_score']}",
        "lookup-rfm-segment": row["rfm_segment"],
        "lookup-cluster": f"{row['cluster']}: {row['cluster_name']}",
        "lookup-target": "yes",
        "lookup-discount": f"{row['discount_pct']:g} %",
        "lookup-control": "yes" if row["control_group"] else "no",
        "lookup-list": (
            "control list (held out: do not send)" if row["control_group"] else "send list"
        ),
    }
    assert {key: text_of(result, key) for key in expected} == expected

    missing = client.call(
        "lookup-result.children",
        {("lookup-customer-id", "value"): "<b>nobody</b>", (ids.VIEW_STORE, "data"): ALL},
    )["lookup-result"]["children"]
    assert text_of(missing, "lookup-not-found") == (
        "No customer with ID '<b>nobody</b>' in HTTP sample"
    )


def test_the_url_sets_the_view_and_unknown_values_are_refused_in_words(client, loaded) -> None:
    run = active_run(loaded)
    search = f"?dataset={run.dataset_id}&gender=Female&segment=Dormant"
    synced = client.call("view-store.data", {(ids.URL, "search"): search})
    assert synced[ids.VIEW_STORE]["data"]["dataset_id"] == run.dataset_id
    assert synced[ids.VIEW_STORE]["data"]["filters"]["gender"] == ["Female"]
    assert synced[ids.FILTER_INPUTS["segment"]]["value"] == ["Dormant"]

    counted = client.view("filter-count.children", synced[ids.VIEW_STORE]["data"])
    both = frame_of(loaded, "gender = 'Female' AND segment = 'Dormant'")
    assert counted[ids.FILTER_COUNT]["children"] == f"{len(both):,} of 2,000 customers"

    refused = client.view("filter-count.children", view(country=["Atlantis"]))
    message = visible_text(refused[ids.FILTER_MESSAGE]["children"])
    assert message == "Country has no value 'Atlantis' in this data set."
    assert refused[ids.FILTER_COUNT]["children"] == "2,000 customers"


def test_a_link_says_what_it_could_not_show(client, loaded) -> None:
    """An unknown data set and a value the data set lacks are named, never dropped in silence;
    the view (and so every download link) is what the page then shows."""
    run = active_run(loaded)
    search = "?dataset=987654&gender=Female&country=Atlantis&country=Germany"
    synced = client.call("view-store.data", {(ids.URL, "search"): search})
    view_data = synced[ids.VIEW_STORE]["data"]
    assert view_data["dataset_id"] == run.dataset_id
    assert view_data["filters"]["gender"] == ["Female"]
    assert view_data["filters"]["country"] == ["Germany"]
    assert view_data["notice"] == (
        f"There is no analysed data set 987654: showing HTTP sample (data set {run.dataset_id}). "
        "Country 'Atlantis' is not in HTTP sample, so the view leaves it out."
    )
    assert synced[ids.URL]["search"] == (f"?dataset={run.dataset_id}&gender=Female&country=Germany")
    shown = client.view("filter-count.children", view_data)
    assert text_of(shown[ids.FILTER_MESSAGE]["children"], ids.VIEW_NOTICE) == view_data["notice"]
    subset = frame_of(loaded, "gender = 'Female' AND country = 'Germany'")
    assert shown[ids.FILTER_COUNT]["children"] == f"{len(subset):,} of 2,000 customers"

    # A later change by the user clears the notice.
    changed = client.call(
        "view-store.data",
        {(ids.URL, "search"): search, (ids.FILTER_INPUTS["gender"], "value"): ["Male"]},
        changed=[f"{ids.FILTER_INPUTS['gender']}.value"],
    )
    assert "notice" not in changed[ids.VIEW_STORE]["data"]


def test_the_lookup_gives_one_action_with_the_customers_own_discount(client, loaded) -> None:
    """The rule segment's message with this customer's discount; the control group gets
    nothing; a non-target never reads discount copy; RFM is context, not a second offer."""

    def action_of(row) -> dict:
        result = client.call(
            "lookup-result.children",
            {("lookup-customer-id", "value"): row["customer_id"], (ids.VIEW_STORE, "data"): ALL},
        )["lookup-result"]["children"]
        return result

    treated = frame_of(loaded, "discount_target AND NOT control_group AND segment = 'Dormant'")
    for _, row in treated.head(3).iterrows():
        shown = action_of(row)
        pct = f"{row['discount_pct']:g} %"
        assert text_of(shown, "lookup-rule-offer") == f"Offer: {pct} off the next 3 months"
        assert text_of(shown, "lookup-rule-message").endswith(
            f"Come back with {pct} off your next 3 months."
        )
        assert f"{row['days_since_last_login']} days" in text_of(shown, "lookup-rule-message")
        assert "RFM context, not sent" in visible_text(shown)

    held_out = frame_of(loaded, "discount_target AND control_group").iloc[0]
    assert text_of(action_of(held_out), "lookup-action-note") == (
        "In the control group: send nothing, so the campaign can be measured."
    )
    untargeted = frame_of(loaded, "NOT discount_target AND segment = 'Risky'").iloc[0]
    shown = action_of(untargeted)
    assert text_of(shown, "lookup-rule-offer") == "Offer: No discount"
    assert "%" not in text_of(shown, "lookup-rule-message")
