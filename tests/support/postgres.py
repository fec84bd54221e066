"""Fresh PostgreSQL databases for test servers, dropped at the end of the test session."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import os

import asyncpg

_numbers = itertools.count(1)
_created: list[tuple[str, str]] = []


def _dsn(admin_url: str, database: str) -> str:
    return f"{admin_url.rstrip('/')}/{database}"


def create_database(admin_url: str) -> str:
    """Create an empty database and return its URL."""
    name = f"onstream_test_{os.getpid()}_{next(_numbers)}"
    asyncio.run(
        _execute(admin_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    )
    _created.append((admin_url, name))
    return _dsn(admin_url, name)


async def _execute(admin_url: str, *statements: str) -> None:
    conn = await asyncpg.connect(_dsn(admin_url, "postgres"))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@atexit.register
def _drop_all() -> None:
    for admin_url, name in _created:
        with contextlib.suppress(OSError, asyncpg.PostgresError):  # server gone: nothing to do
            asyncio.run(_execute(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
