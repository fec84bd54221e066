"""A server process freezes its heap when its application has started and once it is warm
(`onstream.server.heap`), so that the collector's full passes walk only what requests leave
behind; garbage that exists at a freeze is collected first, never frozen."""

from __future__ import annotations

import asyncio
import gc
import os
import weakref
from collections.abc import Callable, Iterator

import pytest
import uvicorn
from tests.support.waiting import wait_until_async

from onstream.server import process
from onstream.server.heap import HeapSettler


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


def frozen(objects: list[Node]) -> bool:
    """Whether the collector no longer walks these objects: tracked, yet in no generation.
    (The frozen count itself falls whenever a frozen object dies, so it is no measure.)"""
    walked = {id(o) for o in gc.get_objects()}
    return all(gc.is_tracked(o) and id(o) not in walked for o in objects)


def walked(objects: list[Node]) -> bool:
    """Whether the collector still walks every one of these objects."""
    ids = {id(o) for o in gc.get_objects()}
    return all(id(o) in ids for o in objects)


def test_objects_made_after_the_start_are_frozen_once_warm() -> None:
    settler = HeapSettler(warm_requests=10)
    settler.tick(started=True, requests=0)
    later = [Node() for _ in range(1_000)]
    settler.tick(started=True, requests=9)
    assert walked(later), "frozen before it was warm"
    garbage = cycle()
    settler.tick(started=True, requests=10)
    assert frozen(later)
    assert garbage() is None


def test_a_warm_process_freezes_no_more() -> None:
    settler = HeapSettler(warm_requests=10)
    settler.tick(started=True, requests=10)
    more = [Node() for _ in range(1_000)]
    settler.tick(started=True, requests=5_000)
    assert walked(more)


async def until(condition: Callable[[], bool]) -> None:
    """Wait, within a generous bound, until the condition holds; the collector's state, no
    event to wait on, so it is polled without stopping the server's loop."""

    async def holds() -> bool:
        return condition()

    await wait_until_async(holds, "the heap to be frozen", 10)


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
        task = asyncio.create_task(process._beat(server, write_end, settler))
        try:
            await asyncio.sleep(0)
            assert gc.get_freeze_count() == 0, "frozen before the application started"
            server.started = True
            await until(lambda: gc.get_freeze_count() > 0)
            later = [Node() for _ in range(1_000)]
            assert walked(later)
            server.server_state.total_requests = 3
            await until(lambda: frozen(later))
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
