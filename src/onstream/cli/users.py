"""`onstream user add|passwd|list|disable|enable|delete|phone-bridge`: accounts managed by
the operator."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import TYPE_CHECKING, Any

from onstream.cli.common import in_transaction, read_only, run_async
from onstream.config import load_settings
from onstream.errors import Invalid

if TYPE_CHECKING:
    from onstream.scheduling.removal import Removed
    from onstream.storage.database import Connection
    from onstream.users.admin import AccountRow


def add_parser(sub: Any) -> None:
    """Register `user` and its subcommands."""
    user = sub.add_parser("user", help="manage accounts")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="COMMAND")
    add = user_sub.add_parser("add", help="add an account that can use the API")
    add.add_argument("login")
    add.add_argument("--email", required=True)
    _password_options(add)
    add.add_argument("--timezone", default="UTC", help="a code such as UP1, or an IANA name")
    add.add_argument(
        "--dst", type=int, choices=(0, 1), default=0, help="for a code; an IANA name has its own"
    )
    add.add_argument("--phone-bridge", action="store_true", help="give sessions dial-in codes")
    add.set_defaults(run=run_add)
    passwd = user_sub.add_parser("passwd", help="set an account's password")
    passwd.add_argument("login")
    _password_options(passwd)
    passwd.set_defaults(run=run_passwd)
    user_sub.add_parser("list", help="every account, and which are disabled").set_defaults(
        run=run_list
    )
    for verb, helptext in (
        ("disable", "refuse the account on the API and all its links (its data stays)"),
        ("enable", "let a disabled account in again"),
    ):
        parser = user_sub.add_parser(verb, help=helptext)
        parser.add_argument("login")
        parser.set_defaults(run=run_disable if verb == "disable" else run_enable)
    bridge = user_sub.add_parser(
        "phone-bridge",
        help="turn an account's phone bridge on or off (dial-in codes of its sessions)",
        description=(
            "on: the account's sessions get a session_access_code (existing live sessions "
            "at once); off: every code of the account is taken back and stops working."
        ),
    )
    bridge.add_argument("login")
    bridge.add_argument("state", choices=("on", "off"))
    bridge.set_defaults(run=run_phone_bridge)
    remove = user_sub.add_parser(
        "delete", help="delete the account with its sessions, people, e-mail and media"
    )
    remove.add_argument("login")
    remove.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    remove.set_defaults(run=run_delete)


def _password_options(parser: argparse.ArgumentParser) -> None:
    given = parser.add_mutually_exclusive_group()
    given.add_argument("--password", help="prompted for when not given (visible to `ps`)")
    given.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )


def password_of(args: argparse.Namespace) -> str:
    """The password from `--password`, standard input, or two prompts at a terminal."""
    if args.password is not None:
        return str(args.password)
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise Invalid("no password on standard input")
        return line.rstrip("\r\n")
    return prompt_password()


def prompt_password() -> str:
    """Ask twice without echo, so a typo does not lock the operator out. Without a terminal
    getpass reads the lines of standard input; when they run out, say how to pipe one."""
    try:
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Repeat password: "):
            raise Invalid("the two passwords differ")
    except EOFError:
        print(file=sys.stderr)  # end the prompt's line, so the error has one of its own
        raise Invalid("no password given; pipe one line into --password-stdin") from None
    return first


def run_add(args: argparse.Namespace) -> int:
    """Create the account and print its id."""
    from onstream.users import service

    password = password_of(args)

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

    password = password_of(args)

    async def passwd(conn: Connection) -> int:
        return await service.set_password(conn, login=args.login, password=password)

    in_transaction(load_settings().database_url, passwd)
    print(f"password of '{args.login}' changed")
    return 0


def run_list(_args: argparse.Namespace) -> int:
    """One line per account (read-only: a mistyped database path is refused)."""
    from onstream.users import admin

    rows: list[AccountRow] = read_only(load_settings().database_url, admin.list_accounts)
    if not rows:
        print("no accounts")
        return 0
    print(f"{'id':>5}  {'login':<24} {'email':<32} {'created':<20} {'people':>6}  status")
    for row in rows:
        status = f"disabled {row.disabled_at:%Y-%m-%d %H:%M}Z" if row.disabled_at else "active"
        print(
            f"{row.id:>5}  {row.login:<24} {row.email:<32} "
            f"{row.created_at:%Y-%m-%d %H:%M:%S}Z {row.people:>6}  {status}"
        )
    return 0


def run_disable(args: argparse.Namespace) -> int:
    return _set_disabled(args.login, disabled=True)


def run_enable(args: argparse.Namespace) -> int:
    return _set_disabled(args.login, disabled=False)


def _set_disabled(login: str, *, disabled: bool) -> int:
    from onstream.users import admin

    async def change(conn: Connection) -> bool:
        return await admin.set_disabled(conn, login=login, disabled=disabled)

    changed = in_transaction(load_settings().database_url, change)
    state = "disabled" if disabled else "enabled"
    print(f"account '{login}' {state}" if changed else f"account '{login}' was already {state}")
    return 0


def run_phone_bridge(args: argparse.Namespace) -> int:
    """Turn the flag on or off and say how many sessions' codes changed."""
    from onstream.sessions.service import set_phone_bridge

    on = args.state == "on"

    async def change(conn: Connection) -> int:
        return await set_phone_bridge(conn, login=args.login, on=on)

    changed = in_transaction(load_settings().database_url, change)
    verb = "got a code" if on else "lost their code"
    print(f"phone bridge of '{args.login}' {args.state}; {changed} sessions {verb}")
    return 0


def run_delete(args: argparse.Namespace) -> int:
    """Ask (unless `--yes`), delete in one transaction, then remove the media blobs."""
    from onstream.media.selection import store_for
    from onstream.scheduling.removal import delete_account
    from onstream.users.admin import confirm_login

    settings = load_settings()
    if not args.yes:
        if not sys.stdin.isatty():
            raise Invalid("no terminal to confirm the deletion; add --yes")
        print(f"This deletes '{args.login}' with all its sessions, people, e-mail and media.")
        try:
            confirm_login(args.login, input(f"Type the login ({args.login}) to confirm: "))
        except EOFError:
            raise Invalid("nothing was deleted") from None

    async def remove(conn: Connection) -> Removed:
        return await delete_account(conn, login=args.login)

    removed = in_transaction(settings.database_url, remove)
    store = store_for(settings)

    async def delete_media() -> None:
        for key in removed.media_keys:
            await store.delete(key)

    run_async(delete_media())
    print(
        f"account '{args.login}' deleted with {removed.sessions} sessions, {removed.people} "
        f"people, {removed.messages} e-mail messages and {len(removed.media_keys)} media files"
    )
    return 0
