"""Server processes: `onstream serve` exactly as an operator runs it, and uvicorn for the
bench-only apps with the same options (no access log, no Server header, same workers).

Every process is started in a session of its own, so `stop()` can end the whole tree it
started (the uvicorn supervisor and its workers) and nothing else.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.config import REPO

STARTUP_SECONDS = 120.0
STOP_SECONDS = 20.0


def free_port() -> int:
    """A loopback TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_env(database_url: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a server: ours without ONSTREAM_*, plus the database and quiet logs.

    The limits on failed logins are set out of reach: every client of the bench, the paced
    wrong passwords of G2 included, talks from 127.0.0.1, and with the default limits that
    address is refused (429) for every uncached login once G2 has sent a few wrong
    passwords, the bench's own good traffic too, as soon as its cached credentials expire.
    G2 measures what wrong passwords cost the cached requests beside them (their argon2
    checks); the limits have tests of their own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONSTREAM_")}
    env.update(
        ONSTREAM_DATABASE_URL=database_url,
        ONSTREAM_LOG_LEVEL="warning",
        ONSTREAM_RATE_LIMIT_ADDRESS="1000000/minute",
        ONSTREAM_RATE_LIMIT_TARGET="1000000/minute",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra or {})
    return env


def onstream_argv(port: int, workers: int) -> list[str]:
    """`onstream serve`, as the operator types it."""
    return [
        sys.executable,
        "-m",
        "onstream",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def served_like_onstream_argv(factory: str, port: int, workers: int) -> list[str]:
    """A bench app served as `onstream serve` serves the real one (`bench.serve_app`)."""
    return [
        *[sys.executable, "-m", "bench.serve_app", factory],
        *["--port", str(port), "--workers", str(workers)],
    ]


def uvicorn_argv(factory: str, port: int, workers: int) -> list[str]:
    """uvicorn with the options `onstream serve` passes (`onstream.server.process`)."""
    return [
        *[sys.executable, "-m", "uvicorn", factory, "--factory", "--app-dir", str(REPO)],
        *["--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
        *["--no-access-log", "--no-server-header", "--log-level", "warning"],
    ]


@dataclass
class Server:
    """One server process tree on a loopback port."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    workdir: Path
    health_path: str = "/health"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self) -> Server:
        """Start and wait until the health path answers 200."""
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603  # our own command line
                self.argv,
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")
            try:
                if httpx.get(self.base_url + self.health_path, timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer within {STARTUP_SECONDS}s")

    def pids(self) -> list[int]:
        """The main process and all its descendants, alive right now."""
        if self.process is None or self.process.poll() is not None:
            return []
        return process_tree(self.process.pid)

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the main process (uvicorn stops its workers), SIGKILL the group if stuck."""
        proc = self.process
        if proc is None:
            return
        self.process = None
        group = proc.pid  # start_new_session: the process group id is the pid
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
                proc.wait(timeout=STOP_SECONDS)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)  # a worker left behind by its supervisor


def process_tree(root: int) -> list[int]:
    """`root` and its descendants, from the parent pids in /proc/*/stat."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found
