"""Messaging copy as templates: one action per customer, rule segment speaks.

The default rule-segment strategies become customer-facing templates ({first_name},
{discount_pct} inside [[ ]] ...) and the RFM strategies stop promising discounts of their own.
Only texts still exactly as seeded are changed: anything marketing edited is kept.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies: the texts as revision 0002 seeded them, and as this revision seeds them.
PREVIOUS = [
    {
        "segment_kind": "rule",
        "segment": "Loyal",
        "headline": "Thanks for watching with us",
        "message": "Our most engaged viewers. No discount needed: reward them with early access to "
        "new seasons and ask them to bring a friend.",
        "channel": "in-app",
        "offer": "48-hour early access to premieres + 1 free month per referred friend",
    },
    {
        "segment_kind": "rule",
        "segment": "Casual",
        "headline": "Your next favourite is waiting",
        "message": "Active but light viewers. Send a weekly digest of new arrivals in the genres "
        "they already watch to turn occasional evenings into a habit.",
        "channel": "email",
        "offer": "Weekly personalised picks (no discount)",
    },
    {
        "segment_kind": "rule",
        "segment": "Dormant",
        "headline": "We miss you: 15 % off your next 3 months",
        "message": "They watched well but have not logged in for 61-120 days. Lead with what is new "
        "since their last visit; 15 % off for medium watchers, 10 % for high watchers, "
        "who need less of a nudge.",
        "channel": "email",
        "offer": "15 % off the next 3 months (10 % for high watchers)",
    },
    {
        "segment_kind": "rule",
        "segment": "Risky",
        "headline": "Still with us? 20 % off your next 3 months",
        "message": "Low watch time or more than 120 days away. Medium watchers get our strongest "
        "offer, 20 % off; low watchers get a short 'best of the month' guide instead, "
        "since a discount rarely wins back someone who barely watched.",
        "channel": "email + push",
        "offer": "20 % off the next 3 months (medium watchers only)",
    },
    {
        "segment_kind": "rfm",
        "segment": "At Risk",
        "headline": "Your shows are back with new episodes",
        "message": "Heavy viewers who have not been back for a while: the most valuable customers "
        "to win back. Personal picks plus the win-back discount (10 %-20 % off 3 months, "
        "by rule segment).",
        "channel": "email + push",
        "offer": "10 %-20 % off the next 3 months (win-back table)",
    },
    {
        "segment_kind": "rfm",
        "segment": "Hibernating",
        "headline": "A lot has changed since your last visit",
        "message": "Moderate viewers gone quiet. One highlights email of the biggest releases since "
        "they left; the win-back discount applies where their rule segment qualifies.",
        "channel": "email",
        "offer": "Highlights email; up to 20 % off 3 months if eligible",
    },
]
SEED_STRATEGIES = [
    {
        "segment_kind": "rule",
        "segment": "Loyal",
        "headline": "Thanks for watching with us, {first_name}",
        "message": "You are one of our most engaged viewers. Get new seasons 48 hours early, and a "
        "free month for every friend you bring.",
        "channel": "in-app",
        "offer": "48-hour early access to premieres + 1 free month per referred friend",
    },
    {
        "segment_kind": "rule",
        "segment": "Casual",
        "headline": "Your next favourite is waiting, {first_name}",
        "message": "Every week we pick new arrivals in the genres you already watch, so an evening "
        "with your {plan} plan is never spent searching.",
        "channel": "email",
        "offer": "Weekly personalised picks (no discount)",
    },
    {
        "segment_kind": "rule",
        "segment": "Dormant",
        "headline": "We miss you, {first_name}",
        "message": "It has been {days_since_last_login} days since your last visit, and a lot is "
        "new. [[Come back with {discount_pct} % off your next 3 months.]]",
        "channel": "email",
        "offer": "[[{discount_pct} % off the next 3 months]]",
    },
    {
        "segment_kind": "rule",
        "segment": "Risky",
        "headline": "Still with us, {first_name}?",
        "message": "Here is the best of the month, picked for you. [[And {discount_pct} % off your "
        "next 3 months if you come back now.]]",
        "channel": "email + push",
        "offer": "[[{discount_pct} % off the next 3 months]]",
    },
    {
        "segment_kind": "rfm",
        "segment": "At Risk",
        "headline": "Your shows are back with new episodes",
        "message": "Heavy viewers who have not been back for a while: the most valuable customers "
        "to win back. Personal picks; the discount, if any, comes from their rule "
        "segment.",
        "channel": "email + push",
        "offer": "Personal picks (the rule segment decides any discount)",
    },
    {
        "segment_kind": "rfm",
        "segment": "Hibernating",
        "headline": "A lot has changed since your last visit",
        "message": "Moderate viewers gone quiet. One highlights email of the biggest releases since "
        "they left; the rule segment decides any discount.",
        "channel": "email",
        "offer": "Highlights email (the rule segment decides any discount)",
    },
]
COLUMNS = ("headline", "message", "channel", "offer")


def _replace(old_rows: list[dict], new_rows: list[dict]) -> None:
    strategies = sa.table(
        "messaging_strategies",
        sa.column("segment_kind", sa.String),
        sa.column("segment", sa.String),
        *[sa.column(name, sa.String) for name in COLUMNS],
    )
    bind = op.get_bind()
    for old, new in zip(old_rows, new_rows, strict=True):
        for column in COLUMNS:
            if old[column] == new[column]:
                continue
            bind.execute(
                strategies.update()
                .where(
                    strategies.c.segment_kind == old["segment_kind"],
                    strategies.c.segment == old["segment"],
                    strategies.c[column] == old[column],
                )
                .values({column: new[column]})
            )


def upgrade() -> None:
    _replace(PREVIOUS, SEED_STRATEGIES)


def downgrade() -> None:
    _replace(SEED_STRATEGIES, PREVIOUS)
