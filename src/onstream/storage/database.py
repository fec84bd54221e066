"""The database a server talks to: SQLite (on the event loop) or PostgreSQL (asyncpg).

Operators write plain URLs (`sqlite:///onstream.db`, `postgresql://user@host/db`).
`open_database` gives a `Database`, whose only way in is `transaction(write=...)`: one unit
of work on one `Connection`, committed on success and rolled back on error when it writes,
read from one snapshot when it does not. Repositories see only `Connection`: `execute`,
`scalar`, `scalars` with SQLAlchemy Core statements, and `dialect_name` for the two places
where SQL differs (upserts, SKIP LOCKED).

Why two implementations: PostgreSQL is reached through SQLAlchemy's asyncio extension and
asyncpg, as it is meant to be. For SQLite the asyncio extension costs more than the query:
every statement is a greenlet switch, and aiosqlite adds a thread hop per call, eight per
GET. sqlite_loop.py therefore runs SQLAlchemy's synchronous Core on the event loop, which is
safe because SQLite answers from memory-mapped pages in microseconds and never waits on the
network; the one wait it has, a lock held by another writer, is awaited there, not blocked on.

Tools that need SQLAlchemy's AsyncEngine itself (Alembic migrations, `onstream db copy`)
get one from `create_async_engine_for`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.sql.base import Executable

from onstream.storage.connection import (
    SQLITE_BUSY_TIMEOUT_MS,
    Connection,
    Database,
    Parameters,
    Rows,
    transaction,
)
from onstream.storage.prepared import Prepared, Row
from onstream.storage.sqlite_loop import SqliteDatabase

if TYPE_CHECKING:
    # Imported where used: the asyncio extension loads SQLAlchemy's ORM (8 MB per process),
    # which a server on SQLite never needs.
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


def open_database(url: str) -> Database:
    """The Database for an operator's URL."""
    if is_sqlite(url):
        return SqliteDatabase(url)
    return AsyncDatabase(url)


def async_url(url: str) -> str:
    """Map an operator's database URL to its async SQLAlchemy driver URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"Unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...")


def sqlite_path(url: str) -> str:
    """The file an SQLite URL names (`sqlite:///onstream.db` → `onstream.db`)."""
    return make_url(url).database or ""


def is_sqlite(url: str) -> bool:
    """Whether the URL names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


__all__ = ["Connection", "Database", "open_database", "transaction"]


# --- the asyncio engine: PostgreSQL for the server, both databases for the tools -----------


class AsyncDatabase(Database):
    """A Database over SQLAlchemy's AsyncEngine (the server's PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        # No pre-ping: asyncpg's ping is BEGIN / SELECT / ROLLBACK, three round trips before
        # every request's own. A connection the server dropped fails its one request, and
        # SQLAlchemy then replaces the whole pool (a disconnect invalidates it); connections
        # are also renewed after 30 minutes. The 30 connections a process may hold are all
        # kept once opened (no overflow): with 10 kept and 20 overflow, a load of more than 10
        # requests in flight closed and reopened connections continually (110 a second under
        # the bench's GET; each a PostgreSQL backend to fork, a TLS attempt and asyncpg's
        # type introspection), a third of the throughput.
        self.engine = create_async_engine_for(
            url, pool_pre_ping=False, pool_recycle=1800, pool_size=30, max_overflow=0
        )

    @asynccontextmanager
    async def transaction(self, *, write: bool) -> AsyncIterator[Connection]:
        async with _async_transaction(self.engine, write=write) as conn:
            connection = _AsyncConnection(conn, write=write)
            yield connection
            await connection.run_deferred()

    async def dispose(self) -> None:
        await self.engine.dispose()


class _AsyncConnection(Connection):
    def __init__(self, conn: AsyncConnection, *, write: bool) -> None:
        super().__init__()
        self._conn = conn
        self._write = write
        self.dialect_name = conn.dialect.name

    async def execute(self, statement: Executable, parameters: Parameters = None) -> Rows:
        return await self._conn.execute(statement, parameters)

    async def fetch(self, prepared: Prepared, parameters: Mapping[str, Any]) -> list[Row]:
        """On PostgreSQL, asyncpg's own `fetch` on the pooled connection: no greenlet switch
        and no SQLAlchemy execution path, the statement prepared once per connection
        (asyncpg's statement cache).

        A read sends no BEGIN / ROLLBACK, as SQLAlchemy's adapter does around a first
        statement: reads run at READ COMMITTED, where every statement takes its own snapshot
        inside a transaction too, so leaving the transaction out changes nothing a reader
        can see. A write's statement must run inside its transaction, which SQLAlchemy's
        adapter begins lazily: it is begun here first, by the adapter itself, so that its
        COMMIT or ROLLBACK ends what ran here too. An adapter without that hook (another
        SQLAlchemy) sends the statement through SQLAlchemy instead."""
        if self.dialect_name != "postgresql":
            return await super().fetch(prepared, parameters)
        adapted: Any = self._conn.sync_connection.connection.dbapi_connection  # type: ignore[union-attr]
        if self._write:
            begin = getattr(adapted, "_start_transaction", None)
            if begin is None or not hasattr(adapted, "_transaction"):
                return await super().fetch(prepared, parameters)
            if adapted._transaction is None:
                await begin()
        compiled = prepared.compiled(self._conn.dialect)
        arguments = compiled.arguments(parameters)
        try:
            rows = await adapted.driver_connection.fetch(compiled.sql, *arguments)
        except BaseException as error:
            translated = _as_sqlalchemy_error(compiled.sql, arguments, error)
            if translated is None or _is_disconnect(adapted.driver_connection, error):
                # SQLAlchemy drops a connection whose statement failed otherwise (a cancelled
                # request) or whose server went away (its last answer may be an error of its
                # own, "terminating connection"); this statement went around it, so do the
                # same here: the next request gets a new connection.
                await self._conn.invalidate()
            if translated is not None:
                # What SQLAlchemy would raise (a clash is an `IntegrityError` to the
                # services); a write's transaction is rolled back as after any failure.
                raise translated from error
            raise
        return compiled.rows(rows)


def _is_disconnect(driver_connection: Any, error: BaseException) -> bool:
    """Whether the connection is gone: closed, or closed by the server with an error of its
    own (shut down, crashed, not yet accepting, the connection lost mid-statement)."""
    import asyncpg  # type: ignore[import-untyped]  # loaded already: the driver in use

    lost = (
        asyncpg.PostgresConnectionError,
        asyncpg.AdminShutdownError,
        asyncpg.CrashShutdownError,
        asyncpg.CannotConnectNowError,
    )
    return bool(driver_connection.is_closed()) or isinstance(error, lost)


def _as_sqlalchemy_error(
    sql: str, arguments: tuple[Any, ...], error: BaseException
) -> sa_exc.DBAPIError | None:
    """SQLAlchemy's exception for an error PostgreSQL answered; None for any other."""
    import asyncpg  # loaded already: the driver in use

    if isinstance(error, asyncpg.IntegrityConstraintViolationError):
        return sa_exc.IntegrityError(sql, arguments, error)
    if isinstance(error, asyncpg.PostgresError):
        return sa_exc.DBAPIError(sql, arguments, error)
    return None


def create_async_engine_for(url: str, **options: Any) -> AsyncEngine:
    """SQLAlchemy's AsyncEngine for the URL: SQLite through aiosqlite in WAL mode with a busy
    timeout and BEGIN IMMEDIATE for writes (as sqlite_loop does), PostgreSQL through asyncpg.
    `options` go to create_async_engine (default: pre-ping pooled PostgreSQL connections)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    options.setdefault("pool_pre_ping", not is_sqlite(url))
    engine = create_async_engine(async_url(url), **options)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _aiosqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _aiosqlite_on_begin)
    return engine


WRITE_OPTION = "onstream_write"
"""Execution option that marks a connection whose transaction will write."""


@asynccontextmanager
async def _async_transaction(engine: AsyncEngine, *, write: bool) -> AsyncIterator[AsyncConnection]:
    async with engine.connect() as conn:
        if write:
            await conn.execution_options(**{WRITE_OPTION: True})
            async with conn.begin():
                yield conn
        else:
            yield conn


def _aiosqlite_on_begin(conn: Any) -> None:
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _aiosqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
