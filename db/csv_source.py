"""Reading a CSV export as it comes: encoding, delimiter, content hash and records in chunks.

Exports arrive from many systems, so nothing is assumed: the encoding is UTF-8 (with or
without BOM) when the bytes allow it, else Windows-1252, else Latin-1; the delimiter is
sniffed among comma, semicolon, tab and pipe; quoted fields may hold delimiters and
newlines. Records come out in chunks with the physical line number each starts on, so a
rejected row can be found in an editor and memory never grows with the file.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

BLOCK_BYTES = 1 << 20
SNIFF_CHARS = 64 * 1024
DELIMITERS = ",;\t|"

# The csv module refuses fields above 128 KiB by default; a longer field is reported as
# a rejected row by ingestion instead of aborting the whole file.
csv.field_size_limit(64 * 1024 * 1024)

# The shape of a customer export, checked while reading so memory stays bounded whatever
# the file: a longer line or a wider header refuses the file in one sentence.
MAX_LINE_CHARS = 1_000_000
MAX_COLUMNS = 1_000
CHUNK_CHARS = 32 * 1024 * 1024  # a chunk also ends when its records hold this much text


class FileShapeError(ValueError):
    """The file is not shaped like a customer export (a line or header beyond the limits)."""


def bounded_lines(handle: io.TextIOBase) -> Iterator[str]:
    """The physical lines of ``handle``, refusing one longer than MAX_LINE_CHARS before it
    is read whole (a 100 MB line without a newline costs 1 MB, not 100)."""
    number = 0
    while line := handle.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise FileShapeError(
                f"line {number:,} is longer than {MAX_LINE_CHARS:,} characters "
                "(an export's lines are far shorter)"
            )
        yield line


@dataclass(frozen=True)
class FileFacts:
    """What one pass over the bytes tells: content hash, encoding and size."""

    sha256: str
    encoding: str
    size_bytes: int


@dataclass(frozen=True)
class Chunk:
    """A run of consecutive records and the line each begins on (the header is line 1)."""

    lines: list[int]
    records: list[list[str]]


def inspect_file(path: Path) -> FileFacts:
    """Hash the file and find an encoding that decodes all of it, in one streaming pass."""
    digest = hashlib.sha256()
    decoders = {
        "utf-8-sig": codecs.getincrementaldecoder("utf-8-sig")(),
        "cp1252": codecs.getincrementaldecoder("cp1252")(),
    }
    size = 0
    with path.open("rb") as handle:
        while block := handle.read(BLOCK_BYTES):
            size += len(block)
            digest.update(block)
            for name in list(decoders):
                try:
                    decoders[name].decode(block)
                except UnicodeDecodeError:
                    del decoders[name]
    for name, decoder in list(decoders.items()):
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            del decoders[name]
    encoding = next(iter(decoders), "latin-1")
    return FileFacts(sha256=digest.hexdigest(), encoding=encoding, size_bytes=size)


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample: the sniffer's guess when the header line agrees.

    The header line is the most regular line of an export, so when the sniffer fails or
    picks a character absent from it, the candidate appearing most often there wins.
    """
    header = sample.splitlines()[0] if sample else ""
    try:
        guess = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        guess = ""
    if guess and guess in header:
        return guess
    counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def open_text(path: Path, encoding: str) -> io.TextIOWrapper:
    """The file as text with universal newlines left to the csv module (CR, LF, CRLF)."""
    return path.open("r", encoding=encoding, newline="")


def read_header(path: Path, encoding: str) -> tuple[str, list[str]]:
    """The delimiter and the header row (the first non-blank record)."""
    with open_text(path, encoding) as handle:
        sample = handle.read(SNIFF_CHARS)
    delimiter = sniff_delimiter(sample.lstrip("\r\n"))
    with open_text(path, encoding) as handle:
        for record in csv.reader(bounded_lines(handle), delimiter=delimiter):
            if "".join(record).strip():
                if len(record) > MAX_COLUMNS:
                    raise FileShapeError(
                        f"its header has {len(record):,} columns, more than the "
                        f"{MAX_COLUMNS:,} an export may have"
                    )
                return delimiter, record
    return delimiter, []


def iter_chunks(path: Path, encoding: str, delimiter: str, chunk_rows: int) -> Iterator[Chunk]:
    """Every record after the header, in chunks of at most ``chunk_rows``.

    Blank lines are skipped; each record carries the physical line it begins on, which
    differs from its record number when quoted fields span several lines.
    """
    with open_text(path, encoding) as handle:
        reader = csv.reader(bounded_lines(handle), delimiter=delimiter)
        previous_end = 0
        header_seen = False
        lines: list[int] = []
        records: list[list[str]] = []
        chars = 0
        for record in reader:
            start = previous_end + 1
            previous_end = reader.line_num
            text = "".join(record)
            if not text or text.isspace():
                continue
            if not header_seen:
                header_seen = True
                continue
            lines.append(start)
            records.append(record)
            chars += len(text)
            if len(records) >= chunk_rows or chars >= CHUNK_CHARS:
                yield Chunk(lines, records)
                lines, records, chars = [], [], 0
        if records:
            yield Chunk(lines, records)


def format_record(record: list[str], delimiter: str) -> str:
    """A record written back as one CSV line, for showing a rejected row as it was."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="").writerow(record)
    return buffer.getvalue()
