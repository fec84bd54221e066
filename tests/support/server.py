"""Run the real server as a subprocess, the way an operator does, and talk to it over HTTP."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.support import postgres

STARTUP_SECONDS = 30.0


def free_port() -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def database_url_for(workdir: Path) -> str:
    """A fresh, empty database for one test server.

    SQLite by default (a file in the server's working directory); with
    `ONSTREAM_TEST_POSTGRES=postgresql://user@host:port` a new PostgreSQL database of its
    own, dropped when the test session ends.
    """
    admin = os.environ.get("ONSTREAM_TEST_POSTGRES")
    if not admin:
        return f"sqlite:///{workdir / 'onstream.db'}"
    return postgres.create_database(admin)


@dataclass
class ServerProcess:
    """One `onstream serve` process and the environment its commands share."""

    workdir: Path
    database_url: str
    port: int = field(default_factory=free_port)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    process: subprocess.Popen[str] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONSTREAM_")}
        env.update(
            ONSTREAM_DATABASE_URL=self.database_url,
            ONSTREAM_LOG_LEVEL="warning",
            # Every test talks from 127.0.0.1 and many answer wrong on purpose; the rate
            # limits have tests of their own (tests/security), so here they stay out of the way.
            ONSTREAM_RATE_LIMIT_ADDRESS="100000/minute",
            ONSTREAM_RATE_LIMIT_TARGET="100000/minute",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run `onstream ARGS` against this server's database."""
        return subprocess.run(
            [sys.executable, "-m", "onstream", *args],
            cwd=self.workdir,
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    def start(self, *args: str) -> ServerProcess:
        """Start serving and wait until /health answers."""
        with (self.workdir / "server.log").open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "onstream", "serve", "--port", str(self.port), *args],
                cwd=self.workdir,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.wait_healthy()
        return self

    def wait_healthy(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"server did not start within {STARTUP_SECONDS}s:\n{self.log()}")

    def log(self) -> str:
        path = self.workdir / "server.log"
        return path.read_text() if path.exists() else ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
