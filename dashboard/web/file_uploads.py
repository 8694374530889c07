"""``POST /upload``: the one path a file's bytes travel, with the upload size limit.

The Data page's browser code sends the dropped file here and gets back a token; the page's
load job then works from the stored file (:mod:`dashboard.services.upload_store`). Every
other request, Dash callbacks included, stays under the small request limit set in
``create_app``. Analysts and admins only; a refusal is said in words and audited.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import unquote

import flask
from flask import Flask, request

from dashboard.services.upload_store import (
    UploadTooLarge,
    forget_upload,
    save_upload,
    uploads_folder,
)
from dashboard.services.uploads import safe_filename, too_large_message
from dashboard.web import context

CHUNK_BYTES = 1024 * 1024
FILENAME_HEADER = "X-Upload-Filename"


def _refuse(filename: str, message: str, status: int) -> flask.Response:
    context.record("upload", {"file": filename, "reason": message}, "refused")
    return flask.jsonify({"error": message}), status


def _body_chunks() -> Iterator[bytes]:
    while chunk := request.stream.read(CHUNK_BYTES):
        yield chunk


def install(server: Flask) -> None:
    @server.route("/upload", methods=["POST"])
    def receive_upload():
        filename = safe_filename(unquote(request.headers.get(FILENAME_HEADER, "")))
        if not context.can("analyst"):
            return _refuse(filename, "Uploading needs the analyst role.", 403)
        max_bytes = context.settings().max_upload_bytes
        size = request.content_length
        if size is None:
            return _refuse(filename, "The upload did not say its size; please try again.", 411)
        if size > max_bytes:
            return _refuse(filename, too_large_message(filename, size, max_bytes), 413)
        request.max_content_length = max_bytes
        try:
            stored = save_upload(
                uploads_folder(context.settings().cache_dir),
                _body_chunks(),
                filename,
                context.identity().username,
                max_bytes,
            )
        except UploadTooLarge:
            return _refuse(filename, too_large_message(filename, size, max_bytes), 413)
        if stored.size != size:
            forget_upload(stored)
            return _refuse(filename, f"{filename} arrived incomplete; please upload it again.", 400)
        return flask.jsonify({"token": stored.token, "filename": stored.filename})
