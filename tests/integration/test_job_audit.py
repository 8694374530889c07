"""Jobs audit themselves: an upload, a re-analysis or a new campaign leaves its audit row
when the job finishes, whether or not a browser ever comes back for the result."""

from __future__ import annotations

import json
import time
from pathlib import Path

from sqlalchemy import Engine, text

from dashboard.services import accounts
from dashboard.services.analysis import analyze_dataset, run_reanalysis
from dashboard.services.campaigns import CampaignError, create_campaign
from dashboard.services.sample_data import write_csv
from dashboard.services.uploads import run_upload
from dashboard.web.callback_client import CallbackClient
from db.audit import Actor
from db.ingest import ingest_file
from tests.integration.test_auth import PASSWORD, sign_in
from tests.integration.test_upload import BAD, GOOD, HEADER, data_url

MARIA = Actor("maria", "10.1.2.3")


def audit_rows(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        return [
            (*row[:4], json.loads(row[4]) if isinstance(row[4], str) else row[4])
            for row in connection.execute(
                text(
                    "SELECT username, action, outcome, remote_addr, detail "
                    "FROM audit_events ORDER BY id"
                )
            )
        ]


def test_an_upload_is_audited_by_the_job(engine: Engine) -> None:
    summary = run_upload(
        engine, data_url(HEADER + GOOD + BAD), "export.csv", max_bytes=10_000, actor=MARIA
    )
    refused = run_upload(engine, data_url("a,b\n1,2\n"), "odd.csv", max_bytes=10_000, actor=MARIA)
    assert summary["ok"] and not refused["ok"]
    ok_detail = {
        "file": "export.csv",
        "dataset_id": summary["dataset_id"],
        "rows_loaded": 4,
        "rows_rejected": 4,
        "already_loaded": False,
    }
    refused_detail = {"file": "odd.csv", "reason": refused["message"]}
    assert audit_rows(engine) == [
        ("maria", "upload", "ok", "10.1.2.3", ok_detail),
        ("maria", "upload", "refused", "10.1.2.3", refused_detail),
    ]


def test_a_reanalysis_and_a_campaign_are_audited_by_their_jobs(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "customers.csv"
    write_csv(path, rows=400, seed=3)
    dataset_id = ingest_file(engine, path).dataset_id
    first = analyze_dataset(engine, dataset_id)
    again = run_reanalysis(engine, dataset_id, "", "3", MARIA)
    refused = run_reanalysis(engine, dataset_id, "not a date", "3", MARIA)
    campaign = create_campaign(engine, "Winter win-back", dataset_id, "maria", actor=MARIA)
    try:
        create_campaign(engine, "Winter win-back", dataset_id, "maria", actor=MARIA)
    except CampaignError:
        pass
    else:
        raise AssertionError("a taken campaign name was accepted")

    rows = [row[:3] for row in audit_rows(engine)]
    assert rows == [
        ("maria", "analyze", "ok"),
        ("maria", "analyze", "refused"),
        ("maria", "create_campaign", "ok"),
        ("maria", "create_campaign", "refused"),
    ]
    details = [row[4] for row in audit_rows(engine)]
    assert details[0] == {
        "dataset_id": dataset_id,
        "run_id": again["run_id"],
        "as_of": again["as_of"],
        "k": 3,
    }
    assert again["run_id"] != first.run_id and refused["ok"] is False
    assert details[2] == {
        "name": "Winter win-back",
        "dataset_id": dataset_id,
        "campaign_id": campaign.id,
        "members": campaign.members,
    }


def test_an_upload_from_the_page_is_audited_when_nobody_fetches_the_result(
    engine: Engine, make_app
) -> None:
    """The browser starts the background job and closes the tab: the job still writes the
    audit row, for the signed-in user who started it."""
    accounts.add_user(engine, "maria", PASSWORD, "analyst")
    app = make_app(auth_required=True)
    client = app.server.test_client()
    sign_in(client, "maria")
    callbacks = CallbackClient(app, client)
    sent = client.post(
        "/upload",
        data=(HEADER + GOOD).encode(),
        headers={"X-Upload-Filename": "closed_tab.csv"},
    )
    assert sent.status_code == 200, sent.get_data(as_text=True)
    started = callbacks.post("data-result-store.data", {("data-uploaded", "data"): sent.get_json()})
    assert started.status_code == 200, started.get_data(as_text=True)[:300]
    assert "cacheKey" in started.get_json()  # a job handle: the result is never asked for
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        uploads = [row for row in audit_rows(engine) if row[1] == "upload"]
        if uploads:
            break
        time.sleep(0.2)
    assert [row[:3] for row in uploads] == [("maria", "upload", "ok")]
    assert uploads[0][4]["file"] == "closed_tab.csv" and uploads[0][4]["rows_loaded"] == 4
