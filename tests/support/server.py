"""Onstream servers for the tests: the common interface, and a real `onstream serve` process.

`Server` is what the fixtures hand out: where the server is (`base_url`, `workdir`), its
database, clients for it, and the operator's side (`cli`, `run` for work in one transaction,
`add_account` with the code `onstream user add` runs). `ServerProcess` runs the real command
as a subprocess, for what only a real process shows (start-up, `--workers`, signals, PHP's
cURL, Chromium); `tests.support.app.AppServer` runs the same application in this process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from sqlalchemy.sql.base import Executable

from onstream.storage.database import Connection, open_database, transaction
from tests.support import postgres
from tests.support.loop import LoopThread
from tests.support.schema_template import migrated
from tests.support.waiting import wait_until

STARTUP_SECONDS = 120.0
"""Generous: on a loaded machine a server with coverage can take tens of seconds to start."""

T = TypeVar("T")
Work = Callable[[Connection], Awaitable[T]]
"""Database work for one transaction, as the CLI's commands do it."""


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


_loop: LoopThread | None = None


def database_loop() -> LoopThread:
    """The test process's own event loop, for database work beside a server process."""
    global _loop  # one loop per test process, made on first use
    if _loop is None:
        _loop = LoopThread("test-database")
    return _loop


@dataclass
class Server:
    """One Onstream server and the environment its commands share."""

    workdir: Path
    database_url: str
    port: int = field(default_factory=free_port)
    extra_env: Mapping[str, str] = field(default_factory=dict)
    _migrated: bool = field(default=False, init=False, repr=False)

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
            # Tests send nothing off the machine: a webhook (schemathesis registers random
            # URLs) reaches no public address; receivers are on loopback, allowed per test.
            ONSTREAM_WEBHOOK_PUBLIC="0",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.extra_env)
        return env

    def client(self, path: str = "", **options: Any) -> httpx.Client:
        """An HTTP client rooted at `base_url + path` (options as for httpx.Client). The
        bound is generous: a first login's argon2 check runs at the lowest CPU priority, and
        the suite keeps both cores busy."""
        options.setdefault("timeout", 30)
        return httpx.Client(base_url=self.base_url + path, **options)

    def get(self, url: str, **options: Any) -> httpx.Response:
        """GET an absolute URL of this server as a new visitor would (like `httpx.get`)."""
        return self.request("GET", url, **options)

    def post(self, url: str, **options: Any) -> httpx.Response:
        """POST to an absolute URL of this server as a new visitor would (like `httpx.post`)."""
        return self.request("POST", url, **options)

    def request(self, method: str, url: str, **options: Any) -> httpx.Response:
        """One request from a client of its own: no cookies, no connection kept."""
        with self.client() as client:
            return client.request(method, url, **options)

    def api_client(self, login: str, password: str) -> httpx.Client:
        """A client authenticated as `login`, rooted at its API prefix."""
        return self.client(f"/api/2/{login}/", auth=(login, password))

    def migrate(self) -> None:
        """Bring the schema up to date, as the server and every command do first."""
        if not self._migrated:
            migrated(self.database_url)
            self._migrated = True

    def run(self, work: Work[T], *, write: bool = True) -> T:
        """Run `work` in one transaction on this server's database (committed if it writes)."""
        self.migrate()

        async def go() -> T:
            database = open_database(self.database_url)
            try:
                async with transaction(database, write=write) as conn:
                    return await work(conn)
            finally:
                await database.dispose()

        return database_loop().run(go())

    def query(self, statement: Executable) -> list[dict[str, Any]]:
        """The rows of a read-only SQLAlchemy statement on this server's database."""

        async def rows(conn: Connection) -> list[dict[str, Any]]:
            return [dict(row._mapping) for row in await conn.execute(statement)]

        return self.run(rows, write=False)

    def add_account(
        self,
        login: str,
        password: str,
        *,
        email: str | None = None,
        timezone: str = "UTC",
        dst: bool = False,
        phone_bridge: bool = False,
    ) -> int:
        """What `onstream user add` does, without starting a process: the same service call."""
        from onstream.users import service

        return self.run(
            lambda conn: service.add_account(
                conn,
                login=login,
                email=email or f"{login}@example.com",
                password=password,
                timezone=timezone,
                dst=dst,
                phone_bridge=phone_bridge,
            )
        )

    def cli(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run `onstream ARGS` against this server's database, as its own process."""
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


@dataclass
class ServerProcess(Server):
    """One `onstream serve` process."""

    process: subprocess.Popen[str] | None = None

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
        try:
            wait_until(self.healthy, "the server to answer /health", STARTUP_SECONDS)
        except AssertionError:
            message = f"server did not start within {STARTUP_SECONDS}s:\n{self.log()}"
            raise RuntimeError(message) from None

    def healthy(self) -> bool:
        """Whether /health answers 200; a server that exited will never answer."""
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{self.log()}")
        try:
            return httpx.get(f"{self.base_url}/health", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

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
