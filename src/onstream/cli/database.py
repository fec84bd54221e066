"""`onstream db upgrade` and `onstream db copy`: the schema, and moving a database."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from onstream.cli.common import DatabaseUnusable, database_problem, require_existing, run_async
from onstream.config import check_database_url, load_settings


def add_parser(sub: Any) -> None:
    """Register `db` and its subcommands."""
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="COMMAND")
    up = db_sub.add_parser("upgrade", help="apply every pending schema migration")
    up.set_defaults(run=run_upgrade)
    copy = db_sub.add_parser(
        "copy",
        help="copy the configured database into an empty one (e.g. SQLite to PostgreSQL)",
        description=(
            "Copy every row of the configured database into an empty one, ids kept, as one "
            "consistent moment of the source. Media (recordings, uploaded files) is not in "
            "the database and is not copied: the new database refers to the same media "
            "store; move media with `onstream media copy`, or take both with `onstream backup`."
        ),
    )
    copy.add_argument("--to", required=True, metavar="URL", help="the empty target database")
    copy.set_defaults(run=run_copy)


def run_upgrade(_args: argparse.Namespace) -> int:
    """Migrate the configured database to the newest schema."""
    from onstream.storage.migrate import upgrade

    upgrade(load_settings().database_url)
    print("database is up to date")
    return 0


def run_copy(args: argparse.Namespace) -> int:
    """Migrate both databases to the newest schema, then copy every row across; progress
    (rows per table, every batch) on stderr, the summary and what happens to media on stdout."""
    from onstream.schema import metadata
    from onstream.storage.copy import TargetNotEmpty, copy_database
    from onstream.storage.database import create_async_engine_for
    from onstream.storage.migrate import upgrade

    source_url = load_settings().database_url
    target_url = check_database_url(args.to, "--to")
    require_existing(source_url)
    upgrade(source_url)
    try:
        upgrade(target_url)
    except Exception as exc:
        problem = database_problem(exc, target_url)
        if problem is None:
            raise
        raise DatabaseUnusable(problem) from None

    async def copy() -> dict[str, int]:
        source, target = create_async_engine_for(source_url), create_async_engine_for(target_url)
        try:
            return await copy_database(
                source,
                target,
                metadata=metadata,
                progress=lambda name, n: print(f"  {name}: {n} rows", file=sys.stderr),
            )
        finally:
            await source.dispose()
            await target.dispose()

    try:
        counts = run_async(copy())
    except TargetNotEmpty as exc:
        print(f"onstream: {exc}; copy into an empty database", file=sys.stderr)
        return 1
    print(f"copied {sum(counts.values())} rows in {len(counts)} tables")
    print(
        "media was not copied: the new database refers to the same media store "
        "(ONSTREAM_MEDIA_URL or ONSTREAM_MEDIA_DIR); to move it, run `onstream media copy "
        "--from URL --to URL`; `onstream backup FILE` takes the database and media together"
    )
    return 0
