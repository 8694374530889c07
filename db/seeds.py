"""Reference rows the product needs in every database: the default messaging strategies.

Migration 0002 calls :func:`seed_reference_data`; tests call it after emptying tables.
Only missing rows are inserted, so strategies edited by marketing are never overwritten.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, select

from dashboard.analytics.messaging import DEFAULT_STRATEGIES
from db.models import MessagingStrategy


def seed_reference_data(bind: Engine | Connection) -> None:
    """Insert the default strategies that are missing."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            seed_reference_data(connection)
        return
    table = MessagingStrategy.__table__
    existing = {tuple(row) for row in bind.execute(select(table.c.segment_kind, table.c.segment))}
    missing = [
        dict(strategy)
        for strategy in DEFAULT_STRATEGIES
        if (strategy["segment_kind"], strategy["segment"]) not in existing
    ]
    if missing:
        bind.execute(table.insert(), missing)
