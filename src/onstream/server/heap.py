"""Short full collections in a server process: what start-up and warm-up made is frozen.

CPython's collector walks every object it tracks on a full (generation 2) collection, and
it runs one whenever the objects that moved into generation 2 since the last reach a
quarter of it. In a server those are mostly the objects of requests in flight at a young
collection, so under steady load a worker collects in full every few seconds. The stack a
worker has loaded (Starlette, SQLAlchemy, uvicorn, our modules, the statements it has
prepared) is about 80,000 objects, and walking them takes 40-60 ms on a two-core server:
every request that arrives meanwhile waits, which was the whole of the 99th percentile of
a page of sessions at half its rate (docs/benchmarks.md, "What the numbers say").

`gc.freeze()` moves every object tracked at that moment into a generation the collector
never walks, so later full collections cost what requests leave behind (under a
millisecond). A worker freezes twice: when its application has started, and once it has
answered its first `WARM_REQUESTS` requests, by which time the modules imported on first
use, the prepared statements and the caches of the hot paths exist. A full collection
runs just before each freeze, so no unreachable cycle is frozen: an object frozen while
alive is still freed when its last reference goes; only a cycle that becomes garbage
after the freeze out of objects frozen alive (a request that was in flight at that
moment) stays, once.
"""

from __future__ import annotations

import gc

WARM_REQUESTS = 1_000
"""Requests a worker answers before its second freeze: each hot path has run by then."""


class HeapSettler:
    """Freezes a server process's heap when its application has started and when it is warm.

    `tick` is called from the process's event loop (once a second, beside the heartbeat)
    with what uvicorn knows: whether the application has started and how many requests
    the process has read."""

    def __init__(self, warm_requests: int = WARM_REQUESTS) -> None:
        self._warm_requests = warm_requests
        self._started = False
        self._warm = False

    def tick(self, *, started: bool, requests: int) -> None:
        if not self._started and started:
            self._started = True
            settle()
        if self._started and not self._warm and requests >= self._warm_requests:
            self._warm = True
            settle()


def settle() -> None:
    """Collect every unreachable cycle, then freeze all that is left."""
    gc.collect()
    gc.freeze()
