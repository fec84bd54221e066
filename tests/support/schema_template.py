"""A SQLite database at the newest schema, made by copying one migrated once per test process.

Running every migration costs about a third of a second of CPU, and the suite makes hundreds
of fresh SQLite databases for its servers: each test process migrates one template with
`onstream.storage.migrate.upgrade` (the code every server and command runs) and copies the
file (measured on five folders of 484 tests: 155 s of CPU before, 146 s after). On PostgreSQL
a copy (`CREATE DATABASE ... TEMPLATE`) cost more than the migrations it saved, so there a
fresh database is migrated. The migrations themselves are tested in `tests/migrations`.
"""

from __future__ import annotations

import atexit
import shutil
import sqlite3
import tempfile
from pathlib import Path

from onstream.storage.database import is_sqlite, sqlite_path
from onstream.storage.migrate import upgrade

_template: Path | None = None


def migrated(database_url: str) -> None:
    """Bring a database to the newest schema: a fresh SQLite file by copying the template,
    any other database with the migrations."""
    if is_sqlite(database_url):
        path = Path(sqlite_path(database_url))
        if not path.exists() or path.stat().st_size == 0:
            shutil.copyfile(_sqlite_template(), path)
            return
    upgrade(database_url)


def _sqlite_template() -> Path:
    global _template  # one template per test process, made on first use
    if _template is None:
        folder = Path(tempfile.mkdtemp(prefix="onstream-schema-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        template = folder / "template.db"
        upgrade(f"sqlite:///{template}")
        with sqlite3.connect(template) as conn:  # everything in the one file, nothing in a WAL
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _template = template
    return _template
