"""What repositories and services see of a database: a `Connection` inside one transaction.

`Database` hands out transactions; `Connection` runs SQLAlchemy Core statements in one. The
two implementations (`sqlite_loop.SqliteDatabase`, `database.AsyncDatabase`) live beside
this module and import it; nothing here imports them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from sqlalchemy.engine import CursorResult, ScalarResult
from sqlalchemy.sql.base import Executable

from onstream.storage.prepared import Prepared, Row

SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another process's write lock before giving up."""

Parameters = Mapping[str, Any] | Sequence[Mapping[str, Any]] | None
Rows = CursorResult[*tuple[Any, ...]]
"""What `execute` answers, rows of any width (as SQLAlchemy's own untyped execute)."""


class Connection(ABC):
    """One transaction's connection, as repositories use it."""

    dialect_name: str
    """"sqlite" or "postgresql"."""

    def __init__(self) -> None:
        self._deferred: list[tuple[Prepared | Executable, Parameters]] = []

    def defer(self, statement: Prepared | Executable, parameters: Parameters = None) -> None:
        """Run this statement last, right before the transaction commits.

        For updates of rows that many transactions share, such as counters: on PostgreSQL
        each holder of the row's lock keeps it until its commit, so an update made early
        in a request makes every concurrent request wait out the whole of it."""
        self._deferred.append((statement, parameters))

    async def run_deferred(self) -> None:
        """Execute the deferred statements (the Database does, before it commits)."""
        deferred, self._deferred = self._deferred, []
        for statement, parameters in deferred:
            if isinstance(statement, Prepared):
                assert isinstance(parameters, Mapping)
                await self.fetch(statement, parameters)
            else:
                await self.execute(statement, parameters)

    @abstractmethod
    async def execute(self, statement: Executable, parameters: Parameters = None) -> Rows:
        """Run a statement; a list of parameter sets runs it once per set (executemany)."""

    async def fetch(self, prepared: Prepared, parameters: Mapping[str, Any]) -> list[Row]:
        """Run a prepared statement: every row it answers (none for a write without
        RETURNING), as tuples in its columns' order.

        The implementations run the compiled SQL on the driver (see `storage.prepared`);
        this fallback goes through SQLAlchemy and answers the same rows."""
        result = await self.execute(prepared.statement, parameters)
        return [tuple(row) for row in result] if result.returns_rows else []

    async def scalar(self, statement: Executable, parameters: Parameters = None) -> Any:
        """The first column of the first row, or None."""
        return (await self.execute(statement, parameters)).scalar()

    async def scalars(
        self, statement: Executable, parameters: Parameters = None
    ) -> ScalarResult[Any]:
        """The first column of every row."""
        return (await self.execute(statement, parameters)).scalars()


class Database(ABC):
    """A connection pool and the transactions taken from it."""

    url: str

    @abstractmethod
    def transaction(self, *, write: bool) -> AbstractAsyncContextManager[Connection]:
        """One unit of work; see the module docstring."""

    @abstractmethod
    async def dispose(self) -> None:
        """Close every pooled connection."""


def transaction(database: Database, *, write: bool) -> AbstractAsyncContextManager[Connection]:
    """`database.transaction(write=write)`, the spelling used across the code base."""
    return database.transaction(write=write)
