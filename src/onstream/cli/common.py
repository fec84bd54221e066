"""What every command that touches the database shares."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from onstream.errors import DomainError

if TYPE_CHECKING:
    from onstream.storage.database import Connection

T = TypeVar("T")


def run_async(work: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(work)`, with asyncio imported only by the commands that run something:
    `onstream serve --workers N` stays a supervisor without it (it would add 7 MB to its 23)."""
    import asyncio

    return asyncio.run(work)


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

    return run_async(run())


class DatabaseUnusable(DomainError):
    """A read-only command found no database, or one it cannot read without changing it."""


def read_only(database_url: str, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run `work` in a read-only transaction of an existing database at the current schema.

    Unlike `in_transaction`, nothing is created, migrated or written: a mistyped SQLite path
    is refused instead of becoming a new empty database, and an old schema is reported.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from onstream.storage.database import open_database, transaction
    from onstream.storage.migrate import head_revision

    require_existing(database_url)

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

    return run_async(run())


def require_existing(database_url: str) -> None:
    """Refuse an SQLite path where there is no file: a typo must not become a new database."""
    from onstream.storage.database import is_sqlite, sqlite_path

    if is_sqlite(database_url) and not Path(sqlite_path(database_url)).is_file():
        raise DatabaseUnusable(f"there is no database at {sqlite_path(database_url)}")


def database_problem(exc: BaseException, url: str | None) -> str | None:
    """One line for an operator when `exc` says a database cannot be reached or opened
    (refused, unknown host, no such database, unwritable file); None for anything else.

    asyncpg's connection failures arrive as `OSError`s, the drivers' refusals as
    SQLAlchemy's `DBAPIError` wrapping the driver's own exception."""
    if isinstance(exc, OSError | TimeoutError):
        reason = exc.strerror or str(exc) or exc.__class__.__name__
        return f"cannot reach the database{_named(url)}: {reason}"
    dbapi = _dbapi_error()
    if dbapi is not None and isinstance(exc, dbapi):
        orig = getattr(exc, "orig", None) or exc
        lines = str(orig).strip().splitlines()
        reason = lines[0] if lines else orig.__class__.__name__
        return f"cannot use the database{_named(url)}: {reason}"
    return None


def _dbapi_error() -> type[Exception] | None:
    """SQLAlchemy's DBAPIError when SQLAlchemy is loaded (commands without it raise none)."""
    import sys

    module = sys.modules.get("sqlalchemy.exc")
    return getattr(module, "DBAPIError", None) if module else None


def _named(url: str | None) -> str:
    """` at URL` with any password masked, or nothing when the URL cannot be parsed."""
    if not url:
        return ""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return f" at {make_url(url).render_as_string(hide_password=True)}"
    except ArgumentError:
        return ""
