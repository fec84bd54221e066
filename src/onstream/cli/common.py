"""What every command that touches the database shares."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from onstream.errors import DomainError

if TYPE_CHECKING:
    from onstream.storage.database import Connection

T = TypeVar("T")


def in_transaction(database_url: str, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Migrate the database, then run `work` in one committed transaction."""
    from onstream.storage.database import open_database, transaction
    from onstream.storage.migrate import upgrade

    upgrade(database_url)

    async def run() -> T:
        database = open_database(database_url)
        try:
            async with transaction(database, write=True) as conn:
                return await work(conn)
        finally:
            await database.dispose()

    return asyncio.run(run())


class DatabaseUnusable(DomainError):
    """A read-only command found no database, or one it cannot read without changing it."""


def read_only(database_url: str, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run `work` in a read-only transaction of an existing database at the current schema.

    Unlike `in_transaction`, nothing is created, migrated or written: a mistyped SQLite path
    is refused instead of becoming a new empty database, and an old schema is reported.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from onstream.storage.database import is_sqlite, open_database, sqlite_path, transaction
    from onstream.storage.migrate import head_revision

    if is_sqlite(database_url) and not Path(sqlite_path(database_url)).is_file():
        raise DatabaseUnusable(f"there is no database at {sqlite_path(database_url)}")

    async def run() -> T:
        database = open_database(database_url)
        try:
            async with transaction(database, write=False) as conn:
                try:
                    revision = await conn.scalar(text("SELECT version_num FROM alembic_version"))
                except DBAPIError as exc:
                    raise DatabaseUnusable(
                        "the database has no Onstream schema; run `onstream db upgrade`"
                    ) from exc
                if revision != head_revision():
                    raise DatabaseUnusable(
                        "the database schema is not current; run `onstream db upgrade`"
                    )
                return await work(conn)
        finally:
            await database.dispose()

    return asyncio.run(run())
