"""What every command that touches the database shares."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from onstream.storage.database import create_engine, transaction
from onstream.storage.migrate import upgrade

T = TypeVar("T")


def in_transaction(database_url: str, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Migrate the database, then run `work` in one committed transaction."""
    upgrade(database_url)

    async def run() -> T:
        engine = create_engine(database_url)
        try:
            async with transaction(engine, write=True) as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    return asyncio.run(run())
