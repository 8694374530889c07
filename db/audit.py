"""The audit trail: who signed in (or failed), uploaded, analysed, edited, exported, deleted."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, insert, select

from db.models import AuditEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Actor:
    """Who a job works for: the signed-in user (and address), or the command line."""

    username: str | None
    remote_addr: str | None = None


COMMAND_LINE = Actor("command line")
ACTIONS = (
    "sign_in",
    "sign_out",
    "upload",
    "analyze",
    "edit_messaging",
    "export",
    "delete_dataset",
    "create_campaign",
    "manage_users",
    "password_change",
    "forbidden",
)


def record(
    engine: Engine,
    action: str,
    username: str | None,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> None:
    """Append one event. Never raises: a failing audit write is logged, not shown to users."""
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(AuditEvent),
                {
                    "at": datetime.now(UTC),
                    "username": username,
                    "action": action,
                    "outcome": outcome,
                    "detail": detail or {},
                    "remote_addr": remote_addr,
                },
            )
    except Exception:
        log.exception("could not write audit event %s for %s", action, username)


def record_for(
    engine: Engine,
    actor: Actor,
    action: str,
    outcome: str = "ok",
    detail: dict[str, Any] | None = None,
) -> None:
    """Append one event done for ``actor`` (see :func:`record`)."""
    record(engine, action, actor.username, outcome, detail, actor.remote_addr)


def recent_events(engine: Engine, limit: int = 500, action: str | None = None) -> pd.DataFrame:
    """The newest events first: at, username, action, outcome, detail, remote_addr."""
    query = select(
        AuditEvent.at,
        AuditEvent.username,
        AuditEvent.action,
        AuditEvent.outcome,
        AuditEvent.detail,
        AuditEvent.remote_addr,
    ).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action == action)
    with engine.connect() as connection:
        rows = connection.execute(query.limit(limit)).all()
    return pd.DataFrame(
        rows, columns=["at", "username", "action", "outcome", "detail", "remote_addr"]
    )
