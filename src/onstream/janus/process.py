"""Janus as a child process with a configuration folder of its own.

    with JanusProcess(workdir, admin_key=key) as janus:
        ...  # janus.url == "http://127.0.0.1:<port>/janus", janus.ws_url == "ws://127.0.0.1:<port>"

`start()` writes the config (see `onstream.janus.config`), runs `janus -F <dir>` in the
foreground with its output in `<dir>/janus.log`, and returns once `GET /janus/info`
answers (Janus needs 0.1-0.4 s). `stop()` sends SIGTERM (Janus says "Bye!" and exits within
a second) and SIGKILL after 5 s. The calls block, so the command line and pytest fixtures use
them directly; async code can run them in a thread.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import functools
import http.client
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from onstream.janus.config import write_janus_config

READY_SECONDS = 10.0
STOP_SECONDS = 5.0
LOG_NAME = "janus.log"
LOG_TAIL_LINES = 20


class JanusUnavailable(Exception):
    """Janus cannot be used: not installed, did not start, or does not answer."""


class JanusNotInstalled(JanusUnavailable):
    """No `janus` program on PATH."""


class JanusDidNotStart(JanusUnavailable):
    """Janus exited or did not answer in time; the message ends with its last log lines."""


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (another process may take it before Janus)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


class JanusProcess:
    """One Janus server: its config folder, its child process, its API URL.

    Everything the server needs goes in `directory`: the `.jcfg` files, `janus.log`, and
    `recordings/` unless `recordings_dir` says otherwise. Without `http_port` (or `ws_port`,
    the WebSocket transport's) a free port is picked once, so `restart()` keeps the URLs.
    Without `admin_key` a random one is made.
    """

    def __init__(
        self,
        directory: Path,
        *,
        http_port: int | None = None,
        ws_port: int | None = None,
        http_ip: str = "127.0.0.1",
        admin_key: str | None = None,
        recordings_dir: Path | None = None,
        rtp_ports: tuple[int, int] = (20000, 20999),
        session_timeout: int = 60,
        ice_enforce_list: str | None = None,
        event_loops: int | None = None,
        binary: str = "janus",
        ready_seconds: float = READY_SECONDS,
    ) -> None:
        self.directory = directory.resolve()
        self.http_ip = http_ip
        self.http_port = http_port if http_port is not None else free_port(http_ip)
        self.ws_port = ws_port if ws_port is not None else free_port(http_ip)
        self.admin_key = admin_key or secrets.token_urlsafe(24)
        self.recordings_dir = recordings_dir or self.directory / "recordings"
        self.rtp_ports = rtp_ports
        self.session_timeout = session_timeout
        self.ice_enforce_list = ice_enforce_list
        self.event_loops = event_loops
        self.binary = binary
        self.ready_seconds = ready_seconds
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        """The Janus API root, e.g. `http://127.0.0.1:8188/janus`."""
        return f"http://{self.http_ip}:{self.http_port}/janus"

    @property
    def ws_url(self) -> str:
        """The WebSocket transport's address, e.g. `ws://127.0.0.1:8188`."""
        return f"ws://{self.http_ip}:{self.ws_port}"

    @property
    def log_path(self) -> Path:
        """Janus' stdout and stderr (appended to across restarts)."""
        return self.directory / LOG_NAME

    @property
    def pid(self) -> int | None:
        """The child's process id while it was started and not stopped."""
        return None if self._process is None else self._process.pid

    @property
    def running(self) -> bool:
        """Whether the child process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Write the config, start Janus and wait until its API answers.

        Raises JanusNotInstalled when there is no `janus` program, JanusDidNotStart when it
        exits or stays silent for `ready_seconds` (it is then stopped).
        """
        if self.running:
            return self
        program = shutil.which(self.binary)
        if program is None:
            raise JanusNotInstalled(
                f"{self.binary!r} was not found on PATH: install the Debian package janus "
                "(scripts/system-deps does)"
            )
        self.write_config()
        _libc()  # loaded here, not in the child (see `_die_with_parent`)
        self._log = self.log_path.open("ab")
        self._process = subprocess.Popen(  # noqa: S603  # our own argument list, no shell
            [program, "-F", str(self.directory), "--disable-colors"],
            cwd=self.directory,  # where a core file would land (Janus can crash at exit)
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # one prctl call, no locks taken
        )
        try:
            self._wait_ready(self._process)
        except JanusDidNotStart:
            self.stop()
            raise
        return self

    def write_config(self) -> None:
        """Write the `.jcfg` files into `directory` (start() does it every time)."""
        write_janus_config(
            self.directory,
            http_port=self.http_port,
            http_ip=self.http_ip,
            ws_port=self.ws_port,
            admin_key=self.admin_key,
            recordings_dir=self.recordings_dir,
            rtp_ports=self.rtp_ports,
            session_timeout=self.session_timeout,
            ice_enforce_list=self.ice_enforce_list,
            event_loops=self.event_loops,
        )

    def stop(self) -> int | None:
        """Stop Janus (SIGTERM, SIGKILL after 5 s); its exit code, None if it was not running."""
        process, self._process = self._process, None
        code = None
        if process is not None:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(STOP_SECONDS)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            code = process.returncode
        if self._log is not None:
            self._log.close()
            self._log = None
        return code

    def restart(self) -> Self:
        """Stop and start again on the same port: every session and room is gone after it."""
        self.stop()
        return self.start()

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines Janus wrote, to explain a failure."""
        if not self.log_path.is_file():
            return ""
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _wait_ready(self, process: subprocess.Popen[bytes]) -> None:
        deadline = time.monotonic() + self.ready_seconds
        while time.monotonic() < deadline:
            code = process.poll()
            if code is not None:
                raise JanusDidNotStart(self._failure(f"Janus exited with code {code}"))
            if self._answers():
                return
            time.sleep(0.05)
        raise JanusDidNotStart(
            self._failure(f"Janus did not answer on {self.url} within {self.ready_seconds:g} s")
        )

    def _answers(self) -> bool:
        connection = http.client.HTTPConnection(self.http_ip, self.http_port, timeout=1.0)
        try:
            connection.request("GET", "/janus/info")
            return connection.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            connection.close()

    def _failure(self, what: str) -> str:
        tail = self.log_tail()
        return f"{what}; last lines of {self.log_path}:\n{tail}" if tail else what


def _die_with_parent() -> None:
    """In the child, before `janus` runs: ask Linux to send it SIGTERM when the process that
    started it dies. uvicorn ends `onstream serve` on SIGTERM by raising that signal again
    once it has shut down, which skips every `finally`; without this, Janus would live on.
    Only the prctl call runs here: libc was loaded in the parent (`_libc`), since loading a
    library between fork and exec can deadlock when other threads run (the supervisor's)."""
    libc = _libc()
    if libc is not None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@functools.cache
def _libc() -> ctypes.CDLL | None:
    with contextlib.suppress(OSError, AttributeError):
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return None


PR_SET_PDEATHSIG = 1
