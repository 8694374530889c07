"""Loading one CSV export into the database: whole or not at all, every bad row accounted for.

The command line and the upload page both call :func:`ingest_file`. It refuses a file it
cannot read sensibly before writing anything, recognises a file it has already loaded by
its content hash, and otherwise writes the data set, its customers and its rejected rows
in one transaction: an exception or a killed process leaves no trace of it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, insert, literal, select, text, update
from sqlalchemy.exc import IntegrityError

from db import csv_source, fields, file_kinds, spreadsheet, values
from db.bulk import insert_frame
from db.models import Dataset, IngestStaging, RejectedRow
from db.rows import DATE_FIELDS, OUTPUT_COLUMNS, ChunkPlan, validate_chunk

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

    day_first = _decide_date_orders(path, encoding, delimiter, mapping, options)
    recency_source = "last_login" if "last_login" in mapping.fields else "last_login_days"
    as_of = options.as_of
    if recency_source == "last_login_days" and as_of is None:
        as_of = datetime.now(UTC).date()
    latest = options.as_of or datetime.now(UTC).date() + timedelta(days=1)
    plan = ChunkPlan(
        mapping=mapping, day_first=day_first, as_of=as_of, delimiter=delimiter, latest_date=latest
    )
    chunks = csv_source.iter_chunks(path, encoding, delimiter, options.chunk_rows)
    name = (options.name or file_name).strip()[:200] or file_name
    try:
        return _write_dataset(
            engine, name, file_name, sha256, plan, chunks, options, recency_source
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


def _decide_date_orders(
    path: Path, encoding: str, delimiter: str, mapping: fields.HeaderMapping, options: IngestOptions
) -> dict[str, bool]:
    """Read every date once to decide day-first or month-first per column, from the data."""
    indexes = {f: mapping.fields[f] for f in DATE_FIELDS if f in mapping.fields}
    if not indexes:
        return {}
    evidence = {f: values.DateEvidence() for f in indexes}
    for chunk in csv_source.iter_chunks(path, encoding, delimiter, options.chunk_rows):
        for f, index in indexes.items():
            column = pd.Series(
                [r[index] if index < len(r) else "" for r in chunk.records], dtype=object
            )
            evidence[f].update(values.clean_text(column))
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
    for f, index in indexes.items():
        ev = evidence[f]
        unproven = not ev.day_first_proven and not ev.month_first_proven
        try:
            orders[f] = ev.decide(
                mapping.headers[index], file_order if unproven else options.dayfirst
            )
        except values.AmbiguousDateError as error:
            raise IngestError(str(error)) from error
    return orders


def _write_dataset(
    engine: Engine,
    name: str,
    source_file: str,
    sha256: str,
    plan: ChunkPlan,
    chunks: Iterable[csv_source.Chunk],
    options: IngestOptions,
    recency_source: str,
) -> IngestResult:
    reasons: Counter[str] = Counter()
    currencies: Counter[str] = Counter()
    rows_read = 0
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
        for chunk in chunks:
            result = validate_chunk(chunk.lines, chunk.records, plan)
            insert_frame(connection, "ingest_staging", _staging_frame(dataset_id, result.good))
            currencies.update(result.currencies)
            if len(result.rejected):
                connection.execute(
                    insert(RejectedRow),
                    [
                        {
                            "dataset_id": dataset_id,
                            "line_number": int(line),
                            "raw_line": raw,
                            "reason": reason,
                        }
                        for line, raw, reason in result.rejected[
                            ["line_number", "raw_line", "reason"]
                        ].itertuples(index=False, name=None)
                    ],
                )
                for kinds in result.rejected["kinds"]:
                    reasons.update(kinds)
            rows_read += len(chunk.records)
            if options.on_progress is not None:
                options.on_progress(rows_read)

        if options.as_of is None and recency_source == "last_login":
            strays = _reject_stray_logins(connection, dataset_id)
            if strays:
                reasons[STRAY_LOGIN_REASON] += strays
        duplicates = _move_staging_to_customers(connection, dataset_id)
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
                currency=_main_currency(currencies),
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


def _staging_frame(dataset_id: int, good: pd.DataFrame) -> pd.DataFrame:
    """The good rows in STAGING_COLUMNS order, typed for the bulk insert."""
    if good.empty:
        return pd.DataFrame(columns=list(STAGING_COLUMNS))
    frame = pd.DataFrame(
        {
            "dataset_id": dataset_id,
            "source_line": good["source_line"].astype("int64"),
            "raw_line": good["raw_line"],
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
    parsed = pd.to_datetime(column)
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna(), None)


def _reject_stray_logins(connection: Connection, dataset_id: int) -> int:
    """Reject the rows whose last login lies far beyond the file's other logins.

    The data set's as-of is its latest login, so one row dated years ahead would make every
    customer look gone. Rule, for files of at least STRAY_MIN_ROWS logins: more than
    STRAY_MARGIN_DAYS after the STRAY_QUANTILE of them (the lower value). Returns how many
    rows were rejected.
    """
    logins = connection.execute(
        select(IngestStaging.last_login).where(IngestStaging.dataset_id == dataset_id)
    ).scalars()
    days = np.array([d.toordinal() for d in logins if d is not None], dtype=np.int64)
    if len(days) < STRAY_MIN_ROWS:
        return 0
    cutoff = int(np.quantile(days, STRAY_QUANTILE, method="lower")) + STRAY_MARGIN_DAYS
    if int(days.max()) <= cutoff:
        return 0
    limit = date.fromordinal(cutoff)
    stray = (IngestStaging.dataset_id == dataset_id) & (IngestStaging.last_login > limit)
    count = select(func.count()).select_from(IngestStaging).where(stray)
    moved = int(connection.execute(count).scalar_one())
    connection.execute(
        insert(RejectedRow).from_select(
            ["dataset_id", "line_number", "raw_line", "reason"],
            select(
                IngestStaging.dataset_id,
                IngestStaging.source_line,
                IngestStaging.raw_line,
                literal(STRAY_LOGIN_REASON),
            ).where(stray),
        )
    )
    connection.execute(delete(IngestStaging).where(stray))
    return moved


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
