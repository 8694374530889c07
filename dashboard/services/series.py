"""Series use cases: join a data set to a series, and keep the links between its snapshots.

Called alike by the command line, the upload job and the analysis: after a snapshot is
analysed (or joins a series), the churn labels and segment transitions to its neighbours
are rewritten, so every consecutive pair of analysed snapshots has them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

import pandas as pd
from sqlalchemy import Engine

from dashboard.analytics.discounts import control_group_flags
from dashboard.analytics.measure import choose_renewal_rule, read_status
from dashboard.analytics.migration import (
    GONE,
    NEW,
    churn_rates,
    cohort_shares,
    ordered_matrix,
    row_shares,
)
from dashboard.analytics.rfm import RFM_SEGMENT_ORDER
from dashboard.analytics.segments import SEGMENT_ORDER
from dashboard.components.csv_export import csv_chunks, write_chunks
from dashboard.services.campaigns import (
    MAX_NAME_LENGTH,
    CampaignError,
    CampaignInfo,
    get_campaign,
)
from dashboard.services.campaigns import refusal as campaign_refusal
from dashboard.services.exports import prepare_customers
from db import audit, series, transitions
from db import campaigns as campaign_store
from db.audit import COMMAND_LINE, Actor
from db.campaigns import followup_dataset
from db.columns import CUSTOMER_COLUMNS
from db.filters import Filters
from db.queries import active_run, aggregate, totals_of
from db.queries import delete_dataset as delete_stored_dataset
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


def join_series(engine: Engine, dataset_id: int, series_name: str, link: bool = True) -> SeriesInfo:
    """Put the data set into the series and link it to its neighbours there (``link``
    False: an analysis about to run will link it)."""
    info = series.add_to_series(engine, dataset_id, series_name)
    if link:
        refresh_links(engine, dataset_id, membership_changed=True)
    else:  # the analysis counts this one; the snapshots after it now have it before them
        joined = series.series_info(engine, info.name) or info
        at = [s.dataset_id for s in joined.snapshots].index(dataset_id)
        _recount_cohorts(engine, joined, joined.snapshots[at + 1 :])
    return series.series_info(engine, info.name) or info


def refresh_links(engine: Engine, dataset_id: int, membership_changed: bool = False) -> None:
    """Rewrite the churn labels and transitions between this snapshot and its neighbours,
    and its cohort counts when it has none. ``membership_changed`` (it joined the series,
    or a neighbour was deleted): the cohort counts of it and of every later snapshot too,
    since who arrived when depends on the snapshots before."""
    info = series.series_of(engine, dataset_id)
    if info is None:
        return
    here = next(s for s in info.snapshots if s.dataset_id == dataset_id)
    before, after = series.neighbours(info, dataset_id)
    if before is not None:
        _link(engine, before, here)
    if after is not None:
        _link(engine, here, after)
    if membership_changed:
        _recount_cohorts(engine, info, info.snapshots[info.snapshots.index(here) :])
    elif not series.has_cohort_counts(engine, dataset_id):
        _recount_cohorts(engine, info, [here])


def _recount_cohorts(engine: Engine, info: SeriesInfo, snapshots: list[Snapshot]) -> None:
    """Each snapshot's cohort counts, against the snapshots before it in the series."""
    order = [s.dataset_id for s in info.snapshots]
    for snapshot in snapshots:
        earlier = order[: order.index(snapshot.dataset_id)]
        series.write_cohort_counts(engine, snapshot.dataset_id, snapshot.as_of, earlier)


def _link(engine: Engine, earlier: Snapshot, later: Snapshot) -> None:
    """Labels once per pair of data sets (re-analysing either cannot change them), then
    the transitions between their current runs."""
    if not transitions.has_labels(engine, earlier.dataset_id, later.dataset_id):
        rule = churn_rule(engine, later.dataset_id)
        transitions.write_churn_labels(
            engine, earlier.dataset_id, later.dataset_id, rule.status_column, rule.cancelled
        )
    if earlier.run_id is not None and later.run_id is not None:
        transitions.write_transitions(
            engine, earlier.run_id, later.run_id, earlier.dataset_id, later.dataset_id
        )


class MigrationError(ValueError):
    """A migration or churn request that cannot be answered, with the reason in words."""


@dataclass(frozen=True)
class SnapshotPair:
    series_name: str
    previous: Snapshot
    current: Snapshot


def segment_order(kind: str) -> tuple[str, ...]:
    return SEGMENT_ORDER if kind == "rule" else RFM_SEGMENT_ORDER


def pair_of(
    engine: Engine, series_name: str, previous_id: int | None = None, current_id: int | None = None
) -> SnapshotPair:
    """Two analysed snapshots of the series: by default the latest two; either may be
    chosen. Their transitions are computed now if they never were (a pair that is not
    consecutive)."""
    info = series.series_info(engine, series_name)
    if info is None:
        raise MigrationError(f"There is no series {series_name!r} (see: series list).")
    by_id = {s.dataset_id: s for s in info.snapshots}
    for chosen in (previous_id, current_id):
        if chosen is not None and chosen not in by_id:
            raise MigrationError(f"Data set {chosen} is not a snapshot of {info.name!r}.")
    analysed = [s for s in info.snapshots if s.run_id is not None]
    current = by_id[current_id] if current_id is not None else (analysed or [None])[-1]
    if current is None or current.run_id is None:
        raise MigrationError(_needs_two(info))
    if previous_id is not None:
        previous = by_id[previous_id]
    else:
        earlier = [s for s in analysed if s.as_of < current.as_of]
        if not earlier:
            raise MigrationError(_needs_two(info))
        previous = earlier[-1]
    if previous.run_id is None:
        raise MigrationError(f"Data set {previous.dataset_id} is not analysed yet (run analyze).")
    if previous.as_of >= current.as_of:
        raise MigrationError(
            f"Data set {previous.dataset_id} ({previous.as_of}) is not before data set "
            f"{current.dataset_id} ({current.as_of}): the previous snapshot must be earlier."
        )
    return _with_transitions(engine, SnapshotPair(info.name, previous, current))


def _with_transitions(engine: Engine, pair: SnapshotPair) -> SnapshotPair:
    """The pair, its transitions computed now if they never were (not consecutive)."""
    previous, current = pair.previous, pair.current
    assert previous.run_id is not None and current.run_id is not None
    if not transitions.has_transitions(engine, previous.run_id, current.run_id):
        transitions.write_transitions(
            engine, previous.run_id, current.run_id, previous.dataset_id, current.dataset_id
        )
    return pair


def _needs_two(info: SeriesInfo) -> str:
    return (
        f"Series {info.name!r} needs two analysed snapshots for a migration; it has "
        f"{sum(1 for s in info.snapshots if s.run_id is not None)}."
    )


def migration_cells(
    engine: Engine, pair: SnapshotPair, kind: str, filters: Filters | None = None
) -> pd.DataFrame:
    """The non-empty cells (from, to, customers, churned) of the pair's matrix."""
    assert pair.previous.run_id is not None and pair.current.run_id is not None
    return transitions.transition_matrix(
        engine,
        pair.previous.run_id,
        pair.current.run_id,
        kind,
        filters,
        (pair.previous.dataset_id, pair.current.dataset_id),
    )


def write_cell_csv(
    engine: Engine,
    pair: SnapshotPair,
    kind: str,
    source: str,
    target: str,
    out: IO[str],
    filters: Filters | None = None,
) -> int:
    """One cell's customers as the customers CSV export writes them; returns the count."""
    return write_chunks(cell_csv_chunks(engine, pair, kind, source, target, filters), out)


def _check_cell(kind: str, source: str, target: str) -> None:
    if kind not in ("rule", "rfm"):
        raise MigrationError(f"The kind is rule or rfm, not {kind!r}.")
    order = segment_order(kind)
    if source not in (*order, NEW):
        raise MigrationError(f"--from must be one of {', '.join((*order, NEW))}; got {source!r}.")
    if target not in (*order, GONE):
        raise MigrationError(f"--to must be one of {', '.join((*order, GONE))}; got {target!r}.")
    if source == NEW and target == GONE:
        raise MigrationError("No customer is both new and gone.")


def series_churn_rates(engine: Engine, series_name: str) -> list[dict[str, Any]]:
    """Per consecutive pair of analysed snapshots: churn rate per rule and RFM segment."""
    info = series.series_info(engine, series_name)
    if info is None:
        raise MigrationError(f"There is no series {series_name!r} (see: series list).")
    pairs = []
    for previous, current in zip(info.snapshots, info.snapshots[1:], strict=False):
        if previous.run_id is None or current.run_id is None:
            continue
        pair = pair_of(engine, info.name, previous.dataset_id, current.dataset_id)
        document: dict[str, Any] = {
            "previous_dataset_id": previous.dataset_id,
            "current_dataset_id": current.dataset_id,
            "previous_as_of": previous.as_of.isoformat(),
            "current_as_of": current.as_of.isoformat(),
            "churn_rule": churn_rule(engine, current.dataset_id).describe(),
        }
        for kind in ("rule", "rfm"):
            rates = churn_rates(migration_cells(engine, pair, kind), segment_order(kind))
            document[kind] = [
                {
                    "segment": row["segment"],
                    "customers": int(row["customers"]),
                    "churned": int(row["churned"]),
                    "rate": float(row["rate"]),
                    "low": float(row["low"]),
                    "high": float(row["high"]),
                    "lift": float(row["lift"]),
                }
                for row in rates.to_dict("records")
            ]
        pairs.append(document)
    return pairs


def earlier_snapshots(engine: Engine, dataset_id: int) -> tuple[SeriesInfo | None, list[Snapshot]]:
    """The data set's series and its analysed snapshots before it, latest first."""
    info = series.series_of(engine, dataset_id)
    if info is None:
        return None, []
    here = next(s for s in info.snapshots if s.dataset_id == dataset_id)
    earlier = [s for s in info.snapshots if s.as_of < here.as_of and s.run_id is not None]
    return info, earlier[::-1]


def pair_for_dataset(
    engine: Engine, dataset_id: int, previous_id: int | None = None
) -> SnapshotPair:
    """The data set as the current snapshot and ``previous_id`` (default: the analysed
    snapshot just before it) as the previous one; MigrationError says why there is none."""
    info, earlier = earlier_snapshots(engine, dataset_id)
    if info is None:
        raise MigrationError(
            "This data set is not part of a series, so there is nothing to compare it with. "
            "Load the same customer base again later and add both to one series "
            "(python -m dashboard ingest FILE --series NAME)."
        )
    if not earlier:
        raise MigrationError(
            f"This is the first analysed snapshot of series {info.name!r}: the migration "
            "appears once a later export of the same customers is loaded into it."
        )
    chosen = previous_id if any(s.dataset_id == previous_id for s in earlier) else None
    return pair_of(engine, info.name, chosen or earlier[0].dataset_id, dataset_id)


def _cell_chunks(
    engine: Engine,
    pair: SnapshotPair,
    kind: str,
    source: str,
    target: str,
    filters: Filters | None,
    chunk_rows: int = 10_000,
) -> Iterator[pd.DataFrame]:
    """One cell's customer rows in chunks (see db.transitions.iter_cell_customers)."""
    assert pair.previous.run_id is not None and pair.current.run_id is not None
    return transitions.iter_cell_customers(
        engine,
        pair.previous.run_id,
        pair.current.run_id,
        kind,
        source,
        target,
        filters or Filters(),
        chunk_rows=chunk_rows,
    )


def cell_preview(
    engine: Engine,
    pair: SnapshotPair,
    kind: str,
    source: str,
    target: str,
    filters: Filters | None = None,
    limit: int = 50,
) -> pd.DataFrame:
    """The first ``limit`` customers of one cell, as the cell's download lists them."""
    chunks = _cell_chunks(engine, pair, kind, source, target, filters, limit)
    try:
        first = next(chunks, None)
    finally:
        chunks.close()
    return first if first is not None else pd.DataFrame(columns=list(CUSTOMER_COLUMNS))


def cell_csv_chunks(
    engine: Engine,
    pair: SnapshotPair,
    kind: str,
    source: str,
    target: str,
    filters: Filters | None = None,
):
    """One cell's customers as CSV pieces (text, rows) for a streamed download."""
    _check_cell(kind, source, target)
    chunks = _cell_chunks(engine, pair, kind, source, target, filters)
    return csv_chunks((prepare_customers(chunk) for chunk in chunks), CUSTOMER_COLUMNS)


@dataclass(frozen=True)
class MigrationView:
    """What the Migration page draws for one pair under the filters."""

    cells: pd.DataFrame  # from, to, customers, churned (non-empty cells)
    matrix: pd.DataFrame  # previous x current customers, segment order, new row, gone column
    shares: pd.DataFrame  # the matrix as shares of its rows
    rates: pd.DataFrame  # churn per previous segment, the base rate last


def migration_view(
    engine: Engine, pair: SnapshotPair, kind: str, filters: Filters | None = None
) -> MigrationView:
    cells = migration_cells(engine, pair, kind, filters)
    order = segment_order(kind)
    matrix = ordered_matrix(cells, order)
    return MigrationView(cells, matrix, row_shares(matrix), churn_rates(cells, order))


def customer_history(engine: Engine, dataset_id: int, customer_id: str) -> list:
    """The customer's segments in every snapshot of the data set's series (see db.series)."""
    return series.customer_history(engine, dataset_id, customer_id)


def previous_snapshot(engine: Engine, dataset_id: int) -> Snapshot | None:
    """The analysed snapshot just before this data set in its series, if any."""
    return series.previous_snapshot(engine, dataset_id)


@dataclass(frozen=True)
class Kpis:
    """The Overview's headline numbers for one run under the filters."""

    customers: int
    avg_visits: float
    avg_watch: float
    targets: int
    control: int
    risky: int

    @property
    def risky_share(self) -> float | None:
        return self.risky / self.customers if self.customers else None


def kpis(engine: Engine, run_id: int, filters: Filters) -> Kpis:
    by_segment = aggregate(engine, run_id, filters, by=["segment"])
    totals = totals_of(by_segment)  # one query: the segments partition the filtered customers
    risky = int(by_segment.loc[by_segment["segment"] == "Risky", "customers"].sum())
    return Kpis(
        customers=int(totals["customers"]),
        avg_visits=float(totals["avg_visit_frequency"]),
        avg_watch=float(totals["avg_watch_time_hours"]),
        targets=int(totals["targets"]),
        control=int(totals["control"]),
        risky=risky,
    )


def series_trend(
    engine: Engine, dataset_id: int, filters: Filters | None = None
) -> tuple[SeriesInfo | None, pd.DataFrame]:
    """Per analysed snapshot of the data set's series, oldest first, under the filters:
    dataset_id, as_of, customers, avg_watch, avg_visits, targets, the share of each rule
    segment (``share:<segment>``) and RFM segment (``rfm:<segment>``), and, from the second
    on, the customers gone since the previous one and the churn rate of the previous one's
    customers (``gone``, ``churn_rate``)."""
    filters = filters or Filters()
    info = series.series_of(engine, dataset_id)
    if info is None:
        return None, pd.DataFrame()
    rows: list[dict[str, Any]] = []
    previous: Snapshot | None = None
    for snapshot in info.snapshots:
        if snapshot.run_id is None:
            continue
        # One grouped read per snapshot: both segmentations and the totals come from it.
        groups = aggregate(engine, snapshot.run_id, filters, by=["segment", "rfm_segment"])
        totals = totals_of(groups)
        customers = int(totals["customers"])
        row: dict[str, Any] = {
            "dataset_id": snapshot.dataset_id,
            "as_of": snapshot.as_of,
            "customers": customers,
            "avg_watch": float(totals["avg_watch_time_hours"]),
            "avg_visits": float(totals["avg_visit_frequency"]),
            "targets": int(totals["targets"]),
            "gone": None,
            "churn_rate": None,
        }
        for column, prefix, order in (
            ("segment", "share", SEGMENT_ORDER),
            ("rfm_segment", "rfm", RFM_SEGMENT_ORDER),
        ):
            counts = groups.groupby(column)["customers"].sum().to_dict()
            for name in order:
                row[f"{prefix}:{name}"] = counts.get(name, 0) / customers if customers else None
        if previous is not None:
            pair = _with_transitions(engine, SnapshotPair(info.name, previous, snapshot))
            cells = migration_cells(engine, pair, "rule", filters)
            before = cells[cells["from"] != NEW]
            row["gone"] = int(before.loc[before["to"] == GONE, "customers"].sum())
            total = int(before["customers"].sum())
            row["churn_rate"] = int(before["churned"].sum()) / total if total else None
        rows.append(row)
        previous = snapshot
    return info, pd.DataFrame(rows)


def freeze_cell(
    engine: Engine,
    pair: SnapshotPair,
    kind: str,
    source: str,
    target: str,
    name: str,
    created_by: str | None = None,
    actor: Actor | None = None,
    filters: Filters | None = None,
) -> CampaignInfo:
    """Freeze one migration cell's customers as campaign ``name`` on the current snapshot.

    Members are the cell's current rows under the filters; the control group follows the
    run's rule (the seeded hash at the run's control share), so a customer held out here is
    held out in the run's own discount list too. The reason each member carries is the cell
    (``Loyal -> Risky``); customers who are not discount targets carry a 0 % discount. The
    gone have no row in the current snapshot, so their cell cannot be frozen. Audited.
    """
    actor = actor or (Actor(created_by) if created_by else COMMAND_LINE)
    cell = f"{source} -> {target}"
    detail: dict[str, object] = {
        "name": (name or "").strip()[:200],
        "dataset_id": pair.current.dataset_id,
        "previous_dataset_id": pair.previous.dataset_id,
        "cell": f"{kind}: {cell}",
    }
    try:
        campaign = _freeze(engine, pair, kind, source, target, name, created_by, filters, cell)
    except (CampaignError, MigrationError):
        audit.record_for(engine, actor, "create_campaign", "refused", detail)
        raise
    detail.update(campaign_id=campaign.id, members=campaign.members)
    audit.record_for(engine, actor, "create_campaign", "ok", detail)
    return campaign


def _freeze(engine, pair, kind, source, target, name, created_by, filters, cell) -> CampaignInfo:
    _check_cell(kind, source, target)
    if target == GONE:
        raise MigrationError(
            "The gone are not in the current snapshot, so they cannot be its target list; "
            "download the cell to reach them."
        )
    name = (name or "").strip()
    if not name:
        raise CampaignError("A campaign needs a name.")
    if len(name) > MAX_NAME_LENGTH:
        raise CampaignError(f"A campaign name is at most {MAX_NAME_LENGTH} characters long.")
    assert pair.current.run_id is not None and pair.previous.run_id is not None
    run = active_run(engine, pair.current.dataset_id)
    if run is None or run.run_id != pair.current.run_id:
        raise MigrationError("The current snapshot was re-analysed meanwhile; please try again.")
    chunks = _cell_chunks(engine, pair, kind, source, target, filters, 50_000)
    frames = list(chunks)
    members = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if members.empty:
        raise MigrationError(f"No customer is in {cell} under these filters.")
    members["control_group"] = control_group_flags(
        members["customer_id"],
        str(run.parameters.get("campaign_seed", "")),
        float(run.parameters.get("control_share", 0.0)),
    ).to_numpy()
    members["target_reason"] = cell[:50]
    members["discount_pct"] = members["discount_pct"].astype(float).fillna(0.0)
    try:
        campaign_id = campaign_store.insert_audience_campaign(
            engine, name, pair.current.dataset_id, pair.current.run_id, members, created_by
        )
    except campaign_store.CampaignRefused as error:
        raise CampaignError(
            campaign_refusal(error, name, pair.current.dataset_id)
        ) from error.__cause__
    return get_campaign(engine, campaign_id)


def all_series(engine: Engine) -> list[SeriesInfo]:
    """Every series with its snapshots, by name (the Data page's timelines)."""
    return series.list_series(engine)


def cohorts(engine: Engine, dataset_id: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cohort retention for the data set's series: (share still present, share active within
    30 days) per join month and snapshot; empty outside a series or without join dates."""
    info = series.series_of(engine, dataset_id)
    if info is None:
        return pd.DataFrame(), pd.DataFrame()
    # Snapshots linked before the counts were stored (migration 0014) are counted once now.
    uncounted = [s for s in info.snapshots if not series.has_cohort_counts(engine, s.dataset_id)]
    _recount_cohorts(engine, info, uncounted)
    return cohort_shares(series.cohort_counts(engine, info.series_id))


def delete_dataset(engine: Engine, dataset_id: int) -> bool:
    """Delete a data set; when it sat between two snapshots of a series, the two are linked
    to each other instead (churn labels and transitions), so the series has no gap."""
    info = series.series_of(engine, dataset_id)
    before = series.neighbours(info, dataset_id)[0] if info is not None else None
    deleted = delete_stored_dataset(engine, dataset_id)
    if deleted and before is not None:
        refresh_links(engine, before.dataset_id, membership_changed=True)
    return deleted
