"""SQLite run on the event loop: SQLAlchemy's synchronous Core over the standard sqlite3.

A GET of one session through SQLAlchemy's asyncio extension and aiosqlite cost about 570 µs
of CPU in-process, almost all of it greenlet switches and thread hops around a query that
SQLite answers in 5 µs. Running the synchronous engine right on the loop removes both.
That is sound for SQLite and would not be for a network database: a statement never waits
for I/O it could overlap with other requests (pages come from the OS cache), so there is
nothing for the loop to do meanwhile.

The one wait SQLite has is a lock, and that is never blocked on:

- Connections have a busy timeout of 0, so a locked database answers SQLITE_BUSY at once.
- A write transaction starts with BEGIN IMMEDIATE, taking the write lock before it reads
  (two writers never both read and then fail to upgrade). If another process holds the lock,
  BEGIN IMMEDIATE is retried after an asyncio sleep, with backoff, for up to 30 s.
- Writers within one process queue on an asyncio lock, so they wait their turn without
  polling and without ever meeting each other's lock.
- Between the server's processes, the writer lock is handed over by the kernel: each write
  transaction holds an exclusive `flock` on `<database>-writer.lock`. Taking it costs one
  system call when it is free; when another process holds it, a helper thread waits in
  `flock` and the kernel wakes it the moment the lock is released. Polling SQLite alone left
  gaps of up to 50 ms between one process's commit and the other's retry, half of the time
  a write-heavy load spent. Other programs writing to the file are still met by the retry.
- Reads start a plain BEGIN with their first statement: one snapshot for all their
  statements, never blocking or blocked by a writer under WAL. The rare busy answer to a
  read (WAL recovery) is retried the same way; a busy statement took no effect, so running
  it again is safe.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection as SyncConnection
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql.base import Executable

from onstream.storage.connection import (
    SQLITE_BUSY_TIMEOUT_MS,
    Connection,
    Database,
    Parameters,
    Rows,
)
from onstream.storage.prepared import Prepared, Row

T = TypeVar("T")

SQLITE_BUSY = 5
FIRST_PAUSE, MAX_PAUSE = 0.001, 0.05
POOL_SIZE, POOL_OVERFLOW = 32, 64
"""Opening a connection costs more than a query: keep one per request in flight."""

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA busy_timeout=0",
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)


class SqliteDatabase(Database):
    """A pool of sqlite3 connections used from the event loop's thread."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(
            make_url(url).set(drivername="sqlite+pysqlite"),
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
            connect_args={"check_same_thread": False},
        )
        event.listen(self.engine, "connect", _on_connect)
        self.idle_readers: list[PoolProxiedConnection] = []
        """Connections kept checked out of the pool for reads (see `_Read`)."""
        self.idle_writer: PoolProxiedConnection | None = None
        """The connection kept checked out for writes (see `_write_transaction`)."""
        self._write_lock = asyncio.Lock()
        path = make_url(url).database
        self._writers = ProcessLock(f"{path}-writer.lock") if path and path != ":memory:" else None

    def transaction(self, *, write: bool) -> AbstractAsyncContextManager[Connection]:
        return self._write() if write else _Read(self)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[Connection]:
        async with self._write_lock:
            if self._writers is not None:
                await self._writers.acquire()
            try:
                async with self._write_transaction() as conn:
                    yield conn
            finally:
                if self._writers is not None:
                    self._writers.release()

    @asynccontextmanager
    async def _write_transaction(self) -> AsyncIterator[Connection]:
        # The process's one writer connection, kept out of the pool like the readers: the
        # writes of a process are one at a time (`_write_lock`).
        pooled = self.idle_writer or self.engine.raw_connection()
        self.idle_writer = None
        connection = _LoopConnection(self.engine, pooled)
        try:
            await retry_busy(connection.raw.execute, "BEGIN IMMEDIATE")
            yield connection
            await connection.run_deferred()
            connection.raw.execute("COMMIT")
        finally:
            self._end_write(connection, pooled)

    def _end_write(self, connection: _LoopConnection, pooled: PoolProxiedConnection) -> None:
        """Roll back what did not commit; keep the connection for the next write, unless
        SQLAlchemy's Connection gave it back to the pool or it failed to roll back."""
        healthy = True
        try:
            if connection.raw.in_transaction:
                connection.raw.execute("ROLLBACK")
        except sqlite3.Error:
            healthy = False
        if connection.close():
            if healthy:
                self.idle_writer = pooled
            else:
                pooled.invalidate()

    async def dispose(self) -> None:
        idle, self.idle_readers = self.idle_readers, []
        if self.idle_writer is not None:
            idle.append(self.idle_writer)
            self.idle_writer = None
        for pooled in idle:
            pooled.close()
        self.engine.dispose()
        if self._writers is not None:
            self._writers.close()


class ProcessLock:
    """An exclusive `flock` shared by every process that opens the same path."""

    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        self._waiter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer-lock")

    async def acquire(self) -> None:
        """Take the lock: at once when it is free, else wait for it off the event loop."""
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        waiting = asyncio.get_running_loop().run_in_executor(
            self._waiter, fcntl.flock, self._fd, fcntl.LOCK_EX
        )
        try:
            await asyncio.shield(waiting)
        except asyncio.CancelledError:
            # The thread will still get the lock; give it back as soon as it does.
            def give_back(done: asyncio.Future[None]) -> None:
                if not done.cancelled() and done.exception() is None:
                    self.release()

            waiting.add_done_callback(give_back)
            raise

    def release(self) -> None:
        fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        self._waiter.shutdown(wait=False, cancel_futures=True)
        os.close(self._fd)


class _PooledConnection(Connection):
    """A pooled sqlite3 connection used directly; SQLAlchemy's Connection over it is made
    only when a statement goes through `execute` (reads and writes alike, see below)."""

    dialect_name = "sqlite"

    def __init__(self, engine: Engine, pooled: PoolProxiedConnection) -> None:
        super().__init__()
        self._engine = engine
        self._pooled = pooled
        raw = pooled.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        self.raw = raw
        self._conn: SyncConnection | None = None

    def _sqlalchemy(self) -> SyncConnection:
        return SyncConnection(self._engine, connection=self._pooled)


class _LoopConnection(_PooledConnection):
    """A write transaction's connection (BEGIN IMMEDIATE taken, the writer lock held).

    As for reads (`_ReadConnection`), BEGIN IMMEDIATE, COMMIT and ROLLBACK go to sqlite3
    directly and a SQLAlchemy Connection is made only when a statement goes through
    `execute`: a PUT session runs prepared statements only (`fetch`), and SQLAlchemy's
    connection and transaction bookkeeping cost about a tenth of it."""

    async def execute(self, statement: Executable, parameters: Parameters = None) -> Rows:
        # The transaction holds the lock; a busy answer here is a real error.
        if self._conn is None:
            self._conn = self._sqlalchemy()
        return self._conn.execute(statement, parameters)

    async def fetch(self, prepared: Prepared, parameters: Mapping[str, Any]) -> list[Row]:
        compiled = prepared.compiled(self._engine.dialect)
        arguments = compiled.arguments(parameters)
        try:
            rows = self.raw.execute(compiled.sql, arguments).fetchall()
        except sqlite3.Error as error:
            # What SQLAlchemy would raise (a clash is an `IntegrityError` to the services).
            raise sa_exc.DBAPIError.instance(
                compiled.sql, arguments, error, sqlite3.Error
            ) from error
        return compiled.rows(rows)

    def close(self) -> bool:
        """Forget SQLAlchemy's Connection, if one was made (closing it gives the pooled
        connection back to the pool): whether the pooled connection is still ours."""
        if self._conn is None:
            return True
        conn, self._conn = self._conn, None
        conn.close()
        return False


IDLE_READERS = 8
"""Connections a process keeps out of SQLAlchemy's pool for reads, enough for the requests
one worker has in flight between two awaits."""


class _Read:
    """A read transaction (a class, not a generator: this runs twice per GET).

    SQLAlchemy's pool checkout and check-in (events, a queue with its lock, a reset) cost
    about 15 µs of CPU a read; a read that needs only sqlite3 therefore takes a connection
    from a short list the database keeps checked out, and puts it back there."""

    __slots__ = ("_connection", "_database")

    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database

    async def __aenter__(self) -> Connection:
        idle = self._database.idle_readers
        pooled = idle.pop() if idle else self._database.engine.raw_connection()
        self._connection = _ReadConnection(self._database.engine, pooled)
        return self._connection

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: Any
    ) -> None:
        connection = self._connection
        try:
            if kind is None:
                await connection.run_deferred()
        finally:
            pooled = connection.close()
            if pooled is not None:
                idle = self._database.idle_readers
                if len(idle) < IDLE_READERS:
                    idle.append(pooled)
                else:
                    pooled.close()


class _ReadConnection(_PooledConnection):
    """A read transaction's connection: one snapshot from its first statement to its end.

    SQLAlchemy's Connection and its transaction bookkeeping (begin, rollback, close) cost
    about 20 µs of CPU per read, more than the reads themselves. Prepared reads (`fetch`)
    need only the sqlite3 connection, so a SQLAlchemy Connection is made the first time a
    statement goes through `execute`, on the same pooled connection. BEGIN and ROLLBACK
    are issued on sqlite3 directly (about 1 µs together) and only once a statement runs:
    they keep the snapshot that a page, its total and the block walk of a deep page rely
    on."""

    async def fetch(self, prepared: Prepared, parameters: Mapping[str, Any]) -> list[Row]:
        compiled = prepared.compiled(self._engine.dialect)
        arguments = compiled.arguments(parameters)
        if not self.raw.in_transaction:
            await retry_busy(self.raw.execute, "BEGIN")
        try:
            rows = self.raw.execute(compiled.sql, arguments).fetchall()
        except sqlite3.OperationalError as error:
            if not is_busy(error):
                raise
            rows = await retry_busy(_fetch_all, self.raw, compiled.sql, arguments)
        return compiled.rows(rows)

    async def execute(self, statement: Executable, parameters: Parameters = None) -> Rows:
        if not self.raw.in_transaction:
            await retry_busy(self.raw.execute, "BEGIN")
        if self._conn is None:
            self._conn = self._sqlalchemy()
        try:
            return self._conn.execute(statement, parameters)
        except sa_exc.OperationalError as error:
            if not is_busy(error.orig):
                raise
        return await retry_busy(self._conn.execute, statement, parameters)

    def close(self) -> PoolProxiedConnection | None:
        """End the snapshot. The pooled connection, to be reused, unless SQLAlchemy's
        Connection wrapped it: closing that gave it back to the pool."""
        try:
            if self.raw.in_transaction:
                self.raw.execute("ROLLBACK")
        except BaseException:
            self._pooled.invalidate()
            raise
        finally:
            if self._conn is not None:
                self._conn.close()
        return None if self._conn is not None else self._pooled


def _fetch_all(raw: sqlite3.Connection, sql: str, arguments: tuple[Any, ...]) -> list[Any]:
    return raw.execute(sql, arguments).fetchall()


def is_busy(error: BaseException | None) -> bool:
    """Whether sqlite3 answered SQLITE_BUSY (any of its extended codes)."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF == SQLITE_BUSY
    return "database is locked" in str(error)


async def retry_busy(run: Callable[..., T], *args: Any) -> T:
    """`run(*args)`, again after a growing pause while SQLite answers busy, for up to the busy
    timeout; errors that are not busy, and the last busy one, propagate."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = FIRST_PAUSE
    while True:
        try:
            return run(*args)
        except (sqlite3.OperationalError, sa_exc.OperationalError) as error:
            orig = error.orig if isinstance(error, sa_exc.OperationalError) else error
            if not is_busy(orig) or time.monotonic() >= deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, MAX_PAUSE)


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Autocommit mode: this module issues BEGIN itself (see the module docstring).
    dbapi_connection.isolation_level = None
    for pragma in PRAGMAS:
        dbapi_connection.execute(pragma)
