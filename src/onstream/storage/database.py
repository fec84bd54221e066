"""The async database engine, for SQLite (aiosqlite) and PostgreSQL (asyncpg).

Operators write plain URLs (`sqlite:///onstream.db`, `postgresql://user@host/db`); this module
picks the async driver. SQLite runs in WAL mode with a busy timeout so that concurrent
writers wait for each other instead of failing, and with foreign keys enforced. The driver's
own transaction handling is switched off and this module emits BEGIN itself: write
transactions start with BEGIN IMMEDIATE, taking the write lock up front, so two writers never
both read and then fail to upgrade (SQLite would answer "database is locked" at once there,
without waiting); reads start a plain BEGIN and never block writers under WAL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

SQLITE_BUSY_TIMEOUT_MS = 30_000


def async_url(url: str) -> str:
    """Map an operator's database URL to its async SQLAlchemy driver URL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend == "postgresql":
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ValueError(f"Unsupported database URL {url!r}: use sqlite:///PATH or postgresql://...")


def is_sqlite(url: str) -> bool:
    """Whether the URL names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str) -> AsyncEngine:
    """An engine for the URL, with SQLite tuned for a server with concurrent requests."""
    engine = create_async_engine(async_url(url), pool_pre_ping=not is_sqlite(url))
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    return engine


WRITE_OPTION = "onstream_write"
"""Execution option that marks a connection whose transaction will write."""


def _sqlite_on_begin(conn: Any) -> None:
    write = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@asynccontextmanager
async def transaction(engine: AsyncEngine, *, write: bool) -> AsyncIterator[AsyncConnection]:
    """One unit of work: committed on success and rolled back on error when `write`;
    a read-only connection (rolled back on close) otherwise."""
    if write:
        async with engine.connect() as conn:
            await conn.execution_options(**{WRITE_OPTION: True})
            async with conn.begin():
                yield conn
    else:
        async with engine.connect() as conn:
            yield conn
