"""Sign-in, roles and their enforcement on the server, in front of every Dash request.

When sign-in is on (always when serving beyond loopback), every request except the sign-in
page, static assets and /healthz needs a signed-in session; Dash callbacks that change data
are refused for roles below the one they need, whatever the browser shows. Sessions are
Flask's signed cookies (HttpOnly, SameSite=Lax, Secure over HTTPS); the sign-in and sign-out
forms carry a CSRF token. On loopback without ``AUTH_REQUIRED=1`` the local demo runs as an
admin named "local", and the page says so.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote, unquote, urlparse

import flask
from flask import Flask, g, redirect, request, session
from markupsafe import escape

from dashboard.config import Settings
from dashboard.services import accounts
from db import audit

SESSION_USER = "user"
CSRF_KEY = "csrf_token"
FAILED_SIGN_IN_DELAY_SECONDS = 0.5
WRONG_SIGN_IN = (
    "Wrong user name or password. After 5 wrong passwords in a row an account is locked "
    "for 15 minutes."
)
PUBLIC_PREFIXES = (
    "/assets/",
    "/_dash-component-suites/",
    "/healthz",
    "/login",
    "/_favicon.ico",
    "/favicon.ico",
)
DASH_API_PREFIX = "/_dash-"

# Component ids whose callbacks change data, and the role they need. Pages add to it at import
# time through protect(); it is configuration, never per-user state.
PROTECTED_COMPONENTS: dict[str, str] = {}


@dataclass(frozen=True)
class Identity:
    username: str
    role: str
    signed_in: bool  # False for the local demo user


LOCAL_DEMO = Identity(username="local", role="admin", signed_in=False)


def protect(component_ids: list[str] | tuple[str, ...], role: str) -> None:
    """Require ``role`` for every callback whose outputs include one of ``component_ids``."""
    for component_id in component_ids:
        PROTECTED_COMPONENTS[component_id] = role


def current_identity() -> Identity | None:
    """Who is making this request (None when sign-in is required and nobody is signed in)."""
    if not flask.has_request_context():
        return LOCAL_DEMO
    return getattr(g, "identity", None)


def can(role: str) -> bool:
    """Whether the current user has at least ``role``."""
    identity = current_identity()
    return identity is not None and accounts.role_allows(identity.role, role)


def csrf_token() -> str:
    token = session.get(CSRF_KEY)
    if not token:
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def _valid_csrf() -> bool:
    sent = request.form.get(CSRF_KEY, "")
    expected = session.get(CSRF_KEY, "")
    return bool(expected) and secrets.compare_digest(sent, expected)


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths; anything else goes to the home page."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _required_role(body: dict | None) -> str | None:
    if not body or not PROTECTED_COMPONENTS:
        return None
    output = str(body.get("output", ""))
    needed = [
        role for component_id, role in PROTECTED_COMPONENTS.items() if f"{component_id}." in output
    ]
    if not needed:
        return None
    return max(needed, key=accounts.ROLES.index)


def install(server: Flask, settings: Settings, engine_key: str) -> None:
    """Add sessions, the sign-in and sign-out routes and the request guard to ``server``."""
    server.secret_key = settings.secret_key or secrets.token_hex(32)
    server.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.https,
        SESSION_COOKIE_NAME="streamflix_session",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )

    def engine():
        return server.extensions[engine_key]

    @server.before_request
    def guard():
        if not settings.auth_required:
            g.identity = LOCAL_DEMO
            return None
        g.identity = _session_identity(engine())
        path = request.path
        if path.startswith(PUBLIC_PREFIXES):
            return None
        if g.identity is None:
            if path.startswith(DASH_API_PREFIX) or request.method != "GET":
                return flask.jsonify({"error": "sign-in required"}), 401
            return redirect(f"/login?next={quote(flask.request.full_path.rstrip('?'), safe='/')}")
        if path.startswith("/_dash-update-component"):
            needed = _required_role(request.get_json(silent=True))
            if needed and not accounts.role_allows(g.identity.role, needed):
                audit.record(
                    engine(),
                    "forbidden",
                    g.identity.username,
                    "refused",
                    {
                        "needed": needed,
                        "output": str(request.get_json(silent=True).get("output"))[:200],
                    },
                    request.remote_addr,
                )
                return flask.jsonify({"error": f"this needs the {needed} role"}), 403
        return None

    @server.route("/login", methods=["GET", "POST"])
    def login():
        if not settings.auth_required:
            return redirect("/")
        message = ""
        if request.method == "POST":
            if not _valid_csrf():
                message = "The form expired. Please sign in again."
            else:
                username = request.form.get("username", "")[:100]
                password = request.form.get("password", "")[:1000]
                account, outcome = accounts.authenticate(engine(), username, password)
                audit.record(
                    engine(),
                    "sign_in",
                    username.strip() or None,
                    "ok" if account else outcome,
                    remote_addr=request.remote_addr,
                )
                if account is not None:
                    session.clear()
                    session.permanent = True
                    _remember(account.username, account.session_version)
                    csrf_token()
                    return redirect(_safe_next(_next_target()))
                time.sleep(FAILED_SIGN_IN_DELAY_SECONDS)
                # Locked and unknown read alike, so the page never tells which names exist.
                message = (
                    "This account is disabled. Ask an administrator."
                    if outcome == "disabled"
                    else WRONG_SIGN_IN
                )
        return _login_page(settings.app_title, csrf_token(), message)

    @server.route("/account/password", methods=["GET", "POST"])
    def change_password():
        identity = getattr(g, "identity", None)
        if not settings.auth_required or identity is None:
            return redirect("/")
        message, ok = "", False
        if request.method == "POST":
            message, ok = _change_password(engine(), identity.username)
        return _password_page(settings.app_title, identity.username, csrf_token(), message, ok)

    @server.route("/logout", methods=["POST"])
    def logout():
        """Sign out: every session of this user ends (this one and any other device's)."""
        identity = getattr(g, "identity", None)
        if not _valid_csrf():
            return (
                _page(
                    settings.app_title,
                    "Sign out",
                    "You are still signed in.",
                    "The sign-out form expired: sign out again from the page.",
                    '<p><a href="/">Back to the dashboard</a></p>',
                ),
                400,
            )
        if identity is not None and identity.signed_in:
            accounts.end_sessions(engine(), identity.username)
            audit.record(engine(), "sign_out", identity.username, remote_addr=request.remote_addr)
        session.clear()
        return redirect("/login")


def _change_password(engine, username: str) -> tuple[str, bool]:
    """Check the form and change the signed-in user's password: (message, changed)."""
    if not _valid_csrf():
        return "The form expired. Please try again.", False
    current = request.form.get("current", "")[:1000]
    new = request.form.get("new", "")[:1000]
    if new != request.form.get("confirm", "")[:1000]:
        return "The two new passwords differ.", False
    # Checked like a sign-in, so guessing through this form locks the account too.
    account, outcome = accounts.authenticate(engine, username, current)
    if account is None:
        audit.record(engine, "password_change", username, outcome, None, request.remote_addr)
        time.sleep(FAILED_SIGN_IN_DELAY_SECONDS)
        if outcome == "locked":
            return "This account is locked for 15 minutes after 5 failed attempts.", False
        return "Your current password is wrong.", False
    if new == current:
        return "The new password must differ from the current one.", False
    try:
        accounts.reset_password(engine, username, new)
    except accounts.AccountError as error:
        message = str(error)
        return message[:1].upper() + message[1:] + ".", False
    audit.record(engine, "password_change", username, "ok", None, request.remote_addr)
    # The change ended every session of this user; this one carries on with the new version.
    account_now = accounts.find_account(engine, username)
    if account_now is not None:
        _remember(username, account_now.session_version)
    return "Your password was changed; your other sessions were signed out.", True


def _session_identity(engine) -> Identity | None:
    """The signed-in user, re-read from the database so a disabled account stops at once."""
    data = session.get(SESSION_USER)
    if not isinstance(data, dict) or "username" not in data:
        return None
    account = accounts.find_account(engine, str(data["username"]))
    if account is None or account.disabled or data.get("version") != account.session_version:
        session.pop(SESSION_USER, None)  # disabled, or signed out / changed since
        return None
    return Identity(username=account.username, role=account.role, signed_in=True)


def _remember(username: str, version: int) -> None:
    """Put the signed-in user in the session cookie, with the account's session version."""
    session[SESSION_USER] = {"username": username, "version": version}


def _next_target() -> str | None:
    """Where to go after signing in: ``next`` with everything after it, ``&`` included
    (``/login?next=/segments?gender=Female&plan=Basic`` keeps the plan)."""
    query = request.query_string.decode("utf-8", "replace")
    prefix = "next="
    if not query.startswith(prefix):
        return request.args.get("next")
    return unquote(query[len(prefix) :])


def _page(title: str, heading: str, intro: str, message: str, form: str, ok: bool = False) -> str:
    """A small server-rendered page (sign-in, password change) in the app's Bootstrap look."""
    alert = (
        f'<div class="alert alert-{"success" if ok else "danger"} py-2" role="alert" '
        f'id="form-message">{escape(message)}</div>'
        if message
        else ""
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(heading)} · {escape(title)}</title>
<link rel="stylesheet" href="/assets/bootstrap.min.css"></head>
<body class="bg-light">
<main class="container" style="max-width: 420px; margin-top: 12vh;">
  <h1 class="h4 mb-1">{escape(title)}</h1>
  <p class="text-muted">{escape(intro)}</p>
  {alert}
  {form}
</main></body></html>"""


def _login_page(title: str, token: str, message: str) -> str:
    form = f"""<form method="post" class="card card-body shadow-sm" autocomplete="on">
    <input type="hidden" name="{CSRF_KEY}" value="{escape(token)}">
    <label class="form-label" for="username">User name</label>
    <input class="form-control mb-3" id="username" name="username" required autofocus maxlength="100">
    <label class="form-label" for="password">Password</label>
    <input class="form-control mb-3" id="password" name="password" type="password" required>
    <button class="btn btn-primary w-100" type="submit" id="sign-in">Sign in</button>
  </form>"""
    return _page(title, "Sign in", "Sign in with your account.", message, form)


def _password_page(title: str, username: str, token: str, message: str, ok: bool) -> str:
    form = f"""<form method="post" class="card card-body shadow-sm" autocomplete="off">
    <input type="hidden" name="{CSRF_KEY}" value="{escape(token)}">
    <label class="form-label" for="current">Current password</label>
    <input class="form-control mb-3" id="current" name="current" type="password" required autofocus>
    <label class="form-label" for="new">New password (at least {accounts.MIN_PASSWORD_LENGTH} characters)</label>
    <input class="form-control mb-3" id="new" name="new" type="password" required>
    <label class="form-label" for="confirm">New password again</label>
    <input class="form-control mb-3" id="confirm" name="confirm" type="password" required>
    <button class="btn btn-primary w-100" type="submit" id="change-password">Change password</button>
  </form>
  <p class="mt-3"><a href="/">Back to the dashboard</a></p>"""
    intro = f"Signed in as {username}."
    return _page(title, "Change password", intro, message, form, ok)
