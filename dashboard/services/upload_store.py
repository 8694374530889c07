"""Where an uploaded file waits for its load job: one folder per upload, named by a token.

The browser sends the file's bytes to ``POST /upload`` (its own path, with the upload size
limit), which keeps them here and answers with a token; the Data page's load job gets only
the token. So no Dash callback ever carries a file, and callbacks can be capped small.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{22,64}")
KEEP_SECONDS = 24 * 3600  # long enough to choose missing columns and load again
META = "upload.json"


def uploads_folder(cache_dir: Path) -> Path:
    """Where uploads wait, under the app's cache folder (one place for route and job)."""
    return cache_dir / "uploads"


class UploadTooLarge(ValueError):
    """The body went past the limit while it was read (nothing is kept)."""


@dataclass(frozen=True)
class StoredUpload:
    token: str
    filename: str
    size: int
    path: Path


def save_upload(
    folder: Path, chunks: Iterable[bytes], filename: str, owner: str, max_bytes: int
) -> StoredUpload:
    """Write ``chunks`` as ``filename`` under a new token; UploadTooLarge past ``max_bytes``."""
    forget_old_uploads(folder)
    token = secrets.token_urlsafe(24)
    place = folder / token
    place.mkdir(parents=True, mode=0o700)
    path = place / filename
    size = 0
    try:
        with path.open("wb") as handle:
            for chunk in chunks:
                size += len(chunk)
                if size > max_bytes:
                    raise UploadTooLarge(filename)
                handle.write(chunk)
    except BaseException:
        shutil.rmtree(place, ignore_errors=True)
        raise
    (place / META).write_text(json.dumps({"owner": owner, "filename": filename, "size": size}))
    return StoredUpload(token, filename, size, path)


def find_upload(folder: Path, token: object, owner: str) -> StoredUpload | None:
    """The upload ``token`` names, if it exists and ``owner`` sent it (None otherwise)."""
    if not isinstance(token, str) or not TOKEN_SHAPE.fullmatch(token):
        return None
    place = folder / token
    try:
        meta = json.loads((place / META).read_text())
    except (OSError, ValueError):
        return None
    if meta.get("owner") != owner:
        return None
    filename = str(meta.get("filename", ""))
    path = place / filename
    if Path(filename).name != filename or not path.is_file():
        return None
    return StoredUpload(token, filename, int(meta.get("size", 0)), path)


def forget_upload(upload: StoredUpload) -> None:
    shutil.rmtree(upload.path.parent, ignore_errors=True)


def forget_old_uploads(folder: Path, keep_seconds: float = KEEP_SECONDS) -> int:
    """Remove uploads older than ``keep_seconds``; how many went."""
    if not folder.is_dir():
        return 0
    cutoff = time.time() - keep_seconds
    removed = 0
    for place in folder.iterdir():
        if place.is_dir() and TOKEN_SHAPE.fullmatch(place.name) and place.stat().st_mtime < cutoff:
            shutil.rmtree(place, ignore_errors=True)
            removed += 1
    return removed
