"""What every command that touches the database shares."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

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
