"""Messaging: one action per customer, in words the customer can be sent.

One strategy per rule segment (segment_kind "rule") and per RFM segment ("rfm"), seeded by
a migration and edited by marketing afterwards. **The rule segment speaks**: it is what the
discount targets are chosen by, so its strategy is the one message a customer gets, with the
customer's own discount from the run's discount table. The RFM strategy is context for the
marketer (how valuable and how recent), never a second offer.

Rule-segment copy is a template: ``{first_name}``, ``{name}``, ``{plan}``, ``{segment}``,
``{days_since_last_login}`` and ``{discount_pct}`` are filled per customer, and text inside
``[[ ]]`` appears only for a customer who gets a discount, so nobody without one reads
discount copy. ``{discount_pct}`` may only stand inside ``[[ ]]``. A customer in the control
group is sent nothing (that is what makes the campaign measurable).
"""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, TypedDict

CHANNELS: tuple[str, ...] = ("email", "push", "in-app", "email + push")
"""Channels the strategies use."""


class Strategy(TypedDict):
    """One seeded strategy row."""

    segment_kind: Literal["rule", "rfm"]
    segment: str
    headline: str
    message: str
    channel: str
    offer: str


DEFAULT_STRATEGIES: list[Strategy] = [
    {
        "segment_kind": "rule",
        "segment": "Loyal",
        "headline": "Thanks for watching with us, {first_name}",
        "message": (
            "You are one of our most engaged viewers. Get new seasons 48 hours early, and a "
            "free month for every friend you bring."
        ),
        "channel": "in-app",
        "offer": "48-hour early access to premieres + 1 free month per referred friend",
    },
    {
        "segment_kind": "rule",
        "segment": "Casual",
        "headline": "Your next favourite is waiting, {first_name}",
        "message": (
            "Every week we pick new arrivals in the genres you already watch, so an evening "
            "with your {plan} plan is never spent searching."
        ),
        "channel": "email",
        "offer": "Weekly personalised picks (no discount)",
    },
    {
        "segment_kind": "rule",
        "segment": "Dormant",
        "headline": "We miss you, {first_name}",
        "message": (
            "It has been {days_since_last_login} days since your last visit, and a lot is new. "
            "[[Come back with {discount_pct} % off your next 3 months.]]"
        ),
        "channel": "email",
        "offer": "[[{discount_pct} % off the next 3 months]]",
    },
    {
        "segment_kind": "rule",
        "segment": "Risky",
        "headline": "Still with us, {first_name}?",
        "message": (
            "Here is the best of the month, picked for you. [[And {discount_pct} % off your "
            "next 3 months if you come back now.]]"
        ),
        "channel": "email + push",
        "offer": "[[{discount_pct} % off the next 3 months]]",
    },
    {
        "segment_kind": "rfm",
        "segment": "Champions",
        "headline": "You are one of our top viewers",
        "message": (
            "Recent, frequent and heavy viewers. Make them feel like insiders: early access, "
            "behind-the-scenes content and a say in what we add next."
        ),
        "channel": "in-app",
        "offer": "Early access to premieres + invitation to the viewer panel",
    },
    {
        "segment_kind": "rfm",
        "segment": "Potential Loyalists",
        "headline": "Make every week a watch week",
        "message": (
            "Recent viewers with middling frequency and watch time. Recommend full series "
            "they are likely to finish and suggest the annual plan."
        ),
        "channel": "email",
        "offer": "Annual plan: 12 months for the price of 10",
    },
    {
        "segment_kind": "rfm",
        "segment": "New Viewers",
        "headline": "Welcome! Here is where to start",
        "message": (
            "Recent but light viewers, often new sign-ups. A three-email onboarding series "
            "with a curated starter list and how to set up profiles and downloads."
        ),
        "channel": "email",
        "offer": "Curated starter list (no discount)",
    },
    {
        "segment_kind": "rfm",
        "segment": "Needs Attention",
        "headline": "New this week in your favourite genres",
        "message": (
            "Their last visit is neither recent nor long ago. Remind them of the show they "
            "left half-watched and what has arrived since."
        ),
        "channel": "push",
        "offer": "'Continue watching' reminder (no discount)",
    },
    {
        "segment_kind": "rfm",
        "segment": "At Risk",
        "headline": "Your shows are back with new episodes",
        "message": (
            "Heavy viewers who have not been back for a while: the most valuable customers "
            "to win back. Personal picks; the discount, if any, comes from their rule segment."
        ),
        "channel": "email + push",
        "offer": "Personal picks (the rule segment decides any discount)",
    },
    {
        "segment_kind": "rfm",
        "segment": "Hibernating",
        "headline": "A lot has changed since your last visit",
        "message": (
            "Moderate viewers gone quiet. One highlights email of the biggest releases since "
            "they left; the rule segment decides any discount."
        ),
        "channel": "email",
        "offer": "Highlights email (the rule segment decides any discount)",
    },
    {
        "segment_kind": "rfm",
        "segment": "Lost",
        "headline": "The best of the year, in one place",
        "message": (
            "Light viewers who left long ago. One last low-cost email, then stop mailing "
            "them to protect sender reputation; no discount."
        ),
        "channel": "email",
        "offer": "Year-in-review list (no discount), then suppress",
    },
]
"""Seed rows for the strategies table: 4 rule segments then 7 RFM segments."""


PLACEHOLDERS = ("first_name", "name", "plan", "segment", "days_since_last_login", "discount_pct")
_OPTIONAL = re.compile(r"\[\[(.*?)\]\]", re.S)
NO_OFFER = "No discount"
HOLD_OUT = "In the control group: send nothing, so the campaign can be measured."


def template_problem(template: str) -> str | None:
    """Why ``template`` cannot be used, in words, or None when it is fine."""
    outside = _OPTIONAL.sub("", template)
    if "[[" in outside or "]]" in outside:
        return "Every [[ needs a matching ]] (text shown only with a discount)."
    for part, optional in ((outside, False), *((m, True) for m in _OPTIONAL.findall(template))):
        try:
            fields = [field for _, field, _, _ in string.Formatter().parse(part) if field]
        except ValueError:
            return "Braces are for placeholders such as {first_name}; write {{ or }} for a brace."
        unknown = [field for field in fields if field not in PLACEHOLDERS]
        if unknown:
            allowed = ", ".join("{" + name + "}" for name in PLACEHOLDERS)
            return f"Unknown placeholder {{{unknown[0]}}}: use {allowed}."
        if "discount_pct" in fields and not optional:
            return (
                "{discount_pct} must stand inside [[ ]], shown only to customers with a discount."
            )
    return None


def render(template: str, values: Mapping[str, object], with_discount: bool) -> str:
    """The template filled for one customer; ``[[ ]]`` parts only ``with_discount``.

    A template that does not parse (edited by hand into the database) is sent as written
    rather than failing the whole list.
    """
    text = _OPTIONAL.sub(lambda match: match.group(1) if with_discount else "", template)
    try:
        filled = text.format(**{name: values.get(name, "") for name in PLACEHOLDERS})
    except (KeyError, IndexError, ValueError):
        filled = text
    return " ".join(filled.split())


@dataclass(frozen=True)
class Action:
    """The one thing to do for a customer: the discount (or none) and the message for it."""

    send: bool
    discount_pct: float | None
    headline: str
    message: str
    channel: str
    offer: str
    note: str = ""


def first_name(name: object) -> str:
    """The first word of a customer's name, or "there" ("Hi there") when there is none."""
    if not isinstance(name, str) or not name.strip():
        return "there"
    return name.split()[0]


def _number(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    number = float(value)  # type: ignore[arg-type]
    return f"{number:g}" if not number.is_integer() else f"{int(number)}"


def customer_action(customer: Mapping[str, object], strategy: Mapping[str, str] | None) -> Action:
    """The action for one customer from their rule segment's ``strategy``.

    ``customer`` holds name, plan, segment, days_since_last_login, discount_target,
    discount_pct and control_group. Targets outside the control group get their discount;
    control customers get nothing; everyone else gets the copy without its ``[[ ]]`` parts.
    """
    target = bool(customer.get("discount_target"))
    if target and bool(customer.get("control_group")):
        return Action(False, None, "", "", "", "", HOLD_OUT)
    with_discount = target and customer.get("discount_pct") is not None
    pct = float(customer["discount_pct"]) if with_discount else None  # type: ignore[arg-type]
    if strategy is None:
        return Action(True, pct, "", "", "", NO_OFFER if pct is None else f"{pct:g} %")
    values = {
        "first_name": first_name(customer.get("name")),
        "name": customer.get("name") or "",
        "plan": customer.get("plan") or "",
        "segment": customer.get("segment") or "",
        "days_since_last_login": _number(customer.get("days_since_last_login")),
        "discount_pct": _number(pct),
    }
    offer = render(strategy["offer"], values, with_discount) or NO_OFFER
    return Action(
        send=True,
        discount_pct=pct,
        headline=render(strategy["headline"], values, with_discount),
        message=render(strategy["message"], values, with_discount),
        channel=strategy["channel"],
        offer=offer,
    )
