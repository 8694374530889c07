"""SQL for sign-in accounts: insert, list, find, change, and a row locked for a sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, Engine, or_, select, update
from sqlalchemy.exc import IntegrityError

from db.models import User


class DuplicateUser(ValueError):
    """A user of that name exists already."""


@dataclass(frozen=True)
class Account:
    username: str
    role: str
    disabled: bool
    locked_until: datetime | None
    last_sign_in_at: datetime | None
    session_version: int = 0


_ACCOUNT_COLUMNS = (
    User.username,
    User.role,
    User.disabled,
    User.locked_until,
    User.last_sign_in_at,
    User.session_version,
)


def insert_user(
    engine: Engine, username: str, password_hash: str, role: str, created_at: datetime
) -> None:
    """Add an enabled account; DuplicateUser when the name is taken."""
    try:
        with engine.begin() as connection:
            connection.execute(
                User.__table__.insert(),
                {
                    "username": username,
                    "password_hash": password_hash,
                    "role": role,
                    "disabled": False,
                    "failed_attempts": 0,
                    "created_at": created_at,
                },
            )
    except IntegrityError as error:
        raise DuplicateUser(username) from error


def list_accounts(engine: Engine) -> list[Account]:
    with engine.connect() as connection:
        rows = connection.execute(select(*_ACCOUNT_COLUMNS).order_by(User.username)).all()
    return [Account(*row) for row in rows]


def find_account(engine: Engine, username: str) -> Account | None:
    with engine.connect() as connection:
        row = connection.execute(select(*_ACCOUNT_COLUMNS).where(User.username == username)).first()
    return None if row is None else Account(*row)


def update_user(
    engine: Engine, username: str, *, end_sessions: bool = False, **values: object
) -> bool:
    """Set ``values`` on the user's row (and with ``end_sessions`` end every session of
    theirs); False when there is no such user."""
    if end_sessions:
        values["session_version"] = User.session_version + 1
    with engine.begin() as connection:
        changed = connection.execute(
            update(User).where(User.username == username).values(**values)
        ).rowcount
    return changed == 1


LOCKED: Literal["locked"] = "locked"


@dataclass(frozen=True)
class Attempt:
    """One sign-in attempt already counted against the account, inside its transaction."""

    connection: Connection
    username: str
    password_hash: str
    role: str
    disabled: bool
    failed_attempts: int  # this attempt included
    session_version: int

    def finish(self, **values: object) -> None:
        """Write the attempt's outcome (reset count, lock, last sign-in) in the same transaction."""
        self.connection.execute(update(User).where(User.username == self.username).values(**values))


@contextmanager
def sign_in_attempt(
    engine: Engine, username: str, now: datetime
) -> Iterator[Attempt | Literal["locked"] | None]:
    """Count one attempt for ``username`` before its password is checked, atomically.

    The count goes up in the transaction's first statement, which takes the row's write lock
    (PostgreSQL) or the database's (SQLite) until the attempt is finished: parallel attempts
    queue one behind the other, so no more than the allowed number are ever checked.
    ``"locked"`` for a locked account and None for an unknown user (nothing is counted).
    """
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            # A deferred SQLite transaction that reads and then writes fails at once with
            # "database is locked" when another writer got in between; IMMEDIATE takes the
            # write lock first and waits its turn (busy_timeout).
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        row = connection.execute(
            update(User)
            .where(
                User.username == username,
                or_(User.locked_until.is_(None), User.locked_until <= now),
            )
            .values(failed_attempts=User.failed_attempts + 1)
            .returning(
                User.username,
                User.password_hash,
                User.role,
                User.disabled,
                User.failed_attempts,
                User.session_version,
            )
        ).first()
        if row is None:
            known = connection.execute(select(User.id).where(User.username == username)).first()
            yield LOCKED if known is not None else None
        else:
            yield Attempt(connection, *row)
        connection.commit()


def end_sessions(engine: Engine, username: str) -> int | None:
    """Bump the user's session version (every session cookie of theirs stops working);
    the new version, or None for an unknown user."""
    with engine.begin() as connection:
        return connection.execute(
            update(User)
            .where(User.username == username)
            .values(session_version=User.session_version + 1)
            .returning(User.session_version)
        ).scalar()
