"""`onstream db upgrade`: apply the schema migrations."""

from __future__ import annotations

import argparse
from typing import Any

from onstream.config import load_settings
from onstream.storage.migrate import upgrade


def add_parser(sub: Any) -> None:
    """Register `db` and its subcommands."""
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    up = db_sub.add_parser("upgrade", help="apply every pending schema migration")
    up.set_defaults(run=run_upgrade)


def run_upgrade(_args: argparse.Namespace) -> int:
    """Migrate the configured database to the newest schema."""
    upgrade(load_settings().database_url)
    print("database is up to date")
    return 0
