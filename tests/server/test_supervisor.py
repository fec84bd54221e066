"""`onstream serve --workers N`'s supervisor: workers that die, hang or fail to start, signals.

The first tests run `Supervisor` in this process over small Python children that beat, stop
beating or exit as told, and signal this process from a thread as an operator would; the
last ones run `onstream serve --workers 2` and act on its real workers.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from tests.server.test_listeners import LISTEN, sockets_on
from tests.support.server import ServerProcess
from tests.support.waiting import wait_until

from onstream.server.supervisor import STARTUP_FAILURE, Supervisor

pytestmark = pytest.mark.any_database  # the supervisor and its processes are the point

WAIT_SECONDS = 60.0

CHILD = """
import os, sys, time
started, fd = sys.argv[1], int(sys.argv[-1])
behaviour = os.environ["CHILD_BEHAVIOUR"]
with open(started, "a") as f:
    f.write(f"{os.getpid()}\\n")
if behaviour == "fail-to-start":
    sys.exit(3)
beats = 3 if behaviour in ("die", "hang") else 10**9
for _ in range(beats):
    os.write(fd, b".")
    time.sleep(0.1)
if behaviour == "die":
    sys.exit(1)
time.sleep(3600)  # hang: alive, silent
"""


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ")[1][0] != "Z"


class Rig:
    """A supervisor over CHILD processes that note their pids in a file."""

    def __init__(
        self,
        tmp_path: Path,
        behaviour: str,
        monkeypatch: pytest.MonkeyPatch,
        stuck_seconds: float = 1.0,
    ) -> None:
        self.started = tmp_path / "started"
        self.started.touch()
        script = tmp_path / "child.py"
        script.write_text(CHILD)
        monkeypatch.setenv("CHILD_BEHAVIOUR", behaviour)
        self.supervisor = Supervisor(
            2,
            [sys.executable, str(script), str(self.started)],
            stuck_seconds=stuck_seconds,
            start_seconds=10.0,
            stop_seconds=10.0,
        )

    def pids(self) -> list[int]:
        return [int(line) for line in self.started.read_text().split()]

    def run(self, *steps: tuple[Callable[[], bool], int]) -> int:
        """Run the supervisor; for each step, once its condition holds, send this process its
        signal. Should a condition never hold, SIGTERM ends the run and the test fails."""
        missed: list[str] = []

        def operator() -> None:
            for condition, signum in steps:
                step = f"the step before {signal.Signals(signum).name}"
                try:
                    wait_until(condition, step, WAIT_SECONDS)
                except AssertionError:
                    missed.append(step)
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
                os.kill(os.getpid(), signum)

        thread = threading.Thread(target=operator, daemon=True)
        thread.start()
        code = self.supervisor.run()
        thread.join(WAIT_SECONDS)
        assert not missed, f"timed out waiting for {missed}"
        return code


@pytest.fixture
def rig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Rig]:
    return lambda behaviour, **limits: Rig(tmp_path, behaviour, monkeypatch, **limits)


def test_a_worker_that_fails_to_start_stops_the_server(rig: Callable[..., Rig]) -> None:
    started = time.monotonic()
    assert rig("fail-to-start").supervisor.run() == STARTUP_FAILURE
    # a loop would retry for ever; on a loaded machine a child may first be killed as stuck
    # (start_seconds) and its replacement fail, which takes ten seconds and more
    assert time.monotonic() - started < WAIT_SECONDS, "not retried in a loop"


def test_a_worker_that_dies_is_replaced_and_sigterm_stops_them_all(
    rig: Callable[..., Rig],
) -> None:
    r = rig("die")
    assert r.run((lambda: len(r.pids()) >= 4, signal.SIGTERM)) == 0
    assert not any(alive(pid) for pid in r.pids())


def test_a_worker_that_stops_beating_is_killed_and_replaced(rig: Callable[..., Rig]) -> None:
    r = rig("hang")
    assert r.run((lambda: len(r.pids()) >= 3, signal.SIGINT)) == 0
    first = r.pids()[0]
    assert not alive(first)
    assert not any(alive(pid) for pid in r.pids())


def test_sighup_replaces_every_worker_once_its_successor_beats(rig: Callable[..., Rig]) -> None:
    # No worker is taken for stuck here, however busy the machine: each is replaced once.
    r = rig("serve", stuck_seconds=WAIT_SECONDS)

    def replaced() -> bool:
        pids = r.pids()
        return len(pids) == 4 and not any(alive(pid) for pid in pids[:2])

    steps = [(lambda: len(r.pids()) == 2, signal.SIGHUP), (replaced, signal.SIGTERM)]
    assert r.run(*steps) == 0
    assert len(r.pids()) == 4, "two workers, each replaced once"
    assert not any(alive(pid) for pid in r.pids())


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


@pytest.mark.live
def test_serve_replaces_a_killed_worker_keeps_answering_and_stops_cleanly(
    tmp_path: Path, new_database: Callable[[Path], str]
) -> None:
    proc = ServerProcess(workdir=tmp_path, database_url=new_database(tmp_path))
    proc.start("--workers", "2")
    assert proc.process is not None
    supervisor = proc.process.pid

    def listening() -> int:
        return len(sockets_on(proc.port, LISTEN))

    try:
        wait_until(lambda: listening() == 2, "both workers to listen")
        first, second = children(supervisor)
        os.kill(first, signal.SIGKILL)
        wait_until(lambda: first not in children(supervisor), "the dead worker to be reaped")
        for _ in range(10):  # meanwhile the other one answers every new connection
            with httpx.Client(base_url=proc.base_url) as client:
                assert client.get("/health").status_code == 200
        wait_until(lambda: len(children(supervisor)) == 2, "a new worker")
        wait_until(lambda: listening() == 2, "the new worker to listen")
        assert second in children(supervisor)
        for _ in range(20):  # each new connection may land on either worker, the new one too
            with httpx.Client(base_url=proc.base_url) as client:
                assert client.get("/health").status_code == 200
        workers = children(supervisor)
        assert f"Child process [{first}] died (exit code -9)" in proc.log()
    finally:
        proc.stop()
    assert proc.process.returncode == 0
    assert not any(alive(pid) for pid in workers)


def test_serve_with_workers_on_a_port_in_use_says_so(
    tmp_path: Path, new_database: Callable[[Path], str]
) -> None:
    proc = ServerProcess(workdir=tmp_path, database_url=new_database(tmp_path))
    with socket.create_server(("127.0.0.1", 0)) as other:  # another program's, no SO_REUSEPORT
        port = other.getsockname()[1]
        taken = proc.cli("serve", "--port", str(port), "--workers", "2")
    assert taken.returncode == STARTUP_FAILURE
    assert f"cannot listen on 127.0.0.1:{port}: [Errno 98] Address already in use" in taken.stderr
    assert "Traceback" not in taken.stderr
