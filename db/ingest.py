"""Loading one CSV export into the database: whole or not at all, every bad row accounted for.

The command line and the upload page both call :func:`ingest_file`. It refuses a file it
cannot read sensibly before writing anything, recognises a file it has already loaded by
its content hash, and otherwise writes the data set, its customers and its rejected rows
in one transaction: an exception or a killed process leaves no trace of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from db import csv_source, fields, file_kinds, spreadsheet, values
from db.bulk import insert_frame, insert_pieces
from db.models import Dataset, RejectedRow
from db.rows import DATE_FIELDS, OUTPUT_COLUMNS, ChunkPlan, ChunkResult, raw_lines, validate_chunk

STAGING_COLUMNS = ("dataset_id", *OUTPUT_COLUMNS)
CUSTOMER_COLUMNS = tuple(c for c in STAGING_COLUMNS if c != "raw_line")
DUPLICATE_REASON = "duplicate customer_id"
STRAY_QUANTILE = 0.999
STRAY_MARGIN_DAYS = 30
STRAY_MIN_ROWS = 1_000  # fewer logins say too little about where the rest lie
STRAY_LOGIN_REASON = (
    "last_login far after the file's other logins (over 30 days past 99.9 % of them)"
)
SAMPLE_ROWS = 200
REJECTED_BUFFER_ROWS = 20_000
EPOCH = date(1970, 1, 1)


class IngestError(Exception):
    """A file that cannot be loaded, with a message that tells the user what to do."""


class MissingColumns(IngestError):
    """A file without a column for a required field: what a page needs to let the user pick.

    ``columns`` are the file's column names (as ``--map`` names them) with up to five
    sample values each; ``suggestions`` the candidate columns per missing field, best first.
    """

    def __init__(
        self,
        message: str,
        missing: tuple[str, ...],
        columns: list[tuple[str, list[str]]],
        suggestions: dict[str, list[str]],
    ) -> None:
        super().__init__(message)
        self.missing = missing
        self.columns = columns
        self.suggestions = suggestions


@dataclass(frozen=True)
class IngestOptions:
    name: str | None = None
    column_map: dict[str, str] = field(default_factory=dict)
    dayfirst: bool | None = None
    as_of: date | None = None
    max_bytes: int = 500 * 1024 * 1024
    chunk_rows: int = 50_000
    sheet: str | None = None  # a workbook's sheet (default: the first)
    on_progress: Callable[[int], None] | None = None  # called with rows read so far


@dataclass(frozen=True)
class IngestResult:
    dataset_id: int
    name: str
    rows_loaded: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]
    as_of_date: date
    already_loaded: bool = False

    def summary(self) -> str:
        """One paragraph for the screen."""
        if self.already_loaded:
            return (
                f"This file was already loaded as data set {self.dataset_id} "
                f"({self.name!r}); nothing was changed."
            )
        lines = [
            f"Data set {self.dataset_id} ({self.name!r}): {self.rows_loaded:,} rows loaded, "
            f"{self.rows_rejected:,} rejected; as of {self.as_of_date.isoformat()}."
        ]
        for reason, count in sorted(
            self.rejected_by_reason.items(), key=lambda kv: (-kv[1], kv[0])
        ):
            lines.append(f"  {count:,} × {reason}")
        return "\n".join(lines)


def ingest_file(engine: Engine, path: Path, options: IngestOptions | None = None) -> IngestResult:
    """Load ``path`` as a new data set, or tell which data set already holds it."""
    options = options or IngestOptions()
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"No such file: {path}")
    size = path.stat().st_size
    if size > options.max_bytes:
        mib = 1024 * 1024  # the unit of MAX_UPLOAD_MB
        raise IngestError(
            f"{path.name} is {size / mib:,.1f} MB, above the {options.max_bytes / mib:,.0f} MB "
            "limit (set MAX_UPLOAD_MB to change it)."
        )
    kind = file_kinds.file_kind(path)
    if kind != file_kinds.TEXT and kind not in file_kinds.SPREADSHEETS:
        raise IngestError(
            f"{path.name} is {kind}, not a customer export: load a CSV file (or an Excel or "
            "OpenDocument workbook) with one row per customer."
        )
    facts = csv_source.inspect_file(path)
    existing = _find_by_hash(engine, facts.sha256)
    if existing is not None:
        return existing
    if kind in file_kinds.SPREADSHEETS:
        try:
            with spreadsheet.sheet_as_csv(path, options.sheet) as text_path:
                # The sheet is written as UTF-8 (spreadsheet.sheet_as_csv).
                return _ingest_text(engine, text_path, "utf-8", path.name, facts.sha256, options)
        except spreadsheet.SpreadsheetError as error:
            raise IngestError(str(error)) from error
    return _ingest_text(engine, path, facts.encoding, path.name, facts.sha256, options)


def _ingest_text(
    engine: Engine,
    path: Path,
    encoding: str,
    file_name: str,
    sha256: str,
    options: IngestOptions,
) -> IngestResult:
    """Validate and load a text export (a workbook arrives here as its sheet's CSV).

    ``sha256`` and ``file_name`` are the file the user gave, read once by the caller.
    """
    try:
        return _ingest_shaped_text(engine, path, encoding, file_name, sha256, options)
    except csv_source.FileShapeError as error:  # raised while reading: nothing was kept
        raise IngestError(f"{file_name} cannot be loaded: {error}; nothing was loaded.") from error


def _ingest_shaped_text(
    engine: Engine,
    path: Path,
    encoding: str,
    file_name: str,
    sha256: str,
    options: IngestOptions,
) -> IngestResult:
    delimiter, header = csv_source.read_header(path, encoding)
    if not header:
        raise IngestError(f"{file_name} is empty: no header row was found.")
    try:
        overrides = dict(options.column_map)
        mapping = fields.map_headers(header, overrides)
    except fields.MappingError as error:
        raise IngestError(str(error)) from error
    if mapping.missing_required:
        sample = _sample(path, encoding, delimiter, len(mapping.headers))
        suggestions = fields.suggest_columns(mapping, sample)
        raise MissingColumns(
            fields.describe_missing(mapping, suggestions),
            mapping.missing_required,
            _column_samples(mapping, sample),
            suggestions,
        )

    orders = _plan_date_orders(path, encoding, delimiter, mapping, options)
    recency_source = "last_login" if "last_login" in mapping.fields else "last_login_days"
    as_of = options.as_of
    if recency_source == "last_login_days" and as_of is None:
        as_of = datetime.now(UTC).date()
    latest = options.as_of or datetime.now(UTC).date() + timedelta(days=1)
    plan = ChunkPlan(
        mapping=mapping,
        day_first=orders.day_first,
        as_of=as_of,
        delimiter=delimiter,
        latest_date=latest,
    )

    def read_chunks() -> Iterator[csv_source.Chunk]:
        return csv_source.iter_chunks(path, encoding, delimiter, options.chunk_rows)

    name = (options.name or file_name).strip()[:200] or file_name
    try:
        return _write_dataset(
            engine, name, file_name, sha256, plan, read_chunks, orders, options, recency_source
        )
    except IntegrityError:
        # The same file loaded by someone else at the same moment (the unique content hash):
        # answered as "already loaded", not an error.
        existing = _find_by_hash(engine, sha256)
        if existing is None:
            raise
        return existing


def _find_by_hash(engine: Engine, sha256: str) -> IngestResult | None:
    with engine.connect() as connection:
        found = connection.execute(select(Dataset).where(Dataset.sha256 == sha256)).first()
    if found is None:
        return None
    return IngestResult(
        dataset_id=found.id,
        name=found.name,
        rows_loaded=found.rows_loaded,
        rows_rejected=found.rows_rejected,
        rejected_by_reason={},
        as_of_date=found.as_of_date,
        already_loaded=True,
    )


SAMPLE_VALUES = 5


def _column_samples(
    mapping: fields.HeaderMapping, sample: pd.DataFrame
) -> list[tuple[str, list[str]]]:
    """Each column's name with its first few distinct non-blank values."""
    names = fields.display_names(mapping.headers)
    shown = []
    for position, name in enumerate(names):
        seen: dict[str, None] = {}
        if position in sample.columns:
            column = sample[position].fillna("").astype(str)
            for text in column[~values.is_blank(column)]:
                seen[text.strip()[:40]] = None
                if len(seen) == SAMPLE_VALUES:
                    break
        shown.append((name, list(seen)))
    return shown


def _sample(path: Path, encoding: str, delimiter: str, width: int) -> pd.DataFrame:
    chunk = next(csv_source.iter_chunks(path, encoding, delimiter, SAMPLE_ROWS), None)
    records = [] if chunk is None else [r for r in chunk.records if len(r) == width]
    return pd.DataFrame(records, columns=range(width), dtype=object)


def _date_columns(mapping: fields.HeaderMapping) -> dict[str, int]:
    return {f: mapping.fields[f] for f in DATE_FIELDS if f in mapping.fields}


def _gather_evidence(
    evidence: dict[str, values.DateEvidence], indexes: dict[str, int], chunk: csv_source.Chunk
) -> None:
    """Add one chunk's date cells (every record, whatever its width) to the evidence."""
    records = chunk.records
    narrowest = min(map(len, records), default=0)
    for f, index in indexes.items():
        if index < narrowest:
            cells = list(map(itemgetter(index), records))
        else:
            cells = [r[index] if index < len(r) else "" for r in records]
        evidence[f].update(values.clean_text(pd.Series(cells, dtype=object)))


def _read_evidence(
    chunks: Iterable[csv_source.Chunk], indexes: dict[str, int]
) -> dict[str, values.DateEvidence]:
    evidence = {f: values.DateEvidence() for f in indexes}
    for chunk in chunks:
        _gather_evidence(evidence, indexes, chunk)
    return evidence


def _orders_from_evidence(
    mapping: fields.HeaderMapping,
    evidence: dict[str, values.DateEvidence],
    options: IngestOptions,
) -> dict[str, bool]:
    """Day-first or month-first per date column, from what the dates say.

    Raises ``values.AmbiguousDateError`` when the dates cannot tell.
    """
    # A column whose dates never reveal their order follows the file's other date columns
    # when those agree: one export is written with one date convention.
    proven = {
        ev.day_first_proven > 0
        for ev in evidence.values()
        if bool(ev.day_first_proven) != bool(ev.month_first_proven)
    }
    file_order = (
        options.dayfirst
        if options.dayfirst is not None
        else (proven.pop() if len(proven) == 1 else None)
    )
    orders: dict[str, bool] = {}
    for f, ev in evidence.items():
        unproven = not ev.day_first_proven and not ev.month_first_proven
        orders[f] = ev.decide(
            mapping.headers[mapping.fields[f]], file_order if unproven else options.dayfirst
        )
    return orders


@dataclass(frozen=True)
class _DateOrders:
    """The date order to parse with, and whether the whole file must still confirm it.

    The first chunk usually settles the order; the main pass then gathers the rest of the
    evidence and a contrary later date makes ingestion read the file again. A first chunk
    that cannot tell makes a separate pass over every date first.
    """

    day_first: dict[str, bool]
    confirm: bool


def _plan_date_orders(
    path: Path, encoding: str, delimiter: str, mapping: fields.HeaderMapping, options: IngestOptions
) -> _DateOrders:
    indexes = _date_columns(mapping)
    if not indexes or options.dayfirst is not None:
        return _DateOrders({f: bool(options.dayfirst) for f in indexes}, confirm=False)
    first = next(csv_source.iter_chunks(path, encoding, delimiter, options.chunk_rows), None)
    try:
        tentative = _orders_from_evidence(
            mapping, _read_evidence([first] if first else [], indexes), options
        )
        return _DateOrders(tentative, confirm=True)
    except values.AmbiguousDateError:
        pass
    chunks = csv_source.iter_chunks(path, encoding, delimiter, options.chunk_rows)
    try:
        orders = _orders_from_evidence(mapping, _read_evidence(chunks, indexes), options)
    except values.AmbiguousDateError as error:
        raise IngestError(str(error)) from error
    return _DateOrders(orders, confirm=False)


@dataclass
class _Pass:
    """What one pass over the file wrote and saw."""

    reasons: Counter[str] = field(default_factory=Counter)
    currencies: Counter[str] = field(default_factory=Counter)
    repeated_ids: list[np.ndarray] = field(default_factory=list)  # hashes seen twice
    login_days: list[np.ndarray] = field(default_factory=list)  # days since 1970-01-01
    evidence: dict[str, values.DateEvidence] = field(default_factory=dict)

    def count(self, result: ChunkResult) -> None:
        """Add a chunk's currencies and rejection reasons."""
        self.currencies.update(result.currencies)
        for kinds in result.rejected["kinds"]:
            self.reasons.update(kinds)


@dataclass(frozen=True)
class _Routing:
    """Where the rows of a second pass go, decided from the first pass over every row.

    Rows whose last login lies past ``stray_after`` are rejected; rows whose customer id
    hash is in ``duplicate_hashes`` (sorted) are staged to keep one row per id; the rest go
    straight to ``customers``.
    """

    stray_after: date | None
    duplicate_hashes: np.ndarray


def _write_dataset(
    engine: Engine,
    name: str,
    source_file: str,
    sha256: str,
    plan: ChunkPlan,
    read_chunks: Callable[[], Iterator[csv_source.Chunk]],
    orders: _DateOrders,
    options: IngestOptions,
    recency_source: str,
) -> IngestResult:
    """Write the data set in one transaction, reading the file once when it is clean.

    The first pass loads every good row straight into ``customers``. Only when it finds a
    customer id twice, a stray last login or a date order the first chunk did not show,
    are its rows deleted and the file read again: with the date order corrected, and with
    the strays rejected and only the repeated ids staged to keep one row each.
    """
    with engine.begin() as connection:
        dataset_id = connection.execute(
            insert(Dataset).returning(Dataset.id),
            {
                "name": name,
                "source_file": source_file[:500],
                "sha256": sha256,
                "ingested_at": datetime.now(UTC),
                "rows_loaded": 0,
                "rows_rejected": 0,
                "as_of_date": plan.as_of or date(1970, 1, 1),
                "status": "loading",
                "column_mapping": _mapping_record(plan.mapping),
                "recency_source": recency_source,
            },
        ).scalar_one()
        plan = replace(plan, day_first=orders.day_first)
        indexes = _date_columns(plan.mapping) if orders.confirm else {}
        first = _first_pass(connection, dataset_id, plan, read_chunks(), options, indexes)
        if indexes:
            try:
                confirmed = _orders_from_evidence(plan.mapping, first.evidence, options)
            except values.AmbiguousDateError as error:
                raise IngestError(str(error)) from error
            if confirmed != plan.day_first:
                _delete_rows(connection, dataset_id)
                plan = replace(plan, day_first=confirmed)
                first = _first_pass(connection, dataset_id, plan, read_chunks(), options, {})
        check_strays = options.as_of is None and recency_source == "last_login"
        routing = _routing(first, check_strays)
        written = first
        duplicates = 0
        if routing is not None:
            _delete_rows(connection, dataset_id)
            written = _routed_pass(connection, dataset_id, plan, read_chunks(), options, routing)
            duplicates = _move_staging_to_customers(connection, dataset_id)
        reasons = written.reasons
        if duplicates:
            reasons[DUPLICATE_REASON] += duplicates
        loaded, latest = connection.execute(
            text("SELECT count(*), max(last_login) FROM customers WHERE dataset_id = :d"),
            {"d": dataset_id},
        ).one()
        rejected = connection.execute(
            select(func.count())
            .select_from(RejectedRow)
            .where(RejectedRow.dataset_id == dataset_id)
        ).scalar_one()
        if loaded == 0:
            raise IngestError(_nothing_loaded_message(source_file, rejected, reasons))
        as_of = plan.as_of or _as_date(latest)
        connection.execute(
            update(Dataset)
            .where(Dataset.id == dataset_id)
            .values(
                rows_loaded=loaded,
                rows_rejected=rejected,
                as_of_date=as_of,
                status="ready",
                currency=_main_currency(written.currencies),
            )
        )
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE customers"))
    return IngestResult(
        dataset_id=dataset_id,
        name=name,
        rows_loaded=loaded,
        rows_rejected=rejected,
        rejected_by_reason=dict(reasons),
        as_of_date=as_of,
    )


def _first_pass(
    connection: Connection,
    dataset_id: int,
    plan: ChunkPlan,
    chunks: Iterable[csv_source.Chunk],
    options: IngestOptions,
    date_indexes: dict[str, int],
) -> _Pass:
    """Validate every chunk and load its good rows straight into ``customers``.

    The rows stream through one bulk load, so on PostgreSQL the server stores one chunk
    while the next is validated; the bad rows wait in memory (at most about
    REJECTED_BUFFER_ROWS, then the load pauses to write them). From the first customer id
    seen twice on, nothing more is written: the pass only gathers what the second needs.
    """
    seen = _Pass(evidence={f: values.DateEvidence() for f in date_indexes})
    ids = _SeenIds()
    waiting: list[pd.DataFrame] = []
    source = iter(chunks)
    progress = _Progress(options.on_progress)
    finished = False

    def customer_frames() -> Iterator[pd.DataFrame]:
        nonlocal finished
        for chunk in source:
            if date_indexes:
                _gather_evidence(seen.evidence, date_indexes, chunk)
            result = validate_chunk(chunk.lines, chunk.records, plan)
            seen.count(result)
            repeated = ids.add(_id_hashes(result.good["customer_id"]))
            if len(repeated):
                seen.repeated_ids.append(repeated)
            seen.login_days.append(_epoch_days(result.good["last_login"]))
            progress.add(len(chunk.records))
            if seen.repeated_ids:
                continue  # this pass will be redone: nothing more is written
            waiting.append(result.rejected)
            yield _customer_frame(dataset_id, result.good)
            if sum(map(len, waiting)) >= REJECTED_BUFFER_ROWS:
                return
        finished = True

    while not finished:
        insert_pieces(connection, "customers", CUSTOMER_COLUMNS, customer_frames())
        for rejected in waiting:
            _insert_rejected(connection, dataset_id, rejected)
        waiting.clear()
    return seen


def _routed_pass(
    connection: Connection,
    dataset_id: int,
    plan: ChunkPlan,
    chunks: Iterable[csv_source.Chunk],
    options: IngestOptions,
    routing: _Routing,
) -> _Pass:
    """Read the file again, rejecting strays and staging repeated ids (see _Routing)."""
    seen = _Pass()
    progress = _Progress(options.on_progress)
    for chunk in chunks:
        result = validate_chunk(chunk.lines, chunk.records, plan)
        seen.count(result)
        hashes = _id_hashes(result.good["customer_id"])
        good = _route(connection, dataset_id, chunk, plan, result, hashes, routing, seen)
        insert_frame(connection, "customers", _customer_frame(dataset_id, good))
        _insert_rejected(connection, dataset_id, result.rejected)
        progress.add(len(chunk.records))
    return seen


class _Progress:
    """Reports rows read so far to the caller's callback, if any."""

    def __init__(self, callback: Callable[[int], None] | None) -> None:
        self.callback = callback
        self.rows = 0

    def add(self, rows: int) -> None:
        self.rows += rows
        if self.callback is not None:
            self.callback(self.rows)


def _route(
    connection: Connection,
    dataset_id: int,
    chunk: csv_source.Chunk,
    plan: ChunkPlan,
    result: ChunkResult,
    hashes: np.ndarray,
    routing: _Routing,
    seen: _Pass,
) -> pd.DataFrame:
    """Reject this chunk's stray logins, stage its repeated ids; return the rows left."""
    good = result.good
    stray = np.zeros(len(good), dtype=bool)
    if routing.stray_after is not None:
        stray = (good["last_login"] > pd.Timestamp(routing.stray_after)).to_numpy()
    repeated = np.isin(hashes, routing.duplicate_hashes) & ~stray
    if stray.any():
        lines = raw_lines(chunk.records, result.good_positions[stray], plan.delimiter)
        strays = pd.DataFrame(
            {
                "line_number": good["source_line"].to_numpy()[stray],
                "raw_line": lines,
                "reason": STRAY_LOGIN_REASON,
            }
        )
        _insert_rejected(connection, dataset_id, strays)
        seen.reasons[STRAY_LOGIN_REASON] += int(stray.sum())
    if repeated.any():
        staged = _customer_frame(dataset_id, good[repeated])
        lines = raw_lines(chunk.records, result.good_positions[repeated], plan.delimiter)
        staged.insert(2, "raw_line", lines)
        insert_frame(connection, "ingest_staging", staged)
    return good[~stray & ~repeated]


def _routing(first: _Pass, check_strays: bool) -> _Routing | None:
    """How to read the file again, or None when the first pass wrote it right."""
    days = np.concatenate([np.empty(0, dtype=np.int64), *first.login_days])
    stray_after = _stray_cutoff(days) if check_strays else None
    repeated = np.unique(np.concatenate([np.empty(0, dtype=np.uint64), *first.repeated_ids]))
    if stray_after is None and not len(repeated):
        return None
    return _Routing(stray_after=stray_after, duplicate_hashes=repeated)


def _stray_cutoff(days: np.ndarray) -> date | None:
    """The last login date beyond which a row is a stray, or None when none is.

    The data set's as-of is its latest login, so one row dated years ahead would make every
    customer look gone. Rule, for files of at least STRAY_MIN_ROWS logins: more than
    STRAY_MARGIN_DAYS after the STRAY_QUANTILE of them (the lower value).
    """
    if len(days) < STRAY_MIN_ROWS:
        return None
    cutoff = int(np.quantile(days, STRAY_QUANTILE, method="lower")) + STRAY_MARGIN_DAYS
    if int(days.max()) <= cutoff:
        return None
    return EPOCH + timedelta(days=cutoff)


class _SeenIds:
    """The customer id hashes of a pass so far, kept as sorted runs merged like a binary
    counter: about log2(chunks) runs to search, each hash copied about log2(chunks) times."""

    def __init__(self) -> None:
        self.runs: list[np.ndarray] = []

    def add(self, hashes: np.ndarray) -> np.ndarray:
        """Remember ``hashes``; return those already seen or repeated among themselves."""
        chunk = np.sort(hashes)
        if not len(chunk):
            return chunk
        repeated = [chunk[1:][chunk[1:] == chunk[:-1]]]
        for run in self.runs:
            at = np.minimum(np.searchsorted(run, chunk), len(run) - 1)
            repeated.append(chunk[run[at] == chunk])
        self.runs.append(chunk)
        while len(self.runs) > 1 and len(self.runs[-1]) >= len(self.runs[-2]):
            last = self.runs.pop()
            self.runs[-1] = np.sort(np.concatenate([self.runs[-1], last]), kind="stable")
        return np.concatenate(repeated)


def _id_hashes(customer_ids: pd.Series) -> np.ndarray:
    """A 64-bit hash per customer id. Equal hashes only make ids candidates for the exact
    duplicate check in SQL, so a collision costs time, never a wrong row."""
    return pd.util.hash_pandas_object(customer_ids, index=False).to_numpy()


def _epoch_days(dates: pd.Series) -> np.ndarray:
    days = dates.dropna().to_numpy(dtype="datetime64[D]")
    return days.astype(np.int64)


def _delete_rows(connection: Connection, dataset_id: int) -> None:
    """Forget a pass's rows before the file is read again (same transaction)."""
    for table in ("customers", "rejected_rows", "ingest_staging"):
        connection.execute(text(f"DELETE FROM {table} WHERE dataset_id = :d"), {"d": dataset_id})


def _insert_rejected(connection: Connection, dataset_id: int, rejected: pd.DataFrame) -> None:
    if not len(rejected):
        return
    connection.execute(
        insert(RejectedRow),
        [
            {"dataset_id": dataset_id, "line_number": int(line), "raw_line": raw, "reason": reason}
            for line, raw, reason in rejected[["line_number", "raw_line", "reason"]].itertuples(
                index=False, name=None
            )
        ],
    )


def _main_currency(currencies: Counter[str]) -> str | None:
    """The currency most revenue cells are written in (``$12.99``), None when none names one."""
    return currencies.most_common(1)[0][0] if currencies else None


def _nothing_loaded_message(source_file: str, rejected: int, reasons: Counter[str]) -> str:
    top = "; ".join(f"{count:,} × {reason}" for reason, count in reasons.most_common(5))
    return f"No row of {source_file} could be loaded ({rejected:,} rejected: {top}). Nothing was saved."


def _as_date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _mapping_record(mapping: fields.HeaderMapping) -> dict[str, object]:
    return {
        "fields": {f: mapping.headers[i] for f, i in mapping.fields.items()},
        "extras": list(mapping.extras),
    }


def _customer_frame(dataset_id: int, good: pd.DataFrame) -> pd.DataFrame:
    """The good rows in CUSTOMER_COLUMNS order, typed for the bulk insert."""
    if good.empty:
        return pd.DataFrame(columns=list(CUSTOMER_COLUMNS))
    frame = pd.DataFrame(
        {
            "dataset_id": dataset_id,
            "source_line": good["source_line"].astype("int64"),
            "customer_id": good["customer_id"],
            "name": good["name"],
            "gender": good["gender"],
            "age": good["age"].astype("Int64") if good["age"].notna().any() else None,
            "country": good["country"],
            "plan": good["plan"],
            "join_date": _iso_dates(good["join_date"]),
            "last_login": _iso_dates(good["last_login"]),
            "watch_time_hours": good["watch_time_hours"].astype("float64"),
            "visit_frequency": good["visit_frequency"].astype("float64"),
            "monthly_revenue": good["monthly_revenue"].astype("float64"),
            "extra": good["extra"],
        }
    )
    return frame


def _iso_dates(column: pd.Series) -> pd.Series:
    """Dates as ISO text (None where missing), by NumPy: strftime is ten times slower."""
    days = pd.to_datetime(column).to_numpy(dtype="datetime64[D]")
    text = np.datetime_as_string(days, unit="D").astype(object)
    text[np.isnat(days)] = None
    return pd.Series(text, index=column.index, dtype=object)


def _move_staging_to_customers(connection: Connection, dataset_id: int) -> int:
    """Keep, per customer id, the row with the latest last_login; reject the others.

    On a tie the row further down the file wins, as exports append newer records.
    Returns how many rows were rejected as duplicates.
    """
    ranked = f"""
        SELECT {", ".join(STAGING_COLUMNS)},
               ROW_NUMBER() OVER (
                   PARTITION BY customer_id ORDER BY last_login DESC, source_line DESC
               ) AS rank_in_id
        FROM ingest_staging WHERE dataset_id = :d
    """
    connection.execute(
        text(
            f"INSERT INTO customers ({', '.join(CUSTOMER_COLUMNS)}) "
            f"SELECT {', '.join(CUSTOMER_COLUMNS)} FROM ({ranked}) AS ranked WHERE rank_in_id = 1"
        ),
        {"d": dataset_id},
    )
    duplicates = connection.execute(
        text(
            "INSERT INTO rejected_rows (dataset_id, line_number, raw_line, reason) "
            f"SELECT dataset_id, source_line, raw_line, '{DUPLICATE_REASON}' "
            f"FROM ({ranked}) AS ranked WHERE rank_in_id > 1"
        ),
        {"d": dataset_id},
    ).rowcount
    connection.execute(text("DELETE FROM ingest_staging WHERE dataset_id = :d"), {"d": dataset_id})
    return max(duplicates, 0)
