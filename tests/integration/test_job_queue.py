"""Background jobs queue for a slot, say where they stand, and a dead job says so."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest
from sqlalchemy import Engine, func, select

from dashboard.services.analysis import analyze_dataset
from dashboard.services.job_slots import job_slot, job_slots_folder, jobs_ahead
from dashboard.services.sample_data import write_csv
from dashboard.services.upload_store import save_upload, uploads_folder
from dashboard.services.uploads import stopped_upload
from dashboard.web.callback_client import CallbackClient
from db.audit import COMMAND_LINE
from db.ingest import ingest_file
from db.models import Dataset
from db.queries import active_run
from tests.integration.test_upload import GOOD, HEADER
from tests.integration.test_upload_route import uploads_of

RESULT = "data-result-store.data"
UPLOADED = ("data-uploaded", "data")


def wait_for(check: Callable[[], object], seconds: float = 60) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("gave up waiting")


def new_child(before: set[int]) -> psutil.Process:
    """The job process the last callback started (a child of this test process)."""

    def started() -> psutil.Process | None:
        fresh = [p for p in psutil.Process().children() if p.pid not in before]
        return fresh[0] if fresh else None

    return wait_for(started, 10)  # type: ignore[return-value]


def datasets(engine: Engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(Dataset)).scalar_one()


@pytest.fixture
def one_slot(make_app):
    app = make_app(job_slots=1)
    client = CallbackClient(app)
    settings = app.server.config["DASHBOARD_SETTINGS"]
    return app, client, settings


def upload(client: CallbackClient, body: bytes, name: str = "export.csv") -> dict:
    answer = client.client.post("/upload", data=body, headers={"X-Upload-Filename": name})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


def test_a_queued_upload_says_its_place_then_runs_when_a_slot_frees(one_slot, engine) -> None:
    _app, client, settings = one_slot
    uploaded = upload(client, (HEADER + GOOD).encode())
    slots = job_slots_folder(settings.cache_dir)
    with job_slot(slots, 1):  # another job holds the machine's only slot
        before = {p.pid for p in psutil.Process().children()}
        handles = client.post(RESULT, {UPLOADED: uploaded}).get_json()
        new_child(before)

        def waiting() -> str | None:
            answer = client.poll(RESULT, handles, {UPLOADED: uploaded})
            return answer.get("progress", {}).get("data-progress.children")

        assert wait_for(waiting, 20) == (
            "Waiting for a free job slot (1 job runs at a time on this server): yours is next."
        )
        assert datasets(engine) == 0  # it waits: nothing is loaded yet
    # The slot is free: the job runs to its end and answers with what it loaded.
    answer = wait_for(lambda: client.poll(RESULT, handles, {UPLOADED: uploaded}).get("response"))
    summary = answer["data-result-store"]["data"]
    assert summary["ok"] is True and summary["rows_loaded"] == 4
    assert datasets(engine) == 1


def test_a_job_killed_while_it_waits_says_it_stopped_and_leaves_nothing(one_slot, engine) -> None:
    _app, client, settings = one_slot
    uploaded = upload(client, (HEADER + GOOD).encode())
    with job_slot(job_slots_folder(settings.cache_dir), 1):
        before = {p.pid for p in psutil.Process().children()}
        handles = client.post(RESULT, {UPLOADED: uploaded}).get_json()
        job = new_child(before)
        wait_for(lambda: client.poll(RESULT, handles, {UPLOADED: uploaded}).get("progress"), 20)
        os.kill(job.pid, signal.SIGKILL)
        job.wait(10)
        answer = client.poll(RESULT, handles, {UPLOADED: uploaded})
    summary = answer["response"]["data-result-store"]["data"]
    assert summary == {
        "ok": False,
        "stopped": True,
        "message": "The job stopped before finishing (its process ended); nothing was changed.",
    }
    # The page's summary says what the database holds, and the stored file is removed.
    shown = client.call(
        "data-summary.children", {("data-result-store", "data"): summary, UPLOADED: uploaded}
    )
    text = str(shown)
    assert (
        "The load stopped before finishing (its job ended unexpectedly); nothing was changed."
        in text
    )
    assert not (uploads_folder(settings.cache_dir) / uploaded["token"]).exists()
    assert datasets(engine) == 0
    assert [d["file"] for _user, d in uploads_of(engine, "stopped")] == ["export.csv"]
    # The dead job's ticket does not hold up the next job.
    assert jobs_ahead(job_slots_folder(settings.cache_dir), "waiting-~") == 0


def test_a_load_that_died_before_its_analysis_names_the_unanalysed_data_set(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    write_csv(path, rows=200, seed=5)
    dataset_id = ingest_file(engine, path).dataset_id  # loaded; the analysis never ran
    stored = save_upload(tmp_path / "uploads", [path.read_bytes()], "customers.csv", "admin", 10**8)
    summary = stopped_upload(engine, stored, COMMAND_LINE)
    assert summary["message"] == (
        f"The load stopped before finishing: the file was loaded as data set {dataset_id}, "
        "but its analysis did not finish. Select it in the table below and click Analyse."
    )
    assert not stored.path.exists()
    analyze_dataset(engine, dataset_id)
    stored = save_upload(tmp_path / "uploads", [path.read_bytes()], "customers.csv", "admin", 10**8)
    run = active_run(engine, dataset_id)
    assert stopped_upload(engine, stored, COMMAND_LINE)["message"] == (
        f"The file is loaded as data set {dataset_id} and analysed (run {run.run_id})."
    )


def test_a_killed_reanalysis_says_it_stopped_and_keeps_the_previous_run(
    one_slot, engine: Engine, tmp_path: Path
) -> None:
    _app, client, settings = one_slot
    path = tmp_path / "customers.csv"
    write_csv(path, rows=300, seed=2)
    dataset_id = ingest_file(engine, path).dataset_id
    previous = analyze_dataset(engine, dataset_id)
    values = {
        ("data-reanalyse", "n_clicks"): 1,
        ("data-datasets", "selectedRows"): [{"id": dataset_id}],
        ("data-reanalyse-k", "value"): 5,
    }
    output = "data-reanalysis-store.data"
    with job_slot(job_slots_folder(settings.cache_dir), 1):
        before = {p.pid for p in psutil.Process().children()}
        handles = client.post(output, values).get_json()
        job = new_child(before)
        progress = wait_for(lambda: client.poll(output, handles, values).get("progress"), 20)
        assert "yours is next" in progress["data-reanalysis-queue.children"]
        job.kill()
        job.wait(10)
        answer = client.poll(output, handles, values)
    assert answer["response"]["data-reanalysis-store"]["data"]["stopped"] is True
    assert active_run(engine, dataset_id).run_id == previous.run_id
