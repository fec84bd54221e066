"""Keep a Janus child running on one port: restarted when it dies, the port kept across runs.

    janus = JanusProcess(folder, http_port=remembered_port(folder / "port"))
    with JanusSupervisor(janus):
        ...  # Janus is started now, and again whenever it dies, on the same URL

Rooms are stored with their Janus's URL, so a Janus that comes back on another port leaves
every room opened before unreachable; a remembered port lets the rooms of an earlier run (and
of before a crash) be created again on the same server. A Janus that dies at once after
starting is restarted after a growing pause (1 s, doubling to 60 s; back to 1 s once it ran
for a minute), so a broken configuration does not make the machine spin.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Self

from onstream.janus.process import JanusProcess, JanusUnavailable, free_port

POLL_SECONDS = 0.2
"""How often the supervisor looks whether Janus still runs."""
FIRST_PAUSE_SECONDS = 1.0
LONGEST_PAUSE_SECONDS = 60.0
STABLE_SECONDS = 60.0
"""A Janus that ran this long counts as healthy: its next death restarts it at once."""

log = logging.getLogger("onstream.janus")


def remembered_port(path: Path, host: str = "127.0.0.1") -> int:
    """The port stored in `path` when it is free now, else a new free port, stored there."""
    with contextlib.suppress(OSError, ValueError):
        port = int(path.read_text(encoding="utf-8").strip())
        if _free(host, port):
            return port
        log.warning("janus port %d is taken; choosing another", port)
    port = free_port(host)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{port}\n", encoding="utf-8")
    return port


def _free(host: str, port: int) -> bool:
    if not 0 < port < 65536:
        return False
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


class JanusSupervisor:
    """Starts a `JanusProcess` and restarts it from a thread of its own whenever it exits.

    The thread lives as long as the supervision: Janus is started with a parent-death
    signal, which Linux sends when the *thread* that started it ends.
    """

    def __init__(self, janus: JanusProcess) -> None:
        self.janus = janus
        self.restarts = 0
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Start Janus (raising `JanusUnavailable` when it cannot run) and watch it."""
        self.janus.start()
        self._thread = threading.Thread(target=self._watch, name="janus-supervisor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching, then stop Janus."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.janus.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _watch(self) -> None:
        pause = FIRST_PAUSE_SECONDS
        started = time.monotonic()
        while not self._stopping.wait(POLL_SECONDS):
            if self.janus.running:
                if time.monotonic() - started >= STABLE_SECONDS:
                    pause = FIRST_PAUSE_SECONDS
                continue
            code = self.janus.stop()  # collects the exit code, closes the log
            log.warning("janus exited (code %s); starting it again in %g s", code, pause)
            if self._stopping.wait(pause):
                return
            pause = min(pause * 2, LONGEST_PAUSE_SECONDS)
            started = time.monotonic()
            try:
                self.janus.start()
            except JanusUnavailable as exc:
                log.warning("janus did not start again: %s", exc)
                continue
            self.restarts += 1
            log.warning("janus runs again on %s", self.janus.url)
