"""Waiting for a condition, never for a fixed time: the one helper every test polls with.

A test that sleeps a fixed time either waits too long or, on a loaded machine, not long
enough; these poll the condition every few tens of milliseconds and fail with what was awaited
once a generous bound has passed.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

SECONDS = 30.0
"""The default bound: far above what any condition takes on an idle machine."""
POLL = 0.05


def wait_until(
    condition: Callable[[], T], what: str = "the condition", seconds: float = SECONDS
) -> T:
    """Call `condition` until it returns something truthy, and return that; fail after
    `seconds` naming `what`."""
    deadline = time.monotonic() + seconds
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {seconds} s waiting for {what}"
        time.sleep(POLL)


async def wait_until_async(
    condition: Callable[[], Awaitable[T]], what: str = "the condition", seconds: float = SECONDS
) -> T:
    """`wait_until` for a coroutine condition, polling without blocking the event loop."""
    deadline = time.monotonic() + seconds
    while True:
        value = await condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out after {seconds} s waiting for {what}"
        await asyncio.sleep(POLL)
