"""An upload names its series (or is told which series it seems to continue), and the Data
page shows each series as a timeline."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from dashboard.services.uploads import run_upload
from dashboard.web.callback_client import CallbackClient
from db.series import series_info
from tests.integration.test_series import HEADER, SNAPSHOTS
from tests.page_tree import visible_text

MAX_BYTES = 10 * 1024 * 1024


def upload(engine: Engine, tmp_path: Path, month: str, series: str | None = None) -> dict:
    path = tmp_path / f"{month}.csv"
    path.write_text(HEADER + "\n".join(SNAPSHOTS[month]) + "\n")
    return run_upload(engine, path, path.name, max_bytes=MAX_BYTES, series=series)


def test_uploads_join_their_series_and_are_linked_once_analysed(
    engine: Engine, tmp_path: Path, callbacks: CallbackClient
) -> None:
    first = upload(engine, tmp_path, "jan", series="Base")
    assert (first["ok"], first["series_note"]) == (True, "Snapshot 1 of series 'Base'.")
    proposed = upload(engine, tmp_path, "feb")
    assert proposed["series_note"] == (
        "This export shares 4 customer ids (67%) with the latest snapshot of series 'Base': "
        "load it again with that series name (or python -m dashboard series add) to compare "
        "the two."
    )
    again = upload(engine, tmp_path, "feb", series="Base")  # the same file: already loaded
    assert (again["already_loaded"], again["series_note"]) == (
        True,
        "Snapshot 2 of series 'Base'.",
    )
    info = series_info(engine, "Base")
    assert [s.dataset_id for s in info.snapshots] == [first["dataset_id"], proposed["dataset_id"]]
    from dashboard.services.series import migration_cells, pair_of

    cells = migration_cells(engine, pair_of(engine, "Base"), "rule")
    assert int(cells["customers"].sum()) == 8  # 4 in both, 2 gone, 2 new

    shown = callbacks.call("data-series-timelines.children", {})
    assert visible_text(shown["data-series-timelines"]["children"]) == (
        "Base · 2 snapshots"
        f"2024-01-31data set {first['dataset_id']} · jan.csv · 6 customers"
        f"2024-02-29data set {proposed['dataset_id']} · feb.csv · 6 customers"
    )
