"""Fixtures: one server per test session with two accounts to test isolation, the rule that
decides which tests the PostgreSQL pass runs, the order in which pytest-xdist hands out
the test files, and the cheap password hashes the suite's accounts get.

`server` is the application in this process (tests.support.app.AppServer) unless the module
is marked `live`: then it is a real `onstream serve` process (ServerProcess), for what only a
real process shows (PHP's cURL and Chromium talking to a socket). Accounts are made with the
service call `onstream user add` makes, in this process.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from argon2 import PasswordHasher

from onstream.users import passwords
from tests.support.app import AppServer
from tests.support.schema_template import migrated
from tests.support.server import Server, ServerProcess, database_url_for, free_port
from tests.support.smtp import SmtpServer

pytest_plugins = ["tests.support.child_coverage"]  # which tests measure their child processes

ALICE = ("alice", "alice-secret-1")
BOB = ("bob", "bob-secret-22")

SUITE_DATABASE = "new_database"
"""The fixture every test that runs on the suite's database uses (directly or through
`server`, `make_account`, ...). The PostgreSQL pass runs only those: the others (no database,
or a database of their own choice) do not depend on the pass and run once, on SQLite."""

BROWSER = "browser"
"""The fixture of the tests that drive Chromium (`tests.support.browser.browser`; some modules
name an HTTP client of their own so). What those tests assert is what a page shows and does;
the requests under it are the pages' and the API's, which their own tests run on PostgreSQL.
The PostgreSQL pass leaves them to the SQLite pass: they were a third of that pass's time."""

ANY_DATABASE = "any_database"
"""The marker of a module whose tests use the suite's database only to have a server to talk
to, while what they assert is the server's runtime (sockets, deadlines, worker processes),
the API's description or a client: it does not depend on the database, and the PostgreSQL
pass leaves it to the SQLite pass."""


def on_the_database(item: pytest.Item) -> bool:
    """Whether a test's outcome may depend on the suite's database, so that the PostgreSQL pass
    runs it."""
    fixtures = getattr(item, "fixturenames", ())
    return (
        SUITE_DATABASE in fixtures
        and not drives_chromium(item)
        and item.get_closest_marker(ANY_DATABASE) is None
    )


def drives_chromium(item: pytest.Item) -> bool:
    """Whether the test's `browser` is Chromium (the definition it gets is the nearest one)."""
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.get(BROWSER, ()) if info is not None else ()
    return bool(definitions) and definitions[-1].func.__module__ == "tests.support.browser"


def on_postgres() -> bool:
    return bool(os.environ.get("ONSTREAM_TEST_POSTGRES"))


def pytest_report_header(config: pytest.Config) -> str:
    if on_postgres():
        return (
            "database: PostgreSQL (ONSTREAM_TEST_POSTGRES); only tests whose outcome may "
            f"depend on the suite's database (fixture `{SUITE_DATABASE}`, no browser, not "
            f"`{ANY_DATABASE}`) run, the rest ran in the SQLite pass"
        )
    return "database: SQLite; every test runs"


_left_to_sqlite: list[int] = []
"""How many tests the PostgreSQL pass deselected (from each pytest-xdist worker)."""


LONGEST_FIRST = (
    "tests/apidocs/test_schemathesis.py",
    "tests/apidocs/test_generated_clients.py",
    "tests/users/test_tokens.py",
    "tests/cli/test_logs.py",
    "tests/cli/test_operator.py",
    "tests/media/test_media_copy.py",
    "tests/media/test_s3_serving.py",
    "tests/backup/test_backup.py",
    "tests/monitoring/test_metrics_workers.py",
    "tests/protocol/formats/test_properties.py",
    "tests/media/test_s3_recorder.py",
    "tests/web/account/test_media_browser.py",
    "tests/test_packaging.py",
    "tests/cli/test_errors.py",
    "tests/cli/test_disable_workers.py",
    "tests/mail/test_delivery.py",
    "tests/web/test_playback.py",
)
"""The test files that take longest (20-150 s each, measured with --durations), handed out
first. pytest-xdist (`--dist loadfile`) gives each worker whole files; by default it sorts them
by their number of tests, so a long file of one test (schemathesis: a few thousand generated
calls) came last and ran alone while the other worker idled for a minute and more. scripts/test
passes --no-loadscope-reorder, so the order set here is the order the files are handed out:
these first, then the rest by their number of tests, as before."""


def _longest_first(items: list[pytest.Item]) -> None:
    """Sort the items by file: the LONGEST_FIRST files in that order, then every other file
    by its number of tests, most first; the tests of a file keep their order."""
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    rank = {path: index for index, path in enumerate(LONGEST_FIRST)}
    order = sorted(files, key=lambda path: (rank.get(path, len(rank)), -len(files[path])))
    items[:] = [item for path in order for item in files[path]]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _longest_first(items)
    if not on_postgres():
        return
    kept = [item for item in items if on_the_database(item)]
    dropped = [item for item in items if not on_the_database(item)]
    config.hook.pytest_deselected(items=dropped)
    items[:] = kept
    _left_to_sqlite.append(len(dropped))
    workeroutput = getattr(config, "workeroutput", None)
    if workeroutput is not None:  # a pytest-xdist worker: tell the controller
        workeroutput["left_to_sqlite"] = len(dropped)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """pytest-xdist's controller hears from a worker that has finished."""
    output = getattr(node, "workeroutput", {})
    if "left_to_sqlite" in output:
        _left_to_sqlite.append(int(output["left_to_sqlite"]))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if on_postgres() and _left_to_sqlite:
        terminalreporter.write_line(
            f"PostgreSQL pass: {max(_left_to_sqlite)} tests deselected, which do not use the "
            f"suite's database (fixture `{SUITE_DATABASE}`), drive a browser (`{BROWSER}`) or "
            f"are marked `{ANY_DATABASE}`; they ran in the SQLite pass"
        )


TEST_HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
"""argon2id at its least cost (64 KiB, one pass: well under a millisecond) for the passwords
the tests hash in this process. The production parameters (`users.passwords`: 12 MiB, three
passes, about 25 ms of CPU by design) were the largest single cost of the suite: almost every
test makes an account (one hash) and signs in with it (one check), some 5,000 hashes and
checks over the two passes. A hash carries its parameters, so the servers, in this process or
not, check these cheaply and every other line runs as in production; the servers' own hashes
(`onstream user add` run as a command, the dummy hash of an unknown login) keep the
production parameters, which `tests/users/test_passwords.py` asserts."""


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """The passwords hashed in this process use TEST_HASHER for the whole session."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_hasher", TEST_HASHER)
        yield


@pytest.fixture(scope="session")
def new_database() -> Callable[[Path], str]:
    """Makes a fresh, empty database on the suite's database (SQLite, or PostgreSQL with
    ONSTREAM_TEST_POSTGRES) for a server working in the given directory."""
    return database_url_for


@pytest.fixture
def migrated_url(tmp_path: Path, new_database: Callable[[Path], str]) -> str:
    """A fresh database on the suite's database, migrated to the newest schema (migrations
    run their own event loop, so this fixture is not a coroutine)."""
    url = new_database(tmp_path)
    migrated(url)
    return url


@pytest.fixture(scope="session")
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) that the shared test server delivers to."""
    server = SmtpServer(free_port()).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app_server(
    tmp_path_factory: pytest.TempPathFactory,
    smtp: SmtpServer,
    new_database: Callable[[Path], str],
) -> Iterator[AppServer]:
    """The application, in this process, with accounts alice and bob, mailing to `smtp`."""
    workdir = tmp_path_factory.mktemp("app")
    app = AppServer(workdir=workdir, database_url=new_database(workdir), extra_env=smtp.env())
    app.start()
    for login, password in (ALICE, BOB):
        app.add_account(login, password)
    yield app
    app.close()


@pytest.fixture(scope="session")
def live_server(
    tmp_path_factory: pytest.TempPathFactory,
    smtp: SmtpServer,
    new_database: Callable[[Path], str],
) -> Iterator[ServerProcess]:
    """A running `onstream serve` with accounts alice and bob, mailing to `smtp`."""
    workdir = tmp_path_factory.mktemp("server")
    proc = ServerProcess(workdir=workdir, database_url=new_database(workdir), extra_env=smtp.env())
    for login, password in (ALICE, BOB):
        proc.add_account(login, password)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, new_database: Callable[[Path], str]) -> Server:
    """The module's server: the in-process application, or with `pytest.mark.live` on the
    module a real `onstream serve` process."""
    if request.node.get_closest_marker("live") is not None:
        return request.getfixturevalue("live_server")  # type: ignore[no-any-return]
    return request.getfixturevalue("app_server")  # type: ignore[no-any-return]


@pytest.fixture
def alice(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as alice, rooted at her API prefix."""
    with server.api_client(*ALICE) as client:
        yield client


@pytest.fixture
def bob(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client authenticated as bob, rooted at his API prefix."""
    with server.api_client(*BOB) as client:
        yield client


@pytest.fixture
def anon(server: Server) -> Iterator[httpx.Client]:
    """An HTTP client without credentials, rooted at the server."""
    with server.client() as client:
        yield client


@pytest.fixture
def anyio_backend() -> str:
    """Async tests run on asyncio, the loop the server uses."""
    return "asyncio"


MakeAccount = Callable[..., httpx.Client]

_account_numbers = itertools.count(1)


def new_account(
    server: Server, *, timezone: str = "UTC", dst: bool = False, phone_bridge: bool = False
) -> httpx.Client:
    """A fresh account `acctN` (password `acctN-password`) made as `onstream user add` makes
    it; returns a client for it, which the caller closes."""
    login = f"acct{next(_account_numbers)}"
    password = f"{login}-password"
    server.add_account(login, password, timezone=timezone, dst=dst, phone_bridge=phone_bridge)
    return server.api_client(login, password)


@pytest.fixture(scope="module")
def make_account(server: Server) -> Iterator[MakeAccount]:
    """Create a fresh account as the operator's command does; returns a client for it."""
    clients: list[httpx.Client] = []

    def make(**options: Any) -> httpx.Client:
        client = new_account(server, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
