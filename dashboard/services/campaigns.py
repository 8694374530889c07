"""Campaigns: a data set's discount target list, frozen under a name when it is sent.

Creating a campaign copies, in one transaction, every discount target of the data set's
latest complete analysis run into ``campaign_members`` with the baseline values a later
measurement needs (segment, engagement, days since last login, watch hours, visits, plan,
revenue, gender, country, RFM segment, target reason, discount and the control flag), plus the
run's campaign seed, control share and discount table. Nothing is read back from
``customer_results`` afterwards, so re-analysing the baseline data set (which replaces that
run) cannot change a campaign, and deleting the data set only sets ``dataset_id`` to NULL.

Measurements are computed on demand, never stored: a few vectorised passes over the members
(:mod:`dashboard.analytics.measure`, which also says what the three metrics mean), so a result
can never disagree with the data sets it reads. Filters apply to the members' baseline values
(segment, RFM segment, gender, country, plan, customer ID): the groups are compared as they
were when the campaign was sent, never by values the discount may itself have changed.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

import pandas as pd
from sqlalchemy import Engine

from dashboard.analytics.effects import CONFIDENCE
from dashboard.analytics.measure import (
    Measurement,
    breakdowns,
    choose_renewal_rule,
    match_counts,
    metric_results,
    outcome_frame,
)
from dashboard.components.csv_export import csv_chunks, neutralise_frame, write_chunks
from dashboard.services.exports import PIECE_ROWS
from db import audit
from db import campaigns as store
from db.audit import COMMAND_LINE, Actor
from db.campaigns import FROZEN_COLUMNS, followup_dataset, iter_members, measure_inputs
from db.csv_source import inspect_file
from db.filters import Filters
from db.queries import dataset_file, find_dataset

MAX_NAME_LENGTH = 200
EXPORT_COLUMNS = FROZEN_COLUMNS  # the columns of iter_members' chunks, in CSV order


class CampaignError(Exception):
    """A campaign that cannot be created or found, with a message for the user."""


@dataclass(frozen=True)
class CampaignInfo:
    id: int
    name: str
    dataset_id: int | None
    dataset_name: str
    source_run_id: int
    baseline_as_of: date
    created_at: datetime
    created_by: str | None
    campaign_seed: str
    control_share: float
    discount_table: list[dict[str, Any]]
    members: int
    control: int

    @property
    def treated(self) -> int:
        return self.members - self.control

    def describe(self) -> str:
        return (
            f"Campaign {self.id} ({self.name!r}) from data set "
            f"{self.dataset_id if self.dataset_id is not None else '(deleted)'} "
            f"({self.dataset_name!r}) as of {self.baseline_as_of}: {self.members:,} targets, "
            f"{self.treated:,} to receive the discount and {self.control:,} held out as control."
        )


def _info(campaign: Any) -> CampaignInfo:
    """From a row of the campaigns table (attribute access by column name)."""
    return CampaignInfo(
        id=campaign.id,
        name=campaign.name,
        dataset_id=campaign.dataset_id,
        dataset_name=campaign.dataset_name,
        source_run_id=campaign.source_run_id,
        baseline_as_of=campaign.baseline_as_of,
        created_at=campaign.created_at,
        created_by=campaign.created_by,
        campaign_seed=campaign.campaign_seed,
        control_share=campaign.control_share,
        discount_table=list(campaign.discount_table or []),
        members=campaign.member_count,
        control=campaign.control_count,
    )


def create_campaign(
    engine: Engine,
    name: str,
    dataset_id: int,
    created_by: str | None = None,
    actor: Actor | None = None,
) -> CampaignInfo:
    """Freeze the discount targets of ``dataset_id``'s latest complete run as campaign ``name``.

    One transaction: the campaign row and all its members, or nothing. Raises CampaignError
    for a blank or taken name, an unknown or unanalysed data set, or a run without targets.
    The outcome is audited here for ``actor`` (by default the creator, else the command line).
    """
    actor = actor or (Actor(created_by) if created_by else COMMAND_LINE)
    detail: dict[str, object] = {"name": (name or "").strip()[:200], "dataset_id": dataset_id}
    try:
        campaign = _create(engine, name, dataset_id, created_by)
    except CampaignError:
        audit.record_for(engine, actor, "create_campaign", "refused", detail)
        raise
    detail.update(campaign_id=campaign.id, members=campaign.members)
    audit.record_for(engine, actor, "create_campaign", "ok", detail)
    return campaign


def resolve_dataset(engine: Engine, reference: str | int) -> int:
    """A data set id from an id or a data set name (the newest of that name)."""
    found = find_dataset(engine, str(reference))
    if found is None:
        raise CampaignError(
            f"There is no data set {str(reference)!r} (give its id or its name; "
            "python -m dashboard datasets lists them)."
        )
    return found


def check_baseline_file(engine: Engine, campaign: CampaignInfo, path: Path) -> None:
    """CampaignError unless ``path`` holds the bytes the campaign's data set was loaded from.

    A follow-up simulated from another export would measure customers the campaign never
    targeted. A baseline data set deleted since cannot be checked and is let through.
    """
    if campaign.dataset_id is None:
        return
    stored = dataset_file(engine, campaign.dataset_id)
    if stored is None:
        return
    source_file, sha256 = stored
    if inspect_file(path).sha256 != sha256:
        raise CampaignError(
            f"{path.name} is not the baseline of campaign {campaign.name!r}: that is data set "
            f"{campaign.dataset_id}, loaded from {source_file}. Pass the file that data set "
            "was loaded from."
        )


def _create(engine: Engine, name: str, dataset_id: int, created_by: str | None) -> CampaignInfo:
    name = (name or "").strip()
    if not name:
        raise CampaignError("A campaign needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise CampaignError(f"A campaign name is at most {MAX_NAME_LENGTH} characters long.")
    try:
        campaign_id = store.insert_campaign(engine, name, dataset_id, created_by)
    except store.CampaignRefused as error:
        # Chained to the database's IntegrityError when that was the cause, else to nothing.
        raise CampaignError(refusal(error, name, dataset_id)) from error.__cause__
    return get_campaign(engine, campaign_id)


def refusal(error: store.CampaignRefused, name: str, dataset_id: int) -> str:
    """The user's message for a campaign the database layer did not write."""
    if error.reason == store.NO_DATASET:
        return f"There is no data set {dataset_id}."
    if error.reason == store.NAME_TAKEN:
        taken = "" if error.campaign_id is None else f" (id {error.campaign_id})"
        return f"A campaign named {name!r} already exists{taken}."
    if error.reason == store.NOT_ANALYSED:
        return (
            f"Data set {dataset_id} has not been analysed yet "
            f"(run: python -m dashboard analyze --dataset {dataset_id})."
        )
    if error.reason == store.NO_TARGETS:
        return f"Data set {dataset_id} has no discount targets."
    return (
        f"Data set {dataset_id} was re-analysed while the campaign was being "
        "created; nothing was saved, please try again."
    )


def get_campaign(engine: Engine, reference: int | str) -> CampaignInfo:
    """A campaign by exact name, else by id; CampaignError when there is none."""
    text = str(reference).strip()
    row = store.find_campaign(engine, text)
    if row is None:
        raise CampaignError(
            f"There is no campaign {text!r} (list them with: python -m dashboard campaign list)."
        )
    return _info(row)


def list_campaigns(engine: Engine) -> pd.DataFrame:
    """Every campaign, newest first: id, name, data set, as-of, targets, treated, control, when."""
    frame = store.campaign_rows(engine)
    frame["dataset_id"] = frame["dataset_id"].astype("Int64")
    frame["created_at"] = frame["created_at"].map(
        lambda value: value.strftime("%Y-%m-%d %H:%M") if value is not None else ""
    )
    return frame


def campaign_filter_options(engine: Engine, campaign_id: int) -> dict[str, list[str]]:
    """The values each filter dimension takes among the campaign's members (None as NULL_TOKEN)."""
    return store.member_filter_options(engine, campaign_id)


def _prepare(chunk: pd.DataFrame) -> pd.DataFrame:
    chunk = chunk.copy()
    chunk["control_group"] = chunk["control_group"].map({True: "yes", False: "no"})
    chunk["last_login"] = chunk["last_login"].map(
        lambda value: value.isoformat() if isinstance(value, date) else value
    )
    return neutralise_frame(chunk)


def write_members_csv(
    engine: Engine,
    campaign_id: int,
    out: IO[str],
    control: bool = False,
    filters: Filters | None = None,
) -> int:
    """The target list (customers who get the discount) or, with ``control``, the control list.

    Formula-safe CSV with EXPORT_COLUMNS; returns the number of rows written.
    """
    return write_chunks(members_csv_chunks(engine, campaign_id, control, filters), out)


def members_csv_chunks(
    engine: Engine, campaign_id: int, control: bool = False, filters: Filters | None = None
) -> Generator[tuple[str, int], None, None]:
    """The target or control list as CSV pieces (see :func:`dashboard.services.exports.csv_chunks`)."""
    chunks = iter_members(engine, campaign_id, control, filters, chunk_rows=PIECE_ROWS)
    return csv_chunks((_prepare(chunk) for chunk in chunks), EXPORT_COLUMNS)


def treated_customer_ids(engine: Engine, campaign_id: int) -> list[str]:
    """The ids of the members who were sent the discount (everyone outside the control group)."""
    return store.treated_ids(engine, campaign_id)


class MeasureError(Exception):
    """A measurement that cannot be made, with a message for the user."""


def measure_campaign(
    engine: Engine,
    campaign: CampaignInfo,
    followup_dataset_id: int,
    filters: Filters | None = None,
    confidence: float = CONFIDENCE,
) -> Measurement:
    """Measure ``campaign`` against the follow-up data set ``followup_dataset_id``.

    Raises MeasureError when the follow-up does not exist, is the baseline itself, or is not
    later than the campaign's baseline as-of date.
    """
    filters = filters or Filters()
    followup = followup_dataset(engine, followup_dataset_id)
    if followup is None:
        raise MeasureError(f"There is no data set {followup_dataset_id}.")
    if followup_dataset_id == campaign.dataset_id:
        raise MeasureError(
            f"Data set {followup_dataset_id} is the campaign's own baseline: load a later "
            "export of the same customers as the follow-up."
        )
    if followup.as_of_date <= campaign.baseline_as_of:
        raise MeasureError(
            f"Data set {followup_dataset_id} is as of {followup.as_of_date}, not after the "
            f"campaign's baseline ({campaign.baseline_as_of}): a follow-up must be later."
        )
    rule = choose_renewal_rule(followup.extras)
    inputs = measure_inputs(
        engine, campaign.id, campaign.dataset_id, followup_dataset_id, filters, rule.column
    )
    members = inputs.members.sort_values("customer_id", kind="stable", ignore_index=True)
    outcomes = outcome_frame(
        members, inputs.followup, campaign.baseline_as_of, followup.as_of_date, rule
    )
    return Measurement(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        baseline_dataset_id=campaign.dataset_id,
        baseline_as_of=campaign.baseline_as_of,
        followup_dataset_id=followup_dataset_id,
        followup_as_of=followup.as_of_date,
        filters=filters.describe(),
        renewal_rule=rule.describe(campaign.baseline_as_of),
        renewal_rule_column=rule.column,
        counts=match_counts(outcomes, rule, inputs.new_customers, inputs.followup_customers),
        metrics=metric_results(outcomes, confidence),
        breakdowns=breakdowns(outcomes, confidence),
        confidence=confidence,
    )
