"""Applying the Alembic migrations that ship inside the package.

The server runs `upgrade()` before it accepts requests, so a new version's schema changes
apply on start; `onstream db upgrade` runs the same function on its own.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

from onstream.errors import DomainError
from onstream.storage.database import is_sqlite, sqlite_path

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _only_steps(record: logging.LogRecord) -> bool:
    """Alembic says which implementation and DDL mode it uses on every start; only the
    steps it applies are worth a line (nothing at all when the schema is current)."""
    return record.levelno >= logging.WARNING or record.getMessage().startswith("Running ")


logging.getLogger("alembic.runtime.migration").addFilter(_only_steps)


def alembic_config(database_url: str) -> Config:
    """An Alembic configuration for the packaged migrations and this database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["database_url"] = database_url
    return config


class DatabaseUnopenable(DomainError):
    """The SQLite file cannot be opened or created (a missing folder, no permission)."""


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database schema up to `revision` (the newest by default)."""
    if is_sqlite(database_url):
        _open_sqlite(sqlite_path(database_url))
    command.upgrade(alembic_config(database_url), revision)


def _open_sqlite(path: str) -> None:
    """Open (or create) the file first: failing inside the migration's async driver leaves
    a thread that prints a traceback after the event loop is gone."""
    try:
        sqlite3.connect(path).close()
    except sqlite3.Error as exc:
        raise DatabaseUnopenable(f"cannot open the SQLite database {path}: {exc}") from None


def head_revision() -> str | None:
    """The newest migration that ships with this version."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head()
