"""Streamed CSV downloads of customer lists, however many rows the filters keep.

The "Download CSV" buttons of customer tables are links to these routes carrying the page's
own query string (data set and filters), so the file holds exactly the rows on screen. Rows
leave the database in chunks and go out as they are written: a download of a million
customers starts at once and never sits whole in the server's memory, unlike a Dash
``dcc.Download``, which ships the file inside one JSON response. Sign-in guards these paths
like every page (``dashboard.web.auth``), and each download is audited with its row count.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from urllib.parse import urlencode

import flask
from flask import Flask, request, stream_with_context

from dashboard.components.csv_export import export_filename
from dashboard.services import series as series_service
from dashboard.services.campaigns import CampaignError, get_campaign, members_csv_chunks
from dashboard.services.exports import customers_csv_chunks
from dashboard.services.job_slots import download_slots_folder, piece_slot
from dashboard.web import context
from db.filters import Filters, search_from_view, view_from_search

CUSTOMER_LISTS = ("customers", "discount-targets", "send-list", "control-list")
"""``customers``: everyone filtered; ``discount-targets``: every target with its control flag;
``send-list``: the targets to send the offer to (control group left out); ``control-list``:
the held-out targets."""
MEMBER_LISTS = ("targets", "control")


def customers_url(kind: str, dataset_id: int, filters: Filters) -> str:
    """The download link for a data set's customers (``kind`` in CUSTOMER_LISTS)."""
    return f"/download/{kind}.csv{_query(dataset_id, filters)}"


def members_url(campaign_id: int, group: str, dataset_id: int, filters: Filters) -> str:
    """The download link for a campaign's target or control list (``group``)."""
    return f"/download/campaigns/{campaign_id}/{group}.csv{_query(dataset_id, filters)}"


def migration_url(
    dataset_id: int, previous_id: int, kind: str, source: str, target: str, filters: Filters
) -> str:
    """The download link for one migration cell's customers (current data set named)."""
    cell = urlencode({"previous": previous_id, "kind": kind, "from": source, "to": target})
    return f"/download/migration.csv{_query(dataset_id, filters)}&{cell}"


def list_filters(kind: str, filters: Filters) -> Filters:
    """The rows a customer list of ``kind`` (one of CUSTOMER_LISTS) holds under ``filters``."""
    if kind == "send-list":
        return filters.send_list()
    if kind == "control-list":
        return filters.control_list()
    if kind == "discount-targets":
        return filters.with_targets_only()
    return filters


def _query(dataset_id: int, filters: Filters) -> str:
    """``?dataset=3&gender=Female...``: the view's query string, naming the data set."""
    return search_from_view({"dataset_id": int(dataset_id), "filters": filters.as_values()})


def _requested_view() -> context.View:
    """The data set and filters the query string names, validated like the pages' own."""
    search = request.query_string.decode("utf-8", "replace")  # odd bytes: unknown values
    return context.resolve_view(view_from_search(search))


def _missing_dataset(view: context.View) -> str | None:
    """Why the link's ``dataset`` names nothing this server can export (None when it does).

    A page may show the newest data set instead, and says so; a file never does.
    """
    named = request.args.getlist("dataset")
    if not named:
        return None
    text = named[0].strip()
    if not text.isdigit() or len(named) > 1:
        return f"There is no data set {text[:40]!r}: a link names one by its number."
    if view.run is None or view.run.dataset_id != int(text):
        return f"There is no analysed data set {int(text)}."
    return None


def _unexportable(view: context.View, table: str) -> flask.Response | None:
    """The refusal of a customer list whose link names no exportable view, else None."""
    missing = _missing_dataset(view)
    if missing:
        return _refuse(f"Nothing was exported: {missing}", 404, table)
    if view.run is None:
        return _refuse("No analysed data set yet: load a CSV on the Data page.", 404, table)
    if view.problem:
        return _refuse(f"Nothing was exported: {view.problem}", 400, table)
    return None


def _refuse(message: str, status: int, table: str | None = None) -> flask.Response:
    """A refusal in words; a refused export of a known list is audited with its reason."""
    if table is not None:
        context.record("export", {"table": table, "reason": message}, "refused")
    return flask.Response(message + "\n", status=status, mimetype="text/plain")


def _csv_response(
    chunks: Generator[tuple[str, int], None, None],
    filename: str,
    on_done: Callable[[int, bool], None],
) -> flask.Response:
    """Stream ``chunks`` as an attachment; ``on_done(rows, complete)`` runs when it ends."""

    settings = context.settings()
    slots = download_slots_folder(settings.cache_dir)

    def body() -> Iterator[str]:
        rows, complete = 0, False
        try:
            # A full list keeps a core busy for half a minute: at most DOWNLOAD_SLOTS pieces
            # are made at once on this machine, so the pages keep their speed. The slot is
            # held while a piece is made, not while a slow client receives it.
            while True:
                with piece_slot(slots, settings.download_slots):
                    piece = next(chunks, None)
                if piece is None:
                    break
                rows += piece[1]
                yield piece[0]
            complete = True
        finally:
            chunks.close()  # a cancelled download frees its database cursor now
            on_done(rows, complete)

    response = flask.Response(stream_with_context(body()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def install(server: Flask) -> None:
    """Add the download routes to ``server``."""

    @server.route("/download/<kind>.csv")
    def download_customers(kind: str):
        if kind not in CUSTOMER_LISTS:
            return _refuse("There is no such download.", 404)
        table = kind.replace("-", "_")
        view = _requested_view()
        refused = _unexportable(view, table)
        if refused is not None:
            return refused
        filters = list_filters(kind, view.filters)
        run = view.run

        def audit(rows: int, complete: bool) -> None:
            detail = {
                "table": table,
                "dataset_id": run.dataset_id,
                "filters": filters.describe(),
                "rows": rows,
            }
            context.record("export", detail, "ok" if complete else "interrupted")

        chunks = customers_csv_chunks(context.engine(), run.run_id, filters)
        filename = export_filename(run.dataset_name, run.as_of, kind=table)
        return _csv_response(chunks, filename, audit)

    @server.route("/download/migration.csv")
    def download_migration():
        table = "migration_cell"
        view = _requested_view()
        refused = _unexportable(view, table)
        if refused is not None:
            return refused
        kind = request.args.get("kind", "rule")
        source, target = request.args.get("from", ""), request.args.get("to", "")
        previous = request.args.get("previous", "")
        if not previous.isdigit():
            return _refuse("Nothing was exported: the link names no previous snapshot.", 400, table)
        run = view.run
        try:
            pair = series_service.pair_for_dataset(context.engine(), run.dataset_id, int(previous))
            if pair.previous.dataset_id != int(previous):
                raise series_service.MigrationError(
                    f"Data set {int(previous)} is not an earlier analysed snapshot of this series."
                )
            chunks = series_service.cell_csv_chunks(
                context.engine(), pair, kind, source, target, view.filters
            )
        except series_service.MigrationError as error:
            return _refuse(f"Nothing was exported: {error}", 400, table)

        def audit(rows: int, complete: bool) -> None:
            detail = {
                "table": table,
                "dataset_id": run.dataset_id,
                "previous_dataset_id": pair.previous.dataset_id,
                "cell": f"{kind}: {source} -> {target}",
                "filters": view.filters.describe(),
                "rows": rows,
            }
            context.record("export", detail, "ok" if complete else "interrupted")

        filename = export_filename(run.dataset_name, run.as_of, kind=f"{source}_to_{target}")
        return _csv_response(chunks, filename, audit)

    @server.route("/download/campaigns/<int:campaign_id>/<group>.csv")
    def download_members(campaign_id: int, group: str):
        if group not in MEMBER_LISTS:
            return _refuse("There is no such download.", 404)
        kind = "campaign_control" if group == "control" else "campaign_targets"
        try:
            campaign = get_campaign(context.engine(), campaign_id)
        except CampaignError as error:
            return _refuse(str(error), 404, kind)
        view = _requested_view()
        if view.problem:
            return _refuse(f"Nothing was exported: {view.problem}", 400, kind)

        def audit(rows: int, complete: bool) -> None:
            detail = {
                "table": kind,
                "campaign_id": campaign.id,
                "filters": view.filters.describe(),
                "rows": rows,
            }
            context.record("export", detail, "ok" if complete else "interrupted")

        chunks = members_csv_chunks(
            context.engine(), campaign.id, control=group == "control", filters=view.filters
        )
        filename = export_filename(campaign.name, campaign.baseline_as_of, kind)
        return _csv_response(chunks, filename, audit)
