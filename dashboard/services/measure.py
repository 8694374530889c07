"""Campaign results: treated against control, from a follow-up data set.

Results are computed on demand, never stored: a measurement is a few vectorised passes over
the members (:mod:`dashboard.analytics.measure`, which also says what the three metrics
mean), and computing it fresh means it can never disagree with the data sets it reads
(:mod:`db.campaigns`).

Filters apply to the members' baseline values (segment, RFM segment, gender, country, plan,
customer ID): the groups are compared as they were when the campaign was sent, never by
values the discount may itself have changed.
"""

from __future__ import annotations

from sqlalchemy import Engine

from dashboard.analytics.effects import CONFIDENCE
from dashboard.analytics.measure import (
    RENEWAL,
    Measurement,
    breakdowns,
    choose_renewal_rule,
    match_counts,
    metric_results,
    outcome_frame,
)
from dashboard.services.campaigns import CampaignInfo
from db.campaigns import followup_dataset, measure_inputs
from db.filters import Filters

# RENEWAL and Measurement stay importable from here for callers that import them from here.
__all__ = ["RENEWAL", "MeasureError", "Measurement", "measure_campaign"]


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
