"""Analysis runs: read one data set, run every analytics step, store all results at once.

The use case behind ``python -m dashboard analyze``, the upload job, the Data page's
"Analyse again" and start-up: :func:`analyze_dataset` reads through :mod:`db.results`, computes
with the pure :mod:`dashboard.analytics`, and writes one complete run in one transaction.
:func:`run_reanalysis` is the same for the Data page's form, with its text checked here, so a
bad date or k is a sentence, never a stack trace, and the previous results stay untouched.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from dashboard.analytics.analysis import AnalysisResult, analyze_customers
from dashboard.analytics.cube import CAPPED_DIMENSIONS, top_counted_values
from dashboard.analytics.discounts import (
    DEFAULT_CAMPAIGN_SEED,
    DEFAULT_CONTROL_SHARE,
    DEFAULT_DISCOUNT_TABLE,
    DiscountTable,
    table_from_records,
)
from dashboard.services import series as series_links
from db import audit, results
from db.audit import Actor
from db.queries import SAMPLE_POOL, active_run
from db.session import make_engine

log = logging.getLogger(__name__)

# The k the Clusters page's sweep shows, so the chosen k can always be compared there.
MIN_K, MAX_K = 2, 8


class AnalysisError(Exception):
    """An analysis that cannot run, with a message for the user."""


class ReanalysisError(ValueError):
    """A form value that cannot be used, in words for the user."""


@dataclass(frozen=True)
class AnalysisParameters:
    """What a user may choose for a run; stored with the run so it can be explained later."""

    as_of: date | None = None
    k: int = 4
    random_state: int = 42
    campaign_seed: str = DEFAULT_CAMPAIGN_SEED
    control_share: float = DEFAULT_CONTROL_SHARE
    discount_table: DiscountTable = field(default_factory=lambda: dict(DEFAULT_DISCOUNT_TABLE))
    # How many customers (in random order) the dot charts may sample from.
    sample_pool: int = SAMPLE_POOL

    def as_json(self) -> dict[str, object]:
        return {
            "as_of": self.as_of.isoformat() if self.as_of else None,
            "k": self.k,
            "random_state": self.random_state,
            "campaign_seed": self.campaign_seed,
            "control_share": self.control_share,
            "discount_table": [
                {"segment": segment, "engagement": level, "discount_pct": pct}
                for (segment, level), pct in sorted(self.discount_table.items())
            ],
            "sample_pool": self.sample_pool,
        }


@dataclass(frozen=True)
class RunSummary:
    run_id: int
    dataset_id: int
    as_of: date
    customers: int
    targets: int
    k_used: int
    adjusted_rand_index: float | None
    silhouette: float | None
    seconds: dict[str, float]

    def describe(self) -> str:
        ari = "n/a" if self.adjusted_rand_index is None else f"{self.adjusted_rand_index:.3f}"
        sil = "n/a" if self.silhouette is None else f"{self.silhouette:.3f}"
        return (
            f"Analysis run {self.run_id} of data set {self.dataset_id} as of {self.as_of}: "
            f"{self.customers:,} customers, {self.targets:,} discount targets, "
            f"k = {self.k_used}, adjusted Rand index {ari}, silhouette {sil}."
        )


def analyze_dataset(
    engine: Engine, dataset_id: int | None = None, parameters: AnalysisParameters | None = None
) -> RunSummary:
    """Analyse a data set (the newest when ``dataset_id`` is None) and replace its results."""
    parameters = parameters or AnalysisParameters()
    dataset_id = dataset_id if dataset_id is not None else results.latest_dataset_id(engine)
    if dataset_id is None:
        raise AnalysisError("No data set loaded yet: ingest a CSV first.")
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    dataset_as_of = results.dataset_as_of(engine, dataset_id)
    if dataset_as_of is None:
        raise AnalysisError(f"There is no data set {dataset_id}.")
    frame = results.read_customers(engine, dataset_id)
    seconds["read"] = time.perf_counter() - started
    if frame.empty:
        raise AnalysisError(f"Data set {dataset_id} has no customers.")
    as_of = parameters.as_of or dataset_as_of
    latest_login = frame["last_login"].max().date()
    if as_of < latest_login:
        raise AnalysisError(
            f"The as-of date {as_of} is before the latest login in the data ({latest_login})."
        )

    started = time.perf_counter()
    result = analyze_customers(
        frame,
        as_of=as_of,
        k=parameters.k,
        random_state=parameters.random_state,
        discount_table=parameters.discount_table,
        campaign_seed=parameters.campaign_seed,
        control_share=parameters.control_share,
    )
    seconds["compute"] = time.perf_counter() - started
    seconds.update({f"compute.{step}": value for step, value in result.step_seconds.items()})

    started = time.perf_counter()
    cube_values = {
        dimension: _kept_values(results.dimension_counts(engine, dataset_id, dimension))
        for dimension in CAPPED_DIMENSIONS
    }
    tables = run_tables(parameters, result, started_at, cube_values)
    seconds["prepare"] = time.perf_counter() - started
    started = time.perf_counter()
    steps: dict[str, float] = {}
    run_id = results.write_run(engine, dataset_id, tables, steps)
    seconds["write"] = time.perf_counter() - started
    seconds.update({f"write.{step}": value for step, value in steps.items()})
    started = time.perf_counter()
    series_links.refresh_links(engine, dataset_id)  # churn labels, transitions to neighbours
    seconds["series"] = time.perf_counter() - started
    clusters = result.clusters
    return RunSummary(
        run_id=run_id,
        dataset_id=dataset_id,
        as_of=result.as_of,
        customers=len(result.customers),
        targets=int(result.customers["discount_target"].sum()),
        k_used=clusters.k,
        adjusted_rand_index=clusters.adjusted_rand_index,
        silhouette=clusters.silhouette,
        seconds=seconds,
    )


def _kept_values(counts: dict[object, int]) -> list[str] | None:
    """The values of a capped cube dimension the cube keeps apart (None: every value)."""
    kept = top_counted_values(counts)
    present = [value for value in counts if value is not None]
    return None if len(kept) == len(present) else sorted(str(value) for value in kept)


def run_tables(
    parameters: AnalysisParameters,
    result: AnalysisResult,
    started_at: datetime,
    cube_values: dict[str, list[str] | None],
) -> results.RunTables:
    """The rows and frames one run stores, from the analysis result (no database here)."""
    customers = result.customers
    clusters = result.clusters
    run = {
        "parameters": parameters.as_json(),
        "thresholds": result.thresholds,
        "as_of_date": result.as_of,
        "started_at": started_at,
        "customer_count": len(customers),
        "target_count": int(customers["discount_target"].sum()),
        "k_used": clusters.k,
        "adjusted_rand_index": clusters.adjusted_rand_index,
        "silhouette": clusters.silhouette,
        "frequency_available": bool(result.flags["frequency_available"]),
        "revenue_available": bool(customers["monthly_revenue"].notna().any()),
    }
    return results.RunTables(
        run=run,
        customers=_computed_columns(customers, parameters.random_state),
        labels={name: list(customers[name].cat.categories) for name in results.LABELLED_COLUMNS},
        cluster_names=[str(name) for name in customers["cluster_name"].cat.categories],
        sample_pool=parameters.sample_pool,
        summaries=_summary_rows("rule", result.segment_summary)
        + _summary_rows("rfm", result.rfm_summary),
        centroids=[
            {
                "cluster": int(row["cluster"]),
                "name": str(row["name"]),
                "watch_time_hours": float(row["watch_time_hours"]),
                "days_since_last_login": float(row["days_since_last_login"]),
                "customers": int(row["size"]),
            }
            for row in clusters.centroids.to_dict("records")
        ],
        sweep=[
            {
                "k": int(row["k"]),
                "inertia": float(row["inertia"]),
                "silhouette": _float(row["silhouette"]),
            }
            for row in clusters.sweep.to_dict("records")
        ],
        agreement=[]
        if clusters.contingency is None
        else [
            {
                "cluster": int(row["cluster"]),
                "segment": str(row["segment"]),
                "customers": int(row["count"]),
            }
            for row in clusters.contingency.to_dict("records")
        ],
        cube_values=cube_values,
    )


def _computed_columns(customers: pd.DataFrame, random_state: int) -> pd.DataFrame:
    """What the run adds per customer, as the database takes it: the customers row id, the
    text results as category codes, and a seeded random ``sample_rank`` for the dot charts."""
    frame = pd.DataFrame({"row_id": customers["row_id"].to_numpy()})
    for name in results.COMPUTED_COLUMNS:
        if name == "sample_rank":
            frame[name] = np.random.default_rng(random_state).permutation(len(customers))
        elif name in results.LABELLED_COLUMNS:
            frame[name] = customers[name].cat.codes.to_numpy()
        elif name in ("discount_target", "control_group"):
            frame[name] = customers[name].to_numpy(dtype=bool)
        else:
            frame[name] = customers[name].to_numpy()
    return frame


def _summary_rows(kind: str, summary: pd.DataFrame) -> list[dict[str, object]]:
    return [
        {
            "kind": kind,
            "segment": record["segment"],
            "position": position,
            "customers": int(record["count"]),
            "share": _float(record["share"]) or 0.0,
            "avg_days_since_last_login": _float(record["avg_days_since_last_login"]),
            "avg_visit_frequency": _float(record["avg_visit_frequency"]),
            "avg_watch_time_hours": _float(record["avg_watch_time_hours"]),
            "avg_monthly_revenue": _float(record["avg_monthly_revenue"]),
        }
        for position, record in enumerate(summary.to_dict("records"))
    ]


def _float(value: object) -> float | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or pd.isna(value):
        return None
    return float(value)


def parse_parameters(as_of_text: str | None, k_value: object) -> AnalysisParameters:
    """The analysis parameters from the form: an optional YYYY-MM-DD date and k."""
    text = (as_of_text or "").strip()
    try:
        as_of = date.fromisoformat(text) if text else None
    except ValueError:
        raise ReanalysisError(
            f"The as-of date must look like 2025-06-30, not {text[:40]!r}."
        ) from None
    try:
        k = int(str(k_value).strip())
    except ValueError:
        raise ReanalysisError(
            f"The number of clusters must be a whole number from {MIN_K} to {MAX_K}."
        ) from None
    if not MIN_K <= k <= MAX_K:
        raise ReanalysisError(f"The number of clusters must be from {MIN_K} to {MAX_K}, not {k}.")
    return AnalysisParameters(as_of=as_of, k=k)


def run_reanalysis(
    engine: Engine,
    dataset_id: int | None,
    as_of_text: str | None,
    k_value: object,
    actor: Actor = audit.COMMAND_LINE,
) -> dict[str, Any]:
    """Analyse ``dataset_id`` again; a summary dict for the screen, audited for ``actor``.

    ``{"ok": False, "message": ...}`` when nothing changed, else ``ok``, ``dataset_id``,
    ``run_id``, ``as_of``, ``k``, ``customers``, ``targets`` and ``message``. The audit row is
    written here, by the job, whether or not a browser comes back for the answer.
    """
    summary = _reanalyse(engine, dataset_id, as_of_text, k_value)
    detail = {key: summary.get(key) for key in ("dataset_id", "run_id", "as_of", "k")}
    if not summary["ok"]:
        detail["reason"] = summary.get("message", "")
    audit.record_for(engine, actor, "analyze", "ok" if summary["ok"] else "refused", detail)
    return summary


def run_reanalysis_job(
    database_url: str,
    dataset_id: int | None,
    as_of_text: str | None,
    k_value: object,
    actor: Actor = audit.COMMAND_LINE,
) -> dict[str, Any]:
    """:func:`run_reanalysis` in a background worker, with its own connection pool."""
    engine = make_engine(database_url)
    try:
        return run_reanalysis(engine, dataset_id, as_of_text, k_value, actor)
    finally:
        engine.dispose()


def _reanalyse(
    engine: Engine, dataset_id: int | None, as_of_text: str | None, k_value: object
) -> dict[str, Any]:
    if dataset_id is None:
        return {"ok": False, "message": "Select a data set in the table first."}
    try:
        parameters = parse_parameters(as_of_text, k_value)
        run = analyze_dataset(engine, int(dataset_id), parameters)
    except (ReanalysisError, AnalysisError) as error:
        return {"ok": False, "dataset_id": int(dataset_id), "message": str(error)}
    except Exception:  # the user sees a plain message; the details go to the server log
        log.exception("re-analysis of data set %s failed", dataset_id)
        return {
            "ok": False,
            "dataset_id": int(dataset_id),
            "message": "The analysis failed unexpectedly; the previous results are kept.",
        }
    return {
        "ok": True,
        "dataset_id": run.dataset_id,
        "run_id": run.run_id,
        "as_of": run.as_of.isoformat(),
        "k": run.k_used,
        "customers": run.customers,
        "targets": run.targets,
        "message": run.describe(),
    }


# A hold-out above half the targets would withhold the discount from most of them.
MAX_CONTROL_SHARE = 0.5


def apply_discount_levels(
    engine: Engine,
    dataset_id: int,
    levels: dict[tuple[str, str], float],
    actor: Actor = audit.COMMAND_LINE,
    control_share: float | None = None,
) -> dict[str, Any]:
    """Make the Discounts page's what-if levels (and control share, when given) the data
    set's discount table: a new run.

    Everything else about the current run (as-of date, k, seed) is kept, so only the
    discounts and the hold-out change; the target table, the send list, the control list and
    the messages follow the new run. Audited as an "analyze" event with the table and share.
    A summary dict for the screen.
    """
    run = active_run(engine, dataset_id)
    if run is None:
        return {"ok": False, "message": "That data set has no analysis to change."}
    kept = run.parameters
    try:
        table = table_from_records(kept.get("discount_table"))
        table.update({key: float(value) for key, value in levels.items()})
        if any(not 0 <= pct <= 100 for pct in table.values()):
            raise ValueError("a discount is between 0 and 100 %")
        share = float(kept.get("control_share", DEFAULT_CONTROL_SHARE))
        if control_share is not None:
            share = float(control_share)
        if not 0 <= share <= MAX_CONTROL_SHARE:
            raise ValueError(f"the control share is between 0 and {MAX_CONTROL_SHARE:.0%}")
        parameters = AnalysisParameters(
            as_of=date.fromisoformat(kept["as_of"]) if kept.get("as_of") else None,
            k=int(kept.get("k", run.k_used)),
            random_state=int(kept.get("random_state", 42)),
            campaign_seed=str(kept.get("campaign_seed", DEFAULT_CAMPAIGN_SEED)),
            control_share=share,
            discount_table=table,
        )
        new = analyze_dataset(engine, dataset_id, parameters)
    except (ValueError, AnalysisError) as error:
        summary = {"ok": False, "dataset_id": dataset_id, "message": f"Nothing changed: {error}."}
    else:
        shown = ", ".join(f"{s}/{e} {pct:g} %" for (s, e), pct in sorted(table.items()))
        shown += f"; control share {share * 100:g} %"
        summary = {
            "ok": True,
            "dataset_id": dataset_id,
            "run_id": new.run_id,
            "targets": new.targets,
            "message": f"Applied: {shown}. Analysis run {new.run_id} now holds these discounts; "
            "the target table, the send and control lists and the messages follow them.",
        }
    detail = {
        "dataset_id": dataset_id,
        "run_id": summary.get("run_id"),
        "discount_table": [
            {"segment": s, "engagement": e, "discount_pct": pct}
            for (s, e), pct in sorted(levels.items())
        ],
        "control_share": control_share,
    }
    if not summary["ok"]:
        detail["reason"] = summary.get("message", "")
    audit.record_for(engine, actor, "analyze", "ok" if summary["ok"] else "refused", detail)
    return summary


def apply_discount_levels_job(
    database_url: str,
    dataset_id: int,
    levels: dict[tuple[str, str], float],
    actor: Actor = audit.COMMAND_LINE,
    control_share: float | None = None,
) -> dict[str, Any]:
    """:func:`apply_discount_levels` in a background worker, with its own connection pool."""
    engine = make_engine(database_url)
    try:
        return apply_discount_levels(engine, dataset_id, levels, actor, control_share)
    finally:
        engine.dispose()
