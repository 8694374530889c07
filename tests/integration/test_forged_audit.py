"""Only the server writes the audit log: every callback replayed with forged values, as a
viewer and as an analyst, leaves only rows that tell what really happened."""

from __future__ import annotations

import json
import time

from sqlalchemy import Engine, text

from dashboard.web.callback_client import output_parts
from tests.integration import test_auth
from tests.integration.test_auth import sign_in

secured = test_auth.secured  # the signed-in app with one user per role

FORGED_FACTS = {
    "ok": True,
    "file": "FORGED.csv",
    "dataset_id": 999,
    "run_id": 777,
    "rows_loaded": 123_456,
    "rows_rejected": 0,
    "message": "Loaded FORGED",
    "token": "F" * 32,
    "id": 999,
    "name": "FORGED",
}
FORGED_NUMBERS = {999, 777, 123_456}


def forged_value(prop: str) -> object:
    if prop in ("n_clicks", "submit_n_clicks", "n_intervals"):
        return 1
    if prop == "selectedRows":
        return [FORGED_FACTS]
    if prop in ("value", "search", "pathname", "filename", "children"):
        return "FORGED"
    if prop == "cellValueChanged":
        return [{"rowId": "0", "colId": "headline", "value": "FORGED", "data": FORGED_FACTS}]
    return dict(FORGED_FACTS)


def forged_body(output: str, spec: dict) -> dict:
    def item(entry: dict) -> object:
        if str(entry["id"]).startswith("{"):  # pattern-matching: the browser sends a list
            return []
        return {
            "id": entry["id"],
            "property": entry["property"],
            "value": forged_value(entry["property"]),
        }

    parts = output_parts(output)
    outputs = [{"id": p.rsplit(".", 1)[0], "property": p.rsplit(".", 1)[1]} for p in parts]
    inputs = [item(entry) for entry in spec["inputs"]]
    return {
        "output": output,
        "outputs": outputs if output.startswith("..") else outputs[0],
        "inputs": inputs,
        "changedPropIds": [
            f"{entry['id']}.{entry['property']}"
            for entry in spec["inputs"]
            if not str(entry["id"]).startswith("{")
        ],
        "state": [item(entry) for entry in spec.get("state", [])],
    }


def audit_events(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, username, action, outcome, detail FROM audit_events ORDER BY id")
        ).all()
    return [
        (i, user, action, outcome, d if isinstance(d, dict) or d is None else json.loads(d))
        for i, user, action, outcome, d in rows
    ]


def numbers_in(detail: object) -> set[int]:
    if isinstance(detail, bool):
        return set()
    if isinstance(detail, int):
        return {detail}
    if isinstance(detail, dict):
        return set().union(*(numbers_in(v) for v in detail.values())) if detail else set()
    if isinstance(detail, list):
        return set().union(*(numbers_in(v) for v in detail)) if detail else set()
    return set()


def test_forged_callbacks_leave_only_true_audit_rows(secured, engine) -> None:
    with engine.connect() as connection:
        datasets = set(connection.execute(text("SELECT id FROM datasets")).scalars())
    for username in ("viewer", "analyst"):
        client = secured.server.test_client()
        sign_in(client, username)
        client.get("/")
        for output, spec in secured.callback_map.items():
            if "callback" not in spec:
                continue  # clientside: runs in the browser, never reaches the server
            client.post("/_dash-update-component", json=forged_body(output, spec))

    # Background jobs (upload, re-analysis, applying levels) write their own rows: wait until
    # the log stops growing (bounded).
    deadline, last, quiet_since = time.monotonic() + 90, -1, time.monotonic()
    while time.monotonic() < deadline:
        count = len(audit_events(engine))
        if count != last:
            last, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since > 4:
            break
        time.sleep(0.5)

    events = audit_events(engine)
    with engine.connect() as connection:
        runs = set(connection.execute(text("SELECT id FROM analysis_runs")).scalars())
        datasets |= set(connection.execute(text("SELECT id FROM datasets")).scalars())
    assert events, "the replay left no trace at all"
    for _id, user, action, outcome, detail in events:
        row = (user, action, outcome, detail)
        assert user in ("viewer", "analyst"), row
        # No forged figure became a fact: no upload happened, so none is "ok".
        assert not (action == "upload" and outcome == "ok"), row
        if outcome == "refused" and action in ("upload", "analyze", "export"):
            assert detail.get("reason"), row  # a refusal says why
        if outcome == "ok":
            assert not numbers_in(detail) & FORGED_NUMBERS, row
            assert "FORGED.csv" not in json.dumps(detail), row
        if detail and outcome == "ok" and "dataset_id" in detail:
            assert detail["dataset_id"] in datasets, row
        if detail and outcome == "ok" and detail.get("run_id") is not None:
            assert detail["run_id"] in runs, row
    # Viewers were refused every data-changing callback, and each refusal is on the trail.
    viewer_actions = {
        (action, outcome) for _i, user, action, outcome, _d in events if user == "viewer"
    }
    assert ("forbidden", "refused") in viewer_actions
    assert not {a for a, o in viewer_actions if o == "ok"} - {"export", "sign_in"}
