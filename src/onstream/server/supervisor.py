"""`onstream serve --workers N`: start N worker processes, keep them alive, stop them together.

Each worker is a plain child process, `python -m onstream.server.process`, that reads the
same environment, binds its own socket to the shared address (`onstream.server.listeners`)
and runs uvicorn. The supervisor imports only the standard library (`listeners` is no more)
and never loads the application, uvicorn or a database driver, so it stays the size of a
bare interpreter.
uvicorn's own `--workers` was used before: it starts its workers through multiprocessing's
`spawn`, which also starts multiprocessing's resource tracker, a third process of 12 MB
kept for the server's whole life to track semaphores nobody here makes, and its supervisor
imports uvicorn (30 MB). This one is about 23 MB, and there is no third process.

What it does, as uvicorn's does:

* a worker that exits is replaced, unless it failed while starting (uvicorn's exit code 3:
  the application or the database is broken and would fail the same way again): then every
  worker is stopped and `serve` exits with that code;
* a worker that stops answering is killed and replaced: each beats once a second on a pipe
  from its event loop once its application has started (`process`); no beat for
  `ONSTREAM_WORKER_TIMEOUT_SECONDS` (30), or no start within `START_SECONDS`, and it is
  replaced;
* SIGTERM or SIGINT stops every worker (SIGTERM: each finishes the requests it has, then
  exits; one still running after `STOP_SECONDS` is killed) and exits 0; SIGHUP replaces the
  workers one by one, each once its successor beats.
"""

from __future__ import annotations

import logging
import os
import selectors
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from types import FrameType
from typing import TYPE_CHECKING

from onstream.server import listeners

if TYPE_CHECKING:
    from onstream.config import Settings

log = logging.getLogger("onstream.serve")
uvicorn_log = logging.getLogger("uvicorn.error")
"""Where a single process's uvicorn says what address it serves, or why it cannot; the
supervisor says the same there in the same words."""

STARTUP_FAILURE = 3
"""uvicorn's exit code for a server whose start failed (`uvicorn.config.STARTUP_FAILURE`)."""
START_SECONDS = 120.0
STOP_SECONDS = 30.0
TICK_SECONDS = 0.2


def supervise(workers: int, settings: Settings, *, access_log: bool) -> int:
    """Hold the address, then run `workers` worker processes on it until stopped."""
    try:
        held = listeners.reserve(settings.host, settings.port)
    except OSError as exc:
        uvicorn_log.error("cannot listen on %s:%s: %s", settings.host, settings.port, exc)
        return STARTUP_FAILURE
    host, port = held.getsockname()[:2]
    # Worker processes build the app from the environment, so hand them these settings.
    os.environ["ONSTREAM_HOST"] = settings.host
    os.environ["ONSTREAM_PORT"] = str(port)
    uvicorn_log.info("Uvicorn running on http://%s:%d with %d workers", host, port, workers)
    argv = [sys.executable, "-m", "onstream.server.process"]
    if access_log:
        argv.append("--access-log")
    supervisor = Supervisor(workers, argv, stuck_seconds=settings.worker_timeout_seconds)
    try:
        return supervisor.run()
    finally:
        held.close()


@dataclass
class Worker:
    """One worker child and the read end of its heartbeat pipe."""

    process: subprocess.Popen[bytes]
    heartbeat: int
    started_at: float = field(default_factory=time.monotonic)
    last_beat: float | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    def silent(self, now: float, *, start_seconds: float, stuck_seconds: float) -> bool:
        """Whether a live worker is past its deadline without a beat."""
        if self.last_beat is None:
            return now - self.started_at > start_seconds
        return now - self.last_beat > stuck_seconds

    def close(self) -> None:
        os.close(self.heartbeat)


class Supervisor:
    """Runs `count` workers until a signal says stop (see the module docstring)."""

    def __init__(
        self,
        count: int,
        argv: list[str],
        *,
        stuck_seconds: float,
        start_seconds: float = START_SECONDS,
        stop_seconds: float = STOP_SECONDS,
    ) -> None:
        """`argv` starts one worker; `--heartbeat-fd FD` is added, the pipe it beats on."""
        self.count = count
        self.argv = argv
        self.stuck_seconds = stuck_seconds
        self.start_seconds = start_seconds
        self.stop_seconds = stop_seconds
        self.workers: list[Worker] = []
        self.selector = selectors.DefaultSelector()
        self.signals: list[int] = []
        self.exit_code: int | None = None

    def run(self) -> int:
        """Supervise until stopped; the exit code of `serve`."""
        handled = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
        before = {signum: signal.signal(signum, self._on_signal) for signum in handled}
        log.info("Started parent process [%d]", os.getpid())
        try:
            self.workers = [self._start() for _ in range(self.count)]
            while self.exit_code is None:
                self._tick()
        finally:
            self._stop_all()
            for signum, handler in before.items():
                signal.signal(signum, handler)
        log.info("Stopping parent process [%d]", os.getpid())
        return 0 if self.exit_code is None else self.exit_code

    def _stopping(self) -> bool:
        """Whether SIGTERM or SIGINT has arrived and waits to be acted on."""
        return any(signum != signal.SIGHUP for signum in self.signals)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self.signals.append(signum)

    def _start(self) -> Worker:
        read, write = os.pipe()
        process = subprocess.Popen(  # noqa: S603  # this interpreter, our own module
            [*self.argv, "--heartbeat-fd", str(write)], pass_fds=(write,)
        )
        os.close(write)
        worker = Worker(process, read)
        self.selector.register(read, selectors.EVENT_READ, worker)
        log.info("Started child process [%d]", process.pid)
        return worker

    def _tick(self) -> None:
        """Read the beats that arrived, then act on signals and on dead or silent workers."""
        self._read_beats()
        while self.signals and self.exit_code is None:
            if self.signals.pop(0) == signal.SIGHUP:
                self._replace_all()
            else:
                self.exit_code = 0
        if self.exit_code is None:
            self._keep_alive()

    def _read_beats(self) -> None:
        """Wait up to TICK_SECONDS for beats, and note each worker's latest."""
        for key, _ in self.selector.select(TICK_SECONDS):
            worker: Worker = key.data
            try:
                if os.read(worker.heartbeat, 4096):
                    worker.last_beat = time.monotonic()
            except BlockingIOError:
                pass

    def _keep_alive(self) -> None:
        now = time.monotonic()
        for index, worker in enumerate(self.workers):
            code = worker.process.poll()
            if code is None:
                limits = {"start_seconds": self.start_seconds, "stuck_seconds": self.stuck_seconds}
                if not worker.silent(now, **limits):
                    continue
                log.error("Child process [%d] stopped answering; killed", worker.pid)
                worker.process.kill()
                worker.process.wait()
            elif code == STARTUP_FAILURE and worker.last_beat is None:
                log.error("Child process [%d] failed to start; stopping", worker.pid)
                self.exit_code = STARTUP_FAILURE
                return
            else:
                log.warning("Child process [%d] died (exit code %s)", worker.pid, code)
            self._forget(worker)
            self.workers[index] = self._start()

    def _replace_all(self) -> None:
        """SIGHUP: each worker is replaced once its successor beats (the address is never
        left without a listener)."""
        for index, old in enumerate(list(self.workers)):
            new = self._start()
            deadline = time.monotonic() + self.start_seconds
            while new.last_beat is None and new.process.poll() is None:
                if time.monotonic() > deadline or self._stopping():
                    break
                self._read_beats()
            if new.last_beat is None:
                log.error("Child process [%d] did not start; keeping [%d]", new.pid, old.pid)
                self._stop([new])
                return
            self._stop([old])
            self.workers[index] = new

    def _stop_all(self) -> None:
        self._stop(self.workers)
        self.workers = []
        self.selector.close()

    def _stop(self, workers: list[Worker]) -> None:
        """SIGTERM, then wait up to `stop_seconds` for all of them together; kill the rest."""
        for worker in workers:
            if worker.process.poll() is None:
                worker.process.terminate()
        deadline = time.monotonic() + self.stop_seconds
        for worker in workers:
            try:
                worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("Child process [%d] did not stop in time; killed", worker.pid)
                worker.process.kill()
                worker.process.wait()
            self._forget(worker)

    def _forget(self, worker: Worker) -> None:
        if worker.heartbeat in self.selector.get_map():
            self.selector.unregister(worker.heartbeat)
            worker.close()
