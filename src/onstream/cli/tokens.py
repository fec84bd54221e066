"""`onstream token create|list|revoke`: API tokens of an account, managed by the operator."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import TYPE_CHECKING, Any

from onstream.cli.common import in_transaction, read_only
from onstream.config import load_settings

if TYPE_CHECKING:
    from onstream.storage.database import Connection
    from onstream.users.tokens import TokenInfo


def add_parser(sub: Any) -> None:
    """Register `token` and its subcommands."""
    token = sub.add_parser("token", help="manage an account's API tokens")
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="COMMAND")
    create = token_sub.add_parser(
        "create", help="create a token and print it (the only time it is shown)"
    )
    create.add_argument("login")
    create.add_argument("--name", required=True, help="what the token is for, unique per account")
    create.add_argument("--read-only", action="store_true", help="GET only: writes are 403")
    create.add_argument("--expires", type=int, metavar="DAYS", help="stop working after DAYS")
    create.set_defaults(run=run_create)
    listing = token_sub.add_parser("list", help="show an account's tokens (never their secrets)")
    listing.add_argument("login")
    listing.set_defaults(run=run_list)
    revoke = token_sub.add_parser("revoke", help="delete a token; it stops working at once")
    revoke.add_argument("login")
    revoke.add_argument("name")
    revoke.set_defaults(run=run_revoke)


def run_create(args: argparse.Namespace) -> int:
    """Create the token; its secret is printed alone on the last line, for scripts."""
    from onstream.users import tokens

    async def create(conn: Connection) -> str:
        return await tokens.create_token(
            conn,
            login=args.login,
            name=args.name,
            read_only=args.read_only,
            expires_days=args.expires,
        )

    secret = in_transaction(load_settings().database_url, create)
    scope = "read-only" if args.read_only else "full"
    print(f"token '{args.name}' of '{args.login}' created ({scope}); it is shown only now:")
    print(secret)
    return 0


def run_list(args: argparse.Namespace) -> int:
    """One line per token: name, created, last used, scope, expiry, and whether it works
    with HTTP Digest ("basic only" for tokens older than Digest or an account renamed since)."""
    from onstream.users import tokens

    async def show(conn: Connection) -> list[TokenInfo]:
        return await tokens.list_tokens(conn, login=args.login)

    rows = read_only(load_settings().database_url, show)
    if not rows:
        print(f"'{args.login}' has no tokens")
        return 0
    print(f"{'name':<24} {'created':<20} {'last used':<20} {'scope':<9} {'expires':<20} auth")
    for row in rows:
        scope = "read-only" if row.read_only else "full"
        auth = "basic, digest" if row.digest else "basic only"
        print(
            f"{row.name:<24} {_when(row.created_at):<20} {_when(row.last_used_at):<20} "
            f"{scope:<9} {_when(row.expires_at):<20} {auth}"
        )
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    """Delete the token; every server process stops accepting it within a second."""
    from onstream.users import tokens

    async def revoke(conn: Connection) -> None:
        await tokens.revoke_token(conn, login=args.login, name=args.name)

    in_transaction(load_settings().database_url, revoke)
    print(f"token '{args.name}' of '{args.login}' revoked")
    return 0


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}Z" if moment else "never"
