"""SQL for sign-in accounts: insert, list, find, change, and a row locked for a sign-in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

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


_ACCOUNT_COLUMNS = (
    User.username,
    User.role,
    User.disabled,
    User.locked_until,
    User.last_sign_in_at,
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


def update_user(engine: Engine, username: str, **values: object) -> bool:
    """Set ``values`` on the user's row; False when there is no such user."""
    with engine.begin() as connection:
        changed = connection.execute(
            update(User).where(User.username == username).values(**values)
        ).rowcount
    return changed == 1


@contextmanager
def user_for_update(engine: Engine, username: str) -> Iterator[User | None]:
    """The user's row locked for one transaction (None when unknown); changes are committed.

    A sign-in reads the failure count and writes it back; the row lock keeps two
    simultaneous wrong passwords from counting as one.
    """
    with Session(engine) as session, session.begin():
        yield session.scalars(
            select(User).where(User.username == username).with_for_update()
        ).first()
