"""Several webhook workers on one database: leases keep them from delivering one event twice,
and a worker killed mid-delivery loses nothing (its lease runs out, another delivers)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterator
from ipaddress import ip_network
from pathlib import Path

import pytest

from onstream.accounts import Account
from onstream.clock import utcnow
from onstream.meetings import service as meetings
from onstream.sessions import service as sessions
from onstream.sessions.models import SessionInput
from onstream.storage.database import Database, open_database, transaction
from onstream.storage.migrate import upgrade
from onstream.users import repository as accounts
from onstream.users.service import add_account
from onstream.webhooks import outbox, repository, service
from onstream.webhooks.models import WebhookInput
from onstream.webhooks.worker import WebhookWorker
from tests.support.clock import Clock
from tests.support.receiver import Receiver, verify
from tests.support.waiting import wait_until_async

pytestmark = pytest.mark.anyio

LOOPBACK = (ip_network("127.0.0.0/8"),)
"""The receivers' network, which the workers must be allowed to reach."""


@pytest.fixture
def database_url(tmp_path: Path, new_database: Callable[[Path], str]) -> str:
    url = new_database(tmp_path)
    upgrade(url)
    return url


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    database = open_database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver().start()
    yield made
    made.stop()


async def subscribed(database: Database, url: str) -> tuple[Account, str]:
    async with transaction(database, write=True) as conn:
        await add_account(conn, login="hooks", email="h@example.com", password="hooks-pass-1")
        owner = await accounts.account_by_login(conn, "hooks")
        assert owner is not None
        hook = WebhookInput(url=url, events="session.updated")
        _, secret = await service.add(conn, owner, hook)
    return owner, secret


async def emit(database: Database, owner: Account, objects: int, each: int) -> None:
    for n in range(each):
        async with transaction(database, write=True) as conn:
            for key in range(objects):
                data = {"object": key, "n": n}
                await outbox.emit(conn, owner, "session.updated", f"session:{key}", data)


async def until(condition: Callable[[], bool], bound: float = 60) -> None:
    """Wait for `condition` while the workers run on this event loop."""

    async def holds() -> bool:
        return condition()

    await wait_until_async(holds, "the condition to come true", bound)


def in_order(receiver: Receiver, objects: int, each: int) -> None:
    for key in range(objects):
        seen = [e["data"]["n"] for e in receiver.events() if e["data"]["object"] == key]
        assert seen == list(range(each))


async def test_three_workers_deliver_each_event_once_in_order(
    database: Database, receiver: Receiver
) -> None:
    owner, secret = await subscribed(database, receiver.url)
    await emit(database, owner, objects=12, each=5)
    workers = [
        WebhookWorker(database=database, poll_seconds=0.05, allowed_networks=LOOPBACK)
        for _ in range(3)
    ]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        await until(lambda: len(receiver.received) >= 60)
    finally:
        for worker in workers:
            worker.stop()
        await asyncio.gather(*tasks)
    assert len(receiver.received) == 60
    assert len({e["id"] for e in receiver.events()}) == 60
    assert all(verify(secret, r.signature, r.body) for r in receiver.received)
    in_order(receiver, objects=12, each=5)


async def test_a_worker_killed_mid_delivery_loses_nothing(
    database: Database, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock().install(monkeypatch)
    owner, _ = await subscribed(database, receiver.url)
    await emit(database, owner, objects=2, each=3)
    receiver.delay = 2.0
    doomed = WebhookWorker(database=database, poll_seconds=0.05, allowed_networks=LOOPBACK)
    killed = asyncio.create_task(doomed.run())
    await until(lambda: receiver.requests >= 2)
    killed.cancel()  # the process dies while the receiver is still answering
    with pytest.raises(asyncio.CancelledError):
        await killed
    receiver.delay = 0.0
    clock.advance(3600)  # past the dead worker's lease
    survivor = WebhookWorker(database=database, poll_seconds=0.05, allowed_networks=LOOPBACK)
    task = asyncio.create_task(survivor.run())
    try:
        await until(lambda: len({e["id"] for e in receiver.events()}) == 6)
    finally:
        survivor.stop()
        await task
    events = receiver.events()
    firsts = {}
    for event in events:
        firsts.setdefault(event["id"], event)
    for key in range(2):
        seen = [e["data"]["n"] for e in firsts.values() if e["data"]["object"] == key]
        assert seen == [0, 1, 2]


async def test_a_meeting_starts_once_and_ends(database: Database, tmp_path: Path) -> None:
    async with transaction(database, write=True) as conn:
        await add_account(conn, login="hoster", email="host@example.com", password="host-pass-1")
        owner = await accounts.account_by_login(conn, "hoster")
        assert owner is not None
        hook = WebhookInput(url="http://127.0.0.1:9/", events="meeting.started;meeting.ended")
        hook_id, _ = await service.add(conn, owner, hook)
        data = SessionInput(topic="Met", duration=30, start_time="2030-01-01 10:00")
        session_id = await sessions.create(conn, owner, data)
    for _ in range(2):  # the second use finds the room open: no second meeting.started
        async with transaction(database, write=True) as conn:
            await meetings.open_room(
                conn, session_id=session_id, server="http://janus", auto_record=False, now=utcnow()
            )
    async with transaction(database, write=True) as conn:
        await meetings.end_room(
            conn, session_id=session_id, reason="host", now=utcnow(), recordings_root=tmp_path
        )
        rows = await repository.deliveries_page(
            conn,
            account_id=owner.id,
            webhook_id=hook_id,
            status=None,
            count=10,
            offset=0,
            descending=False,
        )
    assert [r["type"] for r in rows] == ["meeting.started", "meeting.ended"]
    ended = json.loads(rows[1]["body"])["data"]
    assert ended["session_id"] == session_id
    assert ended["end_reason"] == "host"
    assert ended["ended_at"] is not None
