"""``POST /upload`` carries files; every other request, Dash callbacks included, stays small."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import Engine, text

from dashboard.app import REQUEST_MAX_BYTES
from dashboard.services import accounts
from dashboard.services.upload_store import find_upload
from dashboard.web.callback_client import CallbackClient
from tests.integration.test_auth import PASSWORD, callback_body, sign_in
from tests.integration.test_upload import GOOD, HEADER


def uploads_of(engine: Engine, outcome: str) -> list[tuple[str | None, dict]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT username, detail FROM audit_events "
                "WHERE action = 'upload' AND outcome = :o ORDER BY id"
            ),
            {"o": outcome},
        ).all()
    return [(user, d if isinstance(d, dict) else json.loads(d)) for user, d in rows]


def refused_uploads(engine: Engine) -> list[tuple[str | None, dict]]:
    return uploads_of(engine, "refused")


@pytest.fixture
def signed_in(engine: Engine, make_app):
    for role in ("viewer", "analyst"):
        accounts.add_user(engine, role, PASSWORD, role)
    app = make_app(auth_required=True, max_upload_bytes=2_000)
    return app


def post_file(client, data: bytes, name: str = "export.csv"):
    return client.post("/upload", data=data, headers={"X-Upload-Filename": name})


def test_an_analysts_file_is_stored_for_them_alone(signed_in, engine) -> None:
    client = signed_in.server.test_client()
    sign_in(client, "analyst")
    answer = post_file(client, (HEADER + GOOD).encode(), "C:%5Cfakepath%5Cexport.csv")
    assert answer.status_code == 200
    token = answer.get_json()["token"]
    assert answer.get_json()["filename"] == "export.csv"  # no folder part kept
    folder = signed_in.server.config["DASHBOARD_SETTINGS"].cache_dir / "uploads"
    stored = find_upload(folder, token, "analyst")
    assert stored is not None and stored.path.read_bytes() == (HEADER + GOOD).encode()
    assert find_upload(folder, token, "viewer") is None  # another user cannot use it
    assert find_upload(folder, "../../etc/passwd", "analyst") is None

    # The load job works from the token: the page's result names the loaded file.
    callbacks = CallbackClient(signed_in, client)
    started = callbacks.post(
        "data-result-store.data", {("data-uploaded", "data"): {"token": token}}
    )
    assert started.status_code == 200
    # The job loads it in the background; wait for its audit row (bounded), so the test
    # leaves no job running behind it.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not uploads_of(engine, "ok"):
        time.sleep(0.2)
    assert [d["file"] for _user, d in uploads_of(engine, "ok")] == ["export.csv"]
    assert find_upload(folder, token, "analyst") is None  # loaded: the stored copy is gone


def test_uploads_are_refused_in_words_and_audited(signed_in, engine) -> None:
    viewer = signed_in.server.test_client()
    sign_in(viewer, "viewer")
    forbidden = post_file(viewer, b"customer_id\n1\n")
    assert forbidden.status_code == 403
    assert forbidden.get_json() == {"error": "Uploading needs the analyst role."}

    analyst = signed_in.server.test_client()
    sign_in(analyst, "analyst")
    too_big = post_file(analyst, b"x" * 3_000, "huge.csv")
    assert too_big.status_code == 413
    message = too_big.get_json()["error"]
    assert message.startswith("huge.csv is 0.0 MB, above the 0.0 MB upload limit.")
    assert refused_uploads(engine) == [
        ("viewer", {"file": "export.csv", "reason": "Uploading needs the analyst role."}),
        ("analyst", {"file": "huge.csv", "reason": message}),
    ]
    anonymous = signed_in.server.test_client()
    assert post_file(anonymous, b"customer_id\n1\n").status_code == 401


def test_callbacks_are_capped_small_and_filter_lists_short(signed_in, engine) -> None:
    client = signed_in.server.test_client()
    sign_in(client, "viewer")
    padding = "x" * (REQUEST_MAX_BYTES + 10)
    big = callback_body("overview-kpis.children", "view-store", "data", {"pad": padding})
    response = client.post("/_dash-update-component", json=big)
    assert response.status_code == 413
    assert response.get_json() == {
        "error": "This request is larger than the 1 MB this address accepts; files are "
        "uploaded on the Data page."
    }
    many = {"dataset_id": None, "filters": {"country": [f"c{n}" for n in range(20_000)]}}
    body = callback_body("filter-message.children", "view-store", "data", many)
    body["output"] = "..dataset-label.children...filter-count.children...filter-message.children.."
    body["outputs"] = [
        {"id": "dataset-label", "property": "children"},
        {"id": "filter-count", "property": "children"},
        {"id": "filter-message", "property": "children"},
    ]
    answer = client.post("/_dash-update-component", json=body)
    assert answer.status_code == 200
    assert "Country was given 20,000 values; a filter takes at most 1,000." in answer.get_data(
        as_text=True
    )


def test_a_very_long_file_name_is_shortened_not_an_error(signed_in) -> None:
    from urllib.parse import quote

    client = signed_in.server.test_client()
    sign_in(client, "analyst")
    answer = post_file(client, (HEADER + GOOD).encode(), quote("é" * 200 + ".csv"))
    assert answer.status_code == 200
    name = answer.get_json()["filename"]
    assert name == "é" * 98 + ".csv" and len(name.encode("utf-8")) <= 200
