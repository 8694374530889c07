"""User accounts: salted password hashes, roles, lock-out after repeated failed sign-ins.

Passwords are hashed with werkzeug.security (scrypt, random salt per password). Roles are
ordered: a viewer may see and export; an analyst may also upload, analyse and edit messaging;
an admin may also manage users and delete data sets.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine
from werkzeug.security import check_password_hash, generate_password_hash

from db import accounts as store
from db.accounts import Account

ROLES = ("viewer", "analyst", "admin")
MIN_PASSWORD_LENGTH = 10
MAX_FAILED_ATTEMPTS = 5
LOCK_MINUTES = 15
# Checked against when the user does not exist, so a wrong user name costs the same time.
_DUMMY_HASH = generate_password_hash("not a real password")


class AccountError(ValueError):
    """A request about accounts that cannot be done, in words for the user."""


def role_allows(role: str | None, needed: str) -> bool:
    """Whether ``role`` includes the rights of ``needed`` (admin ⊃ analyst ⊃ viewer)."""
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r}: choose one of {', '.join(ROLES)}")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")


def _check_username(username: str) -> str:
    name = username.strip()
    if not name or len(name) > 100 or any(ch.isspace() for ch in name):
        raise AccountError("a user name is 1–100 characters without spaces")
    return name


def add_user(engine: Engine, username: str, password: str, role: str) -> None:
    name = _check_username(username)
    _check_role(role)
    _check_password(password)
    try:
        store.insert_user(engine, name, generate_password_hash(password), role, datetime.now(UTC))
    except store.DuplicateUser as error:
        raise AccountError(f"user {name!r} already exists") from error


def list_users(engine: Engine) -> list[Account]:
    return store.list_accounts(engine)


def _update(engine: Engine, username: str, **values: object) -> None:
    """Change the account and end its sessions: whoever was signed in signs in again."""
    if not store.update_user(engine, username, end_sessions=True, **values):
        raise AccountError(f"no user {username!r}")


def set_role(engine: Engine, username: str, role: str) -> None:
    _check_role(role)
    _update(engine, username, role=role)


def set_disabled(engine: Engine, username: str, disabled: bool = True) -> None:
    _update(engine, username, disabled=disabled)


def reset_password(engine: Engine, username: str, password: str) -> None:
    _check_password(password)
    _update(
        engine,
        username,
        password_hash=generate_password_hash(password),
        failed_attempts=0,
        locked_until=None,
    )


def end_sessions(engine: Engine, username: str) -> int | None:
    """End every session of ``username`` (sign-out); the new session version."""
    return store.end_sessions(engine, username)


def find_account(engine: Engine, username: str) -> Account | None:
    return store.find_account(engine, username)


def authenticate(
    engine: Engine, username: str, password: str, now: datetime | None = None
) -> tuple[Account | None, str]:
    """(account, "ok") on success; else (None, reason) with reason "invalid", "locked" or
    "disabled". Five failures in a row lock the account for 15 minutes.

    The attempt is counted before the password is checked and in the same transaction
    (:func:`db.accounts.sign_in_attempt`), so parallel guesses cannot outrun the count.
    """
    now = now or datetime.now(UTC)
    name = username.strip()
    with store.sign_in_attempt(engine, name, now) as attempt:
        if not isinstance(attempt, store.Attempt):
            check_password_hash(_DUMMY_HASH, password)  # unknown and locked cost the same
            return None, "locked" if attempt == store.LOCKED else "invalid"
        if not check_password_hash(attempt.password_hash, password):
            if attempt.failed_attempts >= MAX_FAILED_ATTEMPTS:
                attempt.finish(
                    failed_attempts=0, locked_until=now + timedelta(minutes=LOCK_MINUTES)
                )
                return None, "locked"
            return None, "invalid"
        if attempt.disabled:
            attempt.finish(failed_attempts=0)
            return None, "disabled"
        attempt.finish(failed_attempts=0, locked_until=None, last_sign_in_at=now)
        return Account(
            attempt.username, attempt.role, False, None, now, attempt.session_version
        ), "ok"
