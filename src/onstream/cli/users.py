"""`onstream user add` and `onstream user passwd`: accounts managed by the operator."""

from __future__ import annotations

import argparse
import getpass
from typing import TYPE_CHECKING, Any

from onstream.cli.common import in_transaction
from onstream.config import load_settings
from onstream.errors import Invalid

if TYPE_CHECKING:
    from onstream.storage.database import Connection


def add_parser(sub: Any) -> None:
    """Register `user` and its subcommands."""
    user = sub.add_parser("user", help="manage accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="COMMAND")
    add = user_sub.add_parser("add", help="add an account that can use the API")
    add.add_argument("login")
    add.add_argument("--email", required=True)
    add.add_argument("--password", help="prompted for when not given")
    add.add_argument("--timezone", default="UTC", help="a code such as UP1, or an IANA name")
    add.add_argument("--dst", type=int, choices=(0, 1), default=0)
    add.add_argument("--phone-bridge", action="store_true", help="give sessions dial-in codes")
    add.set_defaults(run=run_add)
    passwd = user_sub.add_parser("passwd", help="set an account's password")
    passwd.add_argument("login")
    passwd.add_argument("--password", help="prompted for when not given")
    passwd.set_defaults(run=run_passwd)


def prompt_password() -> str:
    """Ask twice without echo, so a typo does not lock the operator out."""
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Repeat password: "):
        raise Invalid("the two passwords differ")
    return first


def run_add(args: argparse.Namespace) -> int:
    """Create the account and print its id."""
    from onstream.users import service

    password = args.password if args.password is not None else prompt_password()

    async def add(conn: Connection) -> int:
        return await service.add_account(
            conn,
            login=args.login,
            email=args.email,
            password=password,
            timezone=args.timezone,
            dst=bool(args.dst),
            phone_bridge=args.phone_bridge,
        )

    account_id = in_transaction(load_settings().database_url, add)
    print(f"account '{args.login}' added with id {account_id}")
    return 0


def run_passwd(args: argparse.Namespace) -> int:
    """Replace the account's password."""
    from onstream.users import service

    password = args.password if args.password is not None else prompt_password()

    async def passwd(conn: Connection) -> int:
        return await service.set_password(conn, login=args.login, password=password)

    in_transaction(load_settings().database_url, passwd)
    print(f"password of '{args.login}' changed")
    return 0
