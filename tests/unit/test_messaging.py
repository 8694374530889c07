"""Default strategies and the one action per customer rendered from them."""

from __future__ import annotations

import pytest

from dashboard.analytics.messaging import (
    CHANNELS,
    DEFAULT_STRATEGIES,
    HOLD_OUT,
    customer_action,
    template_problem,
)
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


def test_copy_names_no_fixed_discount() -> None:
    """The discount comes from each customer's row (the run's table), never from the copy."""
    for strategy in DEFAULT_STRATEGIES:
        for column in ("headline", "message", "offer"):
            outside = strategy[column].split("[[")[0]
            assert "%" not in outside or strategy["segment_kind"] == "rfm", strategy["segment"]
    assert "{discount_pct}" in by_segment("rule", "Dormant")["offer"]
    assert "{discount_pct}" in by_segment("rule", "Risky")["offer"]


def test_non_targeted_segments_promise_no_discount() -> None:
    for segment in ("Loyal", "Casual"):
        assert "%" not in by_segment("rule", segment)["offer"]


def test_migrations_seed_todays_defaults():
    """0002 seeds, 0006 turns the copy into templates; together they equal today's defaults.
    A change to the defaults needs a revision of its own."""
    import importlib

    seeded = importlib.import_module("migrations.versions.0002_analysis_tables").SEED_STRATEGIES
    templates = importlib.import_module("migrations.versions.0006_messaging_templates")
    replaced = {(r["segment_kind"], r["segment"]): r for r in templates.SEED_STRATEGIES}
    effective = [replaced.get((r["segment_kind"], r["segment"]), r) for r in seeded]
    assert effective == [dict(s) for s in DEFAULT_STRATEGIES]


STRATEGIES = {(s["segment_kind"], s["segment"]): s for s in DEFAULT_STRATEGIES}


def customer(**values):
    base = {
        "name": "Ann Lee",
        "plan": "Basic",
        "segment": "Dormant",
        "days_since_last_login": 75,
        "discount_target": True,
        "discount_pct": 10.0,
        "control_group": False,
    }
    return {**base, **values}


@pytest.mark.parametrize(
    ("values", "headline", "message", "offer"),
    [
        (
            {"segment": "Dormant", "discount_pct": 10.0},
            "We miss you, Ann",
            "It has been 75 days since your last visit, and a lot is new. "
            "Come back with 10 % off your next 3 months.",
            "10 % off the next 3 months",
        ),
        (
            {"segment": "Dormant", "discount_pct": 15.0},
            "We miss you, Ann",
            "It has been 75 days since your last visit, and a lot is new. "
            "Come back with 15 % off your next 3 months.",
            "15 % off the next 3 months",
        ),
        (
            {"segment": "Risky", "discount_pct": 20.0, "name": None},
            "Still with us, there?",
            "Here is the best of the month, picked for you. And 20 % off your next 3 months "
            "if you come back now.",
            "20 % off the next 3 months",
        ),
        (  # a Risky customer who is not a target never reads discount copy
            {"segment": "Risky", "discount_target": False, "discount_pct": None},
            "Still with us, Ann?",
            "Here is the best of the month, picked for you.",
            "No discount",
        ),
        (
            {"segment": "Loyal", "discount_target": False, "discount_pct": None},
            "Thanks for watching with us, Ann",
            "You are one of our most engaged viewers. Get new seasons 48 hours early, and a "
            "free month for every friend you bring.",
            "48-hour early access to premieres + 1 free month per referred friend",
        ),
    ],
    ids=["dormant-high", "dormant-medium", "risky-medium", "risky-not-target", "loyal"],
)
def test_one_action_per_customer_renders_their_own_discount(values, headline, message, offer):
    person = customer(**values)
    action = customer_action(person, STRATEGIES[("rule", person["segment"])])
    assert (action.send, action.headline, action.message, action.offer) == (
        True,
        headline,
        message,
        offer,
    )
    assert action.discount_pct == person["discount_pct"]


def test_the_control_group_is_sent_nothing():
    action = customer_action(customer(control_group=True), STRATEGIES[("rule", "Dormant")])
    assert (action.send, action.discount_pct, action.message, action.offer) == (False, None, "", "")
    assert action.note == HOLD_OUT


@pytest.mark.parametrize(
    ("template", "problem"),
    [
        ("Hi {first_name}", None),
        ("[[{discount_pct} % off]] for you", None),
        (
            "{discount_pct} % off",
            "{discount_pct} must stand inside [[ ]], shown only to customers with a discount.",
        ),
        (
            "Hi {firstname}",
            "Unknown placeholder {firstname}: use {first_name}, {name}, {plan}, {segment}, {days_since_last_login}, {discount_pct}.",
        ),
        ("[[half open", "Every [[ needs a matching ]] (text shown only with a discount)."),
        (
            "a { brace",
            "Braces are for placeholders such as {first_name}; write {{ or }} for a brace.",
        ),
    ],
)
def test_templates_are_checked_before_they_are_saved(template, problem):
    assert template_problem(template) == problem


def test_every_default_strategy_is_a_valid_template():
    for strategy in DEFAULT_STRATEGIES:
        for column in ("headline", "message", "offer"):
            assert template_problem(strategy[column]) is None, (strategy["segment"], column)
