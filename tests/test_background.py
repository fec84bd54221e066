"""The background-worker base: `wake()` starts a round at once, a busy round is followed at
once, `stop()` ends the loop after the round in hand and closes the worker, failed rounds
are logged and back off. Every wait is for a condition, bounded generously; the workers
poll once an hour, so only `wake()` or a busy round can start a round in these tests."""

from __future__ import annotations

import asyncio
import logging

import pytest

from onstream.background import Worker, Workers

pytestmark = pytest.mark.anyio

BOUND = 10.0
HOUR = 3600.0
log = logging.getLogger("onstream.test")


class Counting(Worker):
    """A worker that counts its rounds and does what the test lines up for each."""

    label = "counting"

    def __init__(self, *, poll_seconds: float = HOUR, max_backoff_seconds: float = HOUR) -> None:
        super().__init__(
            poll_seconds=poll_seconds, log=log, max_backoff_seconds=max_backoff_seconds
        )
        self.rounds = 0
        self.closed = False
        self.outcomes: list[bool | Exception] = []
        """What the next rounds do: return this, or raise it; then return False."""
        self.gate: asyncio.Event | None = None
        """When set up, a round waits for it (a round in hand)."""
        self.entered = asyncio.Event()
        self._counted = asyncio.Condition()

    async def round(self) -> bool:
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        async with self._counted:
            self.rounds += 1
            self._counted.notify_all()
        outcome = self.outcomes.pop(0) if self.outcomes else False
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def close(self) -> None:
        self.closed = True

    async def reached(self, rounds: int) -> None:
        """Wait until this many rounds ran."""
        async with self._counted:
            await asyncio.wait_for(self._counted.wait_for(lambda: self.rounds >= rounds), BOUND)


async def test_wake_starts_a_round_at_once() -> None:
    worker = Counting()
    running = asyncio.create_task(worker.run())
    await worker.reached(1)
    worker.wake()
    await worker.reached(2)
    worker.wake()
    await worker.reached(3)
    worker.stop()
    await asyncio.wait_for(running, BOUND)
    assert worker.closed


async def test_a_busy_round_is_followed_at_once() -> None:
    worker = Counting()
    worker.outcomes = [True, True, False]
    running = asyncio.create_task(worker.run())
    await worker.reached(3)
    worker.stop()
    await asyncio.wait_for(running, BOUND)
    assert worker.rounds == 3, "no round after one that found nothing, until woken"


async def test_stop_lets_the_round_in_hand_finish_then_closes() -> None:
    worker = Counting()
    worker.gate = asyncio.Event()
    worker.outcomes = [True]  # "more is waiting": only stop() keeps another round from starting
    running = asyncio.create_task(worker.run())
    await asyncio.wait_for(worker.entered.wait(), BOUND)  # the round waits at its gate
    worker.stop()
    assert not running.done()
    assert not worker.closed
    worker.gate.set()
    await asyncio.wait_for(running, BOUND)
    assert worker.rounds == 1
    assert worker.closed


async def test_failed_rounds_are_logged_and_back_off_until_one_succeeds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    worker = Counting(poll_seconds=100.0, max_backoff_seconds=500.0)
    worker.outcomes = [OSError("database down")] * 4
    running = asyncio.create_task(worker.run())
    waits = []
    with caplog.at_level(logging.ERROR, logger="onstream.test"):
        for rounds in range(1, 6):
            await worker.reached(rounds)
            waits.append(worker.wait_seconds)
            worker.wake()
    worker.stop()
    await asyncio.wait_for(running, BOUND)
    assert waits == [200.0, 400.0, 500.0, 500.0, 100.0]
    failures = [r for r in caplog.records if r.getMessage() == "counting round failed"]
    assert len(failures) == 4
    assert all(r.exc_info is not None for r in failures)


async def test_a_set_of_workers_starts_and_stops_together() -> None:
    first, second = Counting(), Counting()
    workers = Workers([first, second])
    workers.start()
    await first.reached(1)
    await second.reached(1)
    workers.stop()
    await asyncio.wait_for(workers.join(), BOUND)
    assert first.closed
    assert second.closed


async def test_a_set_of_workers_runs_until_stopped() -> None:
    first, second = Counting(), Counting()
    workers = Workers([first, second])
    running = asyncio.create_task(workers.run())
    await first.reached(1)
    await second.reached(1)
    workers.stop()
    await asyncio.wait_for(running, BOUND)
    assert first.closed
    assert second.closed
