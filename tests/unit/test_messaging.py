"""Default strategies: one per segment, complete, and consistent with the discount table."""

from __future__ import annotations

import pytest

from dashboard.analytics.discounts import DEFAULT_DISCOUNT_TABLE
from dashboard.analytics.messaging import CHANNELS, DEFAULT_STRATEGIES
from dashboard.analytics.rfm import RFM_SEGMENT_ORDER
from dashboard.analytics.segments import SEGMENT_ORDER

FIELDS = {"segment_kind", "segment", "headline", "message", "channel", "offer"}


def test_one_strategy_per_rule_and_rfm_segment_in_display_order() -> None:
    keys = [(s["segment_kind"], s["segment"]) for s in DEFAULT_STRATEGIES]
    assert keys == [("rule", s) for s in SEGMENT_ORDER] + [("rfm", s) for s in RFM_SEGMENT_ORDER]


@pytest.mark.parametrize("strategy", DEFAULT_STRATEGIES, ids=lambda s: s["segment"])
def test_every_strategy_is_complete_and_short(strategy: dict[str, str]) -> None:
    assert set(strategy) == FIELDS
    assert all(isinstance(value, str) and value.strip() for value in strategy.values())
    assert strategy["channel"] in CHANNELS
    assert len(strategy["headline"]) <= 60
    assert len(strategy["message"]) <= 300
    assert len(strategy["offer"]) <= 80


def by_segment(kind: str, segment: str) -> dict[str, str]:
    return next(
        dict(s) for s in DEFAULT_STRATEGIES if (s["segment_kind"], s["segment"]) == (kind, segment)
    )


def test_discount_copy_matches_the_discount_table() -> None:
    dormant_medium = f"{DEFAULT_DISCOUNT_TABLE[('Dormant', 'Medium')]:g} %"
    dormant_high = f"{DEFAULT_DISCOUNT_TABLE[('Dormant', 'High')]:g} %"
    risky_medium = f"{DEFAULT_DISCOUNT_TABLE[('Risky', 'Medium')]:g} %"
    assert (dormant_medium, dormant_high, risky_medium) == ("15 %", "10 %", "20 %")
    dormant = by_segment("rule", "Dormant")
    assert dormant["headline"] == "We miss you: 15 % off your next 3 months"
    assert dormant_high in dormant["offer"]
    assert risky_medium in by_segment("rule", "Risky")["offer"]


def test_non_targeted_segments_promise_no_discount() -> None:
    for segment in ("Loyal", "Casual"):
        assert "%" not in by_segment("rule", segment)["offer"]


def test_migration_seeds_todays_defaults():
    """Migration 0002 carries a frozen copy; a change to the defaults needs a new revision."""
    import importlib

    revision = importlib.import_module("migrations.versions.0002_analysis_tables")
    assert [dict(s) for s in DEFAULT_STRATEGIES] == revision.SEED_STRATEGIES
