"""``python -m dashboard users add|list|set-role|disable|enable|reset-password``."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING

from dashboard.config import Settings
from dashboard.services import accounts
from db import audit

if TYPE_CHECKING:
    from sqlalchemy import Engine


def add_users_parser(commands: argparse._SubParsersAction) -> None:
    users = commands.add_parser("users", help="manage sign-in accounts and roles")
    kind = users.add_subparsers(dest="users_command", required=True)
    add = kind.add_parser("add", help="create an account (password read from a prompt or stdin)")
    add.add_argument("username")
    add.add_argument("--role", choices=accounts.ROLES, default="viewer")
    kind.add_parser("list", help="list accounts with role, state and last sign-in")
    set_role = kind.add_parser("set-role", help="change an account's role")
    set_role.add_argument("username")
    set_role.add_argument("role", choices=accounts.ROLES)
    disable = kind.add_parser("disable", help="stop an account from signing in")
    disable.add_argument("username")
    enable = kind.add_parser("enable", help="allow a disabled account to sign in again")
    enable.add_argument("username")
    reset = kind.add_parser("reset-password", help="set a new password and clear a lock-out")
    reset.add_argument("username")


def _read_password() -> str:
    """From a prompt on a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != first:
            raise accounts.AccountError("the passwords differ")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def run_users(args: argparse.Namespace, settings: Settings) -> int:
    from db.session import opened_engine, upgrade_database

    upgrade_database(settings.database_url)
    with opened_engine(settings.database_url) as engine:
        return _run_users(args, engine)


def _run_users(args: argparse.Namespace, engine: Engine) -> int:
    command = args.users_command
    try:
        if command == "list":
            for account in accounts.list_users(engine):
                state = "disabled" if account.disabled else "active"
                last = (
                    f"{account.last_sign_in_at:%Y-%m-%d %H:%M}"
                    if account.last_sign_in_at
                    else "never"
                )
                print(f"{account.username:30s} {account.role:8s} {state:9s} last sign-in {last}")
            return 0
        if command == "add":
            accounts.add_user(engine, args.username, _read_password(), args.role)
            detail = {"command": "add", "user": args.username, "role": args.role}
        elif command == "set-role":
            accounts.set_role(engine, args.username, args.role)
            detail = {"command": "set-role", "user": args.username, "role": args.role}
        elif command in ("disable", "enable"):
            accounts.set_disabled(engine, args.username, command == "disable")
            detail = {"command": command, "user": args.username}
        else:
            accounts.reset_password(engine, args.username, _read_password())
            detail = {"command": "reset-password", "user": args.username}
    except accounts.AccountError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    audit.record(engine, "manage_users", "command line", detail=detail)
    print(f"done: {command} {args.username}")
    return 0
