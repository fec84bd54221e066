"""A server process freezes its heap when its application has started and once it is warm
(`onstream.cli.heap`), so that the collector's full passes walk only what requests leave
behind; garbage that exists at a freeze is collected first, never frozen."""

from __future__ import annotations

import asyncio
import gc
import os
import weakref
from collections.abc import Iterator

import pytest
import uvicorn

from onstream.cli import server_process
from onstream.cli.heap import HeapSettler


class Node:
    """An object that can take part in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture(autouse=True)
def unfrozen() -> Iterator[None]:
    """Each test starts and ends with nothing frozen (the test process is not a server)."""
    gc.unfreeze()
    yield
    gc.unfreeze()


def cycle() -> weakref.ref[Node]:
    """An unreachable reference cycle, which only a collection frees."""
    a, b = Node(), Node()
    a.other, b.other = b, a
    return weakref.ref(a)


def test_nothing_is_frozen_before_the_application_has_started() -> None:
    settler = HeapSettler(warm_requests=10)
    settler.tick(started=False, requests=50)
    assert gc.get_freeze_count() == 0


def test_the_start_freezes_what_is_alive_and_collects_what_is_not() -> None:
    kept = cycle()
    alive = kept()
    garbage = cycle()
    HeapSettler(warm_requests=10).tick(started=True, requests=0)
    assert gc.get_freeze_count() > 0
    assert garbage() is None, "an unreachable cycle was frozen instead of collected"
    assert kept() is alive


def test_objects_made_after_the_start_are_frozen_once_warm() -> None:
    settler = HeapSettler(warm_requests=10)
    settler.tick(started=True, requests=0)
    at_start = gc.get_freeze_count()
    later = [Node() for _ in range(1_000)]
    settler.tick(started=True, requests=9)
    assert gc.get_freeze_count() == at_start, "frozen before it was warm"
    garbage = cycle()
    settler.tick(started=True, requests=10)
    assert gc.get_freeze_count() >= at_start + len(later)
    assert garbage() is None


def test_a_warm_process_freezes_no_more() -> None:
    settler = HeapSettler(warm_requests=10)
    settler.tick(started=True, requests=10)
    settled = gc.get_freeze_count()
    more = [Node() for _ in range(1_000)]
    settler.tick(started=True, requests=5_000)
    assert gc.get_freeze_count() == settled
    assert len(more) == 1_000


async def frozen_at_least(count: int) -> None:
    """Wait, within a generous bound, until `count` objects are frozen."""
    async with asyncio.timeout(10):
        while gc.get_freeze_count() < count:  # noqa: ASYNC110  # a counter, no event to wait on
            await asyncio.sleep(0.01)


def test_the_server_beat_freezes_the_heap_and_tells_the_supervisor() -> None:
    """The worker's beat passes uvicorn's own request count to the settler and writes its
    heartbeat byte; it stops when the supervisor's end of the pipe is closed."""

    async def app(scope: object, receive: object, send: object) -> None:
        raise AssertionError("not served")

    server = uvicorn.Server(uvicorn.Config(app))
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    settler = HeapSettler(warm_requests=3)

    async def beating() -> None:
        task = asyncio.create_task(server_process._beat(server, write_end, settler))
        try:
            await asyncio.sleep(0)
            assert gc.get_freeze_count() == 0, "frozen before the application started"
            server.started = True
            await frozen_at_least(1)
            at_start = gc.get_freeze_count()
            later = [Node() for _ in range(1_000)]
            server.server_state.total_requests = 3
            await frozen_at_least(at_start + len(later))
            assert os.read(read_end, 16).startswith(b".")
            os.close(read_end)
            async with asyncio.timeout(10):
                await task
            assert server.should_exit
        finally:
            task.cancel()

    try:
        asyncio.run(beating())
    finally:
        os.close(write_end)
