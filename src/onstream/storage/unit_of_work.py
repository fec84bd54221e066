"""One unit of work: a transaction, and the actions that must wait until it committed.

Whoever owns the transaction (the API endpoint for a call, the account center for a form,
the meeting pages, the workers) opens it with `unit_of_work`; code running inside it adds
what may only happen once the change is durable (wake the mail worker, delete media, tell
Janus) with `UnitOfWork.after_commit`. Those actions run in the order they were added, only
after a commit, never after a rollback; one that fails is logged and the others still run,
because the change committed and whoever asked for it must hear that it did.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from onstream.storage.connection import Connection, Database, transaction

log = logging.getLogger("onstream")

AfterCommit = Callable[[], Awaitable[object] | None]
"""Work that must happen only once the transaction committed (wake a worker, delete media)."""


@dataclass(frozen=True, slots=True)
class UnitOfWork:
    """One transaction's connection and the actions waiting for its commit."""

    conn: Connection
    actions: list[AfterCommit] = field(default_factory=list)
    """Run in order once the transaction committed; dropped when it rolls back."""

    def after_commit(self, action: AfterCommit) -> None:
        """Run `action` once the transaction committed (once, however often it is added)."""
        if action not in self.actions:
            self.actions.append(action)


@asynccontextmanager
async def unit_of_work(database: Database, *, write: bool) -> AsyncIterator[UnitOfWork]:
    """A transaction (committed when the block ends, rolled back when it raises) whose
    after-commit actions run right after the commit."""
    actions: list[AfterCommit] = []
    async with transaction(database, write=write) as conn:
        yield UnitOfWork(conn, actions)
    await run_after_commit(actions)


async def run_after_commit(actions: Iterable[AfterCommit]) -> None:
    """Run after-commit actions in order; a failure is logged with its traceback for the
    operator and the next action still runs."""
    for action in actions:
        try:
            done = action()
            if inspect.isawaitable(done):
                await done
        except Exception:  # logged; the change committed, and its caller must hear so
            log.exception("after-commit work failed")
