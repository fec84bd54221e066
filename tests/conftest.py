"""Fixtures: one real server per test session, with two accounts to test isolation."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess, database_url_for, free_port
from tests.support.smtp import SmtpServer

ALICE = ("alice", "alice-secret-1")
BOB = ("bob", "bob-secret-22")


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) that the shared test server delivers to."""
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpServer) -> Iterator[ServerProcess]:
    """A running `onstream serve` with accounts alice and bob, mailing to `smtp`."""
    workdir: Path = tmp_path_factory.mktemp("server")
    proc = ServerProcess(
        workdir=workdir, database_url=database_url_for(workdir), extra_env=smtp.env()
    )
    for login, password in (ALICE, BOB):
        result = proc.cli(
            "user", "add", login, "--email", f"{login}@example.com", "--password", password
        )
        assert result.returncode == 0, result.stderr
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def alice(server: ServerProcess) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as alice, rooted at her API prefix."""
    with httpx.Client(base_url=f"{server.base_url}/api/2/alice/", auth=ALICE, timeout=10) as client:
        yield client


@pytest.fixture
def bob(server: ServerProcess) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as bob, rooted at his API prefix."""
    with httpx.Client(base_url=f"{server.base_url}/api/2/bob/", auth=BOB, timeout=10) as client:
        yield client


@pytest.fixture
def anon(server: ServerProcess) -> Iterator[httpx.Client]:
    """An HTTP client without credentials, rooted at the server."""
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio, the loop the server uses."""
    return "asyncio"


MakeAccount = Callable[..., httpx.Client]


@pytest.fixture(scope="session")
def make_account(server: ServerProcess) -> Iterator[MakeAccount]:
    """Create a fresh account with the operator's command; returns a client for it."""
    numbers = itertools.count(1)
    clients: list[httpx.Client] = []

    def make(
        *, timezone: str = "UTC", dst: bool = False, phone_bridge: bool = False
    ) -> httpx.Client:
        login = f"acct{next(numbers)}"
        password = f"{login}-password"
        args = ["user", "add", login, "--email", f"{login}@example.com", "--password", password]
        args += ["--timezone", timezone, "--dst", str(int(dst))]
        if phone_bridge:
            args.append("--phone-bridge")
        result = server.cli(*args)
        assert result.returncode == 0, result.stderr
        client = httpx.Client(
            base_url=f"{server.base_url}/api/2/{login}/", auth=(login, password), timeout=10
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
