"""Campaigns end to end on both backends: freeze targets, simulate a follow-up, measure.

One scenario per backend (module scope, to keep the suite fast): a generated baseline of
20,000 customers is ingested and analysed, its targets frozen as a campaign, and two follow-ups
are generated from the campaign's treated customers, one with a true renewal lift of 0.15 and
one with none. The generator uses common random numbers, so the two follow-ups differ only in
treated customers' rows. Then the baseline is re-analysed with another control-group seed and
finally deleted: the campaign must not change.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine, delete, select, true

from dashboard.analytics.measure import LOGIN, RENEWAL, WATCH_TIME, Measurement
from dashboard.cli.campaign import add_campaign_parser, run_campaign
from dashboard.config import Settings
from dashboard.services import sample_data
from dashboard.services.analysis import AnalysisParameters, analyze_dataset
from dashboard.services.campaigns import (
    CampaignError,
    CampaignInfo,
    MeasureError,
    create_campaign,
    get_campaign,
    iter_members,
    list_campaigns,
    treated_customer_ids,
)
from dashboard.services.campaigns import measure_campaign as measure
from db.filters import Filters
from db.ingest import IngestOptions, ingest_file
from db.models import AnalysisRun, CustomerResult, Dataset
from tests.conftest import _engine_for

ROWS = 20_000
BASELINE_SEED = 11
FOLLOWUP_SEED = 12
EFFECT = 0.15
DAYS_LATER = 90
AS_OF = sample_data.DEFAULT_AS_OF
FOLLOWUP_AS_OF = AS_OF + timedelta(days=DAYS_LATER)


@dataclass
class Scenario:
    backend: str
    campaign: CampaignInfo
    members: pd.DataFrame
    treated_ids: list[str]
    followup_ids: set[str]
    baseline_ids: set[str]
    with_effect: Measurement
    without_effect: Measurement
    filtered: Measurement
    members_after_reanalysis: pd.DataFrame
    control_flags_changed: int
    after_deletion: CampaignInfo
    measured_after_deletion: Measurement
    cli_json: dict[str, Any]
    cli_export_rows: list[str]
    duplicate_name_error: str


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, Path]:
    path = tmp_path_factory.mktemp("campaign") / "baseline.csv"
    sample_data.write_csv(path, rows=ROWS, seed=BASELINE_SEED)
    return sample_data.generate_customers(ROWS, BASELINE_SEED), path


def _members(engine: Engine, campaign_id: int) -> pd.DataFrame:
    return pd.concat(list(iter_members(engine, campaign_id)), ignore_index=True)


def _ingest(engine: Engine, path: Path, as_of: date | None = None) -> int:
    return ingest_file(engine, path, IngestOptions(as_of=as_of)).dataset_id


def _cli(url: str, *argv: str) -> tuple[int, str]:
    import argparse

    parser = argparse.ArgumentParser()
    add_campaign_parser(parser.add_subparsers(dest="command"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = run_campaign(parser.parse_args(list(argv)), Settings(database_url=url))
    return code, out.getvalue()


def _run_scenario(
    backend: str, url: str, baseline: tuple[pd.DataFrame, Path], folder: Path
) -> Scenario:
    frame, baseline_path = baseline
    # closing() disposes the engine even though the loop body returns.
    with contextlib.closing(_engine_for(url)) as engines:
        for engine in engines:
            baseline_id = _ingest(engine, baseline_path)
            analyze_dataset(engine, baseline_id)
            campaign = create_campaign(engine, "Summer win-back", baseline_id, created_by="ana")
            with pytest.raises(CampaignError) as duplicate:
                create_campaign(engine, "Summer win-back", baseline_id)
            members = _members(engine, campaign.id)
            treated = treated_customer_ids(engine, campaign.id)

            measured = {}
            followup_ids: set[str] = set()
            for effect in (EFFECT, 0.0):
                followup = sample_data.generate_followup(
                    frame, treated, seed=FOLLOWUP_SEED, effect=effect, days_later=DAYS_LATER
                )
                path = folder / f"followup_{effect:g}.csv"
                sample_data.write_frame(followup, path)
                followup_id = _ingest(engine, path, as_of=FOLLOWUP_AS_OF)
                measured[effect] = measure(engine, campaign, followup_id)
                if effect == EFFECT:
                    followup_ids = set(followup[sample_data.CUSTOMER_ID])
            followup_with_effect = measured[EFFECT].followup_dataset_id
            simulated = folder / "simulated.csv"
            code, _ = _cli(
                url,
                "campaign",
                "generate-followup",
                "--campaign",
                "Summer win-back",
                "--baseline",
                str(baseline_path),
                "--out",
                str(simulated),
                "--seed",
                str(FOLLOWUP_SEED),
                "--effect",
                str(EFFECT),
                "--days-later",
                str(DAYS_LATER),
            )
            assert code == 0
            # The command reads the baseline file back and gives the same bytes as the frame.
            assert simulated.read_bytes() == (folder / f"followup_{EFFECT:g}.csv").read_bytes()
            filtered = measure(
                engine, campaign, followup_with_effect, Filters(plan=("Basic", "Premium"))
            )
            code, text = _cli(
                url,
                "campaign",
                "measure",
                "--campaign",
                "Summer win-back",
                "--followup",
                str(followup_with_effect),
                "--json",
            )
            assert code == 0
            export_path = folder / "control.csv"
            code, _ = _cli(
                url, "campaign", "export", "--campaign", str(campaign.id), "--out", str(export_path)
            )
            assert code == 0
            code_control, _ = _cli(
                url,
                "campaign",
                "export",
                "--campaign",
                str(campaign.id),
                "--out",
                str(folder / "control_only.csv"),
                "--control",
            )
            assert code_control == 0
            export_rows = export_path.read_text(encoding="utf-8").splitlines()
            control_rows = (folder / "control_only.csv").read_text(encoding="utf-8").splitlines()
            assert len(export_rows) - 1 + len(control_rows) - 1 == campaign.members

            before = _control_flags(engine, baseline_id)
            analyze_dataset(engine, baseline_id, AnalysisParameters(campaign_seed="another-seed"))
            after = _control_flags(engine, baseline_id)
            changed = int((before != after.reindex(before.index)).sum())
            members_after = _members(engine, campaign.id)

            with engine.begin() as connection:
                connection.execute(delete(Dataset).where(Dataset.id == baseline_id))
            after_deletion = get_campaign(engine, campaign.id)
            measured_after_deletion = measure(engine, after_deletion, followup_with_effect)

            return Scenario(
                backend=backend,
                campaign=campaign,
                members=members,
                treated_ids=treated,
                followup_ids=followup_ids,
                baseline_ids=set(frame[sample_data.CUSTOMER_ID]),
                with_effect=measured[EFFECT],
                without_effect=measured[0.0],
                filtered=filtered,
                members_after_reanalysis=members_after,
                control_flags_changed=changed,
                after_deletion=after_deletion,
                measured_after_deletion=measured_after_deletion,
                cli_json=json.loads(text),
                cli_export_rows=export_rows,
                duplicate_name_error=str(duplicate.value),
            )
    raise AssertionError("unreachable")


def _control_flags(engine: Engine, dataset_id: int) -> pd.Series:
    """The control flag of every target in the data set's current run, by customer id."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(CustomerResult.customer_id, CustomerResult.control_group)
            .join(AnalysisRun, AnalysisRun.id == CustomerResult.run_id)
            .where(
                AnalysisRun.dataset_id == dataset_id,
                AnalysisRun.status == "complete",
                CustomerResult.discount_target.is_(true()),
            )
        ).all()
    return pd.Series(dict(rows)).sort_index()


@pytest.fixture(scope="module")
def sqlite_scenario(
    request: pytest.FixtureRequest, baseline: tuple[pd.DataFrame, Path], tmp_path_factory
) -> Iterator[Scenario]:
    url = request.getfixturevalue("sqlite_url")
    yield _run_scenario("sqlite", url, baseline, tmp_path_factory.mktemp("sqlite_campaign"))


@pytest.fixture(scope="module")
def postgresql_scenario(
    request: pytest.FixtureRequest, baseline: tuple[pd.DataFrame, Path], tmp_path_factory
) -> Iterator[Scenario]:
    url = request.getfixturevalue("postgresql_url")
    yield _run_scenario("postgresql", url, baseline, tmp_path_factory.mktemp("pg_campaign"))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def scenario(request: pytest.FixtureRequest) -> Scenario:
    return request.getfixturevalue(f"{request.param}_scenario")


def test_campaign_freezes_every_target_with_its_control_flag(scenario: Scenario) -> None:
    campaign, members = scenario.campaign, scenario.members
    assert campaign.members == len(members) > 2_000
    assert campaign.control == int(members["control_group"].sum())
    assert 0.07 < campaign.control / campaign.members < 0.13
    assert campaign.baseline_as_of == AS_OF
    assert campaign.campaign_seed == "winback-1" and campaign.control_share == 0.10
    assert campaign.created_by == "ana"
    assert set(members["target_reason"]) == {"Dormant", "Risky, medium engagement"}
    assert set(members["discount_pct"]) == {10.0, 15.0, 20.0}
    assert members["customer_id"].is_unique
    assert len(scenario.treated_ids) == campaign.treated
    assert "already exists" in scenario.duplicate_name_error


def test_match_counts_are_exact(scenario: Scenario) -> None:
    member_ids = set(scenario.members["customer_id"])
    expected_missing = len(member_ids - scenario.followup_ids)
    expected_new = len(scenario.followup_ids - scenario.baseline_ids)
    counts = scenario.with_effect.counts
    assert expected_new == round(sample_data.NEW_CUSTOMER_SHARE * ROWS)
    assert counts.members == len(member_ids)
    assert counts.missing == expected_missing > 0
    assert counts.matched == len(member_ids & scenario.followup_ids)
    assert counts.new == expected_new
    assert counts.followup_customers == len(scenario.followup_ids)
    assert counts.unreadable_status == 0
    # The generator's draws do not depend on the effect: missing customers differ only among
    # the treated, and the new customers are the same.
    assert scenario.without_effect.counts.new == expected_new


def test_injected_effect_is_found_within_its_interval(scenario: Scenario) -> None:
    renewal = scenario.with_effect.metric(RENEWAL)
    assert scenario.with_effect.renewal_rule_column == "Subscription Status"
    assert renewal.treated.n == scenario.campaign.treated
    assert renewal.control.n == scenario.campaign.control
    assert renewal.difference is not None
    assert renewal.difference.contains(EFFECT)
    assert renewal.difference.low > 0
    assert renewal.significant
    assert renewal.verdict.startswith("the discount raised renewal by ")
    assert renewal.warning is None


def test_no_effect_is_not_called_significant(scenario: Scenario) -> None:
    for metric in scenario.without_effect.metrics:
        assert metric.difference is not None
        assert metric.difference.includes_zero, metric.verdict
        assert not metric.significant
        assert metric.verdict.startswith("no clear effect"), metric.verdict
    # Control customers' rows are the same in both follow-ups (common random numbers).
    assert (
        scenario.without_effect.metric(RENEWAL).control
        == scenario.with_effect.metric(RENEWAL).control
    )


def test_breakdowns_cover_each_reason_and_discount_level(scenario: Scenario) -> None:
    groups = [(b.by, b.group) for b in scenario.with_effect.breakdowns]
    assert groups == [
        ("target_reason", "Dormant"),
        ("target_reason", "Risky, medium engagement"),
        ("discount_pct", "10 %"),
        ("discount_pct", "15 %"),
        ("discount_pct", "20 %"),
    ]
    table = scenario.with_effect.to_frame()
    assert len(table) == 3 * (1 + len(groups))
    assert table["group_by"].iloc[0] == "all" and table["metric"].iloc[0] == RENEWAL
    by_reason = [b for b in scenario.with_effect.breakdowns if b.by == "target_reason"]
    total = scenario.with_effect.metric(RENEWAL)
    assert sum(b.metrics[0].treated.n for b in by_reason) == total.treated.n
    assert sum(b.metrics[0].control.successes or 0 for b in by_reason) == total.control.successes


def test_filters_apply_to_baseline_values(scenario: Scenario) -> None:
    members = scenario.members
    kept = members[members["plan"].isin(["Basic", "Premium"])]
    counts = scenario.filtered.counts
    assert counts.members == len(kept)
    assert counts.control == int(kept["control_group"].sum())
    assert scenario.filtered.filters == "Plan Basic, Premium"


def test_reanalysis_and_deletion_leave_the_campaign_unchanged(scenario: Scenario) -> None:
    assert scenario.control_flags_changed > 0  # the new seed really drew another control group
    pd.testing.assert_frame_equal(scenario.members_after_reanalysis, scenario.members)
    assert scenario.after_deletion.dataset_id is None
    assert scenario.after_deletion.members == scenario.campaign.members
    deleted = scenario.measured_after_deletion
    assert deleted.counts.new is None
    assert deleted.metrics == scenario.with_effect.metrics


def test_cli_measure_json_and_export(scenario: Scenario) -> None:
    document = scenario.cli_json
    assert document["match"]["matched"] == scenario.with_effect.counts.matched
    assert document["renewal_rule_column"] == "Subscription Status"
    for name in (RENEWAL, WATCH_TIME, LOGIN):
        metric = document["metrics"][name]
        for group in ("treated", "control"):
            assert set(metric[group]) >= {"n", "value", "low", "high"}
        assert set(metric["difference"]) >= {"estimate", "low", "high"}
    renewal = document["metrics"][RENEWAL]
    assert (
        renewal["difference"]["estimate"]
        == scenario.with_effect.metric(RENEWAL).difference.estimate
    )
    header, *rows = scenario.cli_export_rows
    assert header.startswith("customer_id,gender,country,plan,segment")
    assert len(rows) == scenario.campaign.treated
    assert all(row.endswith(",no") for row in rows)


def test_results_are_identical_on_sqlite_and_postgresql(
    sqlite_scenario: Scenario, postgresql_scenario: Scenario
) -> None:
    for attribute in ("with_effect", "without_effect", "filtered"):
        left = getattr(sqlite_scenario, attribute).as_dict()
        right = getattr(postgresql_scenario, attribute).as_dict()
        for document in (left, right):
            document.pop("campaign")
            document["baseline"].pop("dataset_id")
            document["followup"].pop("dataset_id")
        assert left == right
    pd.testing.assert_frame_equal(sqlite_scenario.members, postgresql_scenario.members)


def test_campaign_errors(engine: Engine) -> None:
    with pytest.raises(CampaignError, match="needs a name"):
        create_campaign(engine, "  ", 1)
    with pytest.raises(CampaignError, match="no data set 99"):
        create_campaign(engine, "x", 99)
    with pytest.raises(CampaignError, match="no campaign"):
        get_campaign(engine, "nope")
    assert list_campaigns(engine).empty
    with pytest.raises(MeasureError):
        measure(engine, _fake_campaign(), 42)


def _fake_campaign() -> CampaignInfo:
    from datetime import UTC, datetime

    return CampaignInfo(
        id=1,
        name="x",
        dataset_id=None,
        dataset_name="x",
        source_run_id=1,
        baseline_as_of=AS_OF,
        created_at=datetime.now(UTC),
        created_by=None,
        campaign_seed="s",
        control_share=0.1,
        discount_table=[],
        members=0,
        control=0,
    )
