"""Background workers: loops that run rounds of work until stopped, woken early for new work.

Every background job of the server (mail and webhook delivery, recording jobs, the room
sweeper) is a `Worker` that says what one round does (`round`); this base runs the loop that
they all share:

- a round, then a wait of `poll_seconds`, cut short by `wake()` (new work was committed);
  no wait when the round says more work is waiting (it took a full batch);
- a round that raises is logged, and the wait after it doubles with each failure in a row,
  up to `max_backoff_seconds`, so a database or relay that is down is not hammered; the
  first round that succeeds brings the wait back to `poll_seconds`;
- `stop()` lets the round in hand finish and ends `run()`, which then calls `close()`.

`Workers` starts a set of them as tasks of the running event loop and stops them together:
what `onstream serve` runs beside the application and `onstream worker` runs alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import Sequence

DEFAULT_MAX_BACKOFF_SECONDS = 60.0


class Worker(ABC):
    """One background loop; subclasses write `round` (and `close` when they hold a connection)."""

    label = "background"
    """What the worker does, for its log lines ("mail delivery" → "mail delivery round failed")."""

    def __init__(
        self,
        *,
        poll_seconds: float,
        log: logging.Logger,
        max_backoff_seconds: float = DEFAULT_MAX_BACKOFF_SECONDS,
    ) -> None:
        self.poll_seconds = poll_seconds
        self.max_backoff_seconds = max(max_backoff_seconds, poll_seconds)
        self.failures = 0
        """Rounds that failed in a row (0 after a round that succeeded)."""
        self._log = log
        self._wakeup = asyncio.Event()
        self._stopping = False

    @property
    def stopping(self) -> bool:
        """Whether `stop()` was called: a long round should hand its work back and return."""
        return self._stopping

    @property
    def wait_seconds(self) -> float:
        """How long the loop waits after the last round unless woken: the poll interval, or
        after failures the back-off."""
        if not self.failures:
            return self.poll_seconds
        return min(self.poll_seconds * 2.0**self.failures, self.max_backoff_seconds)

    def wake(self) -> None:
        """New work was committed: start a round now instead of after the wait."""
        self._wakeup.set()

    def stop(self) -> None:
        """Finish the round in hand, then return from `run()`."""
        self._stopping = True
        self._wakeup.set()

    async def run(self) -> None:
        """Run rounds until `stop()`; the loop outlives any one failed round."""
        try:
            while not self._stopping:
                busy = await self._round()
                if not busy and not self._stopping:
                    await self._wait(self.wait_seconds)
        finally:
            await self.close()

    @abstractmethod
    async def round(self) -> bool:
        """Do one round of work; True when more is waiting (a round should follow at once)."""

    async def close(self) -> None:  # noqa: B027  # optional: most workers hold nothing
        """Release what the rounds held (a connection); called once `run()` ends."""

    async def _round(self) -> bool:
        try:
            busy = await self.round()
        except Exception:  # noqa: BLE001  # logged with its traceback; the next round retries
            self.failures += 1
            self._log.exception("%s round failed", self.label)
            return False
        self.failures = 0
        return busy

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), timeout=seconds)
        self._wakeup.clear()


class Workers:
    """A set of workers started and stopped together, in the order given."""

    def __init__(self, workers: Sequence[Worker]) -> None:
        self.workers = tuple(workers)
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        """Run each worker as a task of the running event loop."""
        self._tasks = [asyncio.create_task(worker.run()) for worker in self.workers]

    def stop(self) -> None:
        """Tell every worker to stop once its round in hand is done."""
        for worker in self.workers:
            worker.stop()

    async def join(self) -> None:
        """Wait until every started worker finished its last round and closed."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            await task

    async def run(self) -> None:
        """Run every worker until all of them stopped (`onstream worker`, whose signal
        handler calls `stop`)."""
        await asyncio.gather(*(worker.run() for worker in self.workers))
