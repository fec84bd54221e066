"""`onstream backup FILE` and `onstream restore FILE`: a whole installation in one archive."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from onstream.cli.common import run_async
from onstream.config import load_settings


def add_parser(sub: Any) -> None:
    """Register `backup` and `restore`."""
    backup = sub.add_parser(
        "backup",
        help="write the database and every media object into one archive (tar)",
        description=(
            "Write a consistent snapshot of the configured database (as one SQLite file, "
            "whatever the database) and every object of the media store into one tar "
            "archive, while the server keeps running. Progress goes to stderr."
        ),
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="the archive to write")
    backup.set_defaults(run=run_backup)
    restore = sub.add_parser(
        "restore",
        help="restore an archive of `onstream backup` into an empty installation",
        description=(
            "Restore an archive made by `onstream backup` into the configured database and "
            "media store, which must both be empty (SQLite or PostgreSQL, local directory "
            "or S3, whatever the backup came from). Nothing is written unless the archive "
            "is whole and the installation empty."
        ),
    )
    restore.add_argument("file", type=Path, metavar="FILE", help="the archive to read")
    restore.set_defaults(run=run_restore)


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def failed(what: str, exc: BaseException) -> int:
    """A failure outside the domain errors (a disk, a database that does not answer) as one
    line: the first line of its message, never a traceback."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    print(f"onstream: {what} failed: {first}", file=sys.stderr)
    return 1


def run_backup(args: argparse.Namespace) -> int:
    """Take the backup; the summary goes to stdout."""
    from sqlalchemy.exc import SQLAlchemyError

    from onstream.backup.service import take_backup
    from onstream.media.selection import store_for
    from onstream.media.transfer import megabytes

    settings = load_settings()
    store = store_for(settings)
    try:
        done = run_async(
            take_backup(
                database_url=settings.database_url, store=store, archive=args.file, say=_say
            )
        )
    except (OSError, SQLAlchemyError) as exc:
        return failed("backup", exc)
    print(
        f"backup written to {args.file}: {done.rows} rows in {done.tables} tables, "
        f"{done.media} media objects ({megabytes(done.media_bytes)})"
    )
    if done.left_out:
        print(f"{done.left_out} media objects deleted while the backup ran were left out")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """Restore; the summary goes to stdout."""
    from sqlalchemy.exc import SQLAlchemyError

    from onstream.backup.service import restore
    from onstream.media.selection import store_for
    from onstream.media.transfer import megabytes

    settings = load_settings()
    store = store_for(settings)
    try:
        done = run_async(
            restore(
                database_url=settings.database_url,
                store=store,
                archive=args.file,
                store_name=settings.media_url or settings.media_dir,
                say=_say,
            )
        )
    except (OSError, SQLAlchemyError) as exc:
        return failed("restore", exc)
    print(
        f"restored {args.file}: {done.rows} rows in {done.tables} tables, "
        f"{done.media} media objects ({megabytes(done.media_bytes)})"
    )
    return 0
