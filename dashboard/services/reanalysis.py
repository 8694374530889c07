"""Analysing a data set again from the dashboard, with another as-of date or number of clusters.

What ``python -m dashboard analyze --dataset ID --as-of DATE --k K`` does, for the Data page:
the form's text is checked here and turned into a plain summary for the screen, so a bad
date or k is a sentence, never a stack trace, and the previous results stay untouched.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from sqlalchemy import Engine

from dashboard.services.analysis import AnalysisError, AnalysisParameters, analyze_dataset

log = logging.getLogger(__name__)

# The k the Clusters page's sweep shows, so the chosen k can always be compared there.
MIN_K, MAX_K = 2, 8


class ReanalysisError(ValueError):
    """A form value that cannot be used, in words for the user."""


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
    engine: Engine, dataset_id: int | None, as_of_text: str | None, k_value: object
) -> dict[str, Any]:
    """Analyse ``dataset_id`` again; a summary dict for the screen and the audit trail.

    ``{"ok": False, "message": ...}`` when nothing changed, else ``ok``, ``dataset_id``,
    ``run_id``, ``as_of``, ``k``, ``customers``, ``targets`` and ``message``.
    """
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
