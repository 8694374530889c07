"""Sign-in, roles and hardening, through the app's real HTTP interface on a real database."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from dashboard.services import accounts
from dashboard.services.analysis import analyze_dataset
from dashboard.services.sample_data import write_csv
from dashboard.web import auth
from db.ingest import ingest_file

PASSWORD = "correct horse battery"


@pytest.fixture
def secured(engine: Engine, tmp_path: Path, make_app):
    """An app with sign-in on, one analysed data set and one user per role."""
    path = tmp_path / "customers.csv"
    write_csv(path, rows=300, seed=5)
    analyze_dataset(engine, ingest_file(engine, path).dataset_id)
    for role in accounts.ROLES:
        accounts.add_user(engine, role, PASSWORD, role)
    return make_app(auth_required=True, max_upload_bytes=200_000)


def sign_in(client, username: str, password: str = PASSWORD):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


def form_token(layout: object) -> str | None:
    """The value of the hidden csrf_token input anywhere in a Dash layout JSON."""
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("props", node)
            if props.get("name") == "csrf_token":
                return props.get("value")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def audit_rows(engine: Engine) -> list[tuple]:
    with engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                text("SELECT username, action, outcome FROM audit_events ORDER BY id")
            )
        ]


def callback_body(output: str, component_id: str, prop: str, value: object) -> dict:
    component, attribute = output.rsplit(".", 1)
    return {
        "output": output,
        "outputs": {"id": component, "property": attribute},
        "inputs": [{"id": component_id, "property": prop, "value": value}],
        "changedPropIds": [f"{component_id}.{prop}"],
        "state": [],
    }


def test_anonymous_requests_are_refused(secured) -> None:
    client = secured.server.test_client()
    page = client.get("/segments?gender=Female")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login?next=/segments")
    assert client.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-dependencies").status_code == 401
    body = callback_body("overview-kpis.children", "view-store", "data", {})
    assert client.post("/_dash-update-component", json=body).status_code == 401
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200
    with client.get("/assets/bootstrap.min.css") as static:
        assert static.status_code == 200
    # The browser's own favicon request (the sign-in page has no icon link) gets the icon.
    icon = client.get("/favicon.ico")
    assert (icon.status_code, icon.headers["Location"]) == (301, "/_favicon.ico")
    with client.get("/_favicon.ico") as image:
        assert image.status_code == 200 and image.data[:4] == b"\x00\x00\x01\x00"


def test_sign_in_sets_a_hardened_session_and_sign_out_ends_it(secured, engine) -> None:
    client = secured.server.test_client()
    response = sign_in(client, "viewer")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/_dash-layout").status_code == 200

    token = form_token(client.get("/_dash-layout").get_json())
    assert token, "the header carries a sign-out form with a CSRF token"
    forged = client.post("/logout", data={"csrf_token": "forged"})
    assert forged.status_code == 400  # refused in words, not a pretended sign-out
    assert "The sign-out form expired" in forged.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 200
    saved = client.get_cookie("streamflix_session").value  # kept, as an attacker would
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/_dash-layout").status_code == 401
    assert audit_rows(engine) == [("viewer", "sign_in", "ok"), ("viewer", "sign_out", "ok")]

    # The cookie saved before signing out no longer opens anything, downloads included.
    replay = secured.server.test_client()
    replay.set_cookie("streamflix_session", saved)
    assert replay.get("/_dash-layout").status_code == 401
    assert replay.get("/download/customers.csv").status_code == 302


def test_wrong_passwords_lock_the_account(secured, engine) -> None:
    client = secured.server.test_client()
    pages = [
        sign_in(client, "analyst", "nope").get_data(as_text=True)
        for _ in range(accounts.MAX_FAILED_ATTEMPTS)
    ]
    # Even the right password is refused while locked.
    pages.append(sign_in(client, "analyst").get_data(as_text=True))
    unknown = sign_in(client, "nobody-by-this-name", "nope").get_data(as_text=True)
    # Locked, wrong and unknown read the same: the page never tells which names exist.
    assert all(auth.WRONG_SIGN_IN in page for page in [*pages, unknown])
    assert client.get("/_dash-layout").status_code == 401
    outcomes = [row[2] for row in audit_rows(engine)]
    assert outcomes == ["invalid"] * 4 + ["locked", "locked", "invalid"]
    # After the lock expires the right password works again.
    later = datetime.now(UTC) + timedelta(minutes=accounts.LOCK_MINUTES + 1)
    account, outcome = accounts.authenticate(engine, "analyst", PASSWORD, now=later)
    assert outcome == "ok" and account is not None and account.role == "analyst"


def test_csrf_token_is_required_to_sign_in(secured) -> None:
    client = secured.server.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert "The form expired" in response.get_data(as_text=True)
    assert client.get("/_dash-layout").status_code == 401


def test_disabled_account_is_refused_even_with_a_live_session(secured, engine) -> None:
    client = secured.server.test_client()
    sign_in(client, "viewer")
    assert client.get("/_dash-layout").status_code == 200
    accounts.set_disabled(engine, "viewer")
    assert client.get("/_dash-layout").status_code == 401


def test_viewer_cannot_call_a_protected_callback(secured, engine) -> None:
    auth.protect(["test-protected-output"], "analyst")
    try:
        client = secured.server.test_client()
        sign_in(client, "viewer")
        body = callback_body("test-protected-output.children", "view-store", "data", {})
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 403
        assert response.get_json() == {"error": "this needs the analyst role"}
        assert audit_rows(engine)[-1] == ("viewer", "forbidden", "refused")
    finally:
        auth.PROTECTED_COMPONENTS.pop("test-protected-output", None)


def test_next_parameter_cannot_redirect_off_site(secured) -> None:
    client = secured.server.test_client()
    page = client.get("/login?next=//evil.example/x")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    response = client.post(
        "/login?next=//evil.example/x",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_security_headers_and_health(secured) -> None:
    client = secured.server.test_client()
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.get_json()["database"] == "ok"
    assert health.get_json()["migrations"] == "at head"


def test_customer_data_is_never_cached_and_static_files_are(secured) -> None:
    client = secured.server.test_client()
    sign_in(client, "viewer")
    body = callback_body("overview-kpis.children", "view-store", "data", {})
    answers = {
        "page": client.get("/segments"),
        "layout": client.get("/_dash-layout"),
        "callback": client.post("/_dash-update-component", json=body),
        "download": client.get("/download/customers.csv"),
    }
    assert {name: r.headers.get("Cache-Control") for name, r in answers.items()} == {
        name: "no-store" for name in answers
    }
    with client.get("/assets/bootstrap.min.css") as static:
        assert static.headers.get("Cache-Control") != "no-store"


def test_posts_from_another_site_are_refused(secured, engine) -> None:
    client = secured.server.test_client()
    sign_in(client, "viewer")
    body = callback_body("overview-kpis.children", "view-store", "data", {})
    foreign = {"Origin": "https://evil.example"}
    refused = client.post("/_dash-update-component", json=body, headers=foreign)
    assert refused.status_code == 403
    assert refused.get_json() == {"error": "cross-site request refused"}
    by_referer = {"Referer": "https://evil.example/page"}
    assert client.post("/_dash-update-component", json=body, headers=by_referer).status_code == 403
    own = {"Origin": "http://localhost"}  # the test client's own host
    assert client.post("/_dash-update-component", json=body, headers=own).status_code == 200
    assert client.post("/logout", data={}, headers=foreign).status_code == 403
    assert client.get("/_dash-layout").status_code == 200  # still signed in


def test_oversized_request_is_refused_before_reading(secured) -> None:
    client = secured.server.test_client()
    sign_in(client, "analyst")
    limit = secured.server.config["MAX_CONTENT_LENGTH"]
    response = client.post(
        "/_dash-update-component",
        data=b"x" * (limit + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413


def test_login_page_escapes_what_it_echoes(secured) -> None:
    client = secured.server.test_client()
    response = sign_in(client, "<script>alert(1)</script>", "x")
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("username", "output", "status"),
    [
        ("viewer", "data-result-store.data", 403),
        ("viewer", "data-reanalysis-store.data", 403),
        ("viewer", "discounts-applied.data", 403),
        ("viewer", "messaging-saved.children", 403),
        ("viewer", "data-delete-message.children", 403),
        ("analyst", "data-delete-message.children", 403),
    ],
)
def test_forged_data_changing_callbacks_are_refused_by_role(
    secured, engine, username: str, output: str, status: int
) -> None:
    """The page hides these controls from the role; the server refuses them anyway."""
    client = secured.server.test_client()
    sign_in(client, username)
    client.get("/_dash-dependencies")
    body = callback_body(output, "data-uploaded", "data", {"token": "x" * 32})
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code == status
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM datasets")).scalar_one() == 1


def test_admin_deletes_a_data_set_with_everything_computed_from_it(secured, engine) -> None:
    from db.queries import delete_dataset

    with engine.connect() as connection:
        dataset_id = connection.execute(text("SELECT id FROM datasets")).scalar_one()
    assert delete_dataset(engine, dataset_id) is True
    with engine.connect() as connection:
        for table in ("datasets", "customers", "analysis_runs", "customer_results", "filter_cube"):
            assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == 0
    assert delete_dataset(engine, dataset_id) is False


def change_password(client, current: str, new: str, confirm: str | None = None):
    page = client.get("/account/password")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    form = {"current": current, "new": new, "confirm": new if confirm is None else confirm}
    return client.post("/account/password", data={**form, "csrf_token": token})


def form_message(response) -> str:
    found = re.search(r'id="form-message">([^<]*)<', response.get_data(as_text=True))
    return found.group(1) if found else ""


def test_users_change_their_own_password(secured, engine) -> None:
    client = secured.server.test_client()
    anonymous = client.get("/account/password")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=/account/password")
    sign_in(client, "viewer")
    new = "a brand new passphrase"

    refusals = [
        (("wrong current password", new), "Your current password is wrong."),
        ((PASSWORD, new, "something else"), "The two new passwords differ."),
        ((PASSWORD, "short"), "A password needs at least 10 characters."),
        ((PASSWORD, PASSWORD), "The new password must differ from the current one."),
    ]
    for arguments, message in refusals:
        assert form_message(change_password(client, *arguments)) == message
    no_token = client.post(
        "/account/password", data={"current": PASSWORD, "new": new, "confirm": new}
    )
    assert form_message(no_token) == "The form expired. Please try again."
    assert accounts.authenticate(engine, "viewer", PASSWORD)[1] == "ok"  # nothing changed yet

    elsewhere = secured.server.test_client()  # the same user on another computer
    sign_in(elsewhere, "viewer")
    assert elsewhere.get("/_dash-layout").status_code == 200
    assert form_message(change_password(client, PASSWORD, new)) == (
        "Your password was changed; your other sessions were signed out."
    )
    assert client.get("/_dash-layout").status_code == 200  # this session carries on
    assert elsewhere.get("/_dash-layout").status_code == 401
    assert accounts.authenticate(engine, "viewer", PASSWORD)[1] == "invalid"
    assert accounts.authenticate(engine, "viewer", new)[1] == "ok"
    changes = [row for row in audit_rows(engine) if row[1] == "password_change"]
    assert changes == [
        ("viewer", "password_change", "invalid"),
        ("viewer", "password_change", "ok"),
    ]


def test_guessing_through_the_password_form_locks_the_account(secured, engine) -> None:
    client = secured.server.test_client()
    sign_in(client, "analyst")
    messages = [
        form_message(change_password(client, f"guess number {n}", "a brand new passphrase"))
        for n in range(accounts.MAX_FAILED_ATTEMPTS)
    ]
    assert messages[:-1] == ["Your current password is wrong."] * (accounts.MAX_FAILED_ATTEMPTS - 1)
    assert messages[-1] == "This account is locked for 15 minutes after 5 failed attempts."
    assert accounts.authenticate(engine, "analyst", PASSWORD)[1] == "locked"


def test_the_header_links_to_the_password_page(secured) -> None:
    client = secured.server.test_client()
    sign_in(client, "viewer")
    stack = [client.get("/_dash-layout").get_json()]
    links = []
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("id") == "change-password-link":
                links.append(node.get("href"))
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    assert links == ["/account/password"]


@pytest.mark.parametrize(
    "change",
    [
        lambda engine: accounts.reset_password(engine, "analyst", "an admin's new password"),
        lambda engine: accounts.set_role(engine, "analyst", "viewer"),
        lambda engine: accounts.set_disabled(engine, "analyst"),
    ],
    ids=["reset-password", "set-role", "disable"],
)
def test_an_admin_change_ends_the_users_sessions(secured, engine, change) -> None:
    client = secured.server.test_client()
    sign_in(client, "analyst")
    saved = client.get_cookie("streamflix_session").value
    assert client.get("/_dash-layout").status_code == 200
    change(engine)
    replay = secured.server.test_client()
    replay.set_cookie("streamflix_session", saved)
    assert replay.get("/_dash-layout").status_code == 401
    assert client.get("/_dash-layout").status_code == 401


def test_the_whole_next_link_survives_sign_in(secured) -> None:
    client = secured.server.test_client()
    page = client.get("/segments?gender=Female&plan=Basic")
    login_url = page.headers["Location"]
    assert login_url == "/login?next=/segments%3Fgender%3DFemale%26plan%3DBasic"
    form = client.get(login_url).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = client.post(
        login_url, data={"username": "viewer", "password": PASSWORD, "csrf_token": token}
    )
    assert response.headers["Location"] == "/segments?gender=Female&plan=Basic"
    # A link typed without encoding keeps its later parameters too.
    raw = secured.server.test_client()
    form = raw.get("/login?next=/rfm?gender=Male&country=Canada").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    response = raw.post(
        "/login?next=/rfm?gender=Male&country=Canada",
        data={"username": "viewer", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/rfm?gender=Male&country=Canada"


def test_parallel_guesses_cannot_outrun_the_lock_out(engine) -> None:
    from concurrent.futures import ThreadPoolExecutor

    accounts.add_user(engine, "target", PASSWORD, "viewer")
    with ThreadPoolExecutor(max_workers=20) as pool:
        outcomes = list(
            pool.map(lambda n: accounts.authenticate(engine, "target", f"guess {n}")[1], range(40))
        )
    # Four wrong passwords are told "invalid", the fifth locks; nothing beyond is checked.
    assert sorted(outcomes) == ["invalid"] * 4 + ["locked"] * 36
    assert accounts.authenticate(engine, "target", PASSWORD)[1] == "locked"
