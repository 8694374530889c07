"""Series use cases: join a data set to a series, and keep the links between its snapshots.

Called alike by the command line, the upload job and the analysis: after a snapshot is
analysed (or joins a series), the churn labels and segment transitions to its neighbours
are rewritten, so every consecutive pair of analysed snapshots has them.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine

from dashboard.analytics.measure import choose_renewal_rule, read_status
from db import series, transitions
from db.campaigns import followup_dataset
from db.series import SeriesError, SeriesInfo, Snapshot

__all__ = ["SeriesError", "churn_rule", "join_series", "refresh_links"]


@dataclass(frozen=True)
class ChurnRule:
    """How a later snapshot says a customer left: absent, or a status text meaning gone."""

    status_column: str | None
    cancelled: tuple[str, ...]

    def describe(self) -> str:
        if self.status_column is None:
            return "churned = absent from the next snapshot"
        shown = ", ".join(repr(text) for text in self.cancelled[:5]) or "none"
        return (
            f"churned = absent from the next snapshot, or its {self.status_column!r} "
            f"says so ({shown})"
        )


def churn_rule(engine: Engine, next_dataset_id: int) -> ChurnRule:
    """The status column of the later snapshot (as campaign measurement picks it) and its
    texts that mean the customer is not retained (readable and not renewed)."""
    dataset = followup_dataset(engine, next_dataset_id)
    rule = choose_renewal_rule(dataset.extras if dataset else [])
    if rule.column is None:
        return ChurnRule(None, ())
    texts = transitions.status_values(engine, next_dataset_id, rule.column)
    renewed, readable = read_status(pd.Series(texts, dtype=object), rule.negative)
    cancelled = tuple(
        sorted(t for t, r, ok in zip(texts, renewed, readable, strict=True) if ok and not r)
    )
    return ChurnRule(rule.column, cancelled)


def join_series(engine: Engine, dataset_id: int, series_name: str) -> SeriesInfo:
    """Put the data set into the series and link it to its neighbours there."""
    info = series.add_to_series(engine, dataset_id, series_name)
    refresh_links(engine, dataset_id)
    return series.series_info(engine, info.name) or info


def refresh_links(engine: Engine, dataset_id: int) -> None:
    """Rewrite the churn labels and transitions between this snapshot and its neighbours."""
    info = series.series_of(engine, dataset_id)
    if info is None:
        return
    here = next(s for s in info.snapshots if s.dataset_id == dataset_id)
    before, after = series.neighbours(info, dataset_id)
    if before is not None:
        _link(engine, before, here)
    if after is not None:
        _link(engine, here, after)


def _link(engine: Engine, earlier: Snapshot, later: Snapshot) -> None:
    rule = churn_rule(engine, later.dataset_id)
    transitions.write_churn_labels(
        engine, earlier.dataset_id, later.dataset_id, rule.status_column, rule.cancelled
    )
    if earlier.run_id is not None and later.run_id is not None:
        transitions.write_transitions(engine, earlier.run_id, later.run_id, earlier.dataset_id)
