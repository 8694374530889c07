"""Campaign results, pure: treated against control, from members matched to a follow-up.

A campaign's members (frozen at creation, see :mod:`dashboard.services.campaigns`) are matched
to a later data set by ``customer_id`` (:func:`outcome_frame`); everything here takes frames
and returns results, the reading is :mod:`dashboard.services.campaigns`'s.

The three metrics, each treated (members outside the control group) against control:

* **Renewal rate** — the share of members who renewed. When the follow-up file has a status
  column (kept in ``customers.extra`` under its original header: "Subscription Status"
  Active/Cancelled, "churned" 1/0, "is_churned" Yes/No, "is_active" True/False, ...), a member
  renewed when that column says so. Otherwise a member renewed when present in the follow-up
  with a last login after the campaign's baseline as-of date. Either way a member missing from
  the follow-up did not renew, and so does one whose status value cannot be read (counted in
  ``unreadable_status``). :attr:`Measurement.renewal_rule` says which rule was used.
* **Watch-time increase** — follow-up watch hours minus baseline watch hours, averaged over the
  members present in the follow-up (missing members have no follow-up value and are left out:
  the sizes say how many were compared). Watch hours are cumulative totals, as the CSV format
  documents, so this is the hours watched between the two exports; with a per-period column it
  reads as the change in the period's hours.
* **Login improvement** — among members more than 30 days away at baseline, the share whose
  days since last login at the follow-up (counted from the follow-up data set's as-of date) is
  30 or less. Missing members count as not improved.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from dashboard.analytics.effects import (
    CONFIDENCE,
    Interval,
    mean_interval,
    newcombe_interval,
    too_small_warning,
    verdict,
    welch_interval,
    wilson_interval,
)

LOGIN_WINDOW_DAYS = 30
"""A login within this many days of the as-of date counts as recent (the metric's threshold)."""

RENEWAL = "renewal"
WATCH_TIME = "watch_time_increase"
LOGIN = "login_improvement"
METRIC_LABELS = {
    RENEWAL: "Renewal rate",
    WATCH_TIME: "Watch-time increase (hours)",
    LOGIN: "Login improvement (back within 30 days)",
}
METRIC_SUBJECTS = {RENEWAL: "renewal", WATCH_TIME: "watch time", LOGIN: "login improvement"}

# Status columns, by header with case, spaces and punctuation ignored. "positive" columns say
# yes when the customer is still subscribed, "negative" ones say yes when they left.
POSITIVE_STATUS_HEADERS = (
    "subscriptionstatus",
    "accountstatus",
    "membershipstatus",
    "customerstatus",
    "renewalstatus",
    "status",
    "renewed",
    "isrenewed",
    "renewal",
    "isactive",
    "active",
    "activesubscription",
    "subscribed",
    "issubscribed",
    "retained",
)
NEGATIVE_STATUS_HEADERS = (
    "churned",
    "ischurned",
    "churn",
    "churnstatus",
    "churnflag",
    "cancelled",
    "canceled",
    "iscancelled",
    "iscanceled",
)
ACTIVE_WORDS = frozenset(
    {"active", "renewed", "subscribed", "retained", "current", "paying", "paid", "ongoing"}
)
INACTIVE_WORDS = frozenset(
    {
        "cancelled",
        "canceled",
        "churned",
        "inactive",
        "expired",
        "lapsed",
        "terminated",
        "ended",
        "suspended",
        "closed",
        "unsubscribed",
        "notrenewed",
    }
)
TRUE_WORDS = frozenset({"1", "1.0", "true", "yes", "y", "t"})
FALSE_WORDS = frozenset({"0", "0.0", "false", "no", "n", "f"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupValue:
    """One group's value for one metric: a rate (0–1) or a mean, its interval and size."""

    n: int
    value: float | None
    low: float | None
    high: float | None
    successes: int | None = None  # for proportions

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "successes": self.successes,
        }


@dataclass(frozen=True)
class MetricResult:
    """Treated against control for one metric, with the difference and what it means."""

    metric: str
    kind: str  # "proportion" or "mean"
    treated: GroupValue
    control: GroupValue
    difference: Interval | None
    verdict: str
    warning: str | None

    @property
    def label(self) -> str:
        return METRIC_LABELS[self.metric]

    @property
    def significant(self) -> bool:
        return self.difference is not None and not self.difference.includes_zero

    def as_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "label": self.label,
            "kind": self.kind,
            "unit": "share" if self.kind == "proportion" else "hours",
            "treated": self.treated.as_dict(),
            "control": self.control.as_dict(),
            "difference": None if self.difference is None else self.difference.as_dict(),
            "significant": self.significant,
            "verdict": self.verdict,
            "warning": self.warning,
        }


@dataclass(frozen=True)
class MatchCounts:
    """How the campaign's (filtered) members and the follow-up data set line up."""

    members: int
    treated: int
    control: int
    matched: int
    missing: int  # members absent from the follow-up
    new: int | None  # follow-up customers absent from the baseline (None: baseline deleted)
    followup_customers: int
    unreadable_status: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "members": self.members,
            "treated": self.treated,
            "control": self.control,
            "matched": self.matched,
            "missing_from_followup": self.missing,
            "new_in_followup": self.new,
            "followup_customers": self.followup_customers,
            "unreadable_status": self.unreadable_status,
        }


@dataclass(frozen=True)
class Breakdown:
    """The three metrics for one group of members (a target reason or a discount level)."""

    by: str  # "target_reason" or "discount_pct"
    group: str
    metrics: tuple[MetricResult, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "group": self.group,
            "metrics": {metric.metric: metric.as_dict() for metric in self.metrics},
        }


@dataclass(frozen=True)
class RenewalRule:
    """How renewal is read from the follow-up: a status column, or a login after baseline."""

    column: str | None  # the original header, or None for the login rule
    negative: bool = False  # True when the column says yes for customers who left

    def describe(self, baseline_as_of: date) -> str:
        if self.column is None:
            return (
                "no status column in the follow-up: renewed = present with a last login "
                f"after {baseline_as_of.isoformat()} (the campaign's baseline as-of date)"
            )
        meaning = "left" if self.negative else "still subscribed"
        return (
            f"status column {self.column!r} (a yes/active value means {meaning}); "
            "customers missing from the follow-up did not renew"
        )


@dataclass(frozen=True)
class Measurement:
    """Everything the results page and ``campaign measure`` show for one campaign."""

    campaign_id: int
    campaign_name: str
    baseline_dataset_id: int | None
    baseline_as_of: date
    followup_dataset_id: int
    followup_as_of: date
    filters: str
    renewal_rule: str
    renewal_rule_column: str | None
    counts: MatchCounts
    metrics: tuple[MetricResult, ...]
    breakdowns: tuple[Breakdown, ...] = field(default=())
    confidence: float = CONFIDENCE

    def metric(self, name: str) -> MetricResult:
        return next(metric for metric in self.metrics if metric.metric == name)

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready document (plain str, int, float, bool, None, lists and dicts)."""
        return {
            "campaign": {"id": self.campaign_id, "name": self.campaign_name},
            "baseline": {
                "dataset_id": self.baseline_dataset_id,
                "as_of": self.baseline_as_of.isoformat(),
            },
            "followup": {
                "dataset_id": self.followup_dataset_id,
                "as_of": self.followup_as_of.isoformat(),
            },
            "filters": self.filters,
            "confidence": self.confidence,
            "renewal_rule": self.renewal_rule,
            "renewal_rule_column": self.renewal_rule_column,
            "match": self.counts.as_dict(),
            "metrics": {metric.metric: metric.as_dict() for metric in self.metrics},
            "breakdowns": [breakdown.as_dict() for breakdown in self.breakdowns],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per (group, metric): the overall results first, then each breakdown.

        Columns: group_by ("all", "target_reason", "discount_pct"), group, metric, label,
        treated/control n, value, low, high, difference, difference_low, difference_high,
        verdict, warning. For a results table or a CSV download.
        """
        rows = []
        sections = [("all", "all members", self.metrics)] + [
            (breakdown.by, breakdown.group, breakdown.metrics) for breakdown in self.breakdowns
        ]
        for group_by, group, metrics in sections:
            for metric in metrics:
                difference = metric.difference
                rows.append(
                    {
                        "group_by": group_by,
                        "group": group,
                        "metric": metric.metric,
                        "label": metric.label,
                        "treated_n": metric.treated.n,
                        "treated_value": metric.treated.value,
                        "treated_low": metric.treated.low,
                        "treated_high": metric.treated.high,
                        "control_n": metric.control.n,
                        "control_value": metric.control.value,
                        "control_low": metric.control.low,
                        "control_high": metric.control.high,
                        "difference": None if difference is None else difference.estimate,
                        "difference_low": None if difference is None else difference.low,
                        "difference_high": None if difference is None else difference.high,
                        "verdict": metric.verdict,
                        "warning": metric.warning,
                    }
                )
        return pd.DataFrame(rows)

    def describe(self) -> str:
        """The measurement in a few lines of plain words, for the terminal."""
        counts = self.counts
        new = "unknown (baseline data set deleted)" if counts.new is None else f"{counts.new:,}"
        lines = [
            f"Campaign {self.campaign_id} ({self.campaign_name!r}), baseline as of "
            f"{self.baseline_as_of}, follow-up data set {self.followup_dataset_id} as of "
            f"{self.followup_as_of}; {self.filters}.",
            f"Members: {counts.members:,} ({counts.treated:,} treated, {counts.control:,} "
            f"control); matched {counts.matched:,}, missing from the follow-up "
            f"{counts.missing:,}; new in the follow-up {new}.",
            f"Renewal rule: {self.renewal_rule}.",
        ]
        if counts.unreadable_status:
            lines.append(
                f"{counts.unreadable_status:,} matched members had a status value that could "
                "not be read; they count as not renewed."
            )
        for metric in self.metrics:
            lines.append(_metric_line(metric))
        for breakdown in self.breakdowns:
            lines.append(f"  {_breakdown_title(breakdown)}:")
            lines.extend(f"  {_metric_line(metric)}" for metric in breakdown.metrics)
        return "\n".join(lines)


def _metric_line(metric: MetricResult) -> str:
    def show(group: GroupValue) -> str:
        if group.value is None:
            return f"n/a (n = {group.n:,})"
        if metric.kind == "proportion":
            return f"{group.value * 100:.1f} % (n = {group.n:,})"
        return f"{group.value:.2f} h (n = {group.n:,})"

    line = (
        f"- {metric.label}: treated {show(metric.treated)}, control {show(metric.control)}; "
        f"{metric.verdict}."
    )
    if metric.warning:
        line += f" Warning: {metric.warning}."
    return line


def _breakdown_title(breakdown: Breakdown) -> str:
    if breakdown.by == "discount_pct":
        return f"Discount {breakdown.group}"
    return f"Target reason {breakdown.group}"


# --- Computations --------------------------------------------------------------------------


def _normalise(text: str) -> str:
    return _NOT_ALNUM.sub("", text.lower())


def choose_renewal_rule(extra_headers: Iterable[str]) -> RenewalRule:
    """The status column to read renewal from (most specific header first), if any."""
    by_key: dict[str, str] = {}
    for header in extra_headers:
        by_key.setdefault(_normalise(header), header)
    for key in POSITIVE_STATUS_HEADERS:
        if key in by_key:
            return RenewalRule(by_key[key], negative=False)
    for key in NEGATIVE_STATUS_HEADERS:
        if key in by_key:
            return RenewalRule(by_key[key], negative=True)
    return RenewalRule(None)


def read_status(values: pd.Series, negative: bool) -> tuple[np.ndarray, np.ndarray]:
    """(renewed, readable) for status cells: words like Active/Cancelled, or yes/no flags.

    Words mean the same whatever the column (Active renewed, Cancelled did not); yes/no,
    true/false and 1/0 follow the column's polarity (``negative``: yes means the customer left).
    """
    text = values.astype(object).where(values.notna(), "").astype(str).str.strip().str.lower()
    compact = text.str.replace(_NOT_ALNUM, "", regex=True)
    active = compact.isin(ACTIVE_WORDS).to_numpy()
    inactive = compact.isin(INACTIVE_WORDS).to_numpy()
    yes = text.isin(TRUE_WORDS).to_numpy()
    no = text.isin(FALSE_WORDS).to_numpy()
    renewed = active | (no if negative else yes)
    readable = active | inactive | yes | no
    return renewed & readable, readable


def outcome_frame(
    members: pd.DataFrame,
    followup: pd.DataFrame,
    baseline_as_of: date,
    followup_as_of: date,
    rule: RenewalRule,
) -> pd.DataFrame:
    """One row per member with the three outcomes, matched to follow-up rows by customer_id.

    ``members`` needs customer_id, control_group, days_since_last_login, watch_time_hours
    (plus any breakdown columns, passed through); ``followup`` needs customer_id, last_login,
    watch_time_hours and, for a status rule, ``status`` (the raw cell). Returns the members
    with matched, renewed, status_readable, watch_increase (NaN when missing), login_eligible,
    login_improved.
    """
    right = followup.rename(
        columns={"last_login": "followup_last_login", "watch_time_hours": "followup_watch"}
    )
    right = right.assign(matched=True)
    frame = members.merge(right, on="customer_id", how="left", validate="one_to_one")
    matched = frame["matched"].eq(True).to_numpy()
    frame["matched"] = matched
    last_login = pd.to_datetime(frame["followup_last_login"])
    if rule.column is None:
        after = (last_login > pd.Timestamp(baseline_as_of)).fillna(False).to_numpy(dtype=bool)
        frame["renewed"] = matched & after
        frame["status_readable"] = matched
    else:
        renewed, readable = read_status(frame["status"], rule.negative)
        frame["renewed"] = matched & renewed
        frame["status_readable"] = matched & readable
    frame["watch_increase"] = np.where(
        matched,
        frame["followup_watch"].astype("float64") - frame["watch_time_hours"].astype("float64"),
        np.nan,
    )
    days_at_followup = (pd.Timestamp(followup_as_of) - last_login).dt.days
    frame["login_eligible"] = frame["days_since_last_login"].astype("int64") > LOGIN_WINDOW_DAYS
    frame["login_improved"] = matched & (days_at_followup <= LOGIN_WINDOW_DAYS).fillna(
        False
    ).to_numpy(dtype=bool)
    return frame


def _proportion(
    metric: str, treated: np.ndarray, control: np.ndarray, confidence: float
) -> MetricResult:
    groups = []
    for outcomes in (treated, control):
        n, successes = len(outcomes), int(outcomes.sum())
        if n == 0:
            groups.append(GroupValue(0, None, None, None, 0))
            continue
        interval = wilson_interval(successes, n, confidence)
        groups.append(GroupValue(n, interval.estimate, interval.low, interval.high, successes))
    treated_value, control_value = groups
    difference = None
    if treated_value.n and control_value.n:
        difference = newcombe_interval(
            treated_value.successes or 0,
            treated_value.n,
            control_value.successes or 0,
            control_value.n,
            confidence,
        )
    return MetricResult(
        metric=metric,
        kind="proportion",
        treated=treated_value,
        control=control_value,
        difference=difference,
        verdict=verdict(METRIC_SUBJECTS[metric], difference, missing_reason=_empty(groups)),
        warning=too_small_warning(treated_value.n, control_value.n, difference, proportion=True),
    )


def _mean(metric: str, treated: np.ndarray, control: np.ndarray, confidence: float) -> MetricResult:
    groups = []
    for values in (treated, control):
        if len(values) == 0:
            groups.append(GroupValue(0, None, None, None))
            continue
        interval = mean_interval(values, confidence)
        groups.append(GroupValue(len(values), interval.estimate, interval.low, interval.high))
    treated_value, control_value = groups
    difference = None
    if treated_value.n >= 2 and control_value.n >= 2:
        difference = welch_interval(treated, control, confidence)
    return MetricResult(
        metric=metric,
        kind="mean",
        treated=treated_value,
        control=control_value,
        difference=difference,
        verdict=verdict(
            METRIC_SUBJECTS[metric],
            difference,
            unit="hours per customer",
            scale=1.0,
            missing_reason=_empty(groups, minimum=2),
        ),
        warning=too_small_warning(treated_value.n, control_value.n, difference, proportion=False),
    )


def _empty(groups: Sequence[GroupValue], minimum: int = 1) -> str:
    """Why a difference cannot be computed: which group is (nearly) empty."""
    short = [
        name
        for name, group in zip(("treated", "control"), groups, strict=True)
        if group.n < minimum
    ]
    if minimum == 1:
        return " and ".join(f"no {name} customers" for name in short)
    return " and ".join(f"fewer than {minimum} {name} customers" for name in short)


def metric_results(
    outcomes: pd.DataFrame, confidence: float = CONFIDENCE
) -> tuple[MetricResult, ...]:
    """Renewal, watch-time increase and login improvement, treated against control."""
    control = outcomes["control_group"].astype(bool).to_numpy()
    treated = ~control
    renewed = outcomes["renewed"].astype(bool).to_numpy()
    increase = outcomes["watch_increase"].astype("float64").to_numpy()
    present = ~np.isnan(increase)
    eligible = outcomes["login_eligible"].astype(bool).to_numpy()
    improved = outcomes["login_improved"].astype(bool).to_numpy()
    return (
        _proportion(RENEWAL, renewed[treated], renewed[control], confidence),
        _mean(WATCH_TIME, increase[treated & present], increase[control & present], confidence),
        _proportion(LOGIN, improved[treated & eligible], improved[control & eligible], confidence),
    )


def breakdowns(outcomes: pd.DataFrame, confidence: float = CONFIDENCE) -> tuple[Breakdown, ...]:
    """The metrics per target reason, then per discount level (in a stable order)."""
    result: list[Breakdown] = []
    for reason in sorted(outcomes["target_reason"].dropna().unique()):
        part = outcomes[outcomes["target_reason"] == reason]
        result.append(Breakdown("target_reason", str(reason), metric_results(part, confidence)))
    for pct in sorted(outcomes["discount_pct"].dropna().unique()):
        part = outcomes[outcomes["discount_pct"] == pct]
        result.append(Breakdown("discount_pct", f"{pct:g} %", metric_results(part, confidence)))
    return tuple(result)


def match_counts(
    outcomes: pd.DataFrame, rule: RenewalRule, new: int | None, followup_customers: int
) -> MatchCounts:
    """How the members in ``outcomes`` (from :func:`outcome_frame`) line up with the follow-up.

    ``new`` and ``followup_customers`` are counted in the follow-up itself.
    """
    control = int(outcomes["control_group"].astype(bool).sum())
    matched_count = int(outcomes["matched"].sum())
    return MatchCounts(
        members=len(outcomes),
        treated=len(outcomes) - control,
        control=control,
        matched=matched_count,
        missing=len(outcomes) - matched_count,
        new=new,
        followup_customers=int(followup_customers),
        unreadable_status=(
            0
            if rule.column is None
            else int((outcomes["matched"] & ~outcomes["status_readable"]).sum())
        ),
    )
