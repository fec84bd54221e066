"""Deliveries connect only to allowed addresses, checked on the address actually connected to,
keep the URL's name for the Host header, SNI and the certificate, follow no redirect, and
tell what went wrong as a category (never an exception's text).

The webhooks here are written as they were before the rule (registration would refuse their
loopback URLs): what must stop them is the check at delivery.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest

from onstream.storage.database import Connection, Database, open_database, transaction
from onstream.storage.migrate import upgrade
from onstream.users import repository as accounts
from onstream.users.service import add_account
from onstream.webhooks import outbox, repository, service, transport
from onstream.webhooks.models import WebhookInput
from onstream.webhooks.targets import Network, Refused, Unresolved
from onstream.webhooks.worker import WebhookWorker
from tests.conftest import MakeAccount
from tests.support.api import ok, rest
from tests.support.receiver import Receiver
from tests.support.server import Server
from tests.support.waiting import wait_until, wait_until_async

pytestmark = pytest.mark.anyio

LOOPBACK = (ip_network("127.0.0.0/8"),)


@pytest.fixture
def database_url(tmp_path: Path, new_database: Callable[[Path], str]) -> str:
    url = new_database(tmp_path)
    upgrade(url)  # outside the test's event loop: Alembic runs one of its own
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = open_database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made: list[Receiver] = []
    yield made
    for receiver in made:
        receiver.stop()


@dataclass
class Outcome:
    """What the account sees of its webhook after a worker tried its one event."""

    status: str
    last_error: str | None
    deliveries: list[tuple[str, str | None]]
    """(status, last_error) of each delivery."""


async def stored(database: Database, url: str) -> tuple[int, int]:
    """A webhook on `url` written straight to the database, with one event to deliver;
    its account's id and its id."""
    login = f"hooks{next(_logins)}"
    async with transaction(database, write=True) as conn:
        await add_account(conn, login=login, email=f"{login}@example.com", password="pass-word-1")
        owner = await accounts.account_by_login(conn, login)
        assert owner is not None
        hook = WebhookInput(url=url, events="session.updated")
        hook_id, _ = await service.add(conn, owner, hook)
        await outbox.emit(conn, owner, "session.updated", "session:1", {"id": 1})
    return owner.id, hook_id


_logins = itertools.count(1)


async def outcome(database: Database, account_id: int, hook_id: int) -> Outcome:
    async with transaction(database, write=False) as conn:
        found = await repository.by_id(conn, account_id=account_id, webhook_id=hook_id)
        rows = await repository.deliveries_page(
            conn,
            account_id=account_id,
            webhook_id=hook_id,
            status=None,
            count=10,
            offset=0,
            descending=False,
        )
    assert found is not None
    deliveries = [(row["status"], row["last_error"]) for row in rows]
    return Outcome(found["status"], found["last_error"], deliveries)


async def attempt(
    database: Database,
    url: str,
    *,
    networks: tuple[Network, ...] = (),
    ssl_context: ssl.SSLContext | None = None,
    deadline: float = 10.0,
) -> Outcome:
    """Store a webhook on `url` and let a worker try its event once (or deliver it)."""
    account_id, hook_id = await stored(database, url)
    worker = WebhookWorker(
        database=database,
        poll_seconds=0.05,
        timeout_seconds=deadline,
        allowed_networks=networks,
        ssl_context=ssl_context,
    )
    task = asyncio.create_task(worker.run())

    async def tried() -> Outcome | None:
        seen = await outcome(database, account_id, hook_id)
        return seen if seen.status == "failing" or seen.deliveries[0][0] == "delivered" else None

    try:
        return await wait_until_async(tried, "the delivery to be tried", 60)
    finally:
        worker.stop()
        await task


async def test_a_loopback_receiver_gets_nothing_unless_its_network_is_allowed(
    database: Database, receivers: list[Receiver]
) -> None:
    receivers.append(receiver := Receiver().start())
    refused = await attempt(database, receiver.url)
    assert refused.status == "failing"
    assert refused.last_error == "address not allowed"
    assert refused.deliveries == [("pending", "address not allowed")]
    assert receiver.requests == 0
    allowed = await attempt(database, receiver.url, networks=LOOPBACK)
    assert allowed.deliveries == [("delivered", None)]
    assert len(receiver.received) == 1


async def test_a_name_is_judged_by_the_address_it_resolves_to(
    database: Database, receivers: list[Receiver]
) -> None:
    receivers.append(receiver := Receiver(host="localhost").start())
    refused = await attempt(database, receiver.url)
    assert refused.last_error == "address not allowed"
    assert receiver.requests == 0
    allowed = await attempt(database, receiver.url, networks=LOOPBACK)
    assert allowed.deliveries == [("delivered", None)]
    assert [r.host for r in receiver.received] == [f"localhost:{receiver.port}"]


async def test_a_name_is_resolved_once_and_the_checked_address_is_the_one_connected_to(
    database: Database, receivers: list[Receiver], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the attacker's DNS server answers an allowed address to the first
    lookup and loopback to any later one. The system resolver is given such a server's
    answers for one name (every lookup in the process goes through `socket.getaddrinfo`,
    the check's and any a connection might make)."""
    receivers.append(receiver := Receiver(host="rebind.test").start())  # on 127.0.0.1
    answers, lookups = ["127.0.0.2", "127.0.0.1"], []
    system = socket.getaddrinfo

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host in ("rebind.test", b"rebind.test"):
            lookups.append(answers[min(len(lookups), 1)])
            return system(lookups[-1], port, *args, **kwargs)
        return system(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    allowed = (ip_network("127.0.0.2/32"),)  # nothing listens there
    seen = await attempt(database, receiver.url, networks=allowed)
    assert lookups == ["127.0.0.2"]
    assert seen.last_error == "connection refused"
    assert receiver.requests == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433:{port}/hook",
        "http://127.1:{port}/hook",
        "http://0x7f.0.0.1:{port}/hook",
        "http://[::ffff:127.0.0.1]:{port}/hook",
    ],
)
async def test_every_spelling_of_loopback_is_stopped_at_delivery(
    database: Database, receivers: list[Receiver], url: str
) -> None:
    receivers.append(receiver := Receiver().start())
    refused = await attempt(database, url.format(port=receiver.port))
    assert refused.last_error == "address not allowed"
    assert receiver.requests == 0


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for the name `localhost` only, and its key."""
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def tls_receiver(certificate: tuple[Path, Path], host: str) -> Receiver:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return Receiver(tls=context, host=host).start()


async def test_tls_is_verified_for_the_urls_name_while_connecting_to_the_checked_address(
    database: Database, receivers: list[Receiver], certificate: tuple[Path, Path]
) -> None:
    trusting = ssl.create_default_context(cafile=str(certificate[0]))
    receivers.append(by_name := tls_receiver(certificate, "localhost"))
    named = await attempt(database, by_name.url, networks=LOOPBACK, ssl_context=trusting)
    assert named.deliveries == [("delivered", None)]
    assert by_name.server_names == ["localhost"]
    assert [r.host for r in by_name.received] == [f"localhost:{by_name.port}"]
    receivers.append(by_address := tls_receiver(certificate, "127.0.0.1"))
    mismatch = await attempt(database, by_address.url, networks=LOOPBACK, ssl_context=trusting)
    assert mismatch.last_error == "TLS failure"
    assert by_address.received == []
    untrusted = await attempt(database, by_name.url, networks=LOOPBACK)
    assert untrusted.last_error == "TLS failure"
    assert len(by_name.received) == 1


@pytest.mark.parametrize(
    ("make", "url", "deadline", "expected"),
    [
        pytest.param(lambda: Receiver(), "{url}", 10.0, "connection refused", id="refused"),
        pytest.param(lambda: Receiver(delay=5).start(), "{url}", 0.5, "timed out", id="timeout"),
        pytest.param(
            lambda: Receiver(failures=9).start(), "{url}", 10.0, "HTTP status 500", id="500"
        ),
        pytest.param(
            lambda: Receiver(hang_ups=9).start(),
            "{url}",
            10.0,
            "connection lost before an answer",
            id="hang-up",
        ),
        pytest.param(
            lambda: Receiver().start(),
            "https://127.0.0.1:{port}/hook",
            10.0,
            "TLS failure",
            id="tls-to-plain-http",
        ),
    ],
)
async def test_last_error_names_a_category_and_nothing_more(
    database: Database,
    receivers: list[Receiver],
    make: Callable[[], Receiver],
    url: str,
    deadline: float,
    expected: str,
) -> None:
    receivers.append(receiver := make())
    target = url.format(url=receiver.url, port=receiver.port)
    seen = await attempt(database, target, networks=LOOPBACK, deadline=deadline)
    assert seen.status == "failing"
    assert seen.last_error == expected
    assert seen.deliveries == [("pending", expected)]


async def test_a_redirect_is_not_followed(database: Database, receivers: list[Receiver]) -> None:
    receivers.append(elsewhere := Receiver().start())
    receivers.append(redirecting := Receiver(redirect=elsewhere.url).start())
    seen = await attempt(database, redirecting.url, networks=LOOPBACK)
    assert seen.last_error == "HTTP status 302"
    assert redirecting.requests == 1
    assert elsewhere.requests == 0


def test_a_name_without_an_address_is_a_dns_failure() -> None:
    """(Resolving a name that does not exist would send a query off this machine.)"""
    assert transport.failure_category(Unresolved("hooks.invalid")) == "DNS failure"
    assert transport.failure_category(Refused("localhost")) == "address not allowed"
    assert transport.failure_category(ValueError("odd")) == "delivery failed"


def test_a_webhook_stored_before_the_rule_is_not_delivered_by_the_server(
    server: Server, make_account: MakeAccount, receivers: list[Receiver]
) -> None:
    """The suite's server allows no private network: the event waits, failing."""
    client = make_account()
    login = client.base_url.path.split("/")[3]
    receivers.append(receiver := Receiver().start())

    async def store(conn: Connection) -> int:
        owner = await accounts.account_by_login(conn, login)
        assert owner is not None
        hook = WebhookInput(url=receiver.url, events="session.created")
        return (await service.add(conn, owner, hook))[0]

    hook_id = server.run(store)
    session = {"topic": "Inside", "start_time": "2030-07-10 18:00", "duration": 30}
    ok(rest(client, "PUT", "session", session), 201)
    path = f"webhook/id/{hook_id}/format/json"

    def failing() -> dict[str, Any] | None:
        shown: dict[str, Any] = ok(client.get(path))["webhooks"][0]
        return shown if shown["status"] == "failing" else None

    shown = wait_until(failing, "the delivery to be tried", 60)
    assert shown["last_error"] == "address not allowed"
    (delivery,) = ok(client.get(f"webhook_deliveries/webhook_id/{hook_id}/format/json"))[
        "webhook_deliveries"
    ]
    assert (delivery["status"], delivery["last_error"]) == ("pending", "address not allowed")
    assert receiver.requests == 0
