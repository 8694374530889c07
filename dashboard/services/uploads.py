"""The upload job behind the Data page: bytes from the browser in, a loaded and analysed data set out.

Pure of Dash so it can be tested directly. The uploaded bytes are written to a temporary
file and go through the same :func:`db.ingest.ingest_file` and
:func:`dashboard.services.analysis.analyze_dataset` as the command line, so a file loads
the same way whichever door it comes through. Every outcome is a plain summary dict; a
refused file gives the loader's message, never a stack trace.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from dashboard.services import series as series_links
from dashboard.services.analysis import AnalysisError, analyze_dataset
from dashboard.services.upload_store import StoredUpload, forget_upload
from db import audit, fields
from db.audit import COMMAND_LINE, Actor
from db.ingest import IngestError, IngestOptions, MissingColumns, ingest_file
from db.queries import active_run, dataset_of_file
from db.series import SeriesError, propose_series
from db.session import make_engine

log = logging.getLogger(__name__)

MB = 1024 * 1024
DATE_ORDERS = {"auto": None, "dayfirst": True, "monthfirst": False}
UNEXPECTED = (
    "The file could not be loaded because of an unexpected error; nothing was saved. "
    "If it happens again, load it with the command line (python -m dashboard ingest FILE), "
    "which prints the details."
)


class UploadError(Exception):
    """An upload refused before the loader saw it (too big, not base64, a bad --map line)."""


def decoded_size(base64_text: str) -> int:
    """How many bytes ``base64_text`` decodes to, computed without decoding it."""
    text = base64_text.strip()
    padding = len(text) - len(text.rstrip("="))
    return max(0, len(text) * 3 // 4 - padding)


def _megabytes(size: int) -> str:
    """Sizes in the unit of MAX_UPLOAD_MB (1 MB = 1024 × 1024 bytes)."""
    return f"{size / MB:,.1f} MB"


def unfinished_message(dataset_id: int, name: str) -> str:
    return (
        f"This file was already loaded as data set {dataset_id} ({name!r}) but has no "
        "complete analysis (it was interrupted); analysing it now."
    )


def too_large_message(filename: str, size: int, max_bytes: int) -> str:
    return (
        f"{filename} is {_megabytes(size)}, above the {_megabytes(max_bytes)} upload limit.\n"
        "Load big files with the command line instead: python -m dashboard ingest FILE "
        "(or raise MAX_UPLOAD_MB)."
    )


def decode_upload(contents: str, filename: str, max_bytes: int) -> bytes:
    """The file bytes of a ``dcc.Upload`` data URL, refusing one above ``max_bytes`` first."""
    _, comma, payload = (contents or "").partition(",")
    if not comma:
        raise UploadError(f"{filename} did not arrive as a file upload; please try again.")
    size = decoded_size(payload)
    if size > max_bytes:
        raise UploadError(too_large_message(filename, size, max_bytes))
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as error:
        raise UploadError(f"{filename} arrived damaged; please upload it again.") from error


def parse_map_text(text: str | None) -> dict[str, str]:
    """``"Header=field"`` per line (blank lines ignored) as a column map, like ``--map``."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    try:
        return fields.parse_map_options(lines)
    except fields.MappingError as error:
        raise UploadError(str(error)) from error


MAX_FILENAME_BYTES = 200  # file systems take 255 bytes per name; é is two of them


def safe_filename(filename: str | None) -> str:
    """The file's own name without any folder part (a browser may send ``C:\\...\\x.csv``),
    shortened to fit a file system's name limit with its extension kept."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    if len(name.encode("utf-8")) > MAX_FILENAME_BYTES:
        stem, dot, suffix = name.rpartition(".")
        if not dot or len(suffix) > 10:
            stem, dot, suffix = name, "", ""
        room = MAX_FILENAME_BYTES - len((dot + suffix).encode("utf-8"))
        stem = stem.encode("utf-8")[:room].decode("utf-8", "ignore")
        name = stem + dot + suffix
    return name if name not in ("", ".", "..") else "upload.csv"


def refused(message: str) -> dict[str, Any]:
    return {"ok": False, "message": message}


AUDITED_KEYS = ("file", "dataset_id", "rows_loaded", "rows_rejected", "already_loaded")


FIELD_WORDS = {
    "customer_id": "the customer ID",
    "last_login": "the last login (a date, or days since it)",
    "watch_time_hours": "the watch time (hours, or minutes)",
}


def missing_columns(filename: str, error: MissingColumns) -> dict[str, Any]:
    """A refusal the page can act on: per missing field, the file's columns to choose from.

    In the page's words, not the command line's: the user picks a column per field and the
    file is loaded again with that choice (the ``column_map`` of the next upload).
    """
    wanted = " and ".join(FIELD_WORDS[field] for field in error.missing)
    return {
        "ok": False,
        "message": f"{filename} has no column the loader recognises for {wanted}. "
        "Choose the column that holds it below, then load the file again.",
        "missing": [
            {
                "field": field,
                "label": FIELD_WORDS[field],
                "suggested": (error.suggestions.get(field) or [None])[0],
            }
            for field in error.missing
        ],
        "columns": [{"name": name, "samples": samples} for name, samples in error.columns],
    }


def stopped_upload(engine: Engine, stored: StoredUpload | None, actor: Actor) -> dict[str, Any]:
    """The truth about an upload whose job process died, its stored copy removed, audited.

    A load is one transaction and the analysis another: the job may have died before either
    (nothing changed), or after the load (a data set without analysis, finished by Analyse).
    """
    found = None
    if stored is not None:
        with stored.path.open("rb") as handle:
            found = dataset_of_file(engine, hashlib.file_digest(handle, "sha256").hexdigest())
        forget_upload(stored)
    if found is None:
        message = (
            "The load stopped before finishing (its job ended unexpectedly); nothing was "
            "changed. Upload the file again to retry."
        )
    elif found[1] is None:
        message = (
            f"The load stopped before finishing: the file was loaded as data set {found[0]}, "
            "but its analysis did not finish. Select it in the table below and click Analyse."
        )
    else:
        message = f"The file is loaded as data set {found[0]} and analysed (run {found[1]})."
    detail = {"file": stored.filename if stored else None, "reason": message}
    if found is not None:
        detail["dataset_id"] = found[0]
    audit.record_for(engine, actor, "upload", "stopped", detail)
    return {"ok": False, "stopped": True, "message": message}


def run_upload_job(database_url: str, source: str | Path, filename: str | None, **options: Any):
    """:func:`run_upload` in a background worker: its own connection pool, closed at the end.

    The job runs in a forked process, which must not share the server's pooled connections.
    """
    engine = make_engine(database_url)
    try:
        return run_upload(engine, source, filename, **options)
    finally:
        engine.dispose()


def run_upload(
    engine: Engine,
    source: str | Path,
    filename: str | None,
    *,
    max_bytes: int,
    name: str | None = None,
    date_order: str = "auto",
    map_text: str | None = None,
    chunk_rows: int = 50_000,
    on_progress: Callable[[str], None] | None = None,
    actor: Actor = COMMAND_LINE,
    series: str | None = None,
) -> dict[str, Any]:
    """Load and analyse one uploaded file; returns a summary dict for the screen.

    ``series``: the series the file is the next snapshot of (created when new); without it
    the summary proposes one whose latest snapshot shares at least half the customer ids
    (``series_note``). A refused series (same as-of) leaves the data set loaded outside it.

    ``source`` is the stored file (:mod:`dashboard.services.upload_store`) or a ``data:``
    URL of its bytes.

    ``{"ok": False, "message": ...}`` when the file is refused (nothing is written), else
    ``ok``, ``already_loaded``, ``dataset_id``, ``name``, ``file``, ``rows_loaded``,
    ``rows_rejected``, ``rejected_by_reason`` (list of ``{"reason", "rows"}``, most first),
    ``as_of`` (ISO date), ``run_id``, ``customers``, ``targets`` and ``message``. The job
    writes the audit row itself, so a closed tab still leaves the upload on the trail.
    """
    summary = _upload(
        engine,
        source,
        filename,
        max_bytes=max_bytes,
        name=name,
        date_order=date_order,
        map_text=map_text,
        chunk_rows=chunk_rows,
        on_progress=on_progress,
        series=series,
    )
    detail = {key: summary[key] for key in AUDITED_KEYS if summary.get(key) is not None}
    detail["file"] = detail.get("file") or safe_filename(filename)
    if not summary.get("ok"):
        detail["reason"] = summary.get("message", "")
    audit.record_for(engine, actor, "upload", "ok" if summary.get("ok") else "refused", detail)
    return summary


def _checked_size(source: str | Path, filename: str, max_bytes: int) -> int:
    """The upload's size in bytes; UploadError when it is above ``max_bytes``."""
    if isinstance(source, Path):
        size = source.stat().st_size
    else:
        _, comma, payload = (source or "").partition(",")
        size = decoded_size(payload) if comma else 0
    if size > max_bytes:
        raise UploadError(too_large_message(filename, size, max_bytes))
    return size


@contextmanager
def _file_of(source: str | Path, filename: str, max_bytes: int) -> Iterator[Path]:
    """The upload as a file named ``filename``: the stored file itself, or a data URL's
    bytes written to a temporary folder for the load."""
    if isinstance(source, Path):
        yield source
        return
    data = decode_upload(source, filename, max_bytes)
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        path = Path(folder) / filename
        path.write_bytes(data)
        del data
        yield path


def _upload(
    engine: Engine,
    source: str | Path,
    filename: str | None,
    *,
    max_bytes: int,
    name: str | None,
    date_order: str,
    map_text: str | None,
    chunk_rows: int,
    on_progress: Callable[[str], None] | None,
    series: str | None = None,
) -> dict[str, Any]:
    report = on_progress or (lambda _text: None)
    filename = safe_filename(filename)
    try:
        column_map = parse_map_text(map_text)
        size = _checked_size(source, filename, max_bytes)
    except UploadError as error:
        return refused(str(error))
    report(f"Received {filename} ({_megabytes(size)}); reading rows…")
    options = IngestOptions(
        name=(name or "").strip() or None,
        column_map=column_map,
        dayfirst=DATE_ORDERS.get(date_order),
        max_bytes=max_bytes,
        chunk_rows=chunk_rows,
        on_progress=lambda rows: report(f"Reading rows: {rows:,} so far…"),
    )
    try:
        with _file_of(source, filename, max_bytes) as path:
            result = ingest_file(engine, path, options)
    except MissingColumns as error:
        return missing_columns(filename, error)
    except IngestError as error:
        return refused(str(error))
    except Exception:  # the user sees a plain message; the details go to the server log
        log.exception("upload of %s failed", filename)
        return refused(UNEXPECTED)

    summary: dict[str, Any] = {
        "ok": True,
        "already_loaded": result.already_loaded,
        "dataset_id": result.dataset_id,
        "name": result.name,
        "file": filename,
        "rows_loaded": result.rows_loaded,
        "rows_rejected": result.rows_rejected,
        "rejected_by_reason": [
            {"reason": reason, "rows": count}
            for reason, count in sorted(
                result.rejected_by_reason.items(), key=lambda item: (-item[1], item[0])
            )
        ],
        "as_of": result.as_of_date.isoformat(),
        "message": result.summary(),
    }
    summary["series_note"] = _place_in_series(engine, result.dataset_id, series)
    run = active_run(engine, result.dataset_id)
    if result.already_loaded and run is not None:
        if series and not summary["series_note"].startswith("Not added"):
            series_links.refresh_links(engine, result.dataset_id, membership_changed=True)
        return {**summary, "run_id": run.run_id, "customers": run.customers, "targets": run.targets}
    if result.already_loaded:  # loaded before, but its analysis never finished: finish it
        summary["message"] = unfinished_message(result.dataset_id, result.name)

    report(f"Analysing {result.rows_loaded:,} customers…")
    try:
        analysed = analyze_dataset(engine, result.dataset_id)
    except AnalysisError as error:
        return {**summary, "ok": False, "message": f"The file was loaded but not analysed: {error}"}
    except Exception:
        log.exception("analysis of data set %s failed", result.dataset_id)
        return {
            **summary,
            "ok": False,
            "message": "The file was loaded but the analysis failed unexpectedly; "
            f"run python -m dashboard analyze --dataset {result.dataset_id} for details.",
        }
    return {
        **summary,
        "run_id": analysed.run_id,
        "customers": analysed.customers,
        "targets": analysed.targets,
    }


def _place_in_series(engine: Engine, dataset_id: int, name: str | None) -> str:
    """Join the named series (the analysis that follows links the snapshots), or propose
    the series the data set seems to continue; one sentence for the summary."""
    name = (name or "").strip()
    if not name:
        proposal = propose_series(engine, dataset_id)
        if proposal is None:
            return ""
        return (
            f"This export shares {proposal.shared:,} customer ids ({proposal.share:.0%}) with "
            f"the latest snapshot of series {proposal.series_name!r}: load it again with that "
            "series name (or python -m dashboard series add) to compare the two."
        )
    try:
        info = series_links.join_series(engine, dataset_id, name, link=False)
    except SeriesError as error:
        return f"Not added to a series: {error}"
    return f"Snapshot {len(info.snapshots)} of series {info.name!r}."
