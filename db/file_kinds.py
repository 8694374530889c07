"""What a file is, from its first bytes: a text export, a spreadsheet, or something else.

A file renamed ``.csv`` is judged by its content, so a PNG gets "is a PNG image" instead of a
column-mapping message about ``\\x89PNG``, and a workbook is read as a workbook.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

TEXT = "text"
XLSX = "xlsx"
XLS = "xls"
ODS = "ods"
SPREADSHEETS = (XLSX, XLS, ODS)

# (leading bytes, what the file is): checked in order.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"PAR1", "a Parquet file"),
    (b"RIFF", "a RIFF media file"),
    (b"\x00\x00\x00", "a binary file"),
)
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # old Office documents (.xls, .doc)
ZIP = b"PK\x03\x04"


def file_kind(path: Path) -> str:
    """TEXT, one of SPREADSHEETS, or a few words naming what else the file is."""
    with path.open("rb") as handle:
        head = handle.read(8192)
    if head.startswith(ZIP):
        return _zip_kind(path)
    if head.startswith(OLE):
        return XLS  # an old Office file; the reader says so if it is no workbook
    for signature, kind in SIGNATURES:
        if head.startswith(signature):
            return kind
    if _mostly_binary(head) and not _utf16(head):
        return "a binary file"
    return TEXT


def _mostly_binary(head: bytes) -> bool:
    """More than a stray NUL: a text export with one NUL in a cell is still text (the loader
    rejects that row), while binary formats are full of them."""
    return head.count(b"\x00") > max(2, len(head) // 100)


def _utf16(head: bytes) -> bool:
    return head.startswith((b"\xff\xfe", b"\xfe\xff"))


def _zip_kind(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" in names:
                return XLSX
            if "mimetype" in names:
                mimetype = archive.read("mimetype")[:100]
                if b"opendocument.spreadsheet" in mimetype:
                    return ODS
                if b"opendocument.text" in mimetype:
                    return "an OpenDocument text document"
            if "word/document.xml" in names:
                return "a Word document"
            if "ppt/presentation.xml" in names:
                return "a PowerPoint presentation"
    except zipfile.BadZipFile:
        return "a damaged ZIP archive"
    return "a ZIP archive"
