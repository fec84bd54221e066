"""Parse the command line and dispatch to one function per command.

The command modules import what a command needs (SQLAlchemy, the application, Alembic) inside
the command's function, not at the top: `onstream serve --workers N` stays a small supervisor
process that never loads the application it supervises, and short commands such as
`onstream user add` start in a fraction of the time.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from onstream.cli import (
    api,
    backup,
    database,
    mail,
    media,
    phone,
    recordings,
    serve,
    tokens,
    users,
)
from onstream.cli.common import database_problem
from onstream.config import SettingsError, load_settings
from onstream.errors import DomainError

Command = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The parser for every command; each subcommand sets `run` to its function."""
    parser = argparse.ArgumentParser(
        prog="onstream", description="Onstream: web-conference scheduling server (API v2)."
    )
    parser.add_argument("--version", action="version", version=f"onstream {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve.add_parser(sub)
    database.add_parser(sub)
    users.add_parser(sub)
    tokens.add_parser(sub)
    mail.add_parser(sub)
    recordings.add_parser(sub)
    media.add_parser(sub)
    backup.add_parser(sub)
    api.add_parser(sub)
    phone.add_parser(sub)
    return parser


def version() -> str:
    """The installed distribution's version."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("onstream")
    except PackageNotFoundError:
        return "(not installed)"


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; errors a person can fix are printed without a traceback."""
    args = build_parser().parse_args(argv)
    run: Command = args.run
    try:
        return run(args)
    except (DomainError, SettingsError) as exc:
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        print(f"onstream: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        problem = database_problem(exc, _configured_database())
        if problem is None:
            raise
        print(f"onstream: {problem}", file=sys.stderr)
        return 1


def _configured_database() -> str | None:
    try:
        return load_settings().database_url
    except SettingsError:
        return None


if __name__ == "__main__":
    sys.exit(main())
