"""Default marketing strategy per segment, seeded into the database by a migration.

One entry per rule segment (segment_kind "rule") and per RFM segment (segment_kind
"rfm"). Discount wording is built from DEFAULT_DISCOUNT_TABLE, so a change to the
default discounts changes the copy too. Marketing edits the seeded rows afterwards;
this list is only the starting point.
"""

from __future__ import annotations

from typing import Literal, TypedDict

from dashboard.analytics.discounts import DEFAULT_DISCOUNT_TABLE

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


def _pct(segment: str, level: str) -> str:
    return f"{DEFAULT_DISCOUNT_TABLE[(segment, level)]:g} %"


_DORMANT_MEDIUM = _pct("Dormant", "Medium")
_DORMANT_HIGH = _pct("Dormant", "High")
_RISKY_MEDIUM = _pct("Risky", "Medium")

DEFAULT_STRATEGIES: list[Strategy] = [
    {
        "segment_kind": "rule",
        "segment": "Loyal",
        "headline": "Thanks for watching with us",
        "message": (
            "Our most engaged viewers. No discount needed: reward them with early access "
            "to new seasons and ask them to bring a friend."
        ),
        "channel": "in-app",
        "offer": "48-hour early access to premieres + 1 free month per referred friend",
    },
    {
        "segment_kind": "rule",
        "segment": "Casual",
        "headline": "Your next favourite is waiting",
        "message": (
            "Active but light viewers. Send a weekly digest of new arrivals in the genres "
            "they already watch to turn occasional evenings into a habit."
        ),
        "channel": "email",
        "offer": "Weekly personalised picks (no discount)",
    },
    {
        "segment_kind": "rule",
        "segment": "Dormant",
        "headline": f"We miss you: {_DORMANT_MEDIUM} off your next 3 months",
        "message": (
            "They watched well but have not logged in for 61-120 days. Lead with what is "
            f"new since their last visit; {_DORMANT_MEDIUM} off for medium watchers, "
            f"{_DORMANT_HIGH} for high watchers, who need less of a nudge."
        ),
        "channel": "email",
        "offer": (f"{_DORMANT_MEDIUM} off the next 3 months ({_DORMANT_HIGH} for high watchers)"),
    },
    {
        "segment_kind": "rule",
        "segment": "Risky",
        "headline": f"Still with us? {_RISKY_MEDIUM} off your next 3 months",
        "message": (
            "Low watch time or more than 120 days away. Medium watchers get our strongest "
            f"offer, {_RISKY_MEDIUM} off; low watchers get a short 'best of the month' "
            "guide instead, since a discount rarely wins back someone who barely watched."
        ),
        "channel": "email + push",
        "offer": f"{_RISKY_MEDIUM} off the next 3 months (medium watchers only)",
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
            f"to win back. Personal picks plus the win-back discount ({_DORMANT_HIGH}-"
            f"{_RISKY_MEDIUM} off 3 months, by rule segment)."
        ),
        "channel": "email + push",
        "offer": f"{_DORMANT_HIGH}-{_RISKY_MEDIUM} off the next 3 months (win-back table)",
    },
    {
        "segment_kind": "rfm",
        "segment": "Hibernating",
        "headline": "A lot has changed since your last visit",
        "message": (
            "Moderate viewers gone quiet. One highlights email of the biggest releases since "
            "they left; the win-back discount applies where their rule segment qualifies."
        ),
        "channel": "email",
        "offer": f"Highlights email; up to {_RISKY_MEDIUM} off 3 months if eligible",
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
