"""The one place a process checks passwords: a bounded pool at the lowest CPU priority.

An argon2 check costs about 25 ms of CPU by design (`users.passwords`), so a flood of
sign-ins, wrong API passwords or wrong current passwords on the settings page could take
the CPU from every other request. Every password check of the process (the API's Basic
credentials, the account center's sign-in, the settings page's current password) runs here,
and so does the hash of a new password set on the settings page (as costly, and repeatable
by anyone who knows their password):
on one thread at nice 19, so the event loop, at normal priority, takes the CPU whenever it
has work and the checks use what is left; and with at most `capacity` checks in hand (in
progress or waiting for the thread), beyond which a new one is refused at once with `Busy`
(503 and Retry-After) rather than queued for longer than any client waits. A process's
`/health` and the requests its credential cache answers therefore stay fast under any flood
of password checks (bench: "sign-in flood").
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from onstream.protocol.errors import Busy
from onstream.users.passwords import hash_password, verify_password

T = TypeVar("T")

CAPACITY = 64
"""Checks in hand per process: 64 checks of 25 ms is under two seconds of waiting for the last."""


class PasswordChecks:
    """Runs argon2 verifications off the event loop, bounded and at low priority."""

    def __init__(self, *, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._in_hand = 0
        self._thread = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="password-check", initializer=_lowest_priority
        )

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether the password matches the hash (a missing hash costs the same and says no);
        `Busy` at once when `capacity` checks are already in hand."""
        return await self._run(verify_password, password_hash, password)

    async def hash(self, password: str) -> str:
        """A new argon2id hash of `password`, made in the pool like a check; `Busy` at once
        when `capacity` checks are already in hand."""
        return await self._run(hash_password, password)

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        if self._in_hand >= self._capacity:
            raise Busy("Too many passwords are being checked; retry in a moment")
        loop = asyncio.get_running_loop()
        check = loop.run_in_executor(self._thread, work, *args)
        self._in_hand += 1
        check.add_done_callback(self._done)
        # shield: a client that hangs up does not cancel the check, which keeps its place
        # until the thread is done with it.
        return await asyncio.shield(check)

    def _done(self, _check: asyncio.Future[Any]) -> None:
        self._in_hand -= 1

    @property
    def in_hand(self) -> int:
        """Checks running or waiting now."""
        return self._in_hand

    def close(self) -> None:
        """Stop the thread (the application's shutdown)."""
        self._thread.shutdown(wait=False, cancel_futures=True)


def _lowest_priority() -> None:
    """Run this thread at nice 19, so that password checks get only CPU the loop leaves.

    On Linux, setpriority on a thread id sets that one thread's nice value; elsewhere it is
    skipped (the checks then run at normal priority)."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
