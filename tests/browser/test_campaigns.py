"""Campaigns in a real browser: results equal measure_campaign, counts are exact, the target
list downloads exactly the treated members, and a campaign can be created from the page.

Before the app starts, the test database gets a generated 3,000-customer baseline (ingested
and analysed, so it is the data set on screen), a campaign frozen from it and a follow-up
export generated 90 days later with a known renewal lift, ingested with its as-of date.
"""

from __future__ import annotations

import csv
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import dash
import pytest
from dash.testing.wait import until
from flask import g
from selenium.webdriver.common.by import By
from sqlalchemy import Engine, text

from dashboard.analytics.measure import RENEWAL, Measurement
from dashboard.services import accounts, sample_data
from dashboard.services.analysis import analyze_dataset
from dashboard.services.campaigns import (
    CampaignInfo,
    create_campaign,
    iter_members,
    list_campaigns,
    measure_campaign,
    treated_customer_ids,
)
from dashboard.web import auth
from db.filters import Filters
from db.ingest import IngestOptions, ingest_file
from tests.browser.conftest import console_errors

ROWS = 3_000
BASELINE_SEED = 21
FOLLOWUP_SEED = 22
EFFECT = 0.15
DAYS_LATER = 90
FOLLOWUP_AS_OF = sample_data.DEFAULT_AS_OF + timedelta(days=DAYS_LATER)


@dataclass
class Prepared:
    campaign: CampaignInfo
    followup_id: int
    followup_label: str
    treated_ids: list[str]
    member_ids: set[str]
    followup_ids: set[str]
    baseline_ids: set[str]
    measured: Measurement


@pytest.fixture
def prepared(loaded_engine: Engine, tmp_path: Path) -> Prepared:
    frame = sample_data.generate_customers(ROWS, BASELINE_SEED)
    baseline_path = tmp_path / "baseline.csv"
    sample_data.write_frame(frame, baseline_path)
    baseline = ingest_file(loaded_engine, baseline_path, IngestOptions(name="Spring baseline"))
    analyze_dataset(loaded_engine, baseline.dataset_id)
    campaign = create_campaign(loaded_engine, "Spring win-back", baseline.dataset_id, "ana")
    treated = treated_customer_ids(loaded_engine, campaign.id)
    followup = sample_data.generate_followup(
        frame, treated, seed=FOLLOWUP_SEED, effect=EFFECT, days_later=DAYS_LATER
    )
    followup_path = tmp_path / "followup.csv"
    sample_data.write_frame(followup, followup_path)
    loaded = ingest_file(
        loaded_engine, followup_path, IngestOptions(name="Summer export", as_of=FOLLOWUP_AS_OF)
    )
    members = {
        customer_id
        for chunk in iter_members(loaded_engine, campaign.id)
        for customer_id in chunk["customer_id"]
    }
    return Prepared(
        campaign=campaign,
        followup_id=loaded.dataset_id,
        followup_label=f"{loaded.dataset_id} · Summer export (as of {FOLLOWUP_AS_OF})",
        treated_ids=treated,
        member_ids=members,
        followup_ids=set(followup[sample_data.CUSTOMER_ID]),
        baseline_ids=set(frame[sample_data.CUSTOMER_ID]),
        measured=measure_campaign(loaded_engine, campaign, loaded.dataset_id),
    )


def share(value: float) -> str:
    return f"{value * 100:.1f} %"


def points(value: float) -> str:
    return f"{value * 100:+.1f} points".replace("-", "\u2212")


def wait_for_download(folder: Path, pattern: str) -> Path:
    deadline = time.time() + 15
    while time.time() < deadline:
        files = [p for p in folder.glob(pattern) if not p.name.endswith(".crdownload")]
        if files:
            return files[0]
        time.sleep(0.2)
    raise AssertionError(f"no {pattern} downloaded into {folder}")


def test_results_equal_measure_campaign_and_lists_download(
    dash_duo, make_app: Callable[..., dash.Dash], loaded_engine: Engine, prepared: Prepared
) -> None:
    campaign, measured = prepared.campaign, prepared.measured
    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/campaigns")
    row = f'#campaigns-grid .ag-row[row-id="{campaign.id}"] .ag-cell'
    dash_duo.wait_for_element(row, timeout=15).click()
    dash_duo.wait_for_contains_text(
        "#campaigns-followup", f"{prepared.followup_id} · Summer export", timeout=15
    )
    dash_duo.select_dcc_dropdown("#campaigns-followup", value=prepared.followup_label)

    # Match counts: exact, from the ids on both sides.
    counts = measured.counts
    assert counts.matched == len(prepared.member_ids & prepared.followup_ids)
    assert counts.missing == len(prepared.member_ids - prepared.followup_ids) > 0
    assert counts.new == len(prepared.followup_ids - prepared.baseline_ids) > 0
    for key, value in (
        ("members", counts.members),
        ("matched", counts.matched),
        ("missing", counts.missing),
        ("new", counts.new),
    ):
        dash_duo.wait_for_text_to_equal(f"#campaigns-{key}", f"{value:,}", timeout=15)
    dash_duo.wait_for_contains_text("#campaigns-rule", "'Subscription Status'", timeout=5)

    # Renewal, treated against control, and the difference: as measure_campaign computes them.
    renewal = measured.metric(RENEWAL)
    assert renewal.difference is not None
    dash_duo.wait_for_text_to_equal(
        "#campaigns-renewal-0-treated", share(renewal.treated.value), 10
    )
    dash_duo.wait_for_text_to_equal(
        "#campaigns-renewal-0-control", share(renewal.control.value), 10
    )
    dash_duo.wait_for_text_to_equal(
        "#campaigns-renewal-0-difference", points(renewal.difference.estimate), 10
    )
    verdict = dash_duo.find_element("#campaigns-renewal-0-verdict").text
    assert verdict == renewal.verdict[0].upper() + renewal.verdict[1:] + "."
    if renewal.warning:  # 3,000 customers leave a small control group
        warning = dash_duo.find_element("#campaigns-renewal-0-warning").text
        assert warning == f"Too small to tell: {renewal.warning}."
    bars_js = (  # null until Plotly has drawn the graph
        "const g = document.querySelector('#campaigns-renewal-graph .js-plotly-plot');"
        "return g && g.data ? "
        "g.data.map(t => [t.y[0], t.error_y.array[0], t.error_y.arrayminus[0]]) : null;"
    )
    until(lambda: dash_duo.driver.execute_script(bars_js) is not None, timeout=15)
    bars = dash_duo.driver.execute_script(bars_js)
    for (height, above, below), group in zip(bars, (renewal.treated, renewal.control), strict=True):
        assert height == pytest.approx(group.value * 100)
        assert height + above == pytest.approx(group.high * 100)
        assert height - below == pytest.approx(group.low * 100)

    # By discount level: one row (and pair of bars) per level.
    dash_duo.driver.find_element(
        By.XPATH, "//*[@id='campaigns-breakdown']//label[text()='By discount level']"
    ).click()
    levels = [b for b in measured.breakdowns if b.by == "discount_pct"]
    last = levels[-1].metrics[0]
    dash_duo.wait_for_text_to_equal(
        f"#campaigns-renewal-{len(levels) - 1}-treated", share(last.treated.value), 10
    )

    # The target list: exactly the treated members.
    dash_duo.find_element("#campaigns-download-targets").click()
    path = wait_for_download(Path(dash_duo.download_path), "*_campaign_targets_*.csv")
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["customer_id"] for row in rows] == prepared.treated_ids
    assert {row["control_group"] for row in rows} == {"no"}

    # The dashboard filters apply to the members' baseline values.
    dash_duo.select_dcc_dropdown("#filter-plan", value="Basic")
    basic = measure_campaign(
        loaded_engine, campaign, prepared.followup_id, Filters(plan=("Basic",))
    )
    assert 0 < basic.counts.members < counts.members
    dash_duo.wait_for_text_to_equal("#campaigns-members", f"{basic.counts.members:,}", 15)

    # A second campaign, created from the page, from the data set on screen.
    dash_duo.find_element("#campaigns-name").send_keys("Second wave")
    dash_duo.find_element("#campaigns-create").click()
    message = (
        f"Campaign 'Second wave': {campaign.members:,} targets, "
        f"{campaign.control:,} held out as control."
    )
    dash_duo.wait_for_text_to_equal("#campaigns-create-message", message, timeout=15)
    stored = list_campaigns(loaded_engine).set_index("name")
    assert stored.loc["Second wave", "dataset_id"] == campaign.dataset_id
    assert stored.loc["Second wave", "targets"] == campaign.members
    assert stored.loc["Second wave", "created_by"] == "local"
    with loaded_engine.connect() as connection:
        actions = connection.execute(
            text("SELECT action, outcome FROM audit_events ORDER BY id")
        ).all()
    assert ("export", "ok") in actions and ("create_campaign", "ok") in actions
    assert console_errors(dash_duo) == []


def test_empty_states_and_a_refused_name(
    dash_duo, make_app: Callable[..., dash.Dash], loaded_engine: Engine
) -> None:
    dash_duo.start_server(make_app())
    dash_duo.driver.get(dash_duo.server_url + "/campaigns")
    dash_duo.wait_for_contains_text(
        "#campaigns-list-empty", "Freeze the current discount targets on this page to start", 15
    )
    dash_duo.find_element("#campaigns-create").click()
    dash_duo.wait_for_text_to_equal("#campaigns-create-message", "A campaign needs a name.", 10)

    dash_duo.find_element("#campaigns-name").send_keys("Only one")
    dash_duo.find_element("#campaigns-create").click()
    dash_duo.wait_for_contains_text("#campaigns-create-message", "Campaign 'Only one'", 15)
    # The only data set is the baseline itself: nothing to measure against yet.
    dash_duo.wait_for_contains_text(
        "#campaigns-message", "Load a later export of the same customers on the Data page", 15
    )
    assert list(list_campaigns(loaded_engine)["name"]) == ["Only one"]
    assert console_errors(dash_duo) == []


def _sign_in(client, username: str, password: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": username, "password": password, "csrf_token": token})


def test_only_analysts_can_create_campaigns(
    make_app: Callable[..., dash.Dash], loaded_engine: Engine
) -> None:
    """The page hides the form from viewers, and the server refuses their forged request."""
    password = "correct horse battery"
    accounts.add_user(loaded_engine, "vera", password, "viewer")
    accounts.add_user(loaded_engine, "ana", password, "analyst")
    app = make_app(auth_required=True, secret_key="test-secret")
    layout = dash.page_registry["dashboard.pages.campaigns"]["layout"]
    with app.server.test_request_context("/campaigns"):
        g.identity = auth.Identity("vera", "viewer", True)
        assert '"campaigns-create"' not in str(layout()).replace("'", '"')
        g.identity = auth.Identity("ana", "analyst", True)
        assert '"campaigns-create"' in str(layout()).replace("'", '"')
    body = {
        "output": "..campaigns-create-message.children...campaigns-created.data..",
        "outputs": [
            {"id": "campaigns-create-message", "property": "children"},
            {"id": "campaigns-created", "property": "data"},
        ],
        "inputs": [{"id": "campaigns-create", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["campaigns-create.n_clicks"],
        "state": [
            {"id": "campaigns-name", "property": "value", "value": "Forged"},
            {"id": "view-store", "property": "data", "value": {}},
        ],
    }
    viewer = app.server.test_client()
    _sign_in(viewer, "vera", password)
    viewer.get("/_dash-dependencies")
    assert viewer.post("/_dash-update-component", json=body).status_code == 403
    assert list_campaigns(loaded_engine).empty

    analyst = app.server.test_client()
    _sign_in(analyst, "ana", password)
    analyst.get("/_dash-dependencies")
    assert analyst.post("/_dash-update-component", json=body).status_code == 200
    stored = list_campaigns(loaded_engine)
    assert list(stored["name"]) == ["Forged"] and list(stored["created_by"]) == ["ana"]
