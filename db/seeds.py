"""Reference rows put back into an emptied database: the messaging strategies.

Migration 0002 carries its own frozen copy of the default strategies; this helper lets a
caller (the tests, after emptying tables) insert the strategies it is given. Only missing
rows are inserted, so strategies edited by marketing are never overwritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Connection, Engine, select

from db.models import MessagingStrategy


def insert_missing_strategies(
    bind: Engine | Connection, strategies: Iterable[Mapping[str, str]]
) -> None:
    """Insert the given strategies whose (segment_kind, segment) is not stored yet."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            insert_missing_strategies(connection, strategies)
        return
    table = MessagingStrategy.__table__
    existing = {tuple(row) for row in bind.execute(select(table.c.segment_kind, table.c.segment))}
    missing = [
        dict(strategy)
        for strategy in strategies
        if (strategy["segment_kind"], strategy["segment"]) not in existing
    ]
    if missing:
        bind.execute(table.insert(), missing)
